"""Shared fixtures for Pilot tests of the TUI.

Every UI test runs with a temp HOME and the keyring off. `vault_env` creates a vault and puts
its key in TUI_VAULT_KEY (the unlock screen opens it from there); `unlocked_app` starts the app
on it and waits until the secrets table shows:

    async def test_something(unlocked_app):
        async with unlocked_app() as (app, pilot):
            ...
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pytest
from textual.app import App
from textual.events import Key
from textual.pilot import Pilot
from textual.screen import Screen

from tui_vault.core.clipboard import LocalClipboard
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key, generate_key
from tui_vault.ui.app import VaultApp, make_app


class NoLocalClipboard(LocalClipboard):
    """A machine without a clipboard program: copies go through the terminal (OSC 52) only,
    so `app.clipboard` holds what was copied and the test machine's clipboard is untouched."""

    def available(self) -> bool:
        return False


class VaultEnv(NamedTuple):
    path: Path
    key_text: str
    settings_path: Path

    def open(self) -> Vault:
        """The vault as it is on disk now (a fresh read, not the app's copy)."""
        from tui_vault.core.vaultkey import decode_key

        return Vault.open(self.path, decode_key(self.key_text))


@pytest.fixture(autouse=True)
def _ui_isolation(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A temp HOME (from the `home` fixture) and no keyring, for every UI test."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TUI_VAULT_NO_KEYRING", "1")
    monkeypatch.delenv("TMUX", raising=False)  # copies go to app.clipboard, not a tmux buffer


@pytest.fixture
def vault_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> VaultEnv:
    """An empty vault in the temp HOME; its key is in TUI_VAULT_KEY for auto-unlock."""
    path = home / "vaults" / "vault.json"
    key = generate_key()
    Vault.create(path, key)
    key_text = encode_key(key)
    monkeypatch.setenv("TUI_VAULT_KEY", key_text)
    return VaultEnv(path, key_text, home / "config" / "settings.toml")


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], object], timeout: float = 15.0
) -> None:
    """Let the app run until predicate() is true (workers finish, screens change), then let
    it settle once more, so a following click lands on the new layout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await pilot.pause(0.02)
    await pilot.pause()


S = TypeVar("S", bound=Screen[Any])


async def opened(pilot: Pilot[Any], key: str, screen_type: type[S]) -> S:
    """Press `key` and wait for the screen it opens."""
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, screen_type))
    screen = pilot.app.screen
    assert isinstance(screen, screen_type)
    return screen


def keys_in_one_read(app: App[Any], *keys: tuple[str, str | None]) -> None:
    """Queue keys as the driver does for one read from the terminal (a paste, typing over
    SSH): all at once, before the app has handled the first of them."""
    assert app._driver is not None
    for key, character in keys:
        event = Key(key, character)
        event.set_sender(app)
        app._driver.send_message(event)


def typed(text: str) -> list[tuple[str, str | None]]:
    """The keys that type `text` (letters, digits, '-', '_', '/', '.')."""
    names = {"-": "minus", "_": "underscore", "/": "slash", ".": "full_stop"}
    return [(names.get(ch, ch), ch) for ch in text]


@pytest.fixture
def wait() -> Callable[..., Awaitable[None]]:
    """`await wait(pilot, lambda: condition)`."""
    return wait_until


UnlockedApp = Callable[..., AbstractAsyncContextManager[tuple[VaultApp, Pilot[Any]]]]


@pytest.fixture
def unlocked_app(vault_env: VaultEnv) -> UnlockedApp:
    """`async with unlocked_app(size=(100, 30), **make_app_kwargs) as (app, pilot):`"""

    @asynccontextmanager
    async def start(
        size: tuple[int, int] = (100, 30), **kwargs: Any
    ) -> AsyncIterator[tuple[VaultApp, Pilot[Any]]]:
        from tui_vault.ui.screens.secrets import SecretsScreen

        options: dict[str, Any] = {
            "vault_path": vault_env.path,
            "settings_file": vault_env.settings_path,
            "local_clipboard": NoLocalClipboard(),
            "use_keyring": False,
        }
        options.update(kwargs)
        app = make_app(**options)
        async with app.run_test(size=size) as pilot:
            await wait_until(
                pilot, lambda: app.vault is not None and isinstance(app.screen, SecretsScreen)
            )
            await pilot.pause()
            yield app, pilot

    return start

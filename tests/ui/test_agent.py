"""The TUI and the session agent: a typed unlock unlocks the agent (unless turned off), the
TUI opens from the agent, and ctrl+l makes the agent forget."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.ui.conftest import NoLocalClipboard, wait_until
from tui_vault.core import agent
from tui_vault.core.settings import Settings
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key, generate_key
from tui_vault.ui.app import VaultApp, make_app
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.screens.unlock import UnlockScreen


@pytest.fixture
def sock(home: Path) -> Iterator[Path]:
    path = Path(os.environ["TUI_VAULT_AGENT_SOCK"])
    yield path
    with contextlib.suppress(OSError, ValueError):
        pid = int(path.with_name(path.name + ".lock").read_text().strip())
        if b"agent_server" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def vault(home: Path) -> tuple[Vault, bytes]:
    key = generate_key()
    v, _ = Vault.create(home / "vaults" / "vault.json", key)
    v.set_value("A", "agent-ui-value")
    return v, key


def build(vault: Vault, home: Path, **settings: object) -> VaultApp:
    return make_app(
        vault_path=vault.path,
        settings=Settings(**settings),  # type: ignore[arg-type]
        settings_file=home / "settings.toml",
        local_clipboard=NoLocalClipboard(),
        use_keyring=False,
    )


async def held(vault_id: str) -> bytes | None:
    return await asyncio.to_thread(agent.fetch_key, vault_id)


async def test_typed_unlock_unlocks_the_agent_and_ctrl_l_locks_it(
    vault: tuple[Vault, bytes], home: Path, sock: Path
) -> None:
    v, key = vault
    app = build(v, home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert await held(v.vault_id) is None
        app.screen.query_one("#key-input", Input).value = encode_key(key)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        for _ in range(200):
            if await held(v.vault_id) is not None:
                break
            await pilot.pause(0.05)
        assert await held(v.vault_id) == key  # other terminals can use it now
        st = await asyncio.to_thread(agent.status)
        (entry,) = st.vaults
        assert entry.idle_seconds == 15 * 60  # the TUI's idle_lock_minutes
        assert any("Session agent unlocked" in (n.title or "") for n in app._notifications)

        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        for _ in range(200):
            if await held(v.vault_id) is None:
                break
            await pilot.pause(0.05)
        assert await held(v.vault_id) is None


async def test_setting_off_keeps_the_agent_out(
    vault: tuple[Vault, bytes], home: Path, sock: Path
) -> None:
    v, key = vault
    app = build(v, home, tui_unlocks_agent=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        app.screen.query_one("#key-input", Input).value = encode_key(key)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        assert not sock.exists()  # no agent was started


async def test_opens_from_the_agent_without_a_key(
    vault: tuple[Vault, bytes], home: Path, sock: Path
) -> None:
    v, key = vault
    await asyncio.to_thread(
        agent.put, v.vault_id, key, idle_seconds=60, max_seconds=600, path=str(v.path)
    )
    app = build(v, home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.vault is not None)
        assert app.vault is not None and app.vault.key == key
        assert isinstance(app.screen, SecretsScreen)


# ----------------------------------------------------------------------- passphrase

PASS = "ui passphrase 5512 ok"


async def test_unlock_screen_takes_the_passphrase(
    vault: tuple[Vault, bytes], home: Path, sock: Path
) -> None:
    from textual.widgets import Label

    from tui_vault.core.passphrase import set_passphrase

    v, key = vault
    set_passphrase(v.path, v.vault_id, key, PASS)
    app = build(v, home, tui_unlocks_agent=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        key_input = app.screen.query_one("#key-input", Input)
        await wait_until(pilot, lambda: "passphrase" in str(key_input.placeholder))
        key_input.value = "not the passphrase"
        await pilot.press("enter")
        error = app.screen.query_one("#unlock-error", Label)
        await wait_until(pilot, lambda: "Wrong passphrase or key" in str(error.render()))
        assert app.vault is None
        key_input.value = PASS
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        assert app.vault is not None and app.vault.key == key


async def test_settings_set_and_remove_the_passphrase(
    vault: tuple[Vault, bytes], home: Path, sock: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Button, Label

    from tui_vault.core.passphrase import passphrase_path, unwrap
    from tui_vault.ui.screens.dialogs import ConfirmDialog
    from tui_vault.ui.screens.passphrase_dialog import PassphraseDialog
    from tui_vault.ui.screens.settings import SettingsScreen

    v, key = vault
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    app = build(v, home)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.press("comma")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.action_show_tab("key")
        set_button = screen.query_one("#passphrase-set", Button)
        await wait_until(pilot, lambda: not set_button.disabled)
        assert screen.query_one("#passphrase-remove", Button).disabled

        set_button.press()
        await wait_until(pilot, lambda: isinstance(app.screen, PassphraseDialog))
        dialog = app.screen
        dialog.query_one("#passphrase", Input).value = "short"
        dialog.query_one("#repeat", Input).value = "short"
        await pilot.click("#save")
        error = dialog.query_one("#passphrase-error", Label)
        await wait_until(pilot, lambda: "at least 12 characters" in str(error.render()))
        dialog.query_one("#passphrase", Input).value = PASS
        dialog.query_one("#repeat", Input).value = PASS + "x"
        dialog.query_one("#repeat", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: "differ" in str(error.render()))
        assert isinstance(app.screen, PassphraseDialog)
        dialog.query_one("#repeat", Input).value = PASS
        await pilot.press("enter")
        await wait_until(pilot, lambda: passphrase_path(v.path).exists())
        assert unwrap(v.path, v.vault_id, PASS) == key
        remove = screen.query_one("#passphrase-remove", Button)
        await wait_until(pilot, lambda: not remove.disabled)
        assert str(set_button.label) == "Change passphrase…"
        for n in app._notifications:
            assert PASS not in n.message

        remove.press()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: not passphrase_path(v.path).exists())
        await wait_until(pilot, lambda: remove.disabled)


async def test_general_tab_switch_turns_agent_sharing_off(
    vault: tuple[Vault, bytes], home: Path, sock: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tomllib

    from textual.widgets import Switch

    from tui_vault.ui.screens.settings import SettingsScreen

    v, key = vault
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    app = build(v, home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.press("comma")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        switch = app.screen.query_one("#setting-tui_unlocks_agent", Switch)
        assert switch.value is True
        switch.value = False
        await wait_until(pilot, lambda: app.settings.tui_unlocks_agent is False)
        await app.workers.wait_for_complete()
        saved = tomllib.loads((home / "settings.toml").read_text())
        assert saved["tui_unlocks_agent"] is False

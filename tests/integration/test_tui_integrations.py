"""Pilot tests of the link dialog and Settings → Integrations against a real OpenBao server."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tui_vault.core.clipboard import LocalClipboard
from tui_vault.core.settings import Settings
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key, generate_key
from tui_vault.ui.app import VaultApp, make_app
from tui_vault.ui.screens.link import LinkDialog
from tui_vault.ui.screens.provider_form import FieldsForm
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.screens.settings import SettingsScreen
from tui_vault.ui.widgets.virtual_table import VirtualTable

from .servers import OpenBaoServer

pytestmark = pytest.mark.integration

VALUE = "bao-value-7e21-MARK"


class NoLocalClipboard(LocalClipboard):
    def available(self) -> bool:
        return False


@pytest.fixture
def app_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openbao: OpenBaoServer
) -> tuple[VaultApp, Path, bytes]:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TUI_VAULT_NO_KEYRING", "1")
    openbao.ensure_kv("tuikv", 2)
    openbao.put("tuikv", "apps/web", {"token": VALUE})
    path = tmp_path / "vault.json"
    key = generate_key()
    Vault.create(path, key)
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    app = make_app(
        vault_path=path,
        settings=Settings(fetch_timeout_seconds=5),
        settings_file=tmp_path / "settings.toml",
        local_clipboard=NoLocalClipboard(),
        use_keyring=False,
    )
    return app, path, key


async def until(pilot: Pilot[Any], check: Callable[[], object], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; screen is {pilot.app.screen!r}")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)
    # Let the screen that just appeared finish mounting before the next key press:
    # a key sent in the same tick as a screen switch can reach the old screen.
    await pilot.pause()


def fill(form: FieldsForm, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#f-{name}", Input).value = value


async def test_link_connect_reveal_copy_disconnect(
    app_env: tuple[VaultApp, Path, bytes], openbao: OpenBaoServer
) -> None:
    app, path, key = app_env
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))

        # Link a new secret: name + provider, then the provider's fields.
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LinkDialog))
        app.screen.query_one("#link-name", Input).value = "web-token"
        await pilot.click("#next")
        await until(pilot, lambda: isinstance(app.screen, FieldsForm))
        fill(app.screen, engine="tuikv", path="apps/web", key="token")
        await pilot.click("#submit")
        await until(pilot, lambda: "web-token" in Vault.open(path, key).data.secrets)
        link = Vault.open(path, key).data.secrets["web-token"].link
        assert link is not None and link.params["path"] == "apps/web"
        table = app.screen.query_one("#table", VirtualTable)
        assert "integration disconnected" in str(table.cell(0, 4))

        # Settings → Integrations → Connect HashiCorp, first with a wrong token.
        await pilot.press("comma")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        app.screen.action_show_tab("integrations")
        await pilot.pause()
        await pilot.click("#connect-hashicorp")
        await until(pilot, lambda: isinstance(app.screen, FieldsForm))
        fill(app.screen, url=openbao.url, token="not-a-real-token")
        await pilot.click("#submit")
        await until(
            pilot,
            # The refused form comes back filled in, the reason in its error line.
            lambda: (
                isinstance(app.screen, FieldsForm)
                and "nothing was saved"
                in str(app.screen.query_one("#fields-error", Static).render())
            ),
        )
        assert "hashicorp" not in Vault.open(path, key).data.integrations
        fill(app.screen, url=openbao.url, token=openbao.root_token)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "hashicorp" in Vault.open(path, key).data.integrations)
        assert Vault.open(path, key).data.integrations["hashicorp"]["token"] == openbao.root_token
        assert openbao.root_token not in "\n".join(str(n.message) for n in app._notifications)

        # Back to the table: reveal fetches the value, copy puts it on the clipboard.
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        table = app.screen.query_one("#table", VirtualTable)
        await pilot.press("r")
        await until(pilot, lambda: str(table.cell(0, 1)) == VALUE)
        assert str(table.cell(0, 4)).startswith("cached")
        await pilot.press("c")
        await until(pilot, lambda: app.clipboard == VALUE)
        assert VALUE not in "\n".join(str(n.message) for n in app._notifications)
        assert VALUE.encode() not in path.with_name(path.name + ".cache").read_bytes()

        # Disconnect: the link stays, the reference becomes unresolved.
        await pilot.press("comma")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        app.screen.action_show_tab("integrations")
        await pilot.pause()
        await pilot.click("#disconnect-hashicorp")
        await pilot.pause()
        await pilot.click("#confirm")
        await until(pilot, lambda: "hashicorp" not in Vault.open(path, key).data.integrations)
        assert Vault.open(path, key).data.secrets["web-token"].link is not None
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        table = app.screen.query_one("#table", VirtualTable)
        await until(pilot, lambda: "disconnected" in str(table.cell(0, 4)))


async def test_linked_value_cannot_be_edited(app_env: tuple[VaultApp, Path, bytes]) -> None:
    app, path, key = app_env
    from tui_vault.core.model import Link

    Vault.open(path, key).link("db", Link("hashicorp", {"engine": "e", "path": "p", "key": "k"}))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.press("e")
        await pilot.pause()
        value = app.screen.query_one("#value", Input)
        assert value.disabled
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        assert Vault.open(path, key).data.secrets["db"].link is not None

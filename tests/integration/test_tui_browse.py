"""Pilot tests of browsing to link, "Move to HashiCorp/AWS…" and the stale status, against
a real OpenBao server (and, for stale, a server that is not there)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tui_vault.core.cache import Cache
from tui_vault.core.model import Link
from tui_vault.core.settings import Settings
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key, generate_key
from tui_vault.ui.app import VaultApp, make_app
from tui_vault.ui.screens.browse import BrowseDialog
from tui_vault.ui.screens.link import LinkDialog
from tui_vault.ui.screens.provider_form import FieldsForm
from tui_vault.ui.screens.push import PushDialog
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.widgets.virtual_table import VirtualTable

from .servers import OpenBaoServer, free_port
from .test_tui_integrations import NoLocalClipboard, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: dict[str, str] | None, **settings: Any
) -> tuple[VaultApp, Path, bytes]:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TUI_VAULT_NO_KEYRING", "1")
    path = tmp_path / "vault.json"
    key = generate_key()
    vault, _ = Vault.create(path, key)
    if config is not None:
        vault.set_integration("hashicorp", config)
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    app = make_app(
        vault_path=path,
        settings=Settings(fetch_timeout_seconds=5, **settings),
        settings_file=tmp_path / "settings.toml",
        local_clipboard=NoLocalClipboard(),
        use_keyring=False,
    )
    return app, path, key


def labels(dialog: BrowseDialog) -> list[str]:
    options = dialog.query_one("#browse-list", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def status(dialog: BrowseDialog) -> str:
    return str(dialog.query_one("#browse-status", Static).render())


async def pick(pilot: Pilot[Any], dialog: BrowseDialog, name: str) -> None:
    """Narrow the list by typing in the filter, then choose the one match with Enter."""
    await until(pilot, lambda: any(name in line for line in labels(dialog)))
    await pilot.press("ctrl+f")
    await pilot.press(*name)
    await until(pilot, lambda: len(labels(dialog)) == 1)
    await pilot.press("enter")  # from the filter to the list
    await pilot.press("enter")  # open or choose it


@pytest.fixture
def seeded(openbao: OpenBaoServer) -> str:
    tag = uuid.uuid4().hex[:8]
    openbao.ensure_kv("tuikv", 2)
    openbao.put("tuikv", f"br{tag}/apps/web", {"token": "BAO-TUI-VALUE", "user": "w"})
    return tag


async def test_link_by_browsing_without_typing_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openbao: OpenBaoServer, seeded: str
) -> None:
    app, path, key = make(tmp_path, monkeypatch, openbao.provider_config())
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LinkDialog))
        app.screen.query_one("#link-name", Input).value = "web-token"
        await pilot.press("ctrl+b")
        await until(pilot, lambda: isinstance(app.screen, BrowseDialog))
        dialog = app.screen
        assert isinstance(dialog, BrowseDialog)
        await until(pilot, lambda: "tuikv/" in " ".join(labels(dialog)))
        await pick(pilot, dialog, "tuikv/")
        await pick(pilot, dialog, f"br{seeded}/")
        await pick(pilot, dialog, "apps/")
        await pick(pilot, dialog, "web")
        await until(pilot, lambda: len(labels(dialog)) == 2)
        assert "BAO-TUI-VALUE" not in " ".join(labels(dialog))
        # Backspace goes back up a level, and Enter opens it again.
        await pilot.press("backspace")
        await until(pilot, lambda: dialog.path == f"tuikv/br{seeded}/apps/")
        await until(pilot, lambda: labels(dialog) and "web" in labels(dialog)[0])
        await pilot.press("enter")
        await until(pilot, lambda: dialog.path.endswith("apps/web") and len(labels(dialog)) == 2)
        await pick(pilot, dialog, "token")
        # The choice fills the link's fields; the person confirms them.
        await until(pilot, lambda: isinstance(app.screen, FieldsForm))
        form = app.screen
        assert form.query_one("#f-engine", Input).value == "tuikv"
        assert form.query_one("#f-path", Input).value == f"br{seeded}/apps/web"
        assert form.query_one("#f-key", Input).value == "token"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "web-token" in Vault.open(path, key).data.secrets)
        link = Vault.open(path, key).data.secrets["web-token"].link
        assert link is not None
        assert dict(link.params) == {
            "engine": "tuikv",
            "path": f"br{seeded}/apps/web",
            "key": "token",
        }


async def test_not_allowed_to_list_is_shown_and_a_typed_path_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openbao: OpenBaoServer, seeded: str
) -> None:
    policy = openbao.policy(f"tui-nolist-{seeded}", "tuikv/data/*", "sys/internal/ui/mounts/*")
    config = openbao.provider_config(token=openbao.token(policy))
    app, _, _ = make(tmp_path, monkeypatch, config)
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LinkDialog))
        app.screen.query_one("#link-name", Input).value = "web"
        await pilot.click("#browse")
        await until(pilot, lambda: isinstance(app.screen, BrowseDialog))
        dialog = app.screen
        assert isinstance(dialog, BrowseDialog)
        path_input = dialog.query_one("#browse-path", Input)
        path_input.value = f"tuikv/br{seeded}/"
        path_input.focus()
        await pilot.press("enter")
        await until(pilot, lambda: "not allowed to list" in status(dialog))
        assert "type the path" in status(dialog)
        assert labels(dialog) == []
        path_input.value = f"tuikv/br{seeded}/apps/web"
        path_input.focus()
        await pilot.press("enter")
        await until(pilot, lambda: len(labels(dialog)) == 2)
        assert "token" in labels(dialog)[0]


async def test_move_to_hashicorp_writes_then_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openbao: OpenBaoServer, seeded: str
) -> None:
    app, path, key = make(tmp_path, monkeypatch, openbao.provider_config())
    Vault.open(path, key).set_value("api", "MOVE-TUI-VALUE")
    Vault.open(path, key).set_value("clash", "MOVE-TUI-OTHER")
    async with app.run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        app.screen.jump_to("api")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, PushDialog))
        dialog = app.screen
        dialog.query_one("#push-engine", Input).value = "tuikv"
        dialog.query_one("#push-path", Input).value = f"br{seeded}/apps/web"
        dialog.query_one("#push-key", Input).value = "api"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: Vault.open(path, key).data.secrets["api"].link is not None)
        stored = openbao.client().secrets.kv.v2.read_secret_version(
            path=f"br{seeded}/apps/web", mount_point="tuikv", raise_on_deleted_version=True
        )
        assert stored["data"]["data"] == {
            "token": "BAO-TUI-VALUE",
            "user": "w",
            "api": "MOVE-TUI-VALUE",
        }
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        notes = "\n".join(str(n.message) for n in app._notifications)
        assert "Moved api" in notes and "MOVE-TUI-VALUE" not in notes

        # A different value there: refused in the dialog, which stays open with the reason.
        app.screen.jump_to("clash")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, PushDialog))
        dialog = app.screen
        dialog.query_one("#push-engine", Input).value = "tuikv"
        dialog.query_one("#push-path", Input).value = f"br{seeded}/apps/web"
        dialog.query_one("#push-key", Input).value = "token"
        await pilot.press("ctrl+s")
        await until(
            pilot, lambda: "--force" in str(dialog.query_one("#push-error", Static).render())
        )
        assert isinstance(app.screen, PushDialog)
        assert Vault.open(path, key).data.secrets["clash"].link is None

        # A linked secret has nothing local to move.
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        app.screen.jump_to("api")
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, SecretsScreen)
        assert "no local value" in "\n".join(str(n.message) for n in app._notifications)


async def test_table_shows_stale_when_the_server_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    config = {"url": dead, "auth": "token", "token": "t"}
    app, path, key = make(tmp_path, monkeypatch, config, serve_stale_hours=4)
    vault = Vault.open(path, key)
    link = Link("hashicorp", {"engine": "secret", "path": "app", "key": "k"})
    vault.link("db", link)
    Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id).put_many(
        {link.fingerprint: "STALE-TUI-VALUE"}, now=time.time() - 3 * 3600 - 60
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        table = app.screen.query_one("#table", VirtualTable)
        await pilot.press("r")
        await until(pilot, lambda: str(table.cell(0, 1)) == "STALE-TUI-VALUE")
        await until(pilot, lambda: str(table.cell(0, 4)).startswith("stale"))
        assert str(table.cell(0, 4)) == "stale · fetched 3 h ago (HashiCorp unreachable)"

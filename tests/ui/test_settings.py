"""Settings screen: preferences saved to settings.toml, cache reset, the vault key, integrations,
clear and reset."""

from __future__ import annotations

import stat
import tomllib
from typing import Any

from textual.widgets import Button, Input, Label, Static, Switch, TabbedContent

from tests.ui.conftest import VaultEnv, wait_until
from tui_vault.core.cache import Cache
from tui_vault.core.model import Link, Secret
from tui_vault.ui.app import VaultApp
from tui_vault.ui.screens.dialogs import PathDialog, TypedConfirmDialog
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.screens.settings import SettingsScreen, integration_text
from tui_vault.ui.widgets.key_display import KeyDisplay


async def open_settings(app: VaultApp, pilot: Any, tab: str = "general") -> SettingsScreen:
    await pilot.press("comma")
    await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
    screen = app.screen
    assert isinstance(screen, SettingsScreen)
    screen.action_show_tab(tab)
    await pilot.pause()
    return screen


def notifications(app: VaultApp) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


def saved_settings(env: VaultEnv) -> dict[str, Any]:
    return tomllib.loads(env.settings_path.read_text(encoding="utf-8"))


async def set_number(pilot: Any, screen: SettingsScreen, name: str, text: str) -> None:
    field = screen.query_one(f"#setting-{name}", Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await pilot.pause()


# ---------------------------------------------------------------------------- general


async def test_expiration_is_saved_to_settings_toml_and_applied(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    async with unlocked_app() as (app, pilot):
        screen = await open_settings(app, pilot)
        assert screen.query_one("#setting-expiration_minutes", Input).value == "60"
        await set_number(pilot, screen, "expiration_minutes", "45")
        await app.workers.wait_for_complete()
        assert saved_settings(vault_env)["expiration_minutes"] == 45
        assert app.settings.expiration_minutes == 45
        assert app.session is not None and app.session.resolver.ttl_seconds == 45 * 60
        assert "Saved" in str(screen.query_one("#general-status", Static).content)


async def test_invalid_expiration_is_refused_and_nothing_saved(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    async with unlocked_app() as (app, pilot):
        screen = await open_settings(app, pilot)
        await set_number(pilot, screen, "expiration_minutes", "0")
        await app.workers.wait_for_complete()
        status = screen.query_one("#general-status", Static)
        assert status.has_class("error")
        assert "at least 1" in str(status.content)
        assert app.settings.expiration_minutes == 60
        assert not vault_env.settings_path.exists()


async def test_clipboard_idle_timeout_and_mask_are_saved(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    async with unlocked_app() as (app, pilot):
        screen = await open_settings(app, pilot)
        await set_number(pilot, screen, "clipboard_clear_seconds", "5")
        await set_number(pilot, screen, "idle_lock_minutes", "0")
        await set_number(pilot, screen, "fetch_timeout_seconds", "2.5")
        screen.query_one("#setting-mask_values", Switch).value = False
        await pilot.pause()
        await app.workers.wait_for_complete()
        saved = saved_settings(vault_env)
        assert saved["clipboard_clear_seconds"] == 5
        assert saved["idle_lock_minutes"] == 0
        assert saved["fetch_timeout_seconds"] == 2.5
        assert saved["mask_values"] is False
        assert app.clipboard_manager.clear_after == 5
        assert app.session is not None and app.session.resolver.timeout == 2.5
        # The open table follows the new preference at once.
        secrets = next(s for s in app.screen_stack if isinstance(s, SecretsScreen))
        assert secrets.reveal_all


async def test_reset_cache_deletes_the_cache_file_and_memory(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault = vault_env.open()
    Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id).put_many(
        {"hashicorp:path=x": "cached-value"}
    )
    assert vault.paths.cache.exists()
    async with unlocked_app() as (app, pilot):
        assert app.session is not None
        assert app.session.cache.peek("hashicorp:path=x") is not None  # loaded into memory
        screen = await open_settings(app, pilot)
        await pilot.click("#reset-cache")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not vault.paths.cache.exists()
        assert app.session.cache.peek("hashicorp:path=x") is None
        assert any("Cache reset" in n for n in notifications(app))
        assert isinstance(app.screen, SettingsScreen) and app.screen is screen


async def test_escape_goes_back_to_the_secrets(unlocked_app: Any) -> None:
    async with unlocked_app() as (app, pilot):
        await open_settings(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SecretsScreen)


async def test_readable_at_80x24(unlocked_app: Any) -> None:
    async with unlocked_app(size=(80, 24)) as (app, pilot):
        screen = await open_settings(app, pilot)
        for name in ("expiration_minutes", "fetch_timeout_seconds"):
            region = screen.query_one(f"#setting-{name}", Input).region
            assert region.width > 0 and region.bottom <= 24
        assert screen.query_one("#reset-cache", Button).region.bottom <= 23
        # Every hint beside a setting reads whole on its one line (a longer one would wrap
        # under itself and push Reset cache below the screen).
        hints = list(screen.query(".settings-row .settings-hint").results(Label))
        assert len(hints) == 7
        for hint in hints:
            text = str(hint.render())
            assert hint.region.height == 1 and len(text) <= hint.region.width, text


# ---------------------------------------------------------------------------- vault key


async def test_key_hidden_until_revealed_and_copied_never_notified(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    async with unlocked_app() as (app, pilot):
        screen = await open_settings(app, pilot, "key")
        assert not screen.query(KeyDisplay)
        await pilot.click("#reveal-key")
        await pilot.pause()
        display = screen.query_one(KeyDisplay)
        assert display.key_text == vault_env.key_text
        await pilot.click("#copy-key")
        await pilot.pause()
        assert app.clipboard == vault_env.key_text
        compact_key = vault_env.key_text.replace("-", "")
        for text in notifications(app):
            assert vault_env.key_text not in text
            assert compact_key not in text.replace("-", "")
        assert any("vault key" in n for n in notifications(app))
        # Hide again, and leaving the tab hides it too.
        await pilot.click("#reveal-key")
        await pilot.pause()
        assert not screen.query(KeyDisplay)
        await pilot.click("#reveal-key")
        await pilot.pause()
        screen.action_show_tab("general")
        await pilot.pause()
        assert not screen.query(KeyDisplay)


async def test_save_key_to_file_0600_and_refuses_existing(
    unlocked_app: Any, vault_env: VaultEnv, home: Any
) -> None:
    target = home / "my-key.txt"
    async with unlocked_app() as (app, pilot):
        await open_settings(app, pilot, "key")
        await pilot.click("#save-key-file")
        await wait_until(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.click("#save")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert target.read_text(encoding="utf-8").strip() == vault_env.key_text
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        for text in notifications(app):
            assert vault_env.key_text not in text

        target.write_text("something else\n", encoding="utf-8")
        await pilot.click("#save-key-file")
        await wait_until(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.click("#save")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert target.read_text(encoding="utf-8") == "something else\n"
        # Reported in the dialog, which stays open with the path (nothing to retype).
        assert isinstance(app.screen, PathDialog)
        assert "already exists" in str(app.screen.query_one("#path-error", Static).render())


async def test_password_manager_buttons_disabled_with_the_reason(unlocked_app: Any) -> None:
    async with unlocked_app() as (app, pilot):
        screen = await open_settings(app, pilot, "key")
        await wait_until(pilot, lambda: screen.keyring_state is not None)
        await pilot.pause()
        assert screen.query_one("#keyring-save", Button).disabled
        assert screen.query_one("#keyring-forget", Button).disabled
        text = str(screen.query_one("#keyring-status", Static).content)
        assert "Not available" in text and "turned off" in text


# ---------------------------------------------------------------------------- integrations


async def test_integrations_tab_shows_connection_and_link_counts(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault = vault_env.open()
    vault.link("db-pass", Link("hashicorp", {"engine": "secret", "path": "app", "key": "pw"}))
    vault.link("db-user", Link("hashicorp", {"engine": "secret", "path": "app", "key": "user"}))
    vault.set_integration("aws", {"region": "eu-west-1", "secret_access_key": "HIDDEN-CRED"})
    async with unlocked_app() as (app, pilot):
        screen = await open_settings(app, pilot, "integrations")
        await pilot.pause()
        assert screen.query_one("#settings-tabs", TabbedContent).active == "tab-integrations"
        slot = screen.query_one("#integrations-slot")
        # Whichever shows (the status rows, or the integrations panel mounted in the slot),
        # what is on screen is honest about each provider.
        shown = [
            str(w.content)
            for w in screen.query_one("#tab-integrations").query(Static)
            if w.region.area > 0
        ]
        text = "\n".join(shown)
        hashicorp = next(line for line in shown if "HashiCorp" in line or "2 linked" in line)
        assert "not connected" in text and "2 linked secrets" in text
        assert "eu-west-1" in text and "HIDDEN-CRED" not in text
        assert hashicorp
        if slot.children:
            assert not screen.query_one("#integration-status").display


async def test_integration_rows_read_on_one_line_at_80x24(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    """A provider that is not connected says so, and how many secrets link to it, on one
    line beside its buttons (the buttons as wide as Re-authenticate and Disconnect)."""
    vault = vault_env.open()
    for i in range(12):
        vault.link(f"s{i}", Link("azure", {"secret_id": f"s{i}"}))
    async with unlocked_app(size=(80, 24)) as (app, pilot):
        screen = await open_settings(app, pilot, "integrations")
        await pilot.pause()
        rows = list(screen.query("IntegrationRow"))
        assert len(rows) == 4
        for row in rows:
            state = row.query_one(".state", Static)
            assert state.region.height == 1, str(state.content)
            connect, disconnect = row.query(Button)
            assert connect.region.width == 17 and disconnect.region.width == 12
            assert disconnect.region.right <= 80
        azure = screen.query_one("#integration-azure").query_one(".state", Static)
        assert str(azure.content) == "not connected · 12 linked secrets"


def test_integration_rows_say_how_to_connect(vault_env: VaultEnv) -> None:
    vault = vault_env.open()
    vault.link("db-pass", Link("hashicorp", {"engine": "secret", "path": "app", "key": "pw"}))
    vault.set_integration("aws", {"region": "eu-west-1", "secret_access_key": "HIDDEN-CRED"})
    hashicorp = integration_text(vault, "hashicorp", set())
    assert "not connected" in hashicorp and "1 linked secret " in hashicorp
    assert "tui-vault integration connect hashicorp" in hashicorp
    aws = integration_text(vault, "aws", set())
    assert "● connected" in aws and "region=eu-west-1" in aws and "HIDDEN-CRED" not in aws
    assert "needs re-authentication" in integration_text(vault, "aws", {"aws"})
    assert "0 linked secrets" in integration_text(vault, "azure", set())


# ---------------------------------------------------------------------------- danger zone


async def test_clear_vault_deletes_every_secret_keeps_key_and_resets_cache(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault = vault_env.open()
    vault.add_many([Secret("one", "1"), Secret("two", "2")])
    vault.set_integration("aws", {"region": "eu-west-1"})
    Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id).put_many({"fp": "v"})
    async with unlocked_app() as (app, pilot):
        screen = await open_settings(app, pilot, "danger")
        assert "2 now" in str(screen.query_one("#clear-text", Static).content)
        await pilot.click("#clear-vault")
        await wait_until(pilot, lambda: isinstance(app.screen, TypedConfirmDialog))
        assert app.screen.query_one("#confirm", Button).disabled
        await pilot.press(*"CLEAR")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: not vault_env.open().data.secrets)
        await pilot.pause()
        on_disk = vault_env.open()  # the same key still opens it
        assert on_disk.data.secrets == {}
        assert "aws" in on_disk.data.integrations
        assert not vault.paths.cache.exists()
        assert app.vault is not None and app.vault.data.secrets == {}
        assert "0 now" in str(screen.query_one("#clear-text", Static).content)
        secrets = next(s for s in app.screen_stack if isinstance(s, SecretsScreen))
        assert "0 secrets" in str(secrets.query_one("#count").render())


async def test_clear_vault_cancelled_changes_nothing(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("keep", "1"))
    async with unlocked_app() as (app, pilot):
        await open_settings(app, pilot, "danger")
        await pilot.click("#clear-vault")
        await wait_until(pilot, lambda: isinstance(app.screen, TypedConfirmDialog))
        await pilot.press(*"CLEAN")
        await pilot.press("enter")  # not the word: nothing happens
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        assert list(vault_env.open().data.secrets) == ["keep"]


async def test_reset_vault_deletes_files_locks_and_offers_a_new_key(
    unlocked_app: Any, vault_env: VaultEnv, monkeypatch: Any
) -> None:
    from tui_vault.ui.screens.create import CreateScreen

    vault_env.open().add(Secret("gone", "1"))
    async with unlocked_app() as (app, pilot):
        # A key in the environment would not open the new vault; the person makes a new one.
        # (TUI_VAULT_KEY left the environment when it was read; reset forgets it too.)
        monkeypatch.delenv("TUI_VAULT_KEY", raising=False)
        await open_settings(app, pilot, "danger")
        await pilot.click("#reset-vault")
        await wait_until(pilot, lambda: isinstance(app.screen, TypedConfirmDialog))
        await pilot.press(*"RESET")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CreateScreen))
        assert app.vault is None and app.session is None
        assert not vault_env.path.exists()
        # The notice is a message to the app: it may arrive a moment after the new screen.
        await wait_until(pilot, lambda: any("reset" in n.lower() for n in notifications(app)))

"""Troubleshoot screen: every empty or unresolved secret with its reason, and fixes that work."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static, TabbedContent

from tests.ui.conftest import VaultEnv, wait_until
from tui_vault.core.model import Link, Reason, Secret
from tui_vault.integrations.base import FetchError, Provider
from tui_vault.ui.app import VaultApp
from tui_vault.ui.screens.secret_form import SecretForm
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.screens.settings import SettingsScreen
from tui_vault.ui.screens.troubleshoot import NOTHING_TO_FIX, TroubleshootScreen

LINK = Link("hashicorp", {"engine": "secret", "path": "app", "key": "pw"})


async def open_troubleshoot(app: VaultApp, pilot: Any) -> TroubleshootScreen:
    await pilot.press("t")
    await wait_until(pilot, lambda: isinstance(app.screen, TroubleshootScreen))
    screen = app.screen
    assert isinstance(screen, TroubleshootScreen)
    await wait_until(pilot, lambda: not screen.checking)
    await pilot.pause()
    return screen


def rows(screen: TroubleshootScreen) -> dict[str, str]:
    """name -> problem, as shown in the table."""
    table = screen.query_one("#trouble-table", DataTable)
    out = {}
    for row_key in table.rows:
        cells = table.get_row(row_key)
        out[str(cells[0])] = str(cells[1])
    return out


async def select(pilot: Any, screen: TroubleshootScreen, name: str) -> None:
    table = screen.query_one("#trouble-table", DataTable)
    table.move_cursor(row=table.get_row_index(name))
    table.focus()
    await pilot.pause()


async def test_lists_empty_and_disabled_secrets_with_reasons(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add_many(
        [
            Secret("fine", "1"),
            Secret("blank", ""),
            Secret("off", "2", enabled=False),
            Secret("scoped", "3", allowed_domains=["api.example.com"]),
        ]
    )
    async with unlocked_app() as (app, pilot):
        screen = await open_troubleshoot(app, pilot)
        shown = rows(screen)
        assert shown["blank"] == "empty"
        assert shown["off"] == "disabled"
        assert "api.example.com" in shown["scoped"]
        assert "fine" not in shown
        summary = str(screen.query_one("#trouble-summary", Static).content)
        assert "2 secrets need attention" in summary
        # Three rows for a count of two: the summary says what the third one is.
        assert "1 more is limited to certain domains: nothing to fix." in summary
        assert not screen.query_one("#trouble-empty").display


async def test_enable_fix_enables_the_secret(unlocked_app: Any, vault_env: VaultEnv) -> None:
    vault_env.open().add_many([Secret("off", "2", enabled=False), Secret("blank", "")])
    async with unlocked_app() as (app, pilot):
        screen = await open_troubleshoot(app, pilot)
        await select(pilot, screen, "off")
        await pilot.press("enter")  # the suggested fix: enable
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: "off" not in rows(screen))
        assert vault_env.open().get("off").enabled
        assert list(rows(screen)) == ["blank"]
        assert app.vault is not None and app.vault.get("off").enabled


async def test_empty_fix_opens_the_form_and_saves_a_value(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("blank", ""))
    async with unlocked_app() as (app, pilot):
        screen = await open_troubleshoot(app, pilot)
        await select(pilot, screen, "blank")
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        app.screen.query_one("#value", Input).value = "filled-in"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: not rows(screen))
        assert vault_env.open().get("blank").value == "filled-in"
        assert screen.query_one("#trouble-empty").display
        assert NOTHING_TO_FIX in str(screen.query_one("#trouble-empty", Static).content)


async def test_nothing_to_fix(unlocked_app: Any, vault_env: VaultEnv) -> None:
    vault_env.open().add(Secret("fine", "1"))
    async with unlocked_app() as (app, pilot):
        screen = await open_troubleshoot(app, pilot)
        assert rows(screen) == {}
        empty = screen.query_one("#trouble-empty", Static)
        assert empty.display and str(empty.content) == NOTHING_TO_FIX
        assert not screen.query_one("#trouble-table").display
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SecretsScreen)


async def test_disconnected_link_points_to_settings_integrations(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().link("db-pass", LINK)
    async with unlocked_app() as (app, pilot):
        screen = await open_troubleshoot(app, pilot)
        assert "integration disconnected" in rows(screen)["db-pass"]
        await select(pilot, screen, "db-pass")
        detail = str(screen.query_one("#trouble-detail", Static).content)
        assert "tui-vault integration connect hashicorp" in detail
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        settings = app.screen
        assert isinstance(settings, SettingsScreen)
        await pilot.pause()
        assert settings.query_one("#settings-tabs", TabbedContent).active == "tab-integrations"


class SlowThenFailing(Provider):
    """A provider that answers slowly, then fails: the screen shows `checking…` meanwhile."""

    name = "hashicorp"
    label = "HashiCorp"
    calls = 0
    release: asyncio.Event | None = None

    async def fetch(self, link: Link) -> str:
        type(self).calls += 1
        if type(self).release is not None:
            await type(self).release.wait()
        raise FetchError(Reason.PROVIDER_ERROR, "HashiCorp: permission denied on secret/app")


@pytest.fixture
def failing_provider(monkeypatch: pytest.MonkeyPatch) -> type[SlowThenFailing]:
    def make(
        name: str,
        config: Mapping[str, str],
        executor: Executor | None = None,
        timeout: float = 10.0,
        **_: Any,
    ) -> Provider:
        return SlowThenFailing(config, executor=executor, timeout=timeout)

    monkeypatch.setattr("tui_vault.integrations.registry.make_provider", make)
    SlowThenFailing.calls = 0
    SlowThenFailing.release = None
    return SlowThenFailing


async def test_provider_error_is_found_by_checking_and_retry_checks_again(
    unlocked_app: Any, vault_env: VaultEnv, failing_provider: type[SlowThenFailing]
) -> None:
    vault = vault_env.open()
    vault.link("db-pass", LINK)
    vault.set_integration("hashicorp", {"url": "http://127.0.0.1:1", "auth": "token"})
    async with unlocked_app() as (app, pilot):
        failing_provider.release = asyncio.Event()
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TroubleshootScreen))
        screen = app.screen
        assert isinstance(screen, TroubleshootScreen)
        await wait_until(pilot, lambda: screen.checking and failing_provider.calls == 1)
        assert screen.query_one("#trouble-checking").display
        assert "Checking 1 linked secret" in str(
            screen.query_one("#trouble-checking-text").render()
        )
        failing_provider.release.set()
        await wait_until(pilot, lambda: not screen.checking)
        await pilot.pause()
        assert not screen.query_one("#trouble-checking").display
        assert rows(screen)["db-pass"] == "provider error (HashiCorp)"
        assert app.session.resolutions["db-pass"].reason == Reason.PROVIDER_ERROR
        await select(pilot, screen, "db-pass")
        assert "permission denied" in str(screen.query_one("#trouble-detail", Static).content)
        await pilot.press("r")
        await wait_until(pilot, lambda: failing_provider.calls == 2 and not screen.checking)
        assert rows(screen)["db-pass"] == "provider error (HashiCorp)"


async def test_troubleshoot_fits_80x24(unlocked_app: Any, vault_env: VaultEnv) -> None:
    vault_env.open().add_many([Secret("blank", ""), Secret("off", "2", enabled=False)])
    async with unlocked_app(size=(80, 24)) as (app, pilot):
        screen = await open_troubleshoot(app, pilot)
        table = screen.query_one("#trouble-table", DataTable)
        assert table.region.height >= 3 and table.region.bottom <= 23
        assert len(rows(screen)) == 2

"""The TUI's copy and reveal go in the access log; the History screen shows it (`h`, `H`)."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static

from tests.helpers import MARKER
from tests.ui.conftest import UnlockedApp, VaultEnv, wait_until
from tui_vault.core.accesslog import LogPaths, Record, for_vault
from tui_vault.core.model import Link, Secret
from tui_vault.ui.app import VaultApp
from tui_vault.ui.screens.history import HistoryScreen

LINK = Link("hashicorp", {"engine": "secret", "path": "app", "key": "pw"})


def log_records(env: VaultEnv) -> list[Record]:
    reading = for_vault(env.open()).read()
    assert reading.problem is None
    return reading.records


def no_marker_on_disk(env: VaultEnv) -> None:
    for p in env.path.parent.iterdir():
        if p.is_file() and p.name != env.path.name and not p.name.endswith(".bak"):
            assert MARKER.encode() not in p.read_bytes(), p


async def settle(app: VaultApp, pilot: Any) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_copy_and_reveal_are_recorded(unlocked_app: UnlockedApp, vault_env: VaultEnv) -> None:
    v = vault_env.open()
    v.add(Secret("tok", MARKER))
    async with unlocked_app() as (app, pilot):
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("r")  # reveal
        await settle(app, pilot)
        await pilot.press("r")  # hide again: not an access
        await settle(app, pilot)
    rows = log_records(vault_env)
    assert [(r.action, r.names, r.outcome, r.details) for r in rows] == [
        ("copy", ["tok"], "resolved", {"tok": "resolved"}),
        ("reveal", ["tok"], "resolved", {"tok": "resolved"}),
    ]
    assert all(MARKER not in " ".join(r.argv) for r in rows)
    no_marker_on_disk(vault_env)


async def test_linked_copy_and_reveal_record_the_reason(
    unlocked_app: UnlockedApp, vault_env: VaultEnv
) -> None:
    v = vault_env.open()
    v.add(Secret("remote", "", link=LINK))
    async with unlocked_app() as (app, pilot):
        await settle(app, pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: len(for_vault(vault_env.open()).read().records) == 1)
        await pilot.press("r")
        await wait_until(pilot, lambda: len(for_vault(vault_env.open()).read().records) == 2)
    rows = log_records(vault_env)
    assert [(r.action, r.outcome) for r in rows] == [
        ("copy", "unresolved"),
        ("reveal", "unresolved"),
    ]
    assert rows[0].details == {"remote": "integration disconnected"}


async def test_access_log_off_records_nothing(
    unlocked_app: UnlockedApp, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("tok", MARKER))
    async with unlocked_app() as (app, pilot):
        app.settings.access_log = False
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
    assert not LogPaths.beside(vault_env.path).log.exists()


async def test_history_screen_per_secret_and_all(
    unlocked_app: UnlockedApp, vault_env: VaultEnv
) -> None:
    v = vault_env.open()
    v.add(Secret("alpha", MARKER))
    v.add(Secret("beta", "b-value"))
    async with unlocked_app() as (app, pilot):
        await settle(app, pilot)
        await pilot.press("c")  # alpha (first row)
        await pilot.press("down", "r")  # reveal beta
        await settle(app, pilot)
        await pilot.press("h")  # history of the selected secret (beta)
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        screen = app.screen
        table = screen.query_one("#history-table", DataTable)
        await wait_until(pilot, lambda: screen.reading is not None)
        assert table.row_count == 1
        assert "1 record · beta" in str(screen.query_one("#history-summary", Static).render())
        await pilot.press("a")
        await pilot.pause()
        assert table.row_count == 2
        first = [str(c) for c in table.get_row_at(0)]
        assert first[1:4] == ["reveal", "beta", "resolved"]  # newest first
        assert all(MARKER not in str(c) for r in range(2) for c in table.get_row_at(r))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("H")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        assert app.screen.show_all


async def test_history_reports_a_tampered_log(
    unlocked_app: UnlockedApp, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("tok", "x"))
    async with unlocked_app() as (app, pilot):
        await settle(app, pilot)
        for _ in range(3):
            await pilot.press("c")
            await settle(app, pilot)
        log = LogPaths.beside(vault_env.path).log
        lines = log.read_bytes().splitlines(keepends=True)
        log.write_bytes(b"".join(lines[:2]))
        await pilot.press("H")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.reading is not None)
        problem = screen.query_one("#history-problem", Static)
        assert problem.display
        text = str(problem.render())
        assert "tampered" in text and "record 3 was cut off the end" in text
        assert screen.query_one("#history-table", DataTable).row_count == 2


async def test_a_failed_log_write_is_one_warning_and_the_copy_still_works(
    unlocked_app: UnlockedApp, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("tok", MARKER))
    LogPaths.beside(vault_env.path).log.mkdir()
    async with unlocked_app() as (app, pilot):
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        assert app.clipboard == MARKER
        warnings = [n for n in app._notifications if n.severity == "warning"]
        assert len(warnings) == 1
        assert "access log was not written" in str(warnings[0].message)
        assert MARKER not in str(warnings[0].message)


async def test_settings_switch_turns_the_access_log_off(
    unlocked_app: UnlockedApp, vault_env: VaultEnv
) -> None:
    from textual.widgets import Switch

    from tests.ui.test_settings import open_settings

    vault_env.open().add(Secret("tok", "x"))
    async with unlocked_app() as (app, pilot):
        await settle(app, pilot)
        screen = await open_settings(app, pilot, "general")
        screen.query_one("#setting-access_log", Switch).value = False
        await settle(app, pilot)
        assert app.settings.access_log is False
        assert "access_log = false" in vault_env.settings_path.read_text()
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
    assert not LogPaths.beside(vault_env.path).log.exists()

"""History (`h`): the access log, for the selected secret or (`a`) for all of them.

The log is read and verified in a thread worker. A broken chain (a record edited, removed or
cut off) is shown above the table, with the records that still verify below it.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from tui_vault.core.accesslog import LogReading, Record, for_vault, visible
from tui_vault.core.errors import VaultError
from tui_vault.ui.base import plural, vapp


def _outcome(r: Record) -> str:
    if r.outcome != "unresolved":
        return r.outcome
    bad = [f"{n} ({d})" for n, d in r.details.items() if d not in ("resolved", "empty")]
    return "unresolved: " + ", ".join(bad) if bad else r.outcome


def _where(r: Record) -> str:
    parts = [p for p in (r.tty, f"ssh {r.ssh_client}" if r.ssh_client else None) if p]
    return ", ".join(parts) or "-"


class HistoryScreen(Screen[None]):
    """Who read which secret, when, from where: newest first. Never a value."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="history.back", tooltip="Back to the secrets"),
        Binding("a", "toggle_all", "All/this", id="history.all", tooltip="All secrets or this one"),
        Binding("r", "reload", "Reload", id="history.reload", tooltip="Read the log again"),
    ]

    def __init__(self, name: str | None = None) -> None:
        super().__init__()
        self.secret = name
        self.show_all = name is None
        self.reading: LogReading | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="history-body"):
            yield Static("", id="history-summary", markup=False)
            yield Static("", id="history-problem", classes="error", markup=False)
            yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "History"
        table = self.query_one("#history-table", DataTable)
        for label, key in (
            ("Time", "time"),
            ("Action", "action"),
            ("Secrets", "names"),
            ("Outcome", "outcome"),
            ("From", "where"),
            ("PID", "pid"),
            ("Command", "argv"),
        ):
            table.add_column(label, key=key)
        self.query_one("#history-problem").display = False
        self._summary("Reading the access log…")
        table.focus()
        self.action_reload()

    def _summary(self, text: str) -> None:
        self.query_one("#history-summary", Static).update(text)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_toggle_all(self) -> None:
        if self.secret is None:
            self.notify("Select a secret in the table to see only its history", timeout=3)
            return
        self.show_all = not self.show_all
        self._show()

    def action_reload(self) -> None:
        vault = vapp(self).vault
        if vault is not None:
            self._read(vault)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _read(self, vault: object) -> None:
        from tui_vault.core.vault import Vault

        assert isinstance(vault, Vault)
        try:
            reading = for_vault(vault).read()
        except VaultError as e:
            reading = LogReading([], e.message)
        except OSError as e:
            reading = LogReading([], e.strerror or type(e).__name__)
        self.app.call_from_thread(self._loaded, reading)

    def _loaded(self, reading: LogReading) -> None:
        self.reading = reading
        self._show()

    def _show(self) -> None:
        reading = self.reading
        if reading is None:
            return
        records = reading.records
        if not self.show_all and self.secret is not None:
            records = [r for r in records if self.secret in r.names]
        scope = "all secrets" if self.show_all or self.secret is None else visible(self.secret)
        note = "" if vapp(self).settings.access_log else " · access log is off in Settings"
        if records:
            self._summary(f"{plural(len(records), 'record')} · {scope}{note}")
        else:
            whom = "" if scope == "all secrets" else f" to {scope}"
            self._summary(
                f"No access{whom} recorded yet{note}. get, inject and run on the "
                "command line, and copy (c) and reveal (r) here, add records."
            )
        problem = self.query_one("#history-problem", Static)
        problem.display = bool(reading.problem)
        if reading.problem:
            problem.update(
                f"The access log was tampered with or damaged: {visible(reading.problem)}. "
                f"The {plural(len(reading.records), 'record')} below it verify."
            )
        table = self.query_one("#history-table", DataTable)
        table.clear()
        for r in reversed(records):
            cells = (
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.time)),
                r.action,
                ", ".join(r.names) or "-",
                _outcome(r),
                _where(r),
                str(r.pid),
                " ".join(r.argv),
            )
            # Text, not str: a str cell would be read as markup ("[elided]" is a tag).
            table.add_row(*(Text(visible(c)) for c in cells), key=str(r.seq))

"""Troubleshoot (`t`): every empty or unresolved secret, why, and the key that fixes it.

Local problems (empty, disabled, domain restrictions, a disconnected integration) are known at
once; provider problems (re-authentication, provider error, timeout) are found by resolving the
linked secrets in a worker when the screen opens, and again on `r`.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, ProgressBar, Static

from tui_vault.core.display import visible
from tui_vault.core.model import Secret
from tui_vault.core.resolution import Resolution
from tui_vault.core.session import Session
from tui_vault.core.status import SecretHealth, secret_health
from tui_vault.core.vault import Vault
from tui_vault.core.words import noun, plural
from tui_vault.ui.base import selected_row_key, subscribe_changes, vapp
from tui_vault.ui.messages import VaultChanged
from tui_vault.ui.screens.secret_form import SecretForm
from tui_vault.ui.widgets.footer import VaultFooter

NOTHING_TO_FIX = "Nothing to fix: every secret resolves."

# One row of the screen: what core/status.py says is wrong with a secret, and its fix.
Problem = SecretHealth


def find_problems(
    vault: Vault, resolutions: Mapping[str, Resolution], needs_reauth: AbstractSet[str]
) -> list[Problem]:
    """Every secret that needs attention, by name; linked ones use the latest resolutions."""
    secrets = sorted(vault.data.secrets.values(), key=lambda s: s.name.lower())
    found = (
        secret_health(
            vault,
            s,
            None,
            0,
            resolution=resolutions.get(s.name),
            needs_reauth=needs_reauth,
            with_status=False,
        )
        for s in secrets
    )
    return [h for h in found if h.is_problem]


class TroubleshootScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="troubleshoot.back", tooltip="Back to the secrets"),
        Binding(
            "f",
            "fix",
            "Fix",
            id="troubleshoot.fix",
            tooltip="Do the suggested fix for the selected secret (also Enter)",
        ),
        Binding(
            "e",
            "edit",
            "Edit",
            id="troubleshoot.edit",
            tooltip="Enter a value, or edit the allowed domains",
        ),
        Binding("n", "enable", "Enable", id="troubleshoot.enable", tooltip="Enable the secret"),
        Binding(
            "s",
            "integrations",
            "Integrations",
            id="troubleshoot.integrations",
            tooltip="Open Settings → Integrations (connect, re-authenticate)",
        ),
        Binding(
            "r",
            "retry",
            "Retry",
            id="troubleshoot.retry",
            tooltip="Check every linked secret with its vault again",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[Problem] = []
        self.checking = False
        self.check_failed = ""
        self._checked_integrations: dict[str, dict[str, str]] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="trouble-body"):
            yield Static("", id="trouble-summary")
            with Horizontal(id="trouble-checking"):
                yield ProgressBar(total=None, show_eta=False, show_percentage=False)
                yield Label("", id="trouble-checking-text")
            yield Static(NOTHING_TO_FIX, id="trouble-empty")
            yield DataTable(id="trouble-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="trouble-detail")
        yield VaultFooter()

    def on_mount(self) -> None:
        self.sub_title = "Troubleshoot"
        table = self.query_one("#trouble-table", DataTable)
        table.add_column("Secret", key="name")
        table.add_column("Problem", key="problem")
        table.add_column("Fix", key="fix")
        subscribe_changes(self, self._vault_changed)
        self.check()
        table.focus()

    def on_screen_resume(self) -> None:
        vault = vapp(self).vault
        if vault is not None and vault.data.integrations != self._checked_integrations:
            self.check()  # an integration was connected or changed meanwhile
        else:
            self.refresh_rows()

    # ------------------------------------------------------------------ checking

    def check(self) -> None:
        """Resolve every linked secret (in a worker) to find provider problems."""
        session = vapp(self).session
        if session is None:
            return
        vault = session.vault
        self._checked_integrations = {k: dict(v) for k, v in vault.data.integrations.items()}
        names = [s.name for s in vault.data.secrets.values() if s.link is not None]
        self.check_failed = ""
        if not names:
            self.checking = False
            self.refresh_rows()
            return
        self.checking = True
        self.query_one("#trouble-checking-text", Label).update(
            f"Checking {plural(len(names), 'linked secret')} with their vaults…"
        )
        self.refresh_rows()
        self.run_worker(
            self._check(session, names),
            group="troubleshoot",
            exclusive=True,
            exit_on_error=False,
        )

    async def _check(self, session: Session, names: list[str]) -> None:
        try:
            await session.resolve_for_owner(names)
        except Exception as e:  # keep the screen usable; say what happened, never values
            self.check_failed = f"The check stopped ({type(e).__name__}); press r to retry."
        finally:
            self.checking = False
        if self.is_attached:
            self.refresh_rows()
            vapp(self).changed()

    # ------------------------------------------------------------------ rendering

    def _vault_changed(self, message: VaultChanged) -> None:
        self.refresh_rows(message.focus_name)

    def refresh_rows(self, focus_name: str | None = None) -> None:
        session = vapp(self).session
        if session is None:
            return
        self.problems = session.problems()
        table = self.query_one("#trouble-table", DataTable)
        current = focus_name or self.selected_name()
        previous_row = table.cursor_row
        table.clear()
        for p in self.problems:
            style = "yellow" if p.blocking else "dim"
            table.add_row(
                Text(visible(p.name), style="bold" if p.blocking else ""),
                Text(visible(p.reason), style=style),
                Text(visible(p.fix_text)),  # may quote a link's fields
                key=p.name,
            )
        names = [p.name for p in self.problems]
        if current in names:
            table.move_cursor(row=names.index(current))
        elif names:  # the fixed secret left the list: stay at the same place
            table.move_cursor(row=min(max(previous_row, 0), len(names) - 1))
        blocking = [p for p in self.problems if p.blocking]
        info = len(self.problems) - len(blocking)
        self.query_one("#trouble-checking").display = self.checking
        empty = self.query_one("#trouble-empty", Static)
        empty.display = not blocking and not self.checking
        if info:
            empty.update(
                f"{NOTHING_TO_FIX}\n{info} secret{'s are' if info != 1 else ' is'} limited to "
                "certain domains (listed below): references from other domains stay unresolved."
            )
        else:
            empty.update(NOTHING_TO_FIX)
        table.display = bool(self.problems)
        summary = ""
        if blocking:
            n = len(blocking)
            summary = (
                f"{plural(n, 'secret')} {noun(n, 'needs', 'need')} attention. Select one and press "
                "Enter (or f) for its fix."
            )
            if info:  # listed too: say why the list is longer than the count
                summary += (
                    f" {info} more {noun(info, 'is', 'are')} limited to certain domains: "
                    "nothing to fix."
                )
        if self.check_failed:
            summary = f"{summary} {self.check_failed}".strip()
        self.query_one("#trouble-summary", Static).update(summary)
        self.query_one("#trouble-summary").display = bool(summary)
        self._show_detail()

    def selected_name(self) -> str | None:
        return selected_row_key(self.query_one("#trouble-table", DataTable))

    def selected_problem(self) -> Problem | None:
        name = self.selected_name()
        return next((p for p in self.problems if p.name == name), None)

    @on(DataTable.RowHighlighted)
    def _show_detail(self) -> None:
        problem = self.selected_problem()
        detail = self.query_one("#trouble-detail", Static)
        if problem is None:
            detail.update("")
            return
        detail.update(
            Text(visible(f"{problem.name}: {problem.detail}") if problem.detail else "")
        )  # the detail is often a server's message

    # ------------------------------------------------------------------ fixes

    def _secret(self) -> Secret | None:
        problem = self.selected_problem()
        vault = vapp(self).vault
        if problem is None or vault is None:
            if not self.problems:
                self.notify("Nothing to fix here.", timeout=2)
            return None
        return vault.data.secrets.get(problem.name)

    @on(DataTable.RowSelected)
    def action_fix(self) -> None:
        problem = self.selected_problem()
        if problem is None:
            return
        if problem.fix == "edit":
            self.action_edit()
        elif problem.fix == "enable":
            self.action_enable()
        elif problem.fix == "integrations":
            self.action_integrations()
        else:
            self.action_retry()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_edit(self) -> None:
        secret = self._secret()
        if secret is None:
            return
        problem = self.selected_problem()
        # A domain restriction is fixed in the domains field; the value stays untouched.
        domains = problem is not None and problem.fix_text.endswith("edit domains")
        focus = "domains" if domains else "value"
        self.app.push_screen(SecretForm(secret, focus=focus))

    def action_enable(self) -> None:
        secret = self._secret()
        if secret is None:
            return
        if secret.enabled:
            self.notify(f"{secret.name} is already enabled.", timeout=2)
            return
        name = secret.name
        vapp(self).vault_op(lambda v: v.update(name, enabled=True), f"Enabled {name}", focus=name)

    def action_integrations(self) -> None:
        from tui_vault.ui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen(tab="integrations"))

    def action_retry(self) -> None:
        if not self.checking:
            self.check()

"""Settings → Integrations: the status of each external vault and the connect panel."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from tui_vault.core.model import PROVIDERS
from tui_vault.core.status import integration_health
from tui_vault.core.vault import Vault
from tui_vault.core.words import plural
from tui_vault.ui.base import vapp


def integration_text(vault: Vault, provider: str, needs_reauth: AbstractSet[str]) -> str:
    """One provider's row: connected or not, its public settings, how many secrets link to it."""
    health = integration_health(vault, provider, needs_reauth)
    label, linked = health.label, health.linked_secrets
    count = plural(linked, "linked secret")
    if not health.connected:
        if linked:
            count += " (unresolved until connected)"
        return (
            f"[b]{label:<10}[/b] [dim]○ not connected[/dim] · {count}\n"
            f"[dim]{'':<11}connect with [i]tui-vault integration connect {provider} …[/i][/dim]"
        )
    state = "[$warning]● needs re-authentication[/]" if health.needs_reauth else "● connected"
    shown = escape(", ".join(f"{k}={v}" for k, v in sorted(health.settings.items())))
    details = f"\n[dim]{'':<11}{shown}[/dim]" if shown else ""
    return f"[b]{label:<10}[/b] {state} · {count}{details}"


class IntegrationsTab(VerticalScroll, can_focus=False):
    """The Integrations tab's contents."""

    def compose(self) -> ComposeResult:
        yield Static(
            "Linked secrets take their values from these external vaults.",
            classes="settings-text",
        )
        # Status rows, shown until the integrations panel (connect, re-authenticate,
        # disconnect) is mounted in the slot below.
        with Vertical(id="integration-status"):
            for provider in sorted(PROVIDERS, key=lambda p: PROVIDERS[p].lower()):
                yield Static("", id=f"integration-status-{provider}", classes="integration-row")
        yield Vertical(id="integrations-slot")

    def on_mount(self) -> None:
        try:
            from tui_vault.ui.widgets.integrations import IntegrationsPanel
        except ImportError:  # a build without the integrations UI keeps the status rows
            return
        slot = self.query_one("#integrations-slot", Vertical)
        if not slot.children:
            slot.mount(IntegrationsPanel())

    def refresh_rows(self) -> None:
        session = vapp(self).session
        if session is None:
            return
        vault = session.vault
        slot = self.query_one("#integrations-slot", Vertical)
        self.query_one("#integration-status").display = not slot.children
        for child in slot.children:
            refresh_rows = getattr(child, "refresh_rows", None)
            if child.is_mounted and callable(refresh_rows):
                refresh_rows()
        for provider in PROVIDERS:
            self.query_one(f"#integration-status-{provider}", Static).update(
                integration_text(vault, provider, session.needs_reauth)
            )

"""Settings (`,`): preferences, the vault key, integrations, and the danger zone.

One module per tab (settings_general, settings_key, settings_integrations, settings_danger);
this screen holds the tabs, the bindings and the navigation. Everything that touches the disk
or the password manager runs in a thread worker; the key is shown only after "Reveal key",
copied through the one clipboard helper, and never put in a notification.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, TabbedContent, TabPane, Tabs

from tui_vault.ui.base import subscribe_changes
from tui_vault.ui.messages import VaultChanged
from tui_vault.ui.screens.settings_danger import DangerTab
from tui_vault.ui.screens.settings_general import NUMBER_SETTINGS, GeneralTab, NumberSetting
from tui_vault.ui.screens.settings_integrations import IntegrationsTab, integration_text
from tui_vault.ui.screens.settings_key import KeyringState, KeyTab
from tui_vault.ui.widgets.footer import VaultFooter

__all__ = [
    "NUMBER_SETTINGS",
    "TABS",
    "KeyringState",
    "NumberSetting",
    "SettingsScreen",
    "integration_text",
]

TABS = ("general", "key", "integrations", "danger")


class SettingsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="settings.back", tooltip="Back to the secrets"),
        Binding(
            "ctrl+r",
            "reset_cache",
            "Reset cache",
            id="settings.reset_cache",
            tooltip="Delete cached values of linked secrets; they are fetched again on next use",
        ),
        Binding(
            "1",
            "show_tab('general')",
            "General",
            id="settings.tab_general",
            tooltip="Show the General tab",
            show=False,
        ),
        Binding(
            "2",
            "show_tab('key')",
            "Vault key",
            id="settings.tab_key",
            tooltip="Show the Vault key tab",
            show=False,
        ),
        Binding(
            "3",
            "show_tab('integrations')",
            "Integrations",
            id="settings.tab_integrations",
            tooltip="Show the Integrations tab",
            show=False,
        ),
        Binding(
            "4",
            "show_tab('danger')",
            "Danger zone",
            id="settings.tab_danger",
            tooltip="Show the Danger zone tab (clear or reset the vault)",
            show=False,
        ),
    ]

    def __init__(self, tab: str = "general") -> None:
        super().__init__()
        self.initial_tab = tab if tab in TABS else "general"

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial=f"tab-{self.initial_tab}", id="settings-tabs"):
            with TabPane("General", id="tab-general"):
                yield GeneralTab()
            with TabPane("Vault key", id="tab-key"):
                yield KeyTab()
            with TabPane("Integrations", id="tab-integrations"):
                yield IntegrationsTab()
            with TabPane("Danger zone", id="tab-danger"):
                yield DangerTab()
        yield VaultFooter()

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        subscribe_changes(self, self._vault_changed)
        self.refresh_vault_rows()
        self.query_one("#settings-tabs", TabbedContent).query_one(Tabs).focus()

    @property
    def key_revealed(self) -> bool:
        return self.query_one(KeyTab).key_revealed

    @property
    def keyring_state(self) -> KeyringState | None:
        return self.query_one(KeyTab).keyring_state

    # ------------------------------------------------------------------ navigation

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_show_tab(self, tab: str) -> None:
        if tab in TABS:
            tabs = self.query_one("#settings-tabs", TabbedContent)
            # Focus the tab bar first: a focused widget left in the old pane would pull the
            # old pane back into view.
            tabs.query_one(Tabs).focus()
            tabs.active = f"tab-{tab}"

    def action_reset_cache(self) -> None:
        self.query_one(GeneralTab).action_reset_cache()

    # What the command palette reaches from the secrets screen (commands.py).

    def action_copy_key(self) -> None:
        self.query_one(KeyTab).action_copy_key()

    def action_save_key_file(self) -> None:
        self.query_one(KeyTab).action_save_key_file()

    def action_clear_vault(self) -> None:
        self.query_one(DangerTab).action_clear_vault()

    def action_reset_vault(self) -> None:
        self.query_one(DangerTab).action_reset_vault()

    def action_connect(self, provider: str) -> None:
        from tui_vault.ui.widgets.integrations import IntegrationsPanel

        self.query_one(IntegrationsPanel).open_connect(provider)

    def action_disconnect(self, provider: str) -> None:
        from tui_vault.ui.widgets.integrations import IntegrationsPanel

        self.query_one(IntegrationsPanel).ask_disconnect(provider)

    def hide_key(self) -> None:
        self.query_one(KeyTab).hide_key()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id != "tab-key":
            self.hide_key()

    def on_screen_suspend(self) -> None:
        self.hide_key()

    def on_screen_resume(self) -> None:
        self.refresh_vault_rows()

    def _vault_changed(self, message: VaultChanged) -> None:
        self.refresh_vault_rows()

    def refresh_vault_rows(self) -> None:
        self.query_one(IntegrationsTab).refresh_rows()
        self.query_one(DangerTab).refresh_rows()

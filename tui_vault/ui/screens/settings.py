"""Settings (`,`): preferences, the vault key, integrations, and the danger zone.

Everything that touches the disk or the password manager runs in a thread worker; the key is
shown only after "Reveal key", copied through the one clipboard helper, and never put in a
notification.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.validation import Integer, Number, Validator
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    Static,
    Switch,
    TabbedContent,
    TabPane,
    Tabs,
)

from tui_vault.core import keystore
from tui_vault.core.cache import Cache, reset_cache_file
from tui_vault.core.errors import InvalidKeyError, VaultError
from tui_vault.core.integrations_status import public_settings
from tui_vault.core.model import PROVIDERS
from tui_vault.core.unlock import reset_vault_files, write_key_file
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import decode_key, encode_key
from tui_vault.ui.base import vapp
from tui_vault.ui.messages import VaultChanged
from tui_vault.ui.screens.dialogs import PathDialog, TypedConfirmDialog
from tui_vault.ui.widgets.key_display import KeyDisplay

TABS = ("general", "key", "integrations", "danger")


@dataclass(frozen=True)
class NumberSetting:
    """One numeric preference on the General tab (the attribute name in Settings)."""

    name: str
    label: str
    unit: str
    hint: str
    minimum: float
    integer: bool = True

    def parse(self, text: str) -> int | float:
        return int(text) if self.integer else float(text)

    def describe(self, value: float) -> str:
        return f"{self.label.lower()}: {value:g} {self.unit}"


NUMBER_SETTINGS = (
    NumberSetting(
        "expiration_minutes",
        "Secret expiration duration",
        "minutes",
        "how long linked values stay cached",
        1,
    ),
    NumberSetting(
        "clipboard_clear_seconds", "Clear clipboard after", "seconds", "0 = never clear", 0
    ),
    NumberSetting("idle_lock_minutes", "Auto-lock when idle for", "minutes", "0 = off", 0),
    NumberSetting(
        "fetch_timeout_seconds",
        "External fetch timeout",
        "seconds",
        "per fetch from an external vault",
        0.1,
        integer=False,
    ),
)


def _validator(setting: NumberSetting) -> Validator:
    message = f"{setting.label} must be a number of at least {setting.minimum:g}"
    if setting.integer:
        return Integer(minimum=int(setting.minimum), failure_description=message)
    return Number(minimum=setting.minimum, failure_description=message)


@dataclass(frozen=True)
class KeyringState:
    available: bool
    reason: str
    saved: bool = False
    stale: bool = False  # a different key is saved for this vault id


def integration_text(vault: Vault, provider: str, needs_reauth: set[str]) -> str:
    """One provider's row: connected or not, its public settings, how many secrets link to it."""
    label = PROVIDERS[provider]
    config = vault.data.integrations.get(provider)
    linked = sum(1 for s in vault.data.secrets.values() if s.link and s.link.provider == provider)
    count = f"{linked} linked secret{'s' if linked != 1 else ''}"
    if config is None:
        if linked:
            count += " (unresolved until connected)"
        return (
            f"[b]{label:<10}[/b] [dim]○ not connected[/dim] · {count}\n"
            f"[dim]{'':<11}connect with [i]tui-vault integration connect {provider} …[/i][/dim]"
        )
    state = "[$warning]● needs re-authentication[/]" if provider in needs_reauth else "● connected"
    shown = escape(", ".join(f"{k}={v}" for k, v in sorted(public_settings(config).items())))
    details = f"\n[dim]{'':<11}{shown}[/dim]" if shown else ""
    return f"[b]{label:<10}[/b] {state} · {count}{details}"


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
        self.key_revealed = False
        self.keyring_state: KeyringState | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        settings = vapp(self).settings
        yield Header()
        with TabbedContent(initial=f"tab-{self.initial_tab}", id="settings-tabs"):
            with TabPane("General", id="tab-general"), VerticalScroll(can_focus=False):
                for setting in NUMBER_SETTINGS:
                    value = getattr(settings, setting.name)
                    with Horizontal(classes="settings-row"):
                        yield Label(setting.label, classes="settings-label")
                        yield Input(
                            value=f"{value:g}",
                            type="integer" if setting.integer else "number",
                            validators=[_validator(setting)],
                            validate_on=["changed", "submitted", "blur"],
                            id=f"setting-{setting.name}",
                            compact=True,
                        )
                        yield Label(setting.unit, classes="settings-unit")
                        yield Label(setting.hint, classes="settings-hint")
                with Horizontal(classes="settings-row"):
                    yield Label("Mask values in the table", classes="settings-label")
                    yield Switch(value=settings.mask_values, id="setting-mask_values")
                    yield Label(
                        "on" if settings.mask_values else "off",
                        id="mask-state",
                        classes="settings-unit",
                    )
                    yield Label("show values as •••• until revealed", classes="settings-hint")
                yield Static("", id="general-status", classes="settings-status")
                with Horizontal(classes="settings-action"):
                    yield Button("Reset cache", id="reset-cache", compact=True)
                    yield Static(
                        "Delete the cached values of linked secrets; they are fetched again "
                        "from their vaults on next use.",
                        classes="settings-hint",
                    )
            with TabPane("Vault key", id="tab-key"), VerticalScroll(can_focus=False):
                yield Static(
                    "This key opens the vault. Anyone with the key and the vault file can read "
                    "every secret; tui-vault cannot recover a lost key.",
                    classes="settings-text",
                )
                with Horizontal(classes="settings-buttons"):
                    yield Button("Reveal key", id="reveal-key", compact=True)
                    yield Button("Copy key", id="copy-key", compact=True)
                    yield Button("Save to file…", id="save-key-file", compact=True)
                yield Static("The key is hidden.", id="key-hidden", classes="hint")
                yield Vertical(id="key-slot")
                yield Label("Password manager", classes="settings-heading")
                yield Static("Checking for a password manager…", id="keyring-status")
                with Horizontal(classes="settings-buttons"):
                    yield Button(
                        "Save to password manager", id="keyring-save", compact=True, disabled=True
                    )
                    yield Button(
                        "Remove from password manager",
                        id="keyring-forget",
                        compact=True,
                        disabled=True,
                    )
            with TabPane("Integrations", id="tab-integrations"), VerticalScroll(can_focus=False):
                yield Static(
                    "Linked secrets take their values from these external vaults.",
                    classes="settings-text",
                )
                # Status rows, shown until the integrations panel (connect, re-authenticate,
                # disconnect) is mounted in the slot below.
                with Vertical(id="integration-status"):
                    for provider in sorted(PROVIDERS, key=lambda p: PROVIDERS[p].lower()):
                        yield Static(
                            "", id=f"integration-status-{provider}", classes="integration-row"
                        )
                yield Vertical(id="integrations-slot")
            with TabPane("Danger zone", id="tab-danger"), VerticalScroll(can_focus=False):
                with Horizontal(classes="settings-action"):
                    yield Button("Clear vault…", id="clear-vault", variant="error", compact=True)
                    yield Static("", id="clear-text", classes="settings-hint")
                with Horizontal(classes="settings-action"):
                    yield Button("Reset vault…", id="reset-vault", variant="error", compact=True)
                    yield Static(
                        "Delete the vault, its backup, its cache and the saved key, then start "
                        "over with a new key. Only for a lost key.",
                        classes="settings-hint",
                    )
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        self._mount_integrations_panel()
        self.refresh_vault_rows()
        self.query_one("#settings-tabs", TabbedContent).query_one(Tabs).focus()
        self._check_keyring()

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

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id != "tab-key":
            self.hide_key()

    def on_screen_suspend(self) -> None:
        self.hide_key()

    def on_screen_resume(self) -> None:
        self.refresh_vault_rows()

    # ------------------------------------------------------------------ vault-derived rows

    @on(VaultChanged)
    def _vault_changed(self, message: VaultChanged) -> None:
        self.refresh_vault_rows()

    def _mount_integrations_panel(self) -> None:
        try:
            from tui_vault.ui.widgets.integrations import IntegrationsPanel
        except ImportError:  # a build without the integrations UI keeps the status rows
            return
        slot = self.query_one("#integrations-slot", Vertical)
        if not slot.children:
            slot.mount(IntegrationsPanel())

    def refresh_vault_rows(self) -> None:
        app = vapp(self)
        vault = app.vault
        if vault is None:
            return
        slot = self.query_one("#integrations-slot", Vertical)
        self.query_one("#integration-status").display = not slot.children
        for child in slot.children:
            refresh_rows = getattr(child, "refresh_rows", None)
            if child.is_mounted and callable(refresh_rows):
                refresh_rows()
        needs_reauth = app.resolver.needs_reauth if app.resolver else set()
        for provider in PROVIDERS:
            self.query_one(f"#integration-status-{provider}", Static).update(
                integration_text(vault, provider, needs_reauth)
            )
        n = len(vault.data.secrets)
        self.query_one("#clear-text", Static).update(
            f"Delete every secret ({n} now). The key and the integrations stay."
        )

    # ------------------------------------------------------------------ general

    def _setting_for(self, widget_id: str | None) -> NumberSetting | None:
        for setting in NUMBER_SETTINGS:
            if widget_id == f"setting-{setting.name}":
                return setting
        return None

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#general-status", Static)
        status.set_class(error, "error")
        status.update(text)

    @on(Input.Changed)
    def _number_changed(self, event: Input.Changed) -> None:
        setting = self._setting_for(event.input.id)
        if setting is None:
            return
        result = event.validation_result
        if result is not None and not result.is_valid:
            self._status(result.failure_descriptions[0], error=True)
        elif event.value != f"{getattr(vapp(self).settings, setting.name):g}":
            self._status("Press Enter (or move on) to save.")
        else:
            self._status("")

    @on(Input.Submitted)
    @on(Input.Blurred)
    def _number_done(self, event: Input.Submitted | Input.Blurred) -> None:
        setting = self._setting_for(event.input.id)
        if setting is None or not self.is_attached:
            return
        self.apply_number(setting, event.input)

    def apply_number(self, setting: NumberSetting, field: Input) -> bool:
        """Validate and save one numeric setting; False (with a message) when invalid."""
        result = field.validate(field.value)
        if result is not None and not result.is_valid:
            self._status(result.failure_descriptions[0], error=True)
            return False
        try:
            value = setting.parse(field.value)
        except ValueError:
            self._status(f"{setting.label} must be a number", error=True)
            return False
        app = vapp(self)
        if getattr(app.settings, setting.name) == value:
            self._status("")
            return True
        try:
            app.update_settings(**{setting.name: value})
        except VaultError as e:
            self._status(e.message, error=True)
            return False
        self._status(f"Saved {setting.describe(value)}.")
        return True

    @on(Switch.Changed, "#setting-mask_values")
    def _mask_changed(self, event: Switch.Changed) -> None:
        app = vapp(self)
        if app.settings.mask_values == event.value:
            return
        app.update_settings(mask_values=event.value)
        self.query_one("#mask-state", Label).update("on" if event.value else "off")
        self._apply_mask_to_open_tables(event.value)
        self._status(f"Saved: values are {'masked' if event.value else 'shown'} in the table.")

    def _apply_mask_to_open_tables(self, mask: bool) -> None:
        from tui_vault.ui.screens.secrets import SecretsScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, SecretsScreen):
                screen.reveal_all = not mask
                if mask:
                    screen.revealed.clear()
                screen.post_message(VaultChanged())

    @on(Button.Pressed, "#reset-cache")
    def action_reset_cache(self) -> None:
        app = vapp(self)
        if app.vault is None:
            return
        self._reset_cache(app.vault.paths.cache, app.cache)

    @work(thread=True, exclusive=True, group="settings-cache", exit_on_error=False)
    def _reset_cache(self, path: Path, cache: Cache | None) -> None:
        app = vapp(self)
        try:
            existed = reset_cache_file(path)
            if cache is not None:
                cache.reset()  # also forgets the entries held in memory
        except OSError as e:
            app.call_from_thread(
                self.notify, f"Cannot delete {path}: {e.strerror}", severity="error"
            )
            return
        text = (
            "Cache reset: linked secrets are fetched again on next use."
            if existed
            else "The cache was already empty."
        )
        app.call_from_thread(self._cache_was_reset, text)

    def _cache_was_reset(self, text: str) -> None:
        self.notify(text, title="Cache")
        vapp(self).broadcast(VaultChanged)

    # ------------------------------------------------------------------ vault key

    def _key_text(self) -> str | None:
        vault = vapp(self).vault
        return encode_key(vault.key) if vault is not None else None

    @on(Button.Pressed, "#reveal-key")
    def action_toggle_key(self) -> None:
        if self.key_revealed:
            self.hide_key()
            return
        key_text = self._key_text()
        if key_text is None:
            return
        self.key_revealed = True
        self.query_one("#key-slot", Vertical).mount(KeyDisplay(key_text, id="key"))
        self.query_one("#key-hidden", Static).display = False
        self.query_one("#reveal-key", Button).label = "Hide key"

    def hide_key(self) -> None:
        if not self.key_revealed:
            return
        self.key_revealed = False
        self.query_one("#key-slot", Vertical).remove_children()
        self.query_one("#key-hidden", Static).display = True
        self.query_one("#reveal-key", Button).label = "Reveal key"

    @on(Button.Pressed, "#copy-key")
    def action_copy_key(self) -> None:
        key_text = self._key_text()
        if key_text is not None:
            vapp(self).copy_secret_text(key_text, "the vault key")

    @on(Button.Pressed, "#save-key-file")
    def action_save_key_file(self) -> None:
        self.app.push_screen(
            PathDialog(
                "Save the vault key to a file",
                "~/tui-vault-key.txt",
                "Written with mode 0600; an existing file is never overwritten. "
                "Unlock later with --key-file PATH.",
            ),
            self._save_key_to,
        )

    def _save_key_to(self, path: str | None) -> None:
        key_text = self._key_text()
        if path and key_text is not None:
            self._write_key_file(Path(path).expanduser(), key_text)

    @work(thread=True, group="settings-key", exit_on_error=False)
    def _write_key_file(self, path: Path, key_text: str) -> None:
        app = vapp(self)
        try:
            write_key_file(path, key_text)
        except VaultError as e:
            app.call_from_thread(self.notify, e.message, severity="error", title="Key not saved")
            return
        app.call_from_thread(self.notify, f"Saved the key to {path} (mode 0600)", title="Key")

    @work(thread=True, exclusive=True, group="settings-keyring", exit_on_error=False)
    def _check_keyring(self) -> None:
        app = vapp(self)
        vault = app.vault
        if vault is None:
            return
        if not app.use_keyring:
            state = KeyringState(False, "turned off for this run")
        else:
            status = keystore.status()
            if not status.available:
                state = KeyringState(False, status.reason)
            else:
                saved = keystore.load(vault.vault_id)
                matches = False
                if saved:
                    with contextlib.suppress(InvalidKeyError):
                        matches = decode_key(saved) == vault.key
                state = KeyringState(True, status.reason, bool(saved), bool(saved) and not matches)
        app.call_from_thread(self._show_keyring, state)

    def _show_keyring(self, state: KeyringState) -> None:
        self.keyring_state = state
        text = self.query_one("#keyring-status", Static)
        save = self.query_one("#keyring-save", Button)
        forget = self.query_one("#keyring-forget", Button)
        if not state.available:
            text.update(
                f"Not available: {state.reason}. Unlock by typing the key, with --key-file "
                "or TUI_VAULT_KEY."
            )
            save.disabled = forget.disabled = True
            save.tooltip = forget.tooltip = f"No password manager: {state.reason}"
            return
        save.tooltip = "Store the key so this vault unlocks automatically"
        forget.tooltip = "Delete the stored key; you will type it (or use a key file) to unlock"
        if state.stale:
            text.update(
                f"A different key is saved for this vault in {state.reason}: it will not "
                "unlock it. Save the current key, or remove the old one."
            )
            save.disabled = forget.disabled = False
        elif state.saved:
            text.update(f"Saved in {state.reason}: this vault unlocks automatically.")
            save.disabled, forget.disabled = True, False
        else:
            text.update(f"Not saved ({state.reason} is available).")
            save.disabled, forget.disabled = False, True

    @on(Button.Pressed, "#keyring-save")
    def _keyring_save(self) -> None:
        self._keyring_change(save=True)

    @on(Button.Pressed, "#keyring-forget")
    def _keyring_forget(self) -> None:
        self._keyring_change(save=False)

    @work(thread=True, exclusive=True, group="settings-keyring", exit_on_error=False)
    def _keyring_change(self, save: bool) -> None:
        app = vapp(self)
        vault = app.vault
        if vault is None or not app.use_keyring:
            return
        try:
            if save:
                keystore.save(vault.vault_id, encode_key(vault.key))
                text = "Saved the key to the password manager"
            elif keystore.forget(vault.vault_id):
                text = "Removed the key from the password manager"
            else:
                text = "The password manager held no key for this vault"
        except VaultError as e:
            app.call_from_thread(self.notify, e.message, severity="error")
            return
        app.call_from_thread(self.notify, text, title="Password manager")
        self._check_keyring()

    # ------------------------------------------------------------------ danger zone

    @on(Button.Pressed, "#clear-vault")
    def action_clear_vault(self) -> None:
        vault = vapp(self).vault
        if vault is None:
            return
        n = len(vault.data.secrets)
        self.app.push_screen(
            TypedConfirmDialog(
                "Clear vault",
                f"Delete all {n} secret{'s' if n != 1 else ''}? The vault key and the "
                "integrations stay, and the cache is emptied. This cannot be undone.",
                word="CLEAR",
                confirm_label="Clear vault",
            ),
            self._clear_confirmed,
        )

    def _clear_confirmed(self, confirmed: bool | None) -> None:
        if not confirmed:
            return
        app = vapp(self)
        cache = app.cache

        def clear(v: Vault) -> int:
            count = v.clear()
            # Cached values belong to links that no longer exist; a cache file that cannot be
            # deleted stays encrypted and unreachable, and Reset cache can try again.
            with contextlib.suppress(OSError):
                if cache is not None:
                    cache.reset()
                else:
                    reset_cache_file(v.paths.cache)
            return count

        def done(_: int) -> None:
            app.resolutions.clear()

        app.vault_op(
            clear,
            lambda n: (
                f"Cleared the vault: deleted {n} secret{'s' if n != 1 else ''}; "
                "the key is unchanged"
            ),
            on_done=done,
        )

    @on(Button.Pressed, "#reset-vault")
    def action_reset_vault(self) -> None:
        self.app.push_screen(
            TypedConfirmDialog(
                "Reset vault",
                "Resetting permanently deletes every secret, the backup, the cache and the "
                "saved key, then starts over with a new key. Export first if you may need "
                "these secrets again.",
                word="RESET",
                confirm_label="Reset vault",
            ),
            self._reset_confirmed,
        )

    def _reset_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self._reset_vault(vapp(self).vault_path)

    @work(thread=True, exclusive=True, group="settings-reset", exit_on_error=False)
    def _reset_vault(self, path: Path) -> None:
        app = vapp(self)
        try:
            reset_vault_files(path)
        except VaultError as e:
            app.call_from_thread(self.notify, e.message, severity="error", title="Not reset")
            return
        except OSError as e:
            app.call_from_thread(
                self.notify, f"Cannot reset {path}: {e.strerror}", severity="error"
            )
            return
        app.call_from_thread(self._after_reset)

    def _after_reset(self) -> None:
        app = vapp(self)
        app.action_lock(reason="Vault reset")
        app.notify(
            "The vault was reset: every secret was deleted. Save the new key before opening "
            "the new vault.",
            title="Vault reset",
        )

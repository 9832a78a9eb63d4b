"""Settings → General: the numeric preferences, masking, and Reset cache."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.validation import Integer, Number, Validator
from textual.widgets import Button, Label, Static, Switch

from tui_vault.core.errors import VaultError
from tui_vault.core.session import Session
from tui_vault.ui.base import vapp
from tui_vault.ui.widgets.inputs import Input, TextualInput


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


@dataclass(frozen=True)
class SwitchSetting:
    """One on/off preference on the General tab, and what saving it says."""

    name: str
    label: str
    state_id: str
    hint: str
    saved_on: str
    saved_off: str


SWITCH_SETTINGS = (
    SwitchSetting(
        "mask_values",
        "Mask values in the table",
        "mask-state",
        "show •••• until revealed (r)",
        "Saved: values are masked in the table.",
        "Saved: values are shown in the table.",
    ),
    SwitchSetting(
        "tui_unlocks_agent",
        "Typed key unlocks the agent",
        "agent-state",
        "other terminals open it too",
        "Saved: typing the key here also unlocks the session agent.",
        "Saved: typing the key here unlocks this window only.",
    ),
    SwitchSetting(
        "access_log",
        "Access log",
        "access-log-state",
        "log every read of a value (h)",
        "Saved: every access is recorded in the access log.",
        "Saved: nothing new is recorded in the access log.",
    ),
)


NUMBER_SETTINGS = (
    NumberSetting(
        "expiration_minutes",
        "Secret expiration duration",
        "minutes",
        "how long fetched values last",
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
        "each fetch from a linked vault",
        0.1,
        integer=False,
    ),
)


def _validator(setting: NumberSetting) -> Validator:
    message = f"{setting.label} must be a number of at least {setting.minimum:g}"
    if setting.integer:
        return Integer(minimum=int(setting.minimum), failure_description=message)
    return Number(minimum=setting.minimum, failure_description=message)


class GeneralTab(VerticalScroll, can_focus=False):
    """The General tab's contents."""

    def compose(self) -> ComposeResult:
        settings = vapp(self).settings
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
        for switch in SWITCH_SETTINGS:
            value = bool(getattr(settings, switch.name))
            with Horizontal(classes="settings-row"):
                yield Label(switch.label, classes="settings-label")
                yield Switch(value=value, id=f"setting-{switch.name}")
                yield Label("on" if value else "off", id=switch.state_id, classes="settings-unit")
                yield Label(switch.hint, classes="settings-hint")
        yield Static("", id="general-status", classes="settings-status")
        with Horizontal(classes="settings-action"):
            yield Button("Reset cache", id="reset-cache", compact=True)
            yield Static(
                "Delete the cached values of linked secrets; they are fetched again "
                "from their vaults on next use.",
                classes="settings-hint",
            )

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

    def apply_number(self, setting: NumberSetting, field: TextualInput) -> bool:
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

    @on(Switch.Changed)
    def _switch_changed(self, event: Switch.Changed) -> None:
        """Save one on/off setting if it changed, show its state and say what it now means."""
        switch = next((w for w in SWITCH_SETTINGS if event.switch.id == f"setting-{w.name}"), None)
        if switch is None:
            return
        app = vapp(self)
        if getattr(app.settings, switch.name) == event.value:
            return
        app.update_settings(**{switch.name: event.value})
        self.query_one(f"#{switch.state_id}", Label).update("on" if event.value else "off")
        self._status(switch.saved_on if event.value else switch.saved_off)
        if switch.name == "mask_values":
            self._apply_mask_to_open_tables(event.value)

    def _apply_mask_to_open_tables(self, mask: bool) -> None:
        from tui_vault.ui.screens.secrets import SecretsScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, SecretsScreen):
                screen.reveal_all = not mask
                if mask:
                    screen.revealed.clear()
        vapp(self).changed()

    @on(Button.Pressed, "#reset-cache")
    def action_reset_cache(self) -> None:
        session = vapp(self).session
        if session is None:
            return
        self._reset_cache(session)

    @work(thread=True, exclusive=True, group="settings-cache", exit_on_error=False)
    def _reset_cache(self, session: Session) -> None:
        app = vapp(self)
        try:
            existed = session.reset_cache()  # the file, and the entries held in memory
        except OSError as e:
            path = session.cache.path
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
        app = vapp(self)
        session = app.session
        # Values fetched before the reset are not shown as if they were still cached.
        if session is not None:
            for s in session.vault.data.secrets.values():
                if s.link is not None:
                    session.forget(s.name)
        app.changed()

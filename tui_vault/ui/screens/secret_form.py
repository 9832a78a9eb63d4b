"""Add / edit one secret, and bulk add by pasting NAME=value lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Static

from tui_vault.core.bulk import parse_bulk  # the one parser of NAME=value lines
from tui_vault.core.display import control_warning, has_controls, has_controls_besides_layout
from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.generator import DEFAULT_CLASSES, DEFAULT_LENGTH, generate_value
from tui_vault.core.model import Secret, parse_domains, validate_name
from tui_vault.core.vault import Vault
from tui_vault.ui.base import vapp
from tui_vault.ui.screens.dialogs import Dialog
from tui_vault.ui.widgets.inputs import Input
from tui_vault.ui.widgets.text_area import TextArea
from tui_vault.ui.widgets.toggles import Checkbox


@dataclass(frozen=True)
class SecretDraft:
    """What the form returns; the value is None when it was left unchanged (linked secrets)."""

    original_name: str | None
    name: str
    value: str | None
    allowed_domains: list[str]
    enabled: bool


def apply_draft(vault: Vault, draft: SecretDraft) -> Secret:
    """Save what the form returned: a new secret, or an edit (rename, value, domains, on/off)."""
    if draft.original_name is None:
        return vault.add(
            Secret(
                name=draft.name,
                value=draft.value or "",
                allowed_domains=draft.allowed_domains,
                enabled=draft.enabled,
            )
        )
    return vault.update(
        draft.original_name,
        new_name=draft.name if draft.name != draft.original_name else None,
        value=draft.value,
        enabled=draft.enabled,
        allowed_domains=draft.allowed_domains,
    )


class ValueInput(Input):
    """The masked value field; a paste of several lines asks the form for the multi-line box."""

    @dataclass
    class MultiLinePasted(Message):
        text: str

    def _on_paste(self, event: events.Paste) -> None:
        # Textual runs Input's own handler after this one unless the default is prevented.
        if "\n" in event.text or "\r" in event.text:
            event.prevent_default()
            event.stop()
            self.post_message(self.MultiLinePasted(event.text))


class SecretForm(Dialog[SecretDraft | None]):
    """Add or edit one secret. The form saves itself: a failed save (a name already taken,
    a vault that cannot be written) keeps the form open with the error, and the typed input.

    `focus` names the field to start in ("name", "value" or "domains").
    """

    DEFAULT_CSS = """
    SecretForm Label.field { margin-top: 1; color: $text-muted; }
    SecretForm Checkbox { margin-top: 1; }
    SecretForm #value-row { height: auto; margin-top: 0; }
    SecretForm #value-row Input { width: 1fr; }
    SecretForm #value-area { height: 6; display: none; }
    SecretForm.-multiline #value-area { display: block; }
    SecretForm.-multiline #value-row { display: none; }
    SecretForm #show, SecretForm #multiline { min-width: 8; margin-left: 1; }
    SecretForm #generate { min-width: 10; margin-left: 1; }
    /* A narrow pane (a tmux split): the value gets a line of its own, its buttons the next,
       and the field labels wrap instead of being cut. */
    SecretForm.-narrow Label.field { width: 100%; }
    SecretForm.-narrow #value-row {
        layout: grid; grid-size: 3; grid-rows: 1; grid-columns: auto auto 1fr;
        align: left top;
    }
    SecretForm.-narrow #value-row #value { column-span: 3; width: 100%; }
    SecretForm.-narrow #show, SecretForm.-narrow #generate, SecretForm.-narrow #multiline {
        margin-left: 0;
    }
    """
    # Below this many columns the value and its three buttons do not fit on one line with
    # room to read the value (~20 columns for the field).
    NARROW_BELOW = 64
    BINDINGS = [
        Binding("escape", "leave", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save the secret"),
        Binding("ctrl+t", "toggle_show", "Show value", id="form.show", tooltip="Show/hide"),
        Binding(
            "ctrl+g",
            "generate",
            "Generate",
            id="form.generate",
            tooltip=f"Fill in {DEFAULT_LENGTH} random characters (letters and digits)",
        ),
        Binding(
            "ctrl+o",
            "multiline",
            "Multi-line",
            id="form.multiline",
            tooltip="Edit the value in a multi-line box (PEM keys, JSON)",
        ),
    ]

    def __init__(self, secret: Secret | None = None, focus: str | None = None) -> None:
        super().__init__()
        self.secret = secret
        self.start_field = focus or ("value" if secret else "name")
        self.saving = False
        # The field that gets the focus, given to Textual's own first focus (at compose):
        # keys typed before the form opened go there at once, and on_mount's focus (a turn
        # later) does not take it back from where a Tab among them moved it.
        self._linked = linked = secret is not None and secret.link is not None
        # What the value fields start with: a linked secret's value is not here.
        self._start_value = value = "" if linked or secret is None else secret.value
        # A value with line breaks (\n or a lone \r) is edited in the multi-line box, unless
        # it holds other control characters (ESC, C1, bidi overrides...): the box draws
        # without them (ui/widgets/text_area.py), but editing what cannot be seen is not
        # editing, so such a value stays in the masked field, kept as it is.
        self._multiline = multiline = (
            "\n" in value or "\r" in value
        ) and not has_controls_besides_layout(value)
        if multiline:
            self.add_class("-multiline")
        first = self.start_field
        if first == "value" and multiline:
            first = "value-area"
        elif first == "value" and linked:
            first = "domains"
        self.first_field = f"#{first}"
        # Textual reads AUTO_FOCUS through the instance: this form's own first field.
        self.AUTO_FOCUS = self.first_field  # type: ignore[misc]

    def compose(self) -> ComposeResult:
        s, linked, value = self.secret, self._linked, self._start_value
        with Vertical():
            yield Label("Edit secret" if s else "Add secret", classes="title")
            yield Label("Key (letters, digits, - _ .)", classes="field")
            yield Input(value=s.name if s else "", placeholder="api-token", id="name", compact=True)
            yield Label("Value", classes="field")
            with Horizontal(id="value-row"):
                yield ValueInput(
                    value="" if self._multiline else value,
                    password=True,
                    placeholder="linked: the value lives in the external vault"
                    if linked
                    else "secret value",
                    id="value",
                    disabled=linked,
                    compact=True,
                    select_on_focus=False,
                )
                yield Button("Show", id="show", compact=True, disabled=linked)
                yield Button("Generate", id="generate", compact=True, disabled=linked)
                yield Button("Multi-line", id="multiline", compact=True, disabled=linked)
            yield TextArea(
                value, id="value-area", soft_wrap=True, show_line_numbers=False, masked=True
            )
            yield Label("Allowed domains (comma-separated; empty = any)", classes="field")
            yield Input(
                value=", ".join(s.allowed_domains) if s else "",
                placeholder="api.example.com, *.example.org",
                id="domains",
                compact=True,
                select_on_focus=False,
            )
            yield Checkbox("Enabled", value=s.enabled if s else True, id="enabled", compact=True)
            yield Static("", id="form-error", classes="error")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save", id="save", variant="primary", compact=True)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < self.NARROW_BELOW, "-narrow")

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < self.NARROW_BELOW, "-narrow")
        if has_controls_besides_layout(self._start_value):
            self._say_not_shown()
        first = self.query_one(self.first_field)
        if self.focused is None:
            first.focus()
        if isinstance(first, Input):
            first.cursor_position = len(first.value)

    @on(Button.Pressed, "#show")
    def action_toggle_show(self) -> None:
        if self.has_class("-multiline"):  # the box: bullets or the lines (ctrl+t)
            area = self.query_one("#value-area", TextArea)
            area.masked = not area.masked
            return
        value = self.query_one("#value", Input)
        if value.password and has_controls(value.value):
            # An input shows its text raw: a value with escape sequences stays masked here
            # (the table's reveal shows it with its control characters made visible).
            self._say_not_shown()
            return
        value.password = not value.password
        self.query_one("#show", Button).label = "Hide" if not value.password else "Show"

    @on(Button.Pressed, "#generate")
    def action_generate(self) -> None:
        """A new random value in the (still masked) value field; nothing is saved yet."""
        value = self.query_one("#value", Input)
        if value.disabled:
            return
        value.value = generate_value(DEFAULT_LENGTH, DEFAULT_CLASSES)
        value.focus()
        self.notify(f"Generated {DEFAULT_LENGTH} random characters; Save keeps them", timeout=4)

    @on(Button.Pressed, "#multiline")
    def action_multiline(self) -> None:
        value = self.query_one("#value", Input)
        if value.disabled or self.has_class("-multiline"):
            return
        if has_controls_besides_layout(value.value):  # it stays masked here
            self._say_not_shown()
            return
        area = self.query_one("#value-area", TextArea)
        area.text = value.value
        self.set_class(True, "-multiline")
        area.focus()
        area.move_cursor(area.document.end)

    @on(ValueInput.MultiLinePasted)
    def _multiline_pasted(self, event: ValueInput.MultiLinePasted) -> None:
        value = self.query_one("#value", Input)
        text = value.value + event.text.replace("\r\n", "\n")
        if has_controls_besides_layout(
            text
        ):  # pasted into the masked field instead, line breaks and all
            value.insert_text_at_cursor(event.text)
            self._say_not_shown()
            return
        area = self.query_one("#value-area", TextArea)
        area.text = text
        self.set_class(True, "-multiline")
        area.focus()
        area.move_cursor(area.document.end)

    def _say_not_shown(self) -> None:
        self.query_one("#form-error", Static).update(
            "This value holds control characters: not shown here (reveal it in the table)."
        )

    def current_value(self) -> str | None:
        value_input = self.query_one("#value", Input)
        if value_input.disabled:
            return None
        if self.has_class("-multiline"):
            return self.query_one("#value-area", TextArea).text
        return value_input.value

    def show_error(self, message: str) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        self.query_one("#form-error", Static).update(message)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving:
            return
        name = self.query_one("#name", Input).value.strip()
        try:
            validate_name(name)
            domains = parse_domains(self.query_one("#domains", Input).value)
        except InvalidSecretError as e:
            self.show_error(e.message)
            return
        original = self.secret.name if self.secret else None
        vault = vapp(self).vault
        if vault is not None and name != original and name in vault.data.secrets:
            self.show_error(f"A secret named {name} already exists: choose another name.")
            self.query_one("#name", Input).focus()
            return
        draft = SecretDraft(
            original_name=original,
            name=name,
            value=self.current_value(),
            allowed_domains=domains,
            enabled=self.query_one("#enabled", Checkbox).value,
        )
        self.saving = True
        self.query_one("#save", Button).disabled = True
        verb = "Added" if original is None else "Saved"
        # Dismissed only once the vault has taken the change; a failure stays in the form.
        vapp(self).vault_op(
            lambda v: apply_draft(v, draft),
            f"{verb} {draft.name}",
            focus=draft.name,
            on_done=lambda _: self.dismiss(draft),
            on_error=self.show_error,
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_leave(self) -> None:
        self.leave(self.typed())

    def typed(self) -> bool:
        """Whether any field differs from what the form opened with."""
        s = self.secret
        now = (
            self.query_one("#name", Input).value,
            self.query_one("#domains", Input).value,
            self.query_one("#enabled", Checkbox).value,
            self.current_value(),
        )
        start = (
            s.name if s else "",
            ", ".join(s.allowed_domains) if s else "",
            s.enabled if s else True,
            None if self._linked else self._start_value,
        )
        return now != start


def bulk_message(summary: Any) -> str:
    """'Added 3 secrets', with what happened to duplicates."""
    added = len(summary.added) + len(summary.renamed)
    parts = [f"Added {added} secret{'s' if added != 1 else ''}"]
    if summary.replaced:
        parts.append(f"replaced {len(summary.replaced)}")
    if summary.skipped:
        parts.append(f"skipped {len(summary.skipped)} already in the vault")
    if summary.renamed:
        parts.append("kept both: " + ", ".join(f"{old} as {new}" for old, new in summary.renamed))
    return "; ".join(parts)


class BulkAddForm(Dialog[list[Secret] | None]):
    """Paste NAME=value lines; names already in the vault: skip, replace or keep both (as
    Import does). The form saves itself and stays open when that fails."""

    DEFAULT_CSS = """
    BulkAddForm TextArea { height: 12; }
    """
    BINDINGS = [
        Binding("escape", "leave", "Cancel", id="bulk.cancel"),
        Binding("ctrl+s", "save", "Add all", id="bulk.save", tooltip="Add every line"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Bulk add: paste NAME=value lines", classes="title")
            yield TextArea(id="lines", soft_wrap=False)
            yield Static(
                "One secret per line; # comments and blank lines are skipped. "
                "Nothing is added unless every line is valid.",
                classes="hint",
            )
            yield Static("", id="bulk-error", classes="error")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Add all", id="save", variant="primary", compact=True)

    def __init__(self) -> None:
        super().__init__()
        self.saving = False

    def on_mount(self) -> None:
        self.query_one("#lines", TextArea).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving:
            return
        try:
            secrets = parse_bulk(self.query_one("#lines", TextArea).text)
        except InvalidSecretError as e:
            self.show_error(e.message)
            return
        if not secrets:
            self.show_error("Nothing to add.")
            return
        from tui_vault.core import transfer
        from tui_vault.ui.screens.import_dialog import DuplicatesDialog

        vault = vapp(self).vault
        clashes = transfer.duplicates(vault.data, secrets) if vault is not None else []
        if not clashes:
            self._save(secrets, "skip")
            return

        def chosen(mode: transfer.DuplicateMode | None) -> None:
            if mode is not None:
                self._save(secrets, mode)
            else:
                self.query_one("#lines", TextArea).focus()  # nothing lost: edit and retry

        self.app.push_screen(DuplicatesDialog(clashes, "the pasted line's"), chosen)

    def _save(self, secrets: list[Secret], mode: str) -> None:
        from tui_vault.core import transfer

        self.saving = True
        self.query_one("#save", Button).disabled = True
        dup_mode: transfer.DuplicateMode = mode  # type: ignore[assignment]

        def apply(v: Vault) -> transfer.ImportSummary:
            return v.change(lambda d: transfer.merge(d, secrets, dup_mode))

        # Kept as they are, but the person should know (they are shown made visible).
        warning = control_warning((s.name, s.value) for s in secrets)
        if warning:
            self.app.notify(warning, severity="warning", timeout=10)
        vapp(self).vault_op(
            apply,
            lambda summary: bulk_message(summary),
            focus=lambda summary: summary.added[0] if summary.added else None,
            on_done=lambda summary: self.dismiss(secrets),
            on_error=self.show_error,
        )

    def show_error(self, message: str) -> None:
        self.saving = False
        self.query_one("#save", Button).disabled = False
        self.query_one("#bulk-error", Static).update(message)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_leave(self) -> None:
        self.leave(bool(self.query_one("#lines", TextArea).text.strip()))

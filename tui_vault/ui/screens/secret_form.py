"""Add / edit one secret, and bulk add by pasting NAME=value lines."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Static, TextArea

from tui_vault.core.bulk import parse_bulk  # the one parser of NAME=value lines
from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.generator import DEFAULT_CLASSES, DEFAULT_LENGTH, generate_value
from tui_vault.core.model import Secret, parse_domains, validate_name
from tui_vault.core.vault import Vault
from tui_vault.ui.screens.dialogs import Dialog


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


class SecretForm(Dialog[SecretDraft | None]):
    DEFAULT_CSS = """
    SecretForm Label.field { margin-top: 1; color: $text-muted; }
    SecretForm Checkbox { margin-top: 1; }
    SecretForm #value-row { height: auto; }
    SecretForm #value-row Input { width: 1fr; }
    SecretForm #show { min-width: 8; }
    SecretForm #generate { min-width: 10; margin-left: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save the secret"),
        Binding("ctrl+t", "toggle_show", "Show value", id="form.show", tooltip="Show/hide"),
        Binding(
            "ctrl+g",
            "generate",
            "Generate",
            id="form.generate",
            tooltip=f"Fill in {DEFAULT_LENGTH} random characters (letters and digits)",
        ),
    ]

    def __init__(self, secret: Secret | None = None) -> None:
        super().__init__()
        self.secret = secret

    def compose(self) -> ComposeResult:
        s = self.secret
        linked = s is not None and s.link is not None
        with Vertical():
            yield Label("Edit secret" if s else "Add secret", classes="title")
            yield Label("Key (letters, digits, - _ .)", classes="field")
            yield Input(value=s.name if s else "", placeholder="api-token", id="name", compact=True)
            yield Label("Value", classes="field")
            with Horizontal(id="value-row"):
                yield Input(
                    value="" if linked or s is None else s.value,
                    password=True,
                    placeholder="linked: the value lives in the external vault"
                    if linked
                    else "secret value",
                    id="value",
                    disabled=linked,
                    compact=True,
                )
                yield Button("Show", id="show", compact=True)
                yield Button("Generate", id="generate", compact=True, disabled=linked)
            yield Label("Allowed domains (comma-separated; empty = any)", classes="field")
            yield Input(
                value=", ".join(s.allowed_domains) if s else "",
                placeholder="api.example.com, *.example.org",
                id="domains",
                compact=True,
            )
            yield Checkbox("Enabled", value=s.enabled if s else True, id="enabled", compact=True)
            yield Static("", id="form-error", classes="error")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save", id="save", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#value" if self.secret else "#name", Input).focus()

    @on(Button.Pressed, "#show")
    def action_toggle_show(self) -> None:
        value = self.query_one("#value", Input)
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

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        error = self.query_one("#form-error", Static)
        try:
            validate_name(name)
            domains = parse_domains(self.query_one("#domains", Input).value)
        except InvalidSecretError as e:
            error.update(e.message)
            return
        value_input = self.query_one("#value", Input)
        self.dismiss(
            SecretDraft(
                original_name=self.secret.name if self.secret else None,
                name=name,
                value=None if value_input.disabled else value_input.value,
                allowed_domains=domains,
                enabled=self.query_one("#enabled", Checkbox).value,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class BulkAddForm(Dialog[list[Secret] | None]):
    DEFAULT_CSS = """
    BulkAddForm TextArea { height: 12; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="bulk.cancel"),
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

    def on_mount(self) -> None:
        self.query_one("#lines", TextArea).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            secrets = parse_bulk(self.query_one("#lines", TextArea).text)
        except InvalidSecretError as e:
            self.query_one("#bulk-error", Static).update(e.message)
            return
        if not secrets:
            self.query_one("#bulk-error", Static).update("Nothing to add.")
            return
        self.dismiss(secrets)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

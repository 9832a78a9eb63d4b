"""Small self-contained modals: confirm, typed confirm, ask for a path."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

DIALOG_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: 70;
    max-width: 95%;
    height: auto;
    padding: 1 2;
    border: thick $primary 80%;
    background: $surface;
}}
{name} .title {{ text-style: bold; margin-bottom: 1; }}
{name} .hint {{ color: $text-muted; margin-top: 1; }}
{name} .error {{ color: $error; }}
{name} Horizontal {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} Button {{ margin-left: 1; }}
"""


class ConfirmDialog(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, body: str, confirm_label: str = "Delete") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Static(self.body)
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(self.confirm_label, id="confirm", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class TypedConfirmDialog(ModalScreen[bool]):
    """For what cannot be undone: the person types a word to go on."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TypedConfirmDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, body: str, word: str, confirm_label: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.word = word
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Static(self.body)
            yield Label(f"Type [b]{self.word}[/b] to confirm:", classes="hint")
            yield Input(placeholder=self.word, id="word", compact=True)
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(
                    self.confirm_label, id="confirm", variant="error", disabled=True, compact=True
                )

    def on_mount(self) -> None:
        self.query_one("#word", Input).focus()

    @on(Input.Changed, "#word")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value.strip() != self.word

    @on(Input.Submitted, "#word")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.word:
            self.dismiss(True)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class PathDialog(ModalScreen[str | None]):
    """Ask for a file path (used for saving the key to a file)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PathDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, default: str, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Input(value=self.default, id="path", compact=True)
            if self.hint:
                yield Static(self.hint, classes="hint")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save", id="save", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        self.dismiss(value or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

"""Ask for a new passphrase twice (Settings → Vault key → Set passphrase)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from tui_vault.core.errors import VaultError
from tui_vault.core.passphrase import check_passphrase
from tui_vault.core.unlock import looks_like_key
from tui_vault.ui.screens.dialogs import Dialog
from tui_vault.ui.widgets.inputs import Input


def passphrase_problem(first: str, second: str) -> str:
    """Why these two entries cannot be the new passphrase ("" when they can)."""
    try:
        check_passphrase(first)
    except VaultError as e:
        return e.message[0].upper() + e.message[1:] + "."
    if looks_like_key(first):
        return "A passphrase cannot look like a vault key."
    if first != second:
        return "The two entries differ."
    return ""


class PassphraseDialog(Dialog[str | None]):
    """Returns the new passphrase, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Set a passphrase", classes="title")
            yield Static(
                "It opens this vault wherever the key is asked for (here, `tui-vault unlock`, "
                "every command). The key still works and stays the recovery key."
            )
            yield Input(
                placeholder="New passphrase (12 characters or more)",
                password=True,
                id="passphrase",
                compact=True,
            )
            yield Input(placeholder="Repeat it", password=True, id="repeat", compact=True)
            yield Label("", id="passphrase-error", classes="error")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Set passphrase", id="save", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    def _next(self) -> None:
        self.query_one("#repeat", Input).focus()

    @on(Input.Submitted, "#repeat")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        first = self.query_one("#passphrase", Input).value
        second = self.query_one("#repeat", Input).value
        problem = passphrase_problem(first, second)
        if problem:
            self.query_one("#passphrase-error", Label).update(problem)
            return
        self.dismiss(first)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

"""`?`: every key binding of the screen underneath and of the app, with what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from tui_vault.ui.screens.dialogs import Dialog


class HelpScreen(Dialog[None]):
    DEFAULT_CSS = """
    HelpScreen > Vertical { width: 100; height: 100%; padding: 0 1; }
    HelpScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Keys", classes="title")
            yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            yield Static(
                "ctrl+p opens the command palette (every action, and “jump to secret”). "
                "Remap keys in settings.toml: \\[keymap] with binding ids, e.g. "
                '"secrets.reveal" = "ctrl+r".',
                classes="hint",
            )

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.add_columns("Key", "Action", "Id", "What it does")
        seen: set[str] = set()
        keymap = self.app._keymap  # user overrides, shown as the keys really bound
        for source in (self.under, self.app):
            for binding in getattr(type(source), "BINDINGS", []):
                if not isinstance(binding, Binding) or binding.id in seen:
                    continue
                seen.add(binding.id or binding.action)
                keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
                table.add_row(
                    self.app.get_key_display(Binding(keys.split(",")[0], "")),
                    binding.description or binding.action,
                    binding.id or "",
                    binding.tooltip,
                )
        table.add_row("ctrl+p", "Command palette", "", "Search every action and secret")
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

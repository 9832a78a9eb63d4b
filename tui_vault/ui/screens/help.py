"""`?`: every key binding of the screen underneath and of the app, with what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from tui_vault.ui.screens.dialogs import Dialog

# Bindings that have no description of their own (one would put them in the command
# palette, where moving the focus means nothing): what the help table calls them.
_UNNAMED = {"focus_next": "Next field", "focus_previous": "Previous field"}
# What a key does, for the bindings that carry no tooltip.
_WHAT = {
    "focus_next": "Move to the next field or button",
    "focus_previous": "Move to the previous field or button",
    "cancel": "Close without changing anything",
    "close": "Close this list",
}


class HelpScreen(Dialog[None]):
    DEFAULT_CSS = """
    HelpScreen > Vertical { width: 100%; max-width: 140; height: 100%; padding: 0 1; }
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
        # What it does before the id: at 80 columns the last column is the one cut, and the
        # id is only needed to remap a key in settings.toml.
        table.add_column("Key", key="key")
        table.add_column("Action", key="action")
        table.add_column("What it does", key="what")
        table.add_column("Id", key="id")
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
                    binding.description or _UNNAMED.get(binding.action, binding.action),
                    binding.tooltip or _WHAT.get(binding.action, ""),
                    binding.id or "",
                )
        table.add_row("ctrl+p", "Command palette", "Search every action and secret", "")
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

"""Textual's Input, its editing keys applied in the order they were typed (ui/key_order.py)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input as TextualInput

from tui_vault.ui.key_order import run_own_binding

__all__ = ["Input", "TextualInput"]


class Input(TextualInput):
    """Textual's Input; a key it has a binding for runs in its queue's order."""

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls the base class's _on_key next, unless a binding ran here.
        await run_own_binding(self, event)

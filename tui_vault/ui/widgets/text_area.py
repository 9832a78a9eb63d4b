"""Textual's TextArea with its editing keys run in typing order (see ui/key_order.py).

A module of its own: TextArea is a large import that the unlock screen does not need."""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea as TextualTextArea

from tui_vault.ui.key_order import run_own_binding


class TextArea(TextualTextArea):
    async def _on_key(self, event: events.Key) -> None:
        # Textual calls the base class's _on_key next, unless a binding ran here.
        await run_own_binding(self, event)

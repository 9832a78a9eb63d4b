"""Textual's TextArea with its editing keys run in typing order (see ui/key_order.py).

A module of its own: TextArea is a large import that the unlock screen does not need."""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea as TextualTextArea

from tui_vault.ui.key_order import run_own_binding


class TextArea(TextualTextArea):
    async def _on_key(self, event: events.Key) -> None:
        if await run_own_binding(self, event):
            return
        await super()._on_key(event)

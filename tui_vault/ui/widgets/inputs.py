"""Text fields whose editing keys take effect in the order they were typed.

Textual's Input inserts a printable key in its own key handler, but runs its other keys
(backspace, the arrows, ctrl+u, ctrl+w, enter, ...) as bindings, which the app checks only
once the key has bubbled up to it, several message queues later. Keys read together (typing
over a slow SSH link, tmux send-keys, an auto-typer) go to the field one after the other, so
the letters typed after a backspace were inserted before it ran: "ab", backspace, backspace,
"cd" left "ab". (Textual issue 6605.)

Here the field runs its own bindings in its key handler, in the order of its queue, the way
the app would have run them: the focused widget is the first namespace of the binding chain
and its priority bindings were checked before the key reached it, so the same binding runs,
only earlier. A key the field inserts, or one it has no binding for, goes on as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.widgets import Input as TextualInput

if TYPE_CHECKING:
    from textual.widget import Widget

__all__ = ["Input", "TextualInput", "run_own_binding"]


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run the binding `widget` (the focused widget) has for `event`'s key, as the app would
    after the key bubbled up to it. True if one ran: the key is then used up."""
    if widget.check_consume_key(event.key, event.character):
        return False  # a key the widget inserts: its own handler takes it
    if widget.app.focused is not widget:
        return False
    # The chain the app consults, keymap applied; the focused widget comes first.
    chain = widget.screen._modal_binding_chain
    if not chain or chain[0][0] is not widget:
        return False
    for binding in chain[0][1].key_to_bindings.get(event.key, ()):
        if not binding.priority and await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


class Input(TextualInput):
    """Textual's Input, with its editing keys run in typing order (see the module)."""

    async def _on_key(self, event: events.Key) -> None:
        if await run_own_binding(self, event):
            return
        await super()._on_key(event)

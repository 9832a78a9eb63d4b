"""Text fields whose editing keys take effect in the order they were typed.

Textual's Input inserts a printable key in its own key handler, but runs its other keys
(backspace, the arrows, ctrl+u, ctrl+w, enter, ...) as bindings, which the app checks only
once the key has bubbled up to it, several message queues later. Keys read together (typing
over a slow SSH link, tmux send-keys, an auto-typer) go to the field one after the other, so
the letters typed after a backspace were inserted before it ran: "ab", backspace, backspace,
"cd" left "ab". (Textual issue 6605.)

Here the field runs its own bindings in its key handler, in the order of its queue, the way
the app would have run them: the field a key is sent to is the first namespace of the
binding chain, and priority bindings were checked before the key reached it, so the same
binding runs, only earlier. A key the field inserts, or one it has no binding for, goes on
as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.widgets import Input as TextualInput

if TYPE_CHECKING:
    from textual.widget import Widget

__all__ = ["Input", "TextualInput", "run_own_binding"]


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run the binding `widget` has for `event`'s key, as the app would have once the key
    bubbled up to it. True if one ran: the key is then used up.

    The key was sent to the widget because it had the focus when the key was read; the
    focus may have moved since (a Tab later in the same read is a priority binding, run at
    once), so the widget's own bindings are used, not those of what has the focus now: the
    backspace before a Tab belongs to the field it was typed in."""
    if widget.check_consume_key(event.key, event.character):
        return False  # a key the widget inserts: its own handler takes it
    bindings = widget._bindings.copy()
    keymap = widget.app._keymap  # as Screen._binding_chain applies it
    if keymap:
        bindings.apply_keymap(keymap)
    for binding in bindings.key_to_bindings.get(event.key, ()):
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

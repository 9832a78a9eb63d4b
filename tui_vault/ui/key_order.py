"""Keys read together are applied in the order they were typed, to what they were typed at.

Keys that arrive in one read (typing over a slow SSH link, tmux send-keys, an auto-typer)
are all routed by the app before the first of them runs. Two things in Textual then apply
them out of order:

- A text field inserts a printable key in its own key handler, but its other keys
  (backspace, the arrows, ctrl+u, ctrl+w, enter, ...) are bindings, which the app checks
  only once the key has bubbled up to it, several message queues later: the letters typed
  after a backspace were inserted before it ran ("ab", backspace, backspace, "cd" left
  "ab"; Textual issue 6605). `run_own_binding` runs a field's own binding in its key
  handler, in the order of its queue (ui/widgets/inputs.py, text_area.py, the palette).
- A bubbled key is matched against the bindings of what has the focus when it reaches the
  app. Tab is a priority binding, run as soon as it is read, so a key typed before it (a
  space for a checkbox, an arrow in the table) was matched against the next widget's
  bindings, or none. `run_bindings_where_sent` matches it against the chain of the widget
  it was sent to (the app calls it for each key that comes back, see VaultApp.on_event).

Either way the binding that runs is the one Textual would have run had the keys come one at
a time: the widget a key is sent to heads its binding chain, and priority bindings were
checked before the key was sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.keys import key_to_character

if TYPE_CHECKING:
    from textual import events
    from textual.binding import BindingsMap
    from textual.dom import DOMNode
    from textual.widget import Widget


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
            # Used up: not bubbled, and not given to the base class's key handler (which
            # would run it again, were Textual to run bindings there too one day); the
            # cursor shows at once, as after a key that handler takes.
            event.stop()
            event.prevent_default()
            restart_blink = getattr(widget, "_restart_blink", None)
            if callable(restart_blink):
                restart_blink()
            return True
    return False


def binding_chain(widget: Widget) -> list[tuple[DOMNode, BindingsMap]]:
    """The binding chain the app would use if `widget` had the focus: Textual's
    Screen._binding_chain (each ancestor's bindings, less the keys a widget below it
    consumes, keymap applied), up to the first modal screen, as _modal_binding_chain."""
    chain: list[tuple[DOMNode, BindingsMap]] = []
    # A loading widget takes no keys: Textual then starts at the screen.
    start: DOMNode = widget.screen if widget.loading else widget
    for node in start.ancestors_with_self:
        chain.append((node, node._bindings.copy()))
        if node.is_modal:
            break
    below: list[DOMNode] = []
    for node, bindings in chain:
        for consumer in below:
            for key in list(bindings.key_to_bindings):
                if consumer.check_consume_key(key, key_to_character(key)):
                    del bindings.key_to_bindings[key]
        below.append(node)
    keymap = widget.app._keymap
    if keymap:
        for _node, bindings in chain:
            bindings.apply_keymap(keymap)
    return chain


async def run_bindings_where_sent(widget: Widget, event: events.Key) -> None:
    """Run the binding a key that bubbled back unused has along the chain of `widget`, the
    widget it was sent to (no longer the focused one): what the app would have run had
    the focus stayed there. A key with no binding there is left unused, as it would be."""
    for namespace, bindings in binding_chain(widget):
        for binding in bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await widget.app.run_action(binding.action, namespace):
                return


def gives_keys_back(node: DOMNode) -> bool:
    """A key forwarded to `node` comes back to the app (to be matched with bindings): no
    class of node's below Textual's Widget handles keys itself (an Input inserts printable
    keys, a Select searches, a dialog holds keys while nothing in it has focus)."""
    from textual.widget import Widget

    for cls in type(node).__mro__:
        if cls is Widget:
            return True
        if "_on_key" in cls.__dict__ or "on_key" in cls.__dict__:
            return False
    return False

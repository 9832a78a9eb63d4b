"""A footer that keeps Help and Quit: when the keys do not fit, the least important go first.

Textual's Footer lays every shown binding out in one row and cuts whatever does not fit at
the right, which is where the app's own keys (`?` help, `^q` quit) sit. This one measures
the keys against the terminal's width and leaves out the screen's later bindings instead
(all of them stay in `?` help and in the command palette).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Actions that always stay, in this order of importance.
KEEP = ("command_palette", "help", "quit", "lock")


def key_width(key_display: str, description: str, compact: bool) -> int:
    """The cells one FooterKey takes (its key and description paddings included)."""
    if compact:  # key, one space, description, then a margin of one
        return len(key_display) + (len(description) + 1 if description else 0) + 1
    return len(key_display) + 2 + (len(description) + 1 if description else 0)


def choose(bindings: Iterable[tuple[str, str, str]], width: int, compact: bool) -> set[str]:
    """The actions to show: every KEEP action first, then the others in order while they fit.

    `bindings` holds (action, key display, description), in footer order.
    """
    items = list(bindings)
    chosen: set[str] = set()
    used = 0
    for action, key, description in sorted(
        items, key=lambda item: KEEP.index(item[0]) if item[0] in KEEP else len(KEEP)
    ):
        need = key_width(key, description, compact)
        if action in KEEP or used + need <= width:
            chosen.add(action)
            used += need
    return chosen


class VaultFooter(Footer):
    """Footer with priorities: see the module docstring."""

    def __init__(self, keys_at_once: bool = False) -> None:
        """keys_at_once: compose the keys when mounted, from the screen's bindings as they
        are then, instead of waiting for the screen's first bindings change (after which
        Textual's Footer recomposes only after the next refresh: a first frame without
        keys, then a second full layout and frame for them). For a footer mounted once
        the screen's focus is set (UnlockScreen.on_mount); the keys are the same."""
        super().__init__(compact=True)
        self._last_width = 0
        self._composed_for: tuple[object, ...] | None = None
        if keys_at_once:
            self.set_reactive(Footer._bindings_ready, True)

    def _inputs(self) -> tuple[object, ...]:
        """Everything `compose` reads (Textual's and ours): same inputs, same keys.

        Textual recomposes the footer on every change of the screen's bindings (each focus
        change, and several times while a screen starts), mostly to the same keys; each
        recompose removes and mounts, styles and lays out every FooterKey again."""
        if not self._bindings_ready:
            return ()
        app = self.app
        shown = tuple(
            (binding, app.get_key_display(binding), enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
        )
        return (
            shown,
            app.COMMAND_PALETTE_BINDING,
            app.ENABLE_COMMAND_PALETTE,
            self.show_command_palette,
            self.combine_groups,
            self.compact,
            app.size.width,
        )

    async def recompose(self) -> None:
        if self.is_attached and self._inputs() == self._composed_for:
            return  # it would mount the very same keys
        await super().recompose()

    def compose(self) -> ComposeResult:
        self._composed_for = self._inputs()
        widgets = list(super().compose())
        if not widgets:
            return
        keys = [w for w in widgets if isinstance(w, FooterKey)]
        width = self.app.size.width - 2  # the palette key's border and padding
        show = choose(((k.action, k.key_display, k.description) for k in keys), width, self.compact)
        kept = [w for w in widgets if not isinstance(w, FooterKey) or w.action in show]
        if self.compact:
            # FooterKey sets this class from a watcher once mounted, which restyles every
            # key one by one (tens of ms on the first paint); set before mounting, the
            # watcher has nothing left to do. Same class, same looks.
            for w in keys:
                w.add_class("-compact", update=False)
        self.styles.grid_size_columns = len(kept)
        self._last_width = self.app.size.width  # laid out for this width already
        yield from kept

    def on_resize(self, event: events.Resize) -> None:
        width = self.app.size.width
        if width != self._last_width:
            self._last_width = width
            self.call_after_refresh(self.recompose)

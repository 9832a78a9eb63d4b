"""The key bar at the bottom of a screen: one widget that draws every key itself.

Textual's Footer is a container with a widget per key (styled, laid out, drawn and removed
and mounted again on every change of the screen's bindings); this one is a single line
drawn from the screen's bindings at each paint, so a focus change repaints one line, and a
screen's first frame has its keys without a second layout. It looks as Textual's compact
footer does (same cells, same colours from the theme's footer variables), and behaves as
its keys did: a click runs the key, a disabled key rings the bell, a key under the pointer
is highlighted and shows its tooltip.

It also keeps Help and Quit: Textual's Footer cuts whatever does not fit at the right,
which is where the app's own keys (`?` help, `^q` quit) sit; this one leaves out the
screen's later bindings instead (all of them stay in `?` help and in the command palette).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen

# Actions that always stay, in this order of importance.
KEEP = ("command_palette", "help", "quit", "lock")
SEPARATOR = "▏"  # before the palette key: Textual's `vkey` border, one cell


def key_width(key_display: str, description: str) -> int:
    """The cells one key takes: key, one space, description, then a margin of one (the
    compact footer's spacing, the only one this footer draws)."""
    return len(key_display) + (len(description) + 1 if description else 0) + 1


def choose(bindings: Iterable[tuple[str, str, str]], width: int) -> set[str]:
    """The actions to show: every KEEP action first, then the others in order while they fit.

    `bindings` holds (action, key display, description), in footer order.
    """
    items = list(bindings)
    chosen: set[str] = set()
    used = 0
    for action, key, description in sorted(
        items, key=lambda item: KEEP.index(item[0]) if item[0] in KEEP else len(KEEP)
    ):
        need = key_width(key, description)
        if action in KEEP or used + need <= width:
            chosen.add(action)
            used += need
    return chosen


class FooterItem(NamedTuple):
    """One key as shown: what a click presses, what is drawn, and its tooltip."""

    key: str  # the binding's key, pressed by a click ("ctrl+r")
    key_display: str  # as drawn ("^r")
    description: str
    action: str
    enabled: bool
    tooltip: str


class VaultFooter(Widget, can_focus=False):
    """The screen's keys on one line: see the module docstring."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "vault-footer--key",
        "vault-footer--description",
        "vault-footer--item",
        "vault-footer--hover",
        "vault-footer--separator",
    }
    # The colours and text styles of Textual's compact footer (Footer, FooterKey).
    DEFAULT_CSS = """
    VaultFooter {
        dock: bottom;
        width: 1fr;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .vault-footer--item {
            background: $footer-item-background;
        }
        .vault-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .vault-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .vault-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        .vault-footer--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        # What the last paint drew: (first cell, end cell, item) for each key, for the mouse.
        self._spans: list[tuple[int, int, FooterItem]] = []
        self._hover: FooterItem | None = None
        # Read again after a bindings change or at a new width; the styles after a change
        # of styles (the theme): a repaint (the pointer moving) needs neither.
        self._items: tuple[int, list[FooterItem], FooterItem | None] | None = None
        self._style_cache: dict[tuple[bool, bool], tuple[Style, Style]] = {}

    # ------------------------------------------------------------------ keys

    def items(self) -> tuple[list[FooterItem], FooterItem | None]:
        """The keys to show, from the screen's bindings, and the command palette's key
        (drawn at the right): each action once (its first binding), in the order Textual's
        Footer shows them, the later ones left out when they do not fit."""
        width = self.size.width
        if self._items is None or self._items[0] != width:
            self._items = (width, *self._read_items(width))
        return self._items[1], self._items[2]

    def _read_items(self, width: int) -> tuple[list[FooterItem], FooterItem | None]:
        app = self.app
        keys: list[FooterItem] = []
        seen: set[str] = set()
        palette: FooterItem | None = None
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            is_palette = binding.key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE
            if not is_palette and (not binding.show or binding.action in seen):
                continue
            item = FooterItem(
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                (binding.tooltip or binding.description) if is_palette else tooltip,
            )
            if is_palette:
                palette = item
            else:
                seen.add(binding.action)
                keys.append(item)
        # The palette key counts as a kept key; the 2 are its separator and right margin.
        candidates = keys if palette is None else [*keys, palette]
        shown = choose(((k.action, k.key_display, k.description) for k in candidates), width - 2)
        return [k for k in keys if k.action in shown], palette

    def shown_actions(self) -> dict[str, tuple[int, int]]:
        """Each action drawn by the last paint and its cells (first, end): for tests."""
        return {item.action: (start, end) for start, end, item in self._spans}

    # ------------------------------------------------------------------ drawing

    def _styles(self, item: FooterItem) -> tuple[Style, Style]:
        """The key's and the description's styles, as a FooterKey would draw them: the key's
        own background (the hover colour when under the pointer) over the footer's, the
        component colours over that, dim when disabled."""
        hovered = item == self._hover
        cached = self._style_cache.get((hovered, item.enabled))
        if cached is None:
            cached = self._style_cache[hovered, item.enabled] = self._make_styles(
                hovered, item.enabled
            )
        return cached

    def _make_styles(self, hovered: bool, enabled: bool) -> tuple[Style, Style]:
        base = Color.from_rich_color(self.rich_style.bgcolor)
        layer = "vault-footer--hover" if hovered else "vault-footer--item"
        item_styles = self.get_component_styles(layer)
        background = base + item_styles.background
        colour = item_styles.color if hovered else self.styles.color
        styles = []
        for part in ("vault-footer--key", "vault-footer--description"):
            part_styles = self.get_component_styles(part)
            style = Style(
                color=(colour + part_styles.color).rich_color,
                bgcolor=(background + part_styles.background).rich_color,
            )
            style += part_styles.text_style
            if not enabled:
                style += Style(dim=True)
            styles.append(style)
        return styles[0], styles[1]

    def _item_segments(self, item: FooterItem) -> list[Segment]:
        key_style, description_style = self._styles(item)
        out = [Segment(item.key_display, key_style)]
        if item.description:
            out.append(Segment(" " + item.description, description_style))
        return out

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        gap = Style(bgcolor=self.rich_style.bgcolor)
        keys, palette = self.items() if y == 0 else ([], None)
        segments: list[Segment] = []
        spans: list[tuple[int, int, FooterItem]] = []
        x = 0
        for item in keys:
            drawn = self._item_segments(item)
            cells = sum(len(s.text) for s in drawn)
            spans.append((x, x + cells, item))
            segments.extend(drawn)
            segments.append(Segment(" ", gap))  # the key's margin
            x += cells + 1
        tail: list[Segment] = []
        if palette is not None:
            drawn = self._item_segments(palette)
            key_style = drawn[0].style or gap
            separator = self.get_component_styles("vault-footer--separator")
            background = Color.from_rich_color(key_style.bgcolor)
            line = Style(color=(background + separator.color).rich_color, bgcolor=key_style.bgcolor)
            tail = [Segment(SEPARATOR, line), *drawn, Segment(" ", gap)]
        tail_cells = sum(len(s.text) for s in tail)
        if tail and width - tail_cells >= x:
            segments.append(Segment(" " * (width - tail_cells - x), gap))
            assert palette is not None
            spans.append((width - tail_cells + 1, width - 1, palette))
            segments.extend(tail)
        self._spans = [(a, min(b, width), item) for a, b, item in spans if a < width]
        return Strip(segments).crop_extend(0, width, gap)

    # ------------------------------------------------------------------ events

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self._items = None  # read again when the line is next drawn
        self.refresh()

    def notify_style_update(self) -> None:
        self._style_cache.clear()
        super().notify_style_update()

    def _item_at(self, x: int) -> FooterItem | None:
        for start, end, item in self._spans:
            if start <= x < end:
                return item
        return None

    def _set_hover(self, item: FooterItem | None) -> None:
        if item != self._hover:
            self._hover = item
            self.tooltip = item.tooltip or None if item is not None else None
            self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._item_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        item = self._item_at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

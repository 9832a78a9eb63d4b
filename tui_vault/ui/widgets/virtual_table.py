"""A table that draws only the rows on screen (Textual's Line API), for lists of any length.

The rows are any sequence the owner hands in (`set_rows`); the cells of a row are asked for
(`cells(row)`) only when the row is drawn, so showing 100,000 rows costs what showing one
screenful does. It looks and behaves like Textual's DataTable with a row cursor and zebra
stripes (same component styles, same keys, same messages), with a header row that stays put.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import ClassVar, Generic, TypeVar

from rich.cells import get_character_cell_size
from rich.console import Console, ConsoleOptions
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.renderables.styled import Styled
from textual.scroll_view import ScrollView
from textual.strip import Strip

R = TypeVar("R")

CELL_PADDING = 1  # on each side of every column, as DataTable's default
HEADER = -1  # the row index of the header in cell metadata
_CACHE_ROWS = 512  # rendered rows kept (each with or without cursor and hover): many screens


def fit(cell: Text | str, width: int) -> Text:
    """A cell cut to `width` with an ellipsis (a copy: the caller's Text is left alone)."""
    text = cell.copy() if isinstance(cell, Text) else Text(cell)
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text


def cell_segments(
    console: Console, options: ConsoleOptions, cell: Text, width: int, pre: Style, post: Style
) -> list[Segment]:
    """One cell as segments: `cell` (at most `width` cells wide) between one-cell paddings,
    padded to `width`, `pre` under and `post` over its own styles. The same segments, once
    simplified, as rendering `Styled(Padding(cell, (0, 1)), pre, post)` on one line without
    wrapping (what DataTable does per cell), which costs several times more; text that Rich
    would fold, justify, expand or measure by character (too wide, a line break, a tab, a
    justification, wide or zero-width characters) is rendered that way."""
    plain = cell.plain
    if cell.cell_len > width or cell.justify not in (None, "default") or not _one_cell_each(plain):
        return rich_cell_segments(console, options, cell, width, pre, post)
    pad = (pre + post) if post else pre
    segments = [Segment(" " * CELL_PADDING, pad)]
    # As a rendered line: the Text's own style becomes a span under its other spans.
    line = Text(end="")
    line.append_text(cell)
    for text, style, control in line.render(console, end=""):
        if control or not text:
            continue
        combined = pre + style if style else pre
        segments.append(Segment(text, combined + post if post else combined))
    segments.append(Segment(" " * (width - cell.cell_len + CELL_PADDING), pad))
    return segments


def _one_cell_each(text: str) -> bool:
    """Printable, and every character one cell wide (no wide, zero-width or combining
    character, no tab or line break): Rich lays such text out one cell per character."""
    if text.isascii():
        return text.isprintable()
    return text.isprintable() and all(get_character_cell_size(c) == 1 for c in text)


def rich_cell_segments(
    console: Console, options: ConsoleOptions, cell: Text, width: int, pre: Style, post: Style
) -> list[Segment]:
    """One cell as DataTable renders it: through Rich, padded, on one line."""
    try:
        return _rich_line(console, options, cell, width, pre, post)
    except (IndexError, ZeroDivisionError):
        # Rich 15 fails to crop a run of zero-width joiners before a wide character into a
        # cell narrower than it (IndexError / ZeroDivisionError in rich.cells), as it would
        # under a DataTable. The app's cells never hold one (core.display.visible escapes
        # them); for anything else the cell is drawn without its format characters.
        bare = Text(
            "".join(ch for ch in cell.plain if unicodedata.category(ch) != "Cf"),
            style=cell.style,
            justify=cell.justify,
            end="",
        )
        try:
            return _rich_line(console, options, bare, width, pre, post)
        except (IndexError, ZeroDivisionError):
            return [Segment(" " * (width + 2 * CELL_PADDING), pre + post if post else pre)]


def _rich_line(
    console: Console, options: ConsoleOptions, cell: Text, width: int, pre: Style, post: Style
) -> list[Segment]:
    lines = console.render_lines(
        Styled(Padding(cell, (0, CELL_PADDING)), pre_style=pre, post_style=post),
        options.update_dimensions(width + 2 * CELL_PADDING, 1).update(no_wrap=True),
    )
    return list(lines[0])


class VirtualTable(ScrollView, Generic[R], can_focus=True):
    """Rows of cells with a row cursor; only the visible rows are ever rendered."""

    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "cursor_first", "First row", show=False),
        Binding("end,ctrl+end", "cursor_last", "Last row", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--header-hover",
        "virtual-table--even-row",
        "virtual-table--odd-row",
        "virtual-table--cursor",
        "virtual-table--hover",
    }

    # The same look as DataTable (row cursor, zebra stripes) in every theme.
    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;

        &:focus {
            background-tint: $foreground 5%;
            & > .virtual-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .virtual-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .virtual-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .virtual-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .virtual-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .virtual-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .virtual-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .virtual-table--header-hover {
            background: $accent 30%;
        }
        & > .virtual-table--hover {
            background: $block-hover-background;
        }
    }
    """

    class _RowMessage(Message):
        """A message about one row: where it is now and the key it was given."""

        def __init__(self, table: VirtualTable[object], cursor_row: int, key: str) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.key = key

        @property
        def control(self) -> VirtualTable[object]:
            return self.table

    class RowHighlighted(_RowMessage):
        """The cursor is on another row (or another row is under it after `set_rows`)."""

    class RowSelected(_RowMessage):
        """Enter on the cursor row, or a click on the row under the cursor."""

    class HeaderSelected(Message):
        """A click on a column's header."""

        def __init__(self, table: VirtualTable[object], column_index: int) -> None:
            super().__init__()
            self.table = table
            self.column_index = column_index

        @property
        def control(self) -> VirtualTable[object]:
            return self.table

    def __init__(
        self,
        key: Callable[[R], str],
        cells: Callable[[R], Sequence[Text]],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._key = key
        self._cells = cells
        self._rows: Sequence[R] = ()
        self._labels: list[Text] = []
        self._widths: list[int] = []
        self._cursor = 0
        self._hover_row = 0
        self._show_hover = False
        self._highlighted: tuple[int, str] | None = None  # what RowHighlighted said last
        self._scroll_when_sized = False  # the cursor is to be scrolled into view once sized
        self._cell_cache: dict[int, tuple[Text, ...]] = {}
        self._line_cache: dict[tuple[int, bool, bool, int], list[Segment]] = {}
        self._pseudo_state: object = None

    # ------------------------------------------------------------------ contents

    def set_columns(self, labels: Sequence[str | Text], widths: Sequence[int]) -> None:
        """The columns' header labels and content widths (cells; paddings come on top)."""
        self._labels = [Text.from_markup(x) if isinstance(x, str) else x for x in labels]
        self._widths = [max(0, w) for w in widths]
        self._update_size()
        self.refresh_rows()

    def set_rows(self, rows: Sequence[R], cursor: int = 0) -> None:
        """Show `rows` (kept, not copied), with the cursor on row `cursor`. The scroll
        position stays where it was when that row is in view, else the row is brought in."""
        self._rows = rows
        self._cursor = self._clamp(cursor)
        self._update_size()
        self.refresh_rows()
        self._scroll_cursor_into_view()
        self._post_highlighted()

    def refresh_rows(self) -> None:
        """Ask for every row's cells again when it is next drawn (a status or value
        changed); the rows, the cursor and the scroll position stay."""
        self._cell_cache.clear()
        self._line_cache.clear()
        self.refresh()

    @property
    def rows(self) -> Sequence[R]:
        return self._rows

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor; None when there are no rows."""
        return self._key(self._rows[self._cursor]) if self._rows else None

    def row_key(self, row: int) -> str:
        return self._key(self._rows[row])

    def index_of(self, key: str) -> int | None:
        """The row of `key`, or None."""
        for i, r in enumerate(self._rows):
            if self._key(r) == key:
                return i
        return None

    @property
    def column_labels(self) -> list[Text]:
        return list(self._labels)

    @property
    def column_widths(self) -> list[int]:
        """Each column's content width (the cells it draws are this plus two paddings)."""
        return list(self._widths)

    @property
    def table_width(self) -> int:
        return sum(w + 2 * CELL_PADDING for w in self._widths)

    def cell(self, row: int, column: int) -> Text:
        """The cell as drawn: cut to its column's width, with an ellipsis."""
        return self._row_cells(row)[column]

    def visible_rows(self) -> range:
        """The rows on screen now."""
        first = int(self.scroll_y)
        shown = max(0, self.scrollable_content_region.height - 1)
        return range(first, min(len(self._rows), first + shown))

    # ------------------------------------------------------------------ cursor

    def move_cursor(self, row: int, *, scroll: bool = True, animate: bool = False) -> None:
        old, self._cursor = self._cursor, self._clamp(row)
        if old != self._cursor:  # rendered rows are cached with and without the cursor
            self._refresh_row(old)
            self._refresh_row(self._cursor)
        if scroll:
            self._scroll_cursor_into_view(animate=animate)
        self._post_highlighted()

    def _clamp(self, row: int) -> int:
        return max(0, min(row, len(self._rows) - 1))

    def _post_highlighted(self) -> None:
        if not self._rows:
            self._highlighted = None
            return
        now = (self._cursor, self.row_key(self._cursor))
        if now != self._highlighted:
            self._highlighted = now
            self.post_message(self.RowHighlighted(self, *now))  # type: ignore[arg-type]

    def _scroll_cursor_into_view(self, animate: bool = False) -> None:
        if not self.size:
            # Not laid out yet, or hidden (an empty vault shows its welcome instead): done
            # when a resize gives it a size. (Asking again after each refresh kept a hidden
            # table's screen from ever being idle.)
            self._scroll_when_sized = True
            return
        self._scroll_when_sized = False
        # Line 0 is the header, which stays on screen: row r is line r + 1.
        width = max(self.size.width, self.table_width)
        region = Region(int(self.scroll_x), self._cursor + 1, width, 1)
        self.scroll_to_region(region, animate=animate, spacing=Spacing(1, 0, 0, 0), force=True)

    def _set_hover(self, shown: bool) -> None:
        if shown != self._show_hover:
            self._show_hover = shown
            self._refresh_row(self._hover_row)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        self._set_hover(False)
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._set_hover(False)
        self.move_cursor(self._cursor + 1)

    def action_page_down(self) -> None:
        self._set_hover(False)
        page = self._page()
        self.scroll_relative(y=page, animate=False, force=True)
        self.move_cursor(self._cursor + page, scroll=False)

    def action_page_up(self) -> None:
        self._set_hover(False)
        page = self._page()
        self.scroll_relative(y=-page, animate=False, force=True)
        self.move_cursor(self._cursor - page, scroll=False)

    def action_cursor_first(self) -> None:
        self._set_hover(False)
        self.move_cursor(0)

    def action_cursor_last(self) -> None:
        self._set_hover(False)
        self.move_cursor(len(self._rows) - 1)

    def action_select_cursor(self) -> None:
        self._set_hover(False)
        if self._rows:
            self.post_message(self.RowSelected(self, self._cursor, self.row_key(self._cursor)))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ mouse

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        meta = event.style.meta
        if "row" not in meta:
            self._set_hover(False)
            return
        row = int(meta["row"])
        if row != self._hover_row:
            self._refresh_row(self._hover_row)
            self._hover_row = row
            self._refresh_row(row)
        self._set_hover(True)

    def _on_leave(self, _: events.Leave) -> None:
        self._set_hover(False)

    async def _on_click(self, event: events.Click) -> None:
        self._set_hover(True)
        meta = event.style.meta
        if "row" not in meta or "column" not in meta:
            return
        row = int(meta["row"])
        if row == HEADER:
            self.post_message(self.HeaderSelected(self, int(meta["column"])))  # type: ignore[arg-type]
            return
        if not self._rows:
            return
        again = row == self._cursor
        self.move_cursor(row, animate=True)
        if again:
            self.post_message(self.RowSelected(self, row, self.row_key(row)))  # type: ignore[arg-type]
        event.stop()

    # ------------------------------------------------------------------ rendering

    def _update_size(self) -> None:
        self.virtual_size = Size(self.table_width, len(self._rows) + 1)

    def _refresh_row(self, row: int) -> None:
        y = 0 if row == HEADER else row + 1 - int(self.scroll_y)
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_cache.clear()

    def _on_resize(self, _: events.Resize) -> None:
        self._line_cache.clear()
        if self._scroll_when_sized and self.size:
            self.call_after_refresh(self._scroll_cursor_into_view)

    def _row_cells(self, row: int) -> tuple[Text, ...]:
        cells = self._cell_cache.get(row)
        if cells is None:
            if len(self._cell_cache) >= _CACHE_ROWS:
                self._cell_cache.clear()
            raw = self._cells(self._rows[row])
            cells = tuple(fit(c, w) for c, w in zip(raw, self._widths, strict=False))
            self._cell_cache[row] = cells
        return cells

    def _component_style(self, header: bool, hover: bool, cursor: bool) -> Style:
        """What hovering and the cursor add to a row's own style (as DataTable does)."""
        get = self.get_component_rich_style
        style = Style()
        if hover:
            style += get("virtual-table--hover")
            if header:
                style += get("virtual-table--header-hover")
        if cursor:
            style += get("virtual-table--cursor")
        return style

    def _row_segments(self, row: int) -> list[Segment]:
        """One row (or the header, HEADER) across the whole table plus the space after."""
        header = row == HEADER
        cursor = not header and row == self._cursor
        hover = self._show_hover and row == self._hover_row
        width = self.size.width
        key = (row, cursor, hover, width)
        segments = self._line_cache.get(key)
        if segments is not None:
            return segments
        if len(self._line_cache) >= _CACHE_ROWS:
            self._line_cache.clear()
        if header:
            row_style = self.get_component_styles("virtual-table--header").rich_style
            cells: Sequence[Text] = self._labels
        else:
            stripe = "virtual-table--odd-row" if row % 2 else "virtual-table--even-row"
            row_style = self.get_component_styles(stripe).rich_style
            cells = self._row_cells(row)
        component = self._component_style(header, hover, cursor)
        # The cursor's colour wins over the cell's own; its background does not.
        post = Style.from_color(color=component.color)
        console, options = self.app.console, self.app.console_options
        segments = []
        for column, (cell, cell_width) in enumerate(zip(cells, self._widths, strict=False)):
            pre = row_style + Style.from_meta({"row": row, "column": column}) + component
            segments.extend(cell_segments(console, options, cell, cell_width, pre, post))
        rest = max(0, width - self.table_width)
        meta = Style.from_meta({"row": row, "column": 0, "out_of_bounds": True})
        segments.append(Segment(" " * rest, row_style + component + meta))
        self._line_cache[key] = segments
        return segments

    def render_lines(self, crop: Region) -> list[Strip]:
        state = self.get_pseudo_class_state()
        if state != self._pseudo_state:  # focus or hover changed the styles
            self._pseudo_state = state
            self._line_cache.clear()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        row = HEADER if y == 0 else y - 1 + scroll_y
        base = self.rich_style
        if row >= len(self._rows) or not self._labels:
            return Strip.blank(width, base)
        strip = Strip(self._row_segments(row))
        return strip.crop(scroll_x, scroll_x + width).adjust_cell_length(width, base).simplify()

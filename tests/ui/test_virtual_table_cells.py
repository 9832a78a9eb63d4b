"""The virtual table draws a cell without Rich's layout pass (`cell_segments`): it must give
the segments Rich gives for the same cell (`rich_cell_segments`, DataTable's own way), once
both are simplified, for any text, style, width and cursor colour."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui_vault.ui.widgets.virtual_table import _rich_line, cell_segments, fit, rich_cell_segments

CONSOLE = Console(width=200, height=50, color_system="truecolor", legacy_windows=False)
OPTIONS = CONSOLE.options

PIECES = [
    "a", "secret-000123", " ", "  ", "名前", "🔑", "e\u0301", "…", "⏎", "␛]52", "x" * 40,
    "\\u202e", "ǅ", "ﾊ", "\u200d", "👩\u200d💻", "\t", "\n", "",
]  # fmt: skip
STYLES = ["", "bold", "dim", "italic dim", "yellow", "dim italic", "on red", "bold #ff0000"]
ROW_STYLES = [
    Style(),
    Style(bgcolor="#202020"),
    Style(color="#e0e0e0", bgcolor="#303030", bold=True),
]
CURSOR_COLOURS = [None, "#ffffff", "#000000"]


@st.composite
def cells(draw: st.DrawFn) -> Text:
    text = Text(
        "".join(draw(st.lists(st.sampled_from(PIECES), max_size=6))),
        style=draw(st.sampled_from(STYLES)),
    )
    for _ in range(draw(st.integers(0, 2))):  # spans, as a cell with markup would have
        start = draw(st.integers(0, len(text.plain)))
        end = draw(st.integers(start, len(text.plain)))
        text.stylize(draw(st.sampled_from(STYLES[1:])), start, end)
    return text


def simplified(segments: list) -> Strip:  # type: ignore[type-arg]
    return Strip(segments).simplify()


@settings(max_examples=1500, deadline=None)
@given(
    cell=cells(),
    width=st.integers(1, 45),
    row_style=st.sampled_from(ROW_STYLES),
    column=st.integers(0, 4),
    cursor=st.sampled_from(CURSOR_COLOURS),
    cut=st.booleans(),
)
def test_cells_are_drawn_as_rich_draws_them(
    cell: Text, width: int, row_style: Style, column: int, cursor: str | None, cut: bool
) -> None:
    if cut:  # what the table does to every body cell (headers are drawn as they are)
        cell = fit(cell, width)
    pre = row_style + Style.from_meta({"row": 3, "column": column})
    if cursor is not None:
        pre += Style(bgcolor="#0178d4", color=cursor, bold=True)
    post = Style.from_color(color=Style.parse(cursor).color if cursor else None)
    fast = simplified(cell_segments(CONSOLE, OPTIONS, cell, width, pre, post))
    slow = simplified(rich_cell_segments(CONSOLE, OPTIONS, cell, width, pre, post))
    assert list(fast) == list(slow)


@pytest.mark.parametrize("plain", ["\u200d\u200d名前", "\u200d\u200d🔑"])
def test_zero_width_joiners_that_break_rich_still_draw_a_cell_of_the_right_width(
    plain: str,
) -> None:
    # Rich itself raises (IndexError, ZeroDivisionError) cropping these into one cell, as it
    # would under a DataTable; the table must still draw a cell of the width it was given.
    with pytest.raises((IndexError, ZeroDivisionError)):
        _rich_line(CONSOLE, OPTIONS, Text(plain), 1, Style(), Style())
    for width in (1, 2, 3, 10):
        line = Strip(rich_cell_segments(CONSOLE, OPTIONS, Text(plain), width, Style(), Style()))
        assert line.cell_length == width + 2
    narrow = Strip(rich_cell_segments(CONSOLE, OPTIONS, Text(plain), 1, Style(), Style()))
    assert "\u200d" not in narrow.text

"""Textual's TextArea with its editing keys run in typing order (see ui/key_order.py), and
drawn without the characters a terminal would obey.

A module of its own: TextArea is a large import that the unlock screen does not need."""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.strip import Strip
from textual.widgets import TextArea as TextualTextArea

from tui_vault.core.display import needs_escape, visible
from tui_vault.ui.key_order import run_own_binding


def drawable(text: str) -> str:
    """`text` as a terminal may be sent it: each character `visible()` would replace is
    left out (Rich gives controls and format characters no width, so the line keeps its
    columns and the cursor its place) or, if it takes cells, drawn as that many U+FFFD."""
    if visible(text) == text:
        return text
    return "".join(
        ("\ufffd" * cell_len(ch) if cell_len(ch) else "") if needs_escape(ch) else ch for ch in text
    )


# What a masked character is drawn as, by the cells it takes: the line keeps its columns, so
# the cursor, the selection and soft wrapping stay where they are (a tab stays a tab).
_MASK = {0: "\u200b", 1: "•", 2: "\uff0a"}


def masked(line: str) -> str:
    """`line` with every character but tabs drawn as a mask of the same width."""
    return "".join(ch if ch == "\t" else _MASK.get(cell_len(ch), "•") for ch in line)


class TextArea(TextualTextArea):
    """A text area whose lines reach the terminal without ESC, C1 controls, bidi overrides
    or other characters `visible()` replaces (DESIGN.md §7): TextArea draws a document's
    text as it is, so a pasted or loaded `ESC ] 52 ; c ; …` set the terminal's clipboard
    at every repaint. The text itself is not changed: what is typed, pasted or loaded is
    what `text` gives back.

    `masked`: every character drawn as a bullet (a secret value over a shared screen, as
    the one-line value field's password mode); the text, the cursor and editing as usual."""

    def __init__(self, *args: object, masked: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._masked = masked

    @property
    def masked(self) -> bool:
        return self._masked

    @masked.setter
    def masked(self, value: bool) -> None:
        self._masked = value
        # TextArea keeps its drawn lines by what they hold and where the cursor is, not by
        # this: a style update drops them (only the cursor's line was drawn anew).
        self.notify_style_update()
        self.refresh()

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if self._masked:
            line.plain = masked(line.plain)
        return line

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls the base class's _on_key next, unless a binding ran here.
        await run_own_binding(self, event)

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if all(seg.control or visible(seg.text) == seg.text for seg in segments):
            return strip
        return Strip(
            [
                seg if seg.control else Segment(drawable(seg.text), seg.style, seg.control)
                for seg in segments
            ],
            strip.cell_length,
        )

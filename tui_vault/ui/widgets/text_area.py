"""Textual's TextArea with its editing keys run in typing order (see ui/key_order.py), and
drawn without the characters a terminal would obey.

A module of its own: TextArea is a large import that the unlock screen does not need."""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
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


class TextArea(TextualTextArea):
    """A text area whose lines reach the terminal without ESC, C1 controls, bidi overrides
    or other characters `visible()` replaces (DESIGN.md §7): TextArea draws a document's
    text as it is, so a pasted or loaded `ESC ] 52 ; c ; …` set the terminal's clipboard
    at every repaint. The text itself is not changed: what is typed, pasted or loaded is
    what `text` gives back."""

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

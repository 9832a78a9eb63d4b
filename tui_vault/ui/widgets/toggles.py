"""Textual's Checkbox and RadioButton, their labels wrapped in a narrow pane instead of cut.

Textual draws a toggle's label on one line and ends it with "…" where the pane is too
narrow, so at 56 columns "Encrypted with a password (Argon2id + AES-256-GCM)" lost what
it says. These wrap the label at word boundaries, each further line indented to start
under the first line's text (not under the button), and ask for as many lines as that
takes. Wide enough, they draw exactly what Textual's do.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Checkbox as TextualCheckbox
from textual.widgets import RadioButton as TextualRadioButton
from textual.widgets._toggle_button import ToggleButton

__all__ = ["Checkbox", "RadioButton", "wrapped_toggle"]

_PAD = 1  # Textual pads the label by one cell on each side


def _label_lines(label: Content, width: int) -> list[Content]:
    """The label wrapped into lines of at most `width` cells (one line if it fits)."""
    if label.cell_length <= width or width < 1:
        return [label]
    return label.wrap(width) or [label]


def wrapped_toggle(toggle: ToggleButton, width: int) -> Content:
    """What `toggle` draws in `width` cells: Textual's rendering when the label fits, else
    the label wrapped, its later lines indented under its first."""
    button = toggle._button
    lead = button.cell_length + _PAD
    lines = _label_lines(toggle._label, width - lead - _PAD)
    if len(lines) == 1:
        return ToggleButton.render(toggle)
    label_style = toggle.get_visual_style("toggle--label")
    pieces: list[Content] = []
    for i, line in enumerate(lines):
        text = line.rstrip().pad(_PAD, _PAD).stylize_before(label_style)
        pieces.append(Content.assemble(button if i == 0 else " " * button.cell_length, text))
    return Content("\n").join(pieces)


class WrappingToggle(ToggleButton):
    """A toggle button (button first) whose label wraps where the pane is too narrow."""

    DEFAULT_CSS = """
    WrappingToggle { max-width: 100%; }
    """

    def render(self) -> Content:
        if not self._button_first:
            return ToggleButton.render(self)
        return wrapped_toggle(self, self.content_region.width or self.size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not self._button_first:
            return 1  # drawn as Textual draws it (above): one line
        lead = self._button.cell_length + _PAD
        return len(_label_lines(self._label, width - lead - _PAD))


class Checkbox(WrappingToggle, TextualCheckbox):
    """Textual's Checkbox; its label wraps in a narrow pane."""


class RadioButton(WrappingToggle, TextualRadioButton):
    """Textual's RadioButton; its label wraps in a narrow pane."""

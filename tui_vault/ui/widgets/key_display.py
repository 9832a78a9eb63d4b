"""The vault key, grouped and large enough to copy by eye."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def key_lines(key_text: str, groups_per_line: int = 4) -> list[str]:
    """TV1 and the eleven groups, four to a line."""
    groups = key_text.split("-")
    return [
        "   ".join(" ".join(g) for g in groups[i : i + groups_per_line])
        for i in range(0, len(groups), groups_per_line)
    ]


class KeyDisplay(Static):
    """Shows a vault key in big, spaced groups. Never logged, never in a notification."""

    DEFAULT_CSS = """
    KeyDisplay {
        width: auto;
        height: auto;
        padding: 0 3;
        border: round $accent;
        background: $boost;
        text-style: bold;
        content-align: center middle;
    }
    """

    def __init__(self, key_text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key_text = key_text

    def render(self) -> Text:
        return Text("\n".join(key_lines(self.key_text)), justify="left")

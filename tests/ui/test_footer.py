"""The footer (ui/widgets/footer.py): one widget drawing the screen's keys.

- It draws the very cells Textual's compact Footer draws for the same bindings (text and
  style of every cell), in the default theme, a light one, an ANSI one and nord.
- A click runs the key; a click on a disabled key rings the bell and runs nothing.
- The key under the pointer is highlighted as FooterKey's :hover is, and shows its tooltip.
- It follows the bindings (focus changes) by repainting, without mounting anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import pairwise
from typing import Any

import pytest
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Button, Footer, Input

from tui_vault.ui.widgets.footer import VaultFooter


class Keys(App[None]):
    """Three keys (one disabled, one with a tooltip), an Input and a Button to focus."""

    BINDINGS = [
        Binding("ctrl+g", "go", "Go", tooltip="Goes"),
        Binding("ctrl+s", "stop", "Stop", tooltip="Stops it"),
        Binding("question_mark", "help", "Help"),
        Binding("ctrl+h", "hidden", "Hidden", show=False),
    ]

    def __init__(self, footer: str = "vault") -> None:
        super().__init__()
        self.footer = footer
        self.went = 0
        self.stopped = 0
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield Input(id="field")
        yield Button("A button", id="button")
        yield VaultFooter() if self.footer == "vault" else Footer(compact=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "stop" else True  # None: shown, but disabled

    def action_go(self) -> None:
        self.went += 1

    def action_stop(self) -> None:
        self.stopped += 1

    def bell(self) -> None:
        self.bells += 1


@asynccontextmanager
async def running(app: Keys) -> AsyncIterator[tuple[Pilot[None], VaultFooter]]:
    """The app running at 90x10, drawn once: its pilot and its footer."""
    async with app.run_test(size=(90, 10)) as pilot:
        await pilot.pause()
        yield pilot, app.screen.query_one(VaultFooter)


def last_line(app: App[Any]) -> Strip:
    return app.screen._compositor.render_strips()[-1]


def cells(strip: Strip) -> list[tuple[str, str]]:
    """Each cell's character and style, so that two strips that split their segments
    differently but show the same thing compare equal."""
    out = []
    for segment in strip:
        text, style, _ = segment
        out.extend((ch, str(style)) for ch in text)
    return out


def text(strip: Strip) -> str:
    return "".join(s.text for s in strip)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light", "ansi-dark", "nord"])
@pytest.mark.parametrize("focus", ["field", "button"])
async def test_it_draws_the_cells_textuals_footer_draws(theme: str, focus: str) -> None:
    drawn = []
    for kind in ("textual", "vault"):
        app = Keys(footer=kind)
        async with app.run_test(size=(90, 10)) as pilot:
            await pilot.pause()  # drawn once in the default theme: the switch must redraw
            app.theme = theme
            app.screen.query_one(f"#{focus}").focus()
            await pilot.pause(0.1)
            await pilot.pause()
            drawn.append(last_line(app))
    theirs, ours = drawn
    assert "^g Go" in text(ours) and "palette" in text(ours)
    assert ("? Help" in text(ours)) == (focus == "button")  # the Input takes "?" itself
    assert cells(ours) == cells(theirs)


async def test_a_click_runs_the_key_and_a_disabled_key_rings_the_bell() -> None:
    app = Keys()
    async with running(app) as (pilot, footer):
        shown = footer.shown_actions()
        go, stop = shown["go"], shown["stop"]
        await pilot.click(VaultFooter, offset=(go[0] + 1, 0))
        await pilot.pause()
        assert (app.went, app.bells) == (1, 0)
        await pilot.click(VaultFooter, offset=(stop[0], 0))
        await pilot.pause()
        assert (app.stopped, app.bells) == (0, 1)
        # Between two keys (a margin) a click does nothing.
        await pilot.click(VaultFooter, offset=(go[1], 0))
        await pilot.pause()
        assert (app.went, app.stopped, app.bells) == (1, 0, 1)


async def test_the_key_under_the_pointer_is_highlighted_and_shows_its_tooltip() -> None:
    app = Keys()
    async with running(app) as (pilot, footer):
        stop = footer.shown_actions()["stop"]
        before = cells(last_line(app))
        await pilot.hover(VaultFooter, offset=(stop[0] + 1, 0))
        await pilot.pause()
        assert footer.tooltip == "Stops it"
        after = cells(last_line(app))
        changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert changed == list(range(*stop))  # that key's cells, and only those
        await pilot.hover(Input)  # the pointer leaves the footer
        await pilot.pause()
        assert footer.tooltip is None
        assert cells(last_line(app)) == before


async def test_a_disabled_key_is_dim() -> None:
    app = Keys()
    async with running(app) as (_, footer):
        shown = footer.shown_actions()
        line = cells(last_line(app))
        assert all("dim" in style for _, style in line[slice(*shown["stop"])])
        assert not any("dim" in style for _, style in line[slice(*shown["go"])])


async def test_it_follows_the_bindings_by_repainting_only() -> None:
    app = Keys()
    async with running(app) as (pilot, footer):
        assert "help" not in footer.shown_actions()  # the Input has focus
        widgets = len(app.screen.query("*"))
        app.screen.query_one(Button).focus()
        await pilot.pause(0.05)
        await pilot.pause()
        assert "help" in footer.shown_actions()
        assert len(app.screen.query("*")) == widgets  # nothing mounted
        assert not footer.children


async def test_keys_that_do_not_fit_give_way_to_help_and_quit() -> None:
    class Many(Keys):
        BINDINGS = [
            *[Binding(f"f{i}", f"go{i}", f"Something {i}") for i in range(1, 10)],
            Binding("f10", "help", "Help"),
        ]

    app = Many()
    async with app.run_test(size=(40, 10)) as pilot:
        app.screen.query_one(Button).focus()
        await pilot.pause(0.05)
        footer = app.screen.query_one(VaultFooter)
        shown = footer.shown_actions()
        assert {"help", "command_palette"} <= set(shown)
        assert all(end <= 40 for _, end in shown.values())
        spans = sorted(shown.values())
        assert all(a[1] < b[0] for a, b in pairwise(spans))  # no overlap


def test_cells_sees_a_different_style() -> None:
    """The comparison above can fail: same text in another style is a difference."""
    from rich.style import Style

    a = Strip([Segment("ab", Style(bold=True))])
    b = Strip([Segment("a", Style(bold=True)), Segment("b", Style(bold=True))])
    c = Strip([Segment("ab", Style(dim=True))])
    assert cells(a) == cells(b)
    assert cells(a) != cells(c)

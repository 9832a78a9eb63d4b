"""The virtual table (ui/widgets/virtual_table.py) on its own and as the secrets table: the
cursor at the edges, scrolling, paging, mouse clicks and the wheel, and that a long list
costs only the rows on screen."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from tests.ui.conftest import VaultEnv, wait_until
from tui_vault.core.model import Secret
from tui_vault.ui.screens.secret_form import SecretForm
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.widgets.virtual_table import VirtualTable


class TableApp(App[None]):
    """One table of `rows` numbered rows; counts the rows whose cells were asked for."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.count = rows
        self.asked: set[int] = set()
        self.messages: list[Any] = []

    def cells(self, row: int) -> tuple[Text, ...]:
        self.asked.add(row)
        return (Text(f"row-{row}"), Text("x" * 30))

    def compose(self) -> ComposeResult:
        yield VirtualTable[int](key=lambda r: f"row-{r}", cells=self.cells, id="t")

    def on_mount(self) -> None:
        table = self.table
        table.set_columns(["Name", "Other"], [12, 8])
        table.set_rows(range(self.count))
        table.focus()

    @property
    def table(self) -> VirtualTable[int]:
        return self.query_one("#t", VirtualTable)

    def on_virtual_table_row_highlighted(self, event: VirtualTable.RowHighlighted) -> None:
        self.messages.append(("highlighted", event.cursor_row, event.key))

    def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        self.messages.append(("selected", event.cursor_row, event.key))

    def on_virtual_table_header_selected(self, event: VirtualTable.HeaderSelected) -> None:
        self.messages.append(("header", event.column_index))


def line_text(table: VirtualTable[Any], y: int) -> str:
    return table.render_line(y).text


async def test_cursor_stays_inside_at_both_edges() -> None:
    app = TableApp(30)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        assert table.cursor_row == 0 and table.cursor_key == "row-0"
        await pilot.press("up", "pageup", "home")  # nothing above the first row
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 29 and table.cursor_key == "row-29"
        await pilot.press("down", "pagedown")  # nothing below the last one
        await pilot.pause()
        assert table.cursor_row == 29
        assert 29 in table.visible_rows()
        assert table.scroll_y == table.max_scroll_y
        await pilot.press("ctrl+home")
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0


async def test_moving_below_the_screen_scrolls_and_the_header_stays() -> None:
    app = TableApp(100)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        shown = len(table.visible_rows())  # 12 lines less the header
        assert shown == 11
        for _ in range(15):
            await pilot.press("down")
        await pilot.pause()
        assert table.cursor_row == 15
        assert 15 in table.visible_rows() and 0 not in table.visible_rows()
        assert table.scroll_y == 15 - shown + 1  # just enough to show the cursor's row
        assert line_text(table, 0).split() == ["Name", "Other"]  # the header did not scroll
        assert "row-15" in line_text(table, shown)  # the cursor row is the last line
        await pilot.press("pagedown")
        await pilot.pause()
        assert table.cursor_row == 15 + shown
        assert table.cursor_row in table.visible_rows()
        await pilot.press("pageup")
        await pilot.pause()
        assert table.cursor_row == 15
        assert ("highlighted", 15, "row-15") in app.messages


async def test_a_long_list_scrolls_to_its_end_drawing_only_what_is_shown() -> None:
    app = TableApp(100_000)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        await pilot.pause()
        assert table.virtual_size.height == 100_001  # a header line and one per row
        assert len(app.asked) <= 20  # one screenful asked for, not 100,000 rows
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 99_999 and table.cursor_key == "row-99999"
        assert table.scroll_y == table.max_scroll_y
        assert "row-99999" in line_text(table, 11)
        assert len(app.asked) <= 40
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0


async def test_click_selects_a_row_and_a_second_click_opens_it() -> None:
    app = TableApp(30)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        await pilot.click("#t", offset=(3, 4))  # line 4: the header, then rows 0, 1, 2, 3
        await pilot.pause()
        assert table.cursor_row == 3
        assert ("highlighted", 3, "row-3") in app.messages
        assert not [m for m in app.messages if m[0] == "selected"]
        await pilot.click("#t", offset=(30, 4))  # the same row, another column
        await pilot.pause()
        assert ("selected", 3, "row-3") in app.messages
        await pilot.click("#t", offset=(20, 0))  # the second column's header
        await pilot.pause()
        assert ("header", 1) in app.messages
        assert table.cursor_row == 3  # a header click does not move the cursor


async def test_enter_selects_and_the_wheel_scrolls() -> None:
    app = TableApp(100)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        await pilot.press("down", "enter")
        await pilot.pause()
        assert ("selected", 1, "row-1") in app.messages
        for _ in range(2):  # the wheel, as the driver reports it (Pilot has no helper)
            table.post_message(events.MouseScrollDown(table, 3, 3, 0, 1, 0, False, False, False))
        await pilot.pause()
        assert table.scroll_y > 0
        assert table.cursor_row == 1  # the wheel scrolls; it does not move the cursor


async def test_new_rows_keep_the_cursor_in_range_and_post_the_new_row() -> None:
    app = TableApp(50)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        table.move_cursor(40)
        await pilot.pause()
        table.set_rows(range(5), cursor=40)  # fewer rows than the cursor's place
        await pilot.pause()
        assert table.cursor_row == 4 and table.cursor_key == "row-4"
        assert app.messages[-1] == ("highlighted", 4, "row-4")
        assert table.scroll_y == 0 and 4 in table.visible_rows()
        table.set_rows([])
        await pilot.pause()
        assert table.row_count == 0 and table.cursor_key is None
        assert line_text(table, 0).split() == ["Name", "Other"]
        assert line_text(table, 1).strip() == ""
        await pilot.press("enter", "down", "end")  # nothing to select or move to
        assert not [m for m in app.messages if m[0] == "selected"]


async def test_the_cursor_row_is_styled_by_focus() -> None:
    app = TableApp(5)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        focused = table.render_line(1)
        table.blur()
        await pilot.pause()
        blurred = table.render_line(1)
        assert focused.text == blurred.text
        assert focused != blurred  # the cursor's colours follow the focus
        other = table.render_line(2)
        table.refresh_rows()
        assert table.render_line(2) == other  # zebra stripes stay the same
        assert table.render_line(2) != table.render_line(3)
        await pilot.hover("#t", offset=(3, 3))  # row 2 under the mouse
        await pilot.pause()
        assert table.render_line(3).text == other.text.replace("row-1", "row-2")
        assert table.render_line(3) != table.render_line(5)  # hover colours, unlike row 4


# ---------------------------------------------------------------------- as the secrets table


def secrets_table(app: Any) -> VirtualTable[Secret]:
    return app.screen.query_one("#table", VirtualTable)


async def test_filter_that_drops_the_selected_row_selects_the_first_match(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add_many([Secret(f"s{i:03d}", "v") for i in range(60)])
    async with unlocked_app() as (app, pilot):
        table = secrets_table(app)
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        screen.jump_to("s055")
        await pilot.pause()
        assert table.cursor_row == 55 and table.scroll_y > 0
        await pilot.press("slash", "0", "0")  # s000 … s009: s055 is gone
        await wait_until(pilot, lambda: table.row_count == 10)
        assert screen.selected_name() == "s000" and table.cursor_row == 0
        assert table.scroll_y == 0 and 0 in table.visible_rows()
        await pilot.press("escape")  # back to every secret; the cursor stays on s000
        await wait_until(pilot, lambda: table.row_count == 60)
        assert screen.selected_name() == "s000"


async def test_sort_keeps_the_selected_secret_under_the_cursor(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add_many([Secret(f"s{i:02d}", "" if i % 3 == 0 else "v") for i in range(40)])
    async with unlocked_app() as (app, pilot):
        table = secrets_table(app)
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        screen.jump_to("s31")
        await pilot.pause()
        await pilot.press("o")  # by Value: the empty ones apart
        await pilot.pause()
        names = [table.row_key(r) for r in range(table.row_count)]
        assert sorted(names) == [f"s{i:02d}" for i in range(40)]
        filled = [f"s{i:02d}" for i in range(40) if i % 3]
        assert names[: len(filled)] == filled  # with a value first, in name order
        assert screen.selected_name() == "s31"
        assert table.cursor_row == names.index("s31")
        assert table.cursor_row in table.visible_rows()


async def test_clicking_a_secret_selects_it_and_clicking_again_edits_it(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add_many([Secret(n, "v") for n in ("alpha", "beta", "gamma")])
    async with unlocked_app() as (app, pilot):
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        await pilot.click("#table", offset=(3, 2))  # header, alpha, beta
        await pilot.pause()
        assert screen.selected_name() == "beta"
        assert isinstance(app.screen, SecretsScreen)
        await pilot.click("#table", offset=(3, 2))
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))


async def test_hostile_values_are_drawn_escaped(unlocked_app: Any, vault_env: VaultEnv) -> None:
    hostile = "ok\x1b]52;c;ZXZpbA==\x07\u202eend"
    vault_env.open().add(Secret("evil", hostile))
    async with unlocked_app() as (app, pilot):
        await pilot.press("r")
        await pilot.pause()
        table = secrets_table(app)
        drawn = "".join(table.render_line(y).text for y in range(3))
        assert "\x1b" not in drawn and "\x07" not in drawn and "\u202e" not in drawn
        assert "␛]52" in drawn and "\\u202e" in drawn
        detail = str(app.screen.query_one("#detail", Static).render())
        assert "\x1b" not in detail and "␛]52" in detail


async def test_every_match_is_reachable_in_a_big_vault(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add_many([Secret(f"k{i:05d}", "v") for i in range(3000)])
    async with unlocked_app() as (app, pilot):
        table = secrets_table(app)
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        assert table.row_count == 3000
        screen.query_one("#filter", Input).value = "9"
        await wait_until(pilot, lambda: table.row_count < 3000)
        matches = [f"k{i:05d}" for i in range(3000) if "9" in f"k{i:05d}"]
        assert table.row_count == len(matches)
        table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert screen.selected_name() == matches[-1]
        assert table.cursor_row in table.visible_rows()
        assert matches[-1] in "".join(table.render_line(y).text for y in range(table.size.height))


async def test_a_hidden_table_waits_for_its_size_without_keeping_the_app_busy() -> None:
    # Rows set while the table is hidden (an empty vault shows its welcome instead): the
    # cursor is scrolled into view when the table is shown, and meanwhile nothing is asked
    # again after every refresh (that kept the screen from ever being idle: each key typed
    # in a dialog above it waited for an idle that never came).
    app = TableApp(0)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        table.display = False
        await pilot.pause()
        calls: list[int] = []
        original = table._scroll_cursor_into_view

        def counted(animate: bool = False) -> None:
            calls.append(table.size.height)
            original(animate)

        table._scroll_cursor_into_view = counted  # type: ignore[method-assign]
        table.set_rows(range(300), cursor=250)
        for _ in range(5):
            await pilot.pause()
        assert calls == [0]  # once, from set_rows: not again on every refresh
        table.display = True
        await wait_until(pilot, lambda: table.scroll_y > 0)
        assert calls[1:] and calls[-1] > 0
        top = int(table.scroll_y)
        assert top < 250 + 1 <= top + table.scrollable_content_region.height
        assert "row-250" in "".join(line_text(table, y) for y in range(table.size.height))

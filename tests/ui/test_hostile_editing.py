"""Values and pasted text holding what a terminal obeys (ESC ] 52 sets its clipboard, ESC ] 0
its title, U+009B starts a control sequence, U+202E reverses text) never reach the terminal
from the editors (DESIGN.md §7): the secret form keeps such a value in its masked field, and
every text area draws its lines without those characters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.events import Paste
from textual.widgets import Button, Input, Static
from textual.widgets import TextArea as TextualTextArea

from tests.ui.conftest import VaultEnv, opened, wait_until
from tui_vault.core.display import visible
from tui_vault.core.model import Secret
from tui_vault.ui.screens.secret_form import BulkAddForm, SecretForm
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.widgets.text_area import TextArea, drawable, masked

OSC52 = "\x1b]52;c;SGVsbG8gcHduZWQ=\x07"
HOSTILE = [
    f"l1\n{OSC52}l2",
    "title\x1b]0;PWNED\x1b\\x",
    "st\x1b]52;c;SGVsbG8=\x1b\\tail",
    "c1\x9b2Jx",
    "rtl\u202eabc",
    "zero\u200bwidth\ufeff",
]


@pytest.mark.parametrize("text", [*HOSTILE, "plain", "wide 名前 🔑", "e\u0301", "tab\there"])
def test_drawable_text_keeps_its_columns_and_nothing_a_terminal_obeys(text: str) -> None:
    drawn = drawable(text)
    assert cell_len(drawn) == cell_len(text)
    assert visible(drawn) == drawn or "\t" in text
    if visible(text) == text:
        assert drawn == text


def form_error(form: SecretForm) -> str:
    return str(form.query_one("#form-error", Static).render())


async def saved_exactly(pilot: Any, vault_env: VaultEnv, name: str, value: str) -> None:
    """The form saves (ctrl+s), closes, and the vault holds `value` byte for byte."""
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SecretsScreen))
    assert vault_env.open().get(name).value == value


@pytest.mark.parametrize("value", HOSTILE[:3])
async def test_a_value_with_escapes_is_edited_masked_and_kept_as_it_is(
    unlocked_app: Any, vault_env: VaultEnv, value: str
) -> None:
    """A value with line breaks opens in the multi-line box, unless it holds other control
    characters: then it stays in the masked field (the box would show them), Multi-line
    refuses to show it, and saving the form keeps it byte for byte."""
    vault_env.open().add(Secret("osc", value))
    async with unlocked_app() as (_app, pilot):
        form = await opened(pilot, "e", SecretForm)
        await pilot.pause()
        assert not form.has_class("-multiline")
        field = form.query_one("#value", Input)
        assert field.password and field.value == value
        assert "not shown here" in form_error(form)
        form.query_one("#multiline", Button).press()
        await pilot.pause()
        assert not form.has_class("-multiline") and field.password
        await saved_exactly(pilot, vault_env, "osc", value)


async def test_a_pasted_text_with_escapes_stays_in_the_masked_field(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    pasted = f"first\n{OSC52}second"
    async with unlocked_app() as (_app, pilot):
        form = await opened(pilot, "a", SecretForm)
        form.query_one("#name", Input).value = "pasted"
        field = form.query_one("#value", Input)
        field.focus()
        await pilot.pause()
        field.post_message(Paste(pasted))
        await pilot.pause()
        assert not form.has_class("-multiline") and field.password
        assert field.value == pasted and "not shown here" in form_error(form)
        await saved_exactly(pilot, vault_env, "pasted", pasted)


@pytest.mark.parametrize("value", ["-----BEGIN-----\n\tAAAA\r\n-----END-----", "l1\rl2"])
async def test_line_breaks_and_tabs_alone_open_the_multi_line_box(
    unlocked_app: Any, vault_env: VaultEnv, value: str
) -> None:
    """A value with line breaks (a lone \r too) and tabs, and nothing else a terminal
    would obey, is edited in the multi-line box, which has the focus."""
    vault_env.open().add(Secret("pem", value))
    async with unlocked_app() as (app, pilot):
        form = await opened(pilot, "e", SecretForm)
        area = form.query_one("#value-area", TextArea)
        await wait_until(pilot, lambda: app.focused is area)
        assert form.has_class("-multiline") and "not shown" not in form_error(form)
        assert not form.query_one("#value-row").display


async def test_a_text_area_never_draws_what_a_terminal_obeys(unlocked_app: Any) -> None:
    """Bulk add's lines hold what was pasted, escapes and all; what is drawn has none of
    them, and each line keeps the area's width."""
    text = "\n".join(f"K{i}={h}" for i, h in enumerate(HOSTILE))
    async with unlocked_app() as (_app, pilot):
        form = await opened(pilot, "b", BulkAddForm)
        area = form.query_one("#lines", TextArea)
        area.text = text
        await pilot.pause()
        assert area.text == text  # the text itself is not changed
        lines = [area.render_line(y) for y in range(area.size.height)]
        drawn = "".join(seg.text for line in lines for seg in line if not seg.control)
        assert "]52;c;" in drawn  # the lines are there...
        assert visible(drawn) == drawn  # ...without one character a terminal obeys
        raw = [TextualTextArea.render_line(area, y) for y in range(area.size.height)]
        assert [line.cell_length for line in lines] == [line.cell_length for line in raw]
        assert all(sum(cell_len(s.text) for s in line if not s.control) == line.cell_length
                   for line in lines)  # fmt: skip
        assert any(visible(s.text) != s.text for line in raw for s in line)  # (it had some)


def test_a_missing_key_file_is_called_missing(tmp_path: Path) -> None:
    from tui_vault.ui.screens.unlock import _key_file_missing

    (tmp_path / "key.txt").write_text("TV1-x\n")
    assert _key_file_missing(tmp_path / "key.txt") is None
    assert _key_file_missing(tmp_path / "nope.txt") == f"No such file: {tmp_path / 'nope.txt'}"
    assert "is a folder" in (_key_file_missing(tmp_path) or "")
    assert "\x1b" not in (_key_file_missing(tmp_path / "a\x1b]0;t\x07b") or "")


@pytest.mark.parametrize("line", ["BEGIN KEY", "wide 名前 🔑 e\u0301", "tab\there", ""])
def test_a_masked_line_keeps_every_column(line: str) -> None:
    shown = masked(line)
    assert len(shown) == len(line) and cell_len(shown) == cell_len(line)
    assert [cell_len(a) for a in shown] == [cell_len(b) for b in line]  # char by char
    assert not set(shown) - {"•", "\uff0a", "\u200b", "\t"}


async def test_the_multi_line_box_is_masked_until_shown(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    """As the one-line field's password mode: the value's lines are bullets, ctrl+t shows
    and hides them, and editing works either way."""
    pem = "-----BEGIN KEY-----\nAAAA\n-----END KEY-----"
    vault_env.open().add(Secret("pem", pem))
    async with unlocked_app() as (app, pilot):
        form = await opened(pilot, "e", SecretForm)
        area = form.query_one("#value-area", TextArea)
        await wait_until(pilot, lambda: app.focused is area)

        def drawn() -> str:  # what the screen shows (the area keeps its drawn lines)
            return app.export_screenshot().replace("&#160;", " ")

        def every_line_shown() -> bool:  # the cursor's line and the others (kept drawn)
            return all(part in drawn() for part in ("BEGIN", "AAAA", "END"))

        assert area.masked and "BEGIN" not in drawn() and "AAAA" not in drawn()
        await pilot.press("ctrl+t")
        await wait_until(pilot, every_line_shown)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: not any(p in drawn() for p in ("BEGIN", "AAAA", "END")))
        area.move_cursor(area.document.end)
        await pilot.press("x")  # typed into the masked box: the text takes it
        await wait_until(pilot, lambda: area.text == pem + "x")
        assert "AAAAx" not in drawn()
        await saved_exactly(pilot, vault_env, "pem", pem + "x")

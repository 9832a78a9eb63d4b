"""Keys read together from the terminal (a paste, fast typing over SSH) are queued at once.

A key that opens a dialog and the keys after it arrive before the dialog has mounted its
fields: they must land in the dialog's first field, in order, not be lost or reach the
screen underneath."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandInput, CommandPalette
from textual.events import Key
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea

import tui_vault.ui
from tests.ui.conftest import VaultEnv, keys_in_one_read, opened, typed, wait_until
from tui_vault.core.model import Secret
from tui_vault.ui.key_order import binding_chain
from tui_vault.ui.screens.dialogs import ConfirmDialog, PathDialog, TypedConfirmDialog
from tui_vault.ui.screens.export_dialog import DEFAULT_EXPORT_PATH, ExportDialog
from tui_vault.ui.screens.import_dialog import ImportDialog
from tui_vault.ui.screens.link import LinkDialog
from tui_vault.ui.screens.secret_form import BulkAddForm, SecretForm
from tui_vault.ui.screens.secrets import SecretsScreen


async def test_add_and_a_name_read_in_one_batch_keep_every_letter(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("alpha", "v1"))
    async with unlocked_app() as (app, pilot):
        assert isinstance(app.screen, SecretsScreen)
        keys_in_one_read(app, ("a", "a"), *typed("xyz-db_1"))
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        form = app.screen
        await wait_until(pilot, lambda: form.query_one("#name", Input).value == "xyz-db_1")
        assert app.focused is form.query_one("#name", Input)
        # Typing goes on in the field as usual, after the replayed letters.
        await pilot.press("2")
        assert form.query_one("#name", Input).value == "xyz-db_12"


async def test_a_burst_with_escape_closes_the_dialog_it_opened(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    # "a", "q", Escape in one read: the dialog opens, gets "q", then its Escape asks before
    # dropping the "q"; nothing is added and the Escape does not leak to the screen below.
    # "a", Escape: nothing typed, the dialog closes at once.
    vault_env.open().add(Secret("alpha", "v1"))
    async with unlocked_app() as (app, pilot):
        keys_in_one_read(app, ("a", "a"), ("q", "q"), ("escape", None))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("tab", "enter")  # Discard
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        keys_in_one_read(app, ("a", "a"), ("escape", None))
        await pilot.pause()
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.pause()
        assert isinstance(app.screen, SecretsScreen)
        assert list(vault_env.open().data.secrets) == ["alpha"]


async def form_filled(pilot: Any, name: str, value: str, timeout: float = 15.0) -> None:
    """The Add/Edit form opens, its value field comes to `value` and has the focus, and its
    name field holds `name`."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SecretForm))
    form = pilot.app.screen
    field = form.query_one("#value", Input)
    await wait_until(pilot, lambda: field.value == value, timeout)
    await pilot.pause()
    assert form.query_one("#name", Input).value == name
    assert pilot.app.focused is field


async def test_add_name_tab_value_in_one_read_fill_both_fields(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    # The Tab is read while the table's screen is still showing: it waits for the `a`
    # before it (ui/app.py, keys held), so it moves the focus in the form, not to the
    # filter underneath, and the value typed after it lands in the value field.
    vault_env.open().add(Secret("alpha", "v1"))
    async with unlocked_app() as (app, pilot):
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        keys_in_one_read(app, ("a", "a"), *typed("nm"), ("tab", None), *typed("vv"))
        await form_filled(pilot, "nm", "vv")
        assert screen.query_one("#filter", Input).value == ""


async def test_add_a_paste_tab_and_a_value_in_one_read(unlocked_app: Any) -> None:
    # A paste read behind the `a` waits with the keys: it lands in the name, not the
    # filter, and the Tab and value after it keep their order.
    from textual.events import Paste

    async with unlocked_app() as (app, pilot):
        assert app._driver is not None
        keys_in_one_read(app, ("a", "a"))
        paste = Paste("pasted-name")
        paste.set_sender(app)
        app._driver.send_message(paste)
        keys_in_one_read(app, ("tab", None), *typed("xy"))
        await form_filled(pilot, "pasted-name", "xy", timeout=5)
        assert not app._held


async def test_edit_and_typing_in_one_read_go_to_the_value(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    # Edit puts the focus on the value: keys read with `e` go there, not to the name.
    vault_env.open().add(Secret("alpha", "v1"))
    async with unlocked_app() as (app, pilot):
        keys_in_one_read(app, ("e", "e"), *typed("23"))
        await form_filled(pilot, "alpha", "v123")


async def test_a_select_opened_moved_and_chosen_in_one_read(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    # Enter opens the list (its binding runs when the key comes back), Down and Enter wait
    # for it, then move in the list and choose: the next provider, the list closed.
    vault_env.open().add(Secret("local", "x"))
    async with unlocked_app() as (app, pilot):
        dialog = await opened(pilot, "l", LinkDialog)
        provider = dialog.query_one("#link-provider", Select)
        await wait_until(pilot, lambda: app.focused is provider)
        assert provider.value == "hashicorp"
        await burst_gives(
            pilot,
            [("enter", None), ("down", None), ("enter", None)],
            lambda: (provider.value, provider.expanded),
            ("aws", False),
        )
        assert app.focused is provider


async def name_field_taken_for_one_giving_keys_back(
    pilot: Any, monkeypatch: pytest.MonkeyPatch, hold_seconds: float
) -> Input:
    """The Add form's name field, focused, which the app now takes for a widget that gives
    keys back (so each key sent to it is awaited, and never comes back)."""
    import tui_vault.ui.app as app_module

    form = await opened(pilot, "a", SecretForm)
    name = form.query_one("#name", Input)
    await wait_until(pilot, lambda: pilot.app.focused is name)
    monkeypatch.setattr(app_module, "gives_keys_back", lambda node: True)
    monkeypatch.setattr(pilot.app, "HOLD_SECONDS", hold_seconds)
    return name


async def test_keys_held_for_a_key_that_never_comes_back_go_on(
    unlocked_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A key expected back that a widget keeps (here: the name field, taken for one that
    # gives keys back) must not hold the keys after it for ever: they go on, in order.
    async with unlocked_app() as (app, pilot):
        name = await name_field_taken_for_one_giving_keys_back(pilot, monkeypatch, 0.05)
        keys_in_one_read(app, *typed("abc"))
        await wait_until(pilot, lambda: name.value == "abc")
        assert not app._held
        # The last of them, never back either, does not hold up the next key typed.
        await pilot.pause(0.1)
        keys_in_one_read(app, *typed("d"))
        await pilot.pause()
        assert name.value == "abcd" and not app._held


async def test_a_key_read_late_does_not_overtake_keys_still_held(
    unlocked_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "b" is held behind an "a" that never comes back; "c", read once the wait for "a" is
    # over, still goes after "b".
    async with unlocked_app() as (app, pilot):
        name = await name_field_taken_for_one_giving_keys_back(pilot, monkeypatch, 0.5)
        keys_in_one_read(app, *typed("a"))
        await pilot.pause(0.1)
        keys_in_one_read(app, *typed("b"))  # held: the wait for it ends at ~0.6 s
        await pilot.pause(0.45)
        keys_in_one_read(app, *typed("c"))  # at ~0.55 s: "a" is no longer awaited
        await wait_until(pilot, lambda: len(name.value) == 3)
        assert name.value == "abc"


async def test_keys_a_dialog_kept_go_before_keys_read_meanwhile(
    unlocked_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "a", "nm" in one read; Tab and "v" are read (queued at the app) just as the form's
    # name field takes the focus: the form's "nm" go first, then the Tab, then "v".
    from tui_vault.ui.screens import dialogs

    watch = dialogs.Dialog.watch_focused
    injected: list[bool] = []

    def read_more_now(self: Any, focused: Any) -> None:
        if focused is not None and self._holding and not injected:
            injected.append(True)
            for key, character in [("tab", None), *typed("v")]:
                event = Key(key, character)
                event.set_sender(self.app)
                self.app.post_message(event)  # in the app's queue, not handled yet
        watch(self, focused)

    monkeypatch.setattr(dialogs.Dialog, "watch_focused", read_more_now)
    async with unlocked_app() as (app, pilot):
        keys_in_one_read(app, ("a", "a"), *typed("nm"))
        await form_filled(pilot, "nm", "v")
        assert injected


# Editing keys in a burst: a field's backspace, arrows, ctrl+u... are bindings, which
# Textual runs once the key has bubbled up to the app, after the letters queued behind
# them were inserted (Textual issue 6605). Ours run in typing order (ui/key_order.py).


async def burst_gives(
    pilot: Any, keys: list[tuple[str, str | None]], read: Callable[[], object], expected: object
) -> None:
    """Send `keys` in one read; `read()` comes to `expected` and stays there."""
    keys_in_one_read(pilot.app, *keys)
    await wait_until(pilot, lambda: read() == expected)
    await pilot.pause()
    assert read() == expected


BURSTS = [
    # (keys after the field holds "hello" with the cursor at its end, the value after)
    ([*typed("ab"), ("backspace", None), ("backspace", None), *typed("cd")], "hellocd"),
    ([("ctrl+u", None), *typed("xyz")], "xyz"),
    ([*typed("ab"), ("left", None), ("left", None), *typed("Y")], "helloYab"),
    ([("home", None), *typed("A"), ("end", None), *typed("Z")], "AhelloZ"),
    ([("ctrl+w", None), *typed("bye")], "bye"),
    ([("left", None), ("left", None), ("ctrl+k", None), *typed("p")], "help"),
]


@pytest.mark.parametrize(("keys", "expected"), BURSTS)
async def test_editing_keys_in_a_burst_apply_in_typing_order(
    unlocked_app: Any, vault_env: VaultEnv, keys: list[tuple[str, str | None]], expected: str
) -> None:
    async with unlocked_app() as (app, pilot):
        await opened(pilot, "a", SecretForm)
        field = app.screen.query_one("#name", Input)
        await pilot.press(*"hello")
        assert field.value == "hello" and app.focused is field
        await burst_gives(pilot, keys, lambda: field.value, expected)


async def test_a_correction_then_tab_in_one_read_stays_in_the_first_field(
    unlocked_app: Any,
) -> None:
    # Tab is a priority binding: it moves the focus as soon as it is read, while the
    # backspace before it is still queued for the name field. It must still apply there.
    async with unlocked_app() as (app, pilot):
        form = await opened(pilot, "a", SecretForm)
        name = form.query_one("#name", Input)
        value = form.query_one("#value", Input)
        await wait_until(pilot, lambda: app.focused is name)
        keys_in_one_read(app, *typed("stripe-kex"), ("backspace", None), *typed("y"), ("tab", None))
        keys_in_one_read(app, *typed("sk1"), ("backspace", None), *typed("2"))
        await wait_until(pilot, lambda: value.value == "sk2")
        await pilot.pause()
        assert (name.value, value.value) == ("stripe-key", "sk2")


async def test_enter_in_a_burst_submits_what_was_typed_before_it(
    unlocked_app: Any, tmp_path: Path
) -> None:
    # A path, a correction and Enter in one read: the dialog looks for the corrected file.
    async with unlocked_app() as (app, pilot):
        dialog = await opened(pilot, "i", ImportDialog)
        field = dialog.query_one("#import-path", Input)
        await wait_until(pilot, lambda: app.focused is field)
        folder = str(tmp_path)
        keys_in_one_read(
            app,
            ("ctrl+u", None),
            *typed(f"{folder}/nopx"),
            ("backspace", None),
            *typed("e.json"),
            ("enter", None),
        )
        error = dialog.query_one("#import-error", Static)
        await wait_until(pilot, lambda: "does not exist" in str(error.content), 30)
        assert field.value == f"{folder}/nope.json"
        assert f"{folder}/nope.json does not exist" in str(error.content)


async def test_text_area_keys_in_a_burst_apply_in_typing_order(unlocked_app: Any) -> None:
    async with unlocked_app() as (app, pilot):
        await opened(pilot, "b", BulkAddForm)
        area = app.screen.query_one("#lines", TextArea)
        await wait_until(pilot, lambda: app.focused is area)
        keys = [*typed("A=12"), ("backspace", None), ("backspace", None), *typed("34")]
        await burst_gives(pilot, keys, lambda: area.text, "A=34")


async def test_palette_keys_in_a_burst_apply_in_typing_order(unlocked_app: Any) -> None:
    async with unlocked_app() as (app, pilot):
        await opened(pilot, "ctrl+p", CommandPalette)
        field = app.screen.query_one(CommandInput)
        await wait_until(pilot, lambda: app.focused is field)
        keys = [*typed("lox"), ("backspace", None), *typed("ck")]
        await burst_gives(pilot, keys, lambda: field.value, "lock")


# A key that bubbles up is matched against the bindings of whatever has the focus when it
# reaches the app; a Tab (or "/") later in the same read has moved the focus by then.


async def test_a_checkbox_toggled_then_tab_in_one_read_is_toggled(unlocked_app: Any) -> None:
    async with unlocked_app() as (app, pilot):
        form = await opened(pilot, "a", SecretForm)
        enabled = form.query_one("#enabled", Checkbox)
        enabled.focus()
        await wait_until(pilot, lambda: app.focused is enabled)
        assert enabled.value is True
        keys_in_one_read(app, ("space", " "), ("tab", None))
        await wait_until(pilot, lambda: app.focused is not enabled)
        await wait_until(pilot, lambda: enabled.value is False)
        await pilot.pause()
        assert enabled.value is False
        assert app.focused is form.query_one("#cancel", Button)  # the Tab still moved on
        # Two Tabs: the focus has moved twice by the time the space comes back.
        enabled.focus()
        await wait_until(pilot, lambda: app.focused is enabled)
        keys_in_one_read(app, ("space", " "), ("tab", None), ("tab", None))
        await wait_until(pilot, lambda: app.focused is form.query_one("#save", Button))
        await wait_until(pilot, lambda: enabled.value is True)
        await pilot.pause()
        assert enabled.value is True


# Arrows for the table in a burst with a key that moves the focus: typed before "/" (a
# priority binding: the focus moves before they come back), they still move the table;
# typed after Escape or Enter in the filter (which move the focus when they run), they go
# where the focus went, as when typed one by one.
TABLE_BURSTS = {
    "arrows then slash": ([], [("down", None), ("down", None), ("slash", "/")], "filter"),
    "escape then arrows": (["slash"], [("escape", None), ("down", None), ("down", None)], "table"),
    "enter then arrows": (["slash"], [("enter", None), ("down", None), ("down", None)], "table"),
}


@pytest.mark.parametrize(("before", "burst", "focus"), TABLE_BURSTS.values(), ids=TABLE_BURSTS)
async def test_arrows_in_a_burst_move_the_table(
    unlocked_app: Any,
    vault_env: VaultEnv,
    before: list[str],
    burst: list[tuple[str, str | None]],
    focus: str,
) -> None:
    vault = vault_env.open()
    for name in ("alpha", "bravo", "charlie", "delta"):
        vault.add(Secret(name, "v"))
    async with unlocked_app() as (app, pilot):
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        table, filter_field = screen.table, screen.query_one("#filter", Input)
        await wait_until(pilot, lambda: app.focused is table)
        await pilot.press(*before)
        keys_in_one_read(app, *burst)
        expected_focus = filter_field if focus == "filter" else table
        await wait_until(pilot, lambda: app.focused is expected_focus)
        await burst_gives(pilot, [], lambda: (table.cursor_row, table.cursor_key), (2, "charlie"))


def _chain_summary(chain: Any) -> list[tuple[Any, list[tuple[str, str]]]]:
    return [
        (node, sorted((k, b.action) for k, bs in m.key_to_bindings.items() for b in bs))
        for node, m in chain
    ]


async def test_binding_chain_is_textuals_for_the_focused_widget(unlocked_app: Any) -> None:
    # key_order.binding_chain re-derives Screen._modal_binding_chain for a widget that
    # may have lost the focus; for the focused one the two must agree, on a screen and in
    # a dialog, for every widget that can take the focus.
    async with unlocked_app() as (app, pilot):
        app.update_keymap({"secrets.reveal": "ctrl+r", "form.save": "ctrl+y"})
        for opener in (None, "a"):
            if opener:
                await pilot.press(opener)
                await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
            screen = app.screen
            checked = 0
            for widget in screen.focus_chain:
                screen.set_focus(widget)
                await pilot.pause()
                assert app.focused is widget
                mine = _chain_summary(binding_chain(widget))
                assert mine == _chain_summary(screen._modal_binding_chain), widget
                checked += 1
            assert checked >= 2


def test_every_text_field_of_the_app_is_ours() -> None:
    # Textual's own Input or TextArea anywhere in the UI would bring the reordering back.
    ui = Path(tui_vault.ui.__file__).parent
    own = {ui / "widgets" / "inputs.py", ui / "widgets" / "text_area.py"}
    offenders = []
    for path in sorted(ui.rglob("*.py")):
        if path in own:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "textual.widgets"
            ):
                names = {alias.name for alias in node.names}
                if names & {"Input", "TextArea"}:
                    offenders.append(f"{path.relative_to(ui)}:{node.lineno}")
    assert offenders == []


async def test_two_enters_in_one_read_close_only_the_dialog(unlocked_app: Any) -> None:
    # Both Enters submit before the first dismiss has popped the dialog: the second must
    # neither hand the result over again nor pop the secrets screen beneath it.
    results: list[bool | None] = []
    async with unlocked_app() as (app, pilot):
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        app.push_screen(TypedConfirmDialog("Clear", "Sure?", "CLEAR", "Clear"), results.append)
        await wait_until(pilot, lambda: isinstance(app.screen, TypedConfirmDialog))
        await pilot.press(*"CLEAR")
        keys_in_one_read(app, ("enter", None), ("enter", None))
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.pause()
        await pilot.pause()
        assert app.screen is screen and results == [True]
        app.push_screen(PathDialog("Save", "/tmp/x"), results.append)
        await wait_until(pilot, lambda: isinstance(app.screen, PathDialog))
        keys_in_one_read(app, ("enter", None), ("enter", None), ("enter", None))
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.pause()
        await pilot.pause()
        assert app.screen is screen and results == [True, "/tmp/x"]


async def test_export_then_tab_and_letters_leave_the_file_field_alone(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    """`x`, Tab and a password read together: the Tab moves on from the file field as it
    does when typed slowly, and the letters go where it moved (the format choice, which
    ignores them). The dialog's own first focus used to land after them and take the
    focus back: the password went into the file field, in clear."""
    vault_env.open().add(Secret("alpha", "v1"))
    async with unlocked_app() as (app, pilot):
        keys_in_one_read(app, ("x", "x"), ("tab", None), *typed("horsebattery12"))
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        dialog = app.screen
        await wait_until(pilot, lambda: app.focused is dialog.query_one("#export-format"))
        await pilot.pause()
        assert app.focused is dialog.query_one("#export-format")
        assert dialog.query_one("#export-path", Input).value == DEFAULT_EXPORT_PATH
        assert dialog.query_one("#export-password", Input).value == ""


@pytest.mark.parametrize("together", [True, False])
async def test_delete_then_tab_moves_to_the_delete_button_however_typed(
    unlocked_app: Any, vault_env: VaultEnv, together: bool
) -> None:
    """`d` opens the confirmation on Cancel; a Tab typed with it moves to Delete, as one
    typed after it does (it was lost, and an Enter with it pressed Cancel)."""
    vault_env.open().add(Secret("alpha", "v1"))
    async with unlocked_app() as (app, pilot):
        if together:
            keys_in_one_read(app, ("d", "d"), ("tab", None))
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            dialog = app.screen
        else:
            dialog = await opened(pilot, "d", ConfirmDialog)
            await wait_until(pilot, lambda: app.focused is dialog.query_one("#cancel"))
            await pilot.press("tab")
        await wait_until(pilot, lambda: app.focused is dialog.query_one("#confirm"))
        await pilot.pause()
        assert app.focused is dialog.query_one("#confirm")

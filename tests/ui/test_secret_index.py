"""The secrets table's index (ui/screens/secrets.py `_SecretIndex`): built once per vault
change, it must show exactly what filtering and sorting every secret on each keystroke
showed, in the same order, including on names and needles chosen to trip it up."""

from __future__ import annotations

import gc
import random
from typing import Any

import pytest
from textual.widgets import Input

from tests.ui.conftest import VaultEnv, wait_until
from tui_vault.core.model import Link, Secret, VaultData
from tui_vault.ui.screens.secrets import (
    HEAD_ROWS,
    SecretsScreen,
    _Marked,
    _SecretIndex,
    natural_key,
    source_label,
)
from tui_vault.ui.widgets.virtual_table import VirtualTable


def reference(
    data: VaultData, needle: str, column: int, reverse: bool, status: Any = None
) -> list[str]:
    """What the table showed before the index: filter every secret, then sort."""
    rows = [
        s
        for s in data.secrets.values()
        if not needle
        or needle in s.name.lower()
        or any(needle in d for d in s.allowed_domains)
        or needle in source_label(s).lower()
    ]
    rows.sort(key=lambda s: natural_key(s.name))
    keys = {
        1: lambda s: (s.link is not None, s.value == ""),
        2: lambda s: natural_key(",".join(s.allowed_domains)),
        3: lambda s: source_label(s).lower(),
    }
    if column != 0:
        rows.sort(key=keys[column], reverse=reverse)
    elif reverse:
        rows.reverse()
    return [s.name for s in rows]


def indexed(index: _SecretIndex, needle: str, column: int, reverse: bool) -> list[str]:
    """The same steps as SecretsScreen.visible_secrets, for the cached columns."""
    order = [s.name for s in index.secrets]
    rows = index.matching(needle)
    if column != 0:
        keys = index.sort_keys(column)
        rows = sorted(rows, key=lambda s: keys[s.name], reverse=reverse)
    elif reverse:
        rows = rows[::-1]
    assert [s.name for s in index.secrets] == order, "the index's own order never changes"
    return [s.name for s in rows]


def tricky_vault() -> VaultData:
    names = [
        "a1", "A1", "a01", "a001", "a10", "a2", "b", "B", "n10x", "n9x", "abc", "ABC_DEF",
        "x_9", "x_10", "x_010", "def", "cdef", "Zeta", "zeta", "mixed42Case7",
    ]  # fmt: skip
    rng = random.Random(15)
    names += [
        "".join(rng.choice("aAbB019_-.") for _ in range(rng.randint(1, 8))) for _ in range(300)
    ]
    data = VaultData()
    for i, name in enumerate(dict.fromkeys(n for n in names if n[0].isalnum())):
        domains = [["api.example.com"], ["def.example.org", "*.abc.net"], []][i % 3]
        if i % 7 == 0:
            secret = Secret(name=name, link=Link("aws", {"secret_id": f"s{i}"}))
        else:
            secret = Secret(name=name, value="" if i % 5 == 0 else "v", allowed_domains=domains)
        data.secrets[name] = secret
    return data


NEEDLES = [
    "", "a", "a1", "1", "01", "b", "abc", "c\ndef", "cdef", "1\n", "\n", "def", "example",
    "aws", "local", "secrets manager", "x_", ".", "*", "ß", "zzz", "e\nl",
]  # fmt: skip


def test_index_matches_and_orders_like_filtering_every_secret() -> None:
    data = tricky_vault()
    index = _SecretIndex(data, lambda s: False)
    for needle in NEEDLES:
        for column in (0, 1, 2, 3):
            for reverse in (False, True):
                got = indexed(index, needle, column, reverse)
                assert got == reference(data, needle, column, reverse), (needle, column, reverse)


def test_a_needle_never_matches_across_two_fields() -> None:
    data = VaultData()
    data.secrets["abc"] = Secret(name="abc", value="v", allowed_domains=["def.example.com"])
    index = _SecretIndex(data, lambda s: False)
    assert index.matching("cdef") == []  # end of the name + start of the domain
    assert index.matching("c\ndef") == []  # the separator itself, typed or pasted
    assert [s.name for s in index.matching("def")] == ["abc"]


def test_local_attention_is_cached_linked_is_not() -> None:
    data = tricky_vault()
    asked: list[str] = []

    def blocking(s: Secret) -> bool:
        asked.append(s.name)
        return s.value == ""

    index = _SecretIndex(data, blocking)
    assert all(data.secrets[n].link is None for n in asked)  # linked: asked per refresh
    for s in data.secrets.values():
        assert index.blocking(s) == (s.link is None and s.value == "")


def table_names(app: Any) -> list[str]:
    return [s.name for s in app.screen.query_one("#table", VirtualTable).rows]


def add_key2_key10_other(vault_env: VaultEnv) -> None:
    vault = vault_env.open()
    for name in ("key2", "key10", "other"):
        vault.set_value(name, "v")


async def test_filter_follows_vault_changes(unlocked_app: Any, vault_env: VaultEnv) -> None:
    """The index is rebuilt when the vault changes: a secret added while a filter is typed
    shows at once, in its natural place; one removed goes."""
    add_key2_key10_other(vault_env)
    async with unlocked_app() as (app, pilot):
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        screen.query_one("#filter", Input).value = "key"
        await wait_until(pilot, lambda: table_names(app) == ["key2", "key10"])
        app.vault_op(lambda v: v.set_value("key3", "v"))
        await wait_until(pilot, lambda: table_names(app) == ["key2", "key3", "key10"])
        app.vault_op(lambda v: v.delete("key2"))
        await wait_until(pilot, lambda: table_names(app) == ["key3", "key10"])


async def test_unlock_freezes_the_vault_out_of_the_gc_and_lock_undoes_it(
    unlocked_app: Any,
) -> None:
    async with unlocked_app() as (app, pilot):
        assert gc.get_freeze_count() > 0
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: app.vault is None)
        assert gc.get_freeze_count() == 0


HOSTILE = ["wide-名前", "emoji-🔑", "esc\x1bname", "combining-e\u0301", "tab\tx"]


def test_widest_and_kinds_match_measuring_every_row() -> None:
    """The index's shortcuts (widest width group with a secret shown, one secret of each
    kind) give what measuring each shown row gives, for many and for few matches."""
    from rich.text import Text

    from tui_vault.core.display import visible
    from tui_vault.ui.screens.secrets import (
        _domains_width,
        _key_width,
        _kind,
        _revealed_width,
        _source_width,
        one_line,
    )

    data = tricky_vault()
    for i, name in enumerate(HOSTILE):
        data.secrets[name] = Secret(name=name, value=name * (i + 1), allowed_domains=[name])
    index = _SecretIndex(data, lambda s: False)
    drawn = {
        "Key": lambda s: Text(visible(s.name)).cell_len,
        "Domains": lambda s: (
            Text(visible(", ".join(s.allowed_domains))).cell_len if s.allowed_domains else 3
        ),
        "Source": lambda s: Text(source_label(s)).cell_len,
        "revealed": lambda s: (
            0 if s.link is not None else Text(visible(one_line(s.value))).cell_len if s.value else 7
        ),
    }
    fast = {
        "Key": _key_width,
        "Domains": _domains_width,
        "Source": _source_width,
        "revealed": _revealed_width,
    }
    for needle in [*NEEDLES, "名", "🔑", "\x1b", "e\u0301", "-"]:
        rows = index.matching(needle)
        shown = index.shown_test(needle)
        assert [s.name for s in index.secrets if shown(index.position[s.name])] == [
            s.name for s in rows
        ]
        for what, width_of in fast.items():
            expected = max(map(drawn[what], rows), default=0)
            assert index.widest(what, width_of, rows, shown) == expected, (needle, what)
        leave_out = {s.name for s in rows[::3]}
        kinds = index.kinds_shown(rows, shown, leave_out)
        assert set(kinds) == {_kind(s) for s in rows if s.name not in leave_out}, needle
        assert all(_kind(s) == k and s.name not in leave_out for k, s in kinds.items())


async def test_column_widths_are_the_widest_cells_of_every_match(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    """The screen's natural widths equal measuring every shown row's cells, through
    reveal, reveal all, linked secrets and a filter."""
    vault = vault_env.open()
    vault.add_many(
        [
            Secret(
                f"name-{i:03d}" + "x" * (i % 17),
                "v" * (i % 50),
                allowed_domains=(["d.example"] * (i % 3)),
            )
            for i in range(200)
        ]
        + [Secret("linked-one", link=Link("aws", {"secret_id": "s"}))]
    )
    async with unlocked_app() as (app, pilot):
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        from tui_vault.ui.screens.secrets import COLUMNS

        def check() -> None:
            rows = screen.visible_secrets()
            index = screen._secret_index()
            assert index is not None
            got = screen._natural_widths(rows, index.shown_test(screen._needle()))
            for i, column in enumerate(COLUMNS):
                cells = [screen.row_cells(s)[i].cell_len for s in rows]
                assert got[column] == max([len(screen.column_label(i)) + 2, *cells]), column

        check()
        screen.revealed.add("name-049")
        check()
        screen.query_one("#filter", Input).value = "name-00"
        await pilot.pause()
        check()
        screen.reveal_all = True
        check()
        screen.query_one("#filter", Input).value = ""
        await pilot.pause()
        check()


async def test_the_table_is_filtered_in_the_same_step_as_the_key(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    """The filter's value and the table change together (the FilterInput's watcher), not one
    message apart: no frame can show the new text over the unfiltered table. Here: the
    rows are the filtered ones before the app has handled a single message more."""
    add_key2_key10_other(vault_env)
    async with unlocked_app() as (app, pilot):
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        await wait_until(pilot, lambda: len(table_names(app)) == 3)
        screen.query_one("#filter", Input).value = "key"
        assert table_names(app) == ["key2", "key10"]  # no pause: at once
        screen.query_one("#filter", Input).value = ""
        assert table_names(app) == ["key2", "key10", "other"]
        # Typed, as a key press: the same.
        screen.set_focus(screen.query_one("#filter", Input))
        await pilot.press("h")  # not in "key2", "key10" or their source label, "local"
        assert table_names(app) == ["other"]


def typed(text: str) -> list[str]:
    """The filter's values while `text` is typed, then erased, one key at a time."""
    on = [text[:i] for i in range(1, len(text) + 1)]
    return on + on[-2::-1] + [""]


def test_typing_on_narrows_the_last_match_and_shows_the_same() -> None:
    """A needle that holds the last one is looked for only where the last one matched;
    typing on, erasing, retyping, pasting a longer text and jumping to an unrelated needle
    show exactly what filtering every secret shows."""
    data = tricky_vault()
    for i in range(500):
        name = f"secret-{i:04d}"
        data.secrets[name] = Secret(name=name, value="v", allowed_domains=["api.example.com"])
    index = _SecretIndex(data, lambda s: False)
    steps = [
        *typed("secret-04"),
        *typed("ab1"),
        "a", "ab", "b", "ab", "xab", "1", "a1", "a1", "", "a1",  # on, back, aside, same
        "example", "api.example", "pi.ex", "local", "loc", "secrets manager",
        "c\ndef", "cdef", "c", "c\n", "def",
    ]  # fmt: skip
    for needle in steps:
        for column, reverse in ((0, False), (0, True), (2, False)):
            got = indexed(index, needle, column, reverse)
            assert got == reference(data, needle, column, reverse), (needle, column, reverse)


def test_a_match_is_a_sequence_of_the_secrets_held_by_position() -> None:
    """What a needle matches reads like a list of the secrets (length, indices, slices,
    iteration, equality), whether it was tested over every secret or narrowed from the last
    match, while what it holds itself is positions: the cyclic collector walking a new
    match never touches the secrets (bench/PROFILING.md, rounds 7, 10 and 11)."""
    data = tricky_vault()
    index = _SecretIndex(data, lambda s: False)
    for needle in ("a", "a1"):  # every secret tested, then narrowed from "a"'s match
        rows = index.matching(needle)
        expected = [data.secrets[name] for name in reference(data, needle, 0, False)]
        assert len(rows) == len(expected) > 3
        assert list(rows) == expected and rows == expected and expected == rows
        assert rows[0] is expected[0] and rows[-1] is expected[-1]
        assert rows[::-1] == expected[::-1] and rows[1:3] == expected[1:3]
        assert list(reversed(rows)) == expected[::-1]
        assert rows.index(expected[2]) == 2 and expected[1] in rows
        assert rows != expected[1:] and rows != needle and index.matching("zzz") == []
        assert "v" not in repr(rows) and str(len(expected)) in repr(rows)
        held = [r for r in gc.get_referents(rows) if r is not index.secrets]
        assert not any(isinstance(x, Secret) for x in held)
        index.matching(needle)  # (what "zzz" replaced as the last match)


def marked(ones: list[bool]) -> tuple[_Marked, list[int], list[int]]:
    """A `_Marked` over a mask, the index's positions and the positions expected."""
    positions = list(range(len(ones)))
    return _Marked(bytearray(ones), positions), positions, [i for i, x in enumerate(ones) if x]


def test_a_mask_gives_the_positions_of_its_ones_however_they_are_asked_for() -> None:
    rng = random.Random(11)
    for size, share in ((0, 0.5), (1, 1.0), (700, 0.0), (700, 0.05), (700, 0.5), (3000, 0.9)):
        ones = [rng.random() < share for _ in range(size)]
        got, positions, expected = marked(ones)
        assert len(got) == len(expected)
        order = list(range(len(expected)))
        rng.shuffle(order)  # beyond the head first, then inside it, in any order
        for i in order:
            assert got[i] == expected[i] and got[i] is positions[expected[i]]
        assert list(got) == expected and got[::-1] == tuple(expected[::-1])
        assert got[-3:] == tuple(expected[-3:]) and (not expected or got[-1] == expected[-1])
        for bad in (len(expected), -len(expected) - 1):
            with pytest.raises(IndexError):
                got[bad]
        names = [f"h{i}" for i in range(size)]
        assert list(got.pick(names)) == [names[i] for i in expected]


def test_a_screenful_of_a_masks_positions_is_found_without_making_all_of_them() -> None:
    """The first frame after a keystroke reads the count and the first rows: the positions
    of every match are not made for it (a tuple the collector would walk, inside the
    keystroke), but are as soon as a row further down, a slice or the end is asked for."""
    ones = [i % 3 != 1 for i in range(3 * HEAD_ROWS)]
    for ask in (lambda m: m[HEAD_ROWS], lambda m: m[-1], lambda m: m[:2], lambda m: m.every()):
        got, _positions, expected = marked(ones)
        assert len(got) == len(expected) == 2 * HEAD_ROWS
        assert [got[i] for i in range(HEAD_ROWS)] == expected[:HEAD_ROWS]
        assert list(got) == expected and list(got.pick([str(i) for i in range(len(ones))]))
        assert not [x for x in gc.get_referents(got) if isinstance(x, tuple)]
        ask(got)
        (every,) = [x for x in gc.get_referents(got) if isinstance(x, tuple)]
        assert list(every) == expected and list(got) == expected
        assert [got[i] for i in range(HEAD_ROWS + 3)] == expected[: HEAD_ROWS + 3]


def test_a_filter_over_every_secret_leaves_nothing_new_for_the_collector_to_walk() -> None:
    """A one-character filter at 100,000 secrets kept ~41,000 positions: in a tuple, the
    next young collection walked them (~0.8 ms of a 14-17 ms keystroke). Over every
    secret a match with more than a few screenfuls is its mask, which holds no objects,
    and the positions drawn so far; a few matches, or a match narrowed from the last one,
    a tuple of ints, which the collector stops tracking after one collection."""
    data = VaultData()
    for i in range(5 * HEAD_ROWS):
        data.secrets[f"s{i}"] = Secret(name=f"s{i}", value="v")
    index = _SecretIndex(data, lambda s: False)
    rows = index.matching("1")
    assert len(rows) > HEAD_ROWS
    assert [rows[i].name for i in range(3)] == ["s1", "s10", "s11"]  # (no slice: see below)
    (mask_held,) = [r for r in gc.get_referents(rows) if isinstance(r, _Marked)]
    held = [x for x in gc.get_referents(mask_held) if not isinstance(x, type)]
    walked = [x for x in held if gc.is_tracked(x) and x is not index._positions]
    assert all(isinstance(x, list) and len(x) <= HEAD_ROWS for x in walked)  # the head, if any
    assert any(isinstance(x, bytearray) and len(x) == len(index.secrets) for x in held)
    for narrow in (index.matching("11"), index.matching("s300")):  # narrowed; a few, anew
        (positions,) = [r for r in gc.get_referents(narrow) if isinstance(r, tuple | _Marked)]
        at = positions.every() if isinstance(positions, _Marked) else positions
        assert isinstance(at, tuple) and all(isinstance(x, int) for x in at)
        gc.collect()
        assert not gc.is_tracked(at)


async def test_moving_through_a_filtered_table_past_its_first_screens(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    """The table reads a filter's matches by position: the last row, a page further and
    back to the first are the matches there, past the rows found one by one in the mask."""
    vault = vault_env.open()
    vault.add_many([Secret(f"s-{i:04d}", "v") for i in range(4 * HEAD_ROWS)])
    expected = [f"s-{i:04d}" for i in range(4 * HEAD_ROWS) if "1" in f"s-{i:04d}"]
    assert len(expected) > HEAD_ROWS
    async with unlocked_app() as (app, pilot):
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        screen.set_focus(screen.query_one("#filter", Input))
        await pilot.press("1")
        table = screen.query_one("#table", VirtualTable)
        await wait_until(pilot, lambda: table.row_count == len(expected))
        table.focus()
        await pilot.press("end")
        await wait_until(pilot, lambda: screen.selected_name() == expected[-1])
        await pilot.press("pageup")
        await wait_until(pilot, lambda: screen.selected_name() == expected[table.cursor_row])
        assert table.cursor_row < len(expected) - 1
        await pilot.press("home")
        await wait_until(pilot, lambda: screen.selected_name() == expected[0])
        assert [table.row_key(i) for i in range(len(expected))] == expected


async def test_down_in_the_filter_goes_on_to_the_rows_it_shows(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    add_key2_key10_other(vault_env)
    async with unlocked_app() as (app, pilot):
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        await pilot.press("slash", "k", "e")
        await wait_until(pilot, lambda: table_names(app) == ["key2", "key10"])
        await pilot.press("down")
        table = screen.query_one("#table", VirtualTable)
        await wait_until(pilot, lambda: app.focused is table)
        assert screen.query_one("#filter", Input).value == "ke"  # kept
        await pilot.press("down")  # and on in the table, as there
        await wait_until(pilot, lambda: screen.selected_name() == "key10")

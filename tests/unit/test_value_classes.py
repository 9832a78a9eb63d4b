"""The value classes of a local `get`'s path are plain classes now, not dataclasses
(core/frozen.py): each behaves as the dataclass it replaced (reconstructed here from the
old definitions): construction and defaults, equality, hashing, repr, frozenness,
dataclasses.replace/asdict where the code used them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core import accesslog, rollback, unlock
from tui_vault.core.errors import ExitCode, UsageError, VaultError
from tui_vault.core.frozen import Frozen
from tui_vault.core.settings import SETTINGS_FIELDS, Settings, settings_from_dict

# ------------------------------------------------------------------ the old definitions


@dataclass(frozen=True)
class OldRecord:
    vault_generation: int = 0
    vault_digest: str = ""
    cache_generation: int = 0


@dataclass(frozen=True)
class OldRollback:
    path: str
    found: int
    newest: int


@dataclass(frozen=True)
class OldKeySource:
    text: str
    origin: str
    file: object | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class OldLogPaths:
    log: Path
    previous: Path
    head: Path
    lock: Path


@dataclass
class OldLogRecord:
    time: float
    action: str
    names: list[str]
    outcome: str
    details: dict[str, str] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)
    tty: str | None = None
    ssh_client: str | None = None
    pid: int = 0
    seq: int = 0


@dataclass
class OldLogReading:
    records: list[Any]
    problem: str | None = None


@dataclass
class OldSettings:
    expiration_minutes: int = 60
    clipboard_clear_seconds: int = 30
    mask_values: bool = True
    idle_lock_minutes: int = 15
    agent_max_hours: float = 8.0
    tui_unlocks_agent: bool = True
    fetch_timeout_seconds: float = 10.0
    serve_stale_hours: int = 0
    theme: str = "textual-dark"
    access_log: bool = True
    keymap: dict[str, str] = field(default_factory=dict)
    key_file: str = ""


def same_repr(new: object, old: object) -> None:
    """The same repr but for the class name."""
    assert repr(new).partition("(")[1:] == repr(old).partition("(")[1:]
    assert repr(new).startswith(type(new).__name__ + "(")


# ------------------------------------------------------------------ frozen ones

small = st.integers(min_value=-3, max_value=3)
words = st.sampled_from(["", "a", "b", "x'y"])


@settings(max_examples=200, deadline=None)
@given(st.tuples(small, words, small), st.tuples(small, words, small))
def test_rollback_record_is_the_frozen_dataclass(
    a: tuple[int, str, int], b: tuple[int, str, int]
) -> None:
    new_a, new_b = rollback.Record(*a), rollback.Record(*b)
    old_a, old_b = OldRecord(*a), OldRecord(*b)
    assert (new_a == new_b) == (old_a == old_b)
    assert (new_a != new_b) == (old_a != old_b)
    assert hash(new_a) == hash(old_a)  # both hash the tuple of fields
    same_repr(new_a, old_a)
    assert new_a != old_a  # another class is never equal, as between two dataclasses


def test_rollback_record_defaults_keywords_and_frozenness() -> None:
    assert rollback.Record() == rollback.Record(0, "", 0)
    r = rollback.Record(vault_generation=3, cache_generation=2)
    assert (r.vault_generation, r.vault_digest, r.cache_generation) == (3, "", 2)
    with pytest.raises(AttributeError):
        r.vault_generation = 4  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del r.vault_digest
    with pytest.raises(AttributeError):
        r.other = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        rollback.Record(1, "", 0, 9)  # type: ignore[call-arg]
    assert {rollback.Record(1), rollback.Record(1)} == {rollback.Record(1)}


@settings(max_examples=100, deadline=None)
@given(st.tuples(words, small, small), st.tuples(words, small, small))
def test_rollback_is_the_frozen_dataclass(a: tuple[str, int, int], b: tuple[str, int, int]) -> None:
    new_a, new_b = rollback.Rollback(*a), rollback.Rollback(*b)
    old_a, old_b = OldRollback(*a), OldRollback(*b)
    assert (new_a == new_b) == (old_a == old_b)
    assert hash(new_a) == hash(old_a)
    same_repr(new_a, old_a)
    assert rollback.Rollback(path="p", found=1, newest=2) == rollback.Rollback("p", 1, 2)
    with pytest.raises(AttributeError):
        new_a.found = 9  # type: ignore[misc]


def test_key_source_compares_without_its_file_and_never_shows_its_text() -> None:
    a = unlock.KeySource("TV1-SECRET", "keyring", file=object())  # type: ignore[arg-type]
    b = unlock.KeySource("TV1-SECRET", "keyring")
    old_a = OldKeySource("TV1-SECRET", "keyring", file=object())
    assert a == b and hash(a) == hash(b)
    assert old_a == OldKeySource("TV1-SECRET", "keyring")  # the old rule, the same
    assert hash(a) == hash(old_a)
    assert a != unlock.KeySource("TV1-SECRET", "prompt")
    assert a != unlock.KeySource("TV1-OTHER", "keyring")
    assert a.file is not None and b.file is None
    assert "SECRET" not in repr(a) and "keyring" in repr(a)
    with pytest.raises(AttributeError):
        a.text = "x"  # type: ignore[misc]


def test_log_paths_is_the_frozen_dataclass(tmp_path: Path) -> None:
    new = accesslog.LogPaths.beside(tmp_path / "vault.json")
    old = OldLogPaths(new.log, new.previous, new.head, new.lock)
    assert new == accesslog.LogPaths(new.log, new.previous, new.head, new.lock)
    assert new != accesslog.LogPaths(new.log, new.previous, new.head, new.log)
    assert hash(new) == hash(old)
    same_repr(new, old)
    assert new.all() == (new.log, new.previous, new.head, new.lock)
    with pytest.raises(AttributeError):
        new.log = tmp_path  # type: ignore[misc]


# ------------------------------------------------------------------ mutable ones

log_records = st.builds(
    dict,
    time=st.sampled_from([0.0, 1.5]),
    action=st.sampled_from(["get", "run"]),
    names=st.lists(words, max_size=2),
    outcome=st.sampled_from(["resolved", "unresolved"]),
    details=st.dictionaries(words, words, max_size=2),
    argv=st.lists(words, max_size=2),
    tty=st.none() | words,
    ssh_client=st.none() | words,
    pid=small,
    seq=small,
)


@settings(max_examples=200, deadline=None)
@given(log_records, log_records)
def test_log_record_is_the_dataclass(a: dict[str, Any], b: dict[str, Any]) -> None:
    new_a, new_b = accesslog.Record(**a), accesslog.Record(**b)
    old_a, old_b = OldLogRecord(**a), OldLogRecord(**b)
    assert (new_a == new_b) == (old_a == old_b)
    same_repr(new_a, old_a)
    assert new_a.to_json() == dataclasses.asdict(old_a)
    assert list(new_a.to_json()) == list(dataclasses.asdict(old_a))  # key order (log --json)
    assert accesslog.Record.from_json(new_a.to_json()) == new_a
    # to_json copies, as asdict did: changing it changes nothing in the record.
    doc = new_a.to_json()
    doc["names"].append("changed")
    doc["details"]["changed"] = "x"
    assert new_a == accesslog.Record(**a)


def test_log_record_defaults_and_mutability() -> None:
    r = accesslog.Record(1.0, "get", ["A"], "resolved")
    old = OldLogRecord(1.0, "get", ["A"], "resolved")
    assert r.to_json() == dataclasses.asdict(old)
    r2 = accesslog.Record(1.0, "get", ["A"], "resolved")
    assert r.details is not r2.details and r.argv is not r2.argv  # fresh defaults
    r.argv = ["x"]  # mutable, as before (append shortens a long argv in place)
    assert r.argv == ["x"] and r != r2
    with pytest.raises(TypeError):
        hash(r)
    with pytest.raises(TypeError):
        hash(accesslog.LogReading([]))


def test_log_reading_is_the_dataclass() -> None:
    r = accesslog.Record(1.0, "get", ["A"], "resolved")
    assert accesslog.LogReading([r]) == accesslog.LogReading([r], None)
    assert accesslog.LogReading([r], "broken") != accesslog.LogReading([r])
    assert accesslog.LogReading([]).problem is None
    same_repr(accesslog.LogReading([], "p"), OldLogReading([], "p"))


# ------------------------------------------------------------------ settings

settings_changes = st.fixed_dictionaries(
    {},
    optional={
        "expiration_minutes": st.integers(1, 100),
        "clipboard_clear_seconds": st.integers(0, 100),
        "mask_values": st.booleans(),
        "agent_max_hours": st.floats(0.5, 168),
        "theme": words,
        "access_log": st.booleans(),
        "keymap": st.dictionaries(words, words, max_size=2),
        "key_file": words,
    },
)


def test_settings_fields_are_the_old_ones_in_order() -> None:
    assert tuple(f.name for f in dataclasses.fields(OldSettings)) == SETTINGS_FIELDS
    assert Settings().as_dict() == dataclasses.asdict(OldSettings())


@settings(max_examples=200, deadline=None)
@given(settings_changes, settings_changes)
def test_settings_are_the_dataclass(a: dict[str, Any], b: dict[str, Any]) -> None:
    new_a, new_b = Settings(**a), Settings(**b)
    old_a, old_b = OldSettings(**a), OldSettings(**b)
    assert (new_a == new_b) == (old_a == old_b)
    same_repr(new_a, old_a)
    assert new_a.as_dict() == dataclasses.asdict(old_a)
    assert list(new_a.as_dict()) == list(dataclasses.asdict(old_a))  # settings.toml's order
    assert new_a.replace(**b).as_dict() == dataclasses.asdict(dataclasses.replace(old_a, **b))
    assert settings_from_dict(new_a.as_dict()) == new_a
    # Positional arguments, in the old order.
    values = [getattr(new_a, f) for f in SETTINGS_FIELDS]
    assert Settings(*values) == new_a


def test_settings_defaults_replace_and_errors() -> None:
    a, b = Settings(), Settings()
    assert a.keymap is not b.keymap  # a fresh dict each
    assert a.replace().keymap is a.keymap  # shallow, like dataclasses.replace
    with pytest.raises(TypeError):
        a.replace(no_such_setting=1)
    with pytest.raises(TypeError):
        Settings(no_such_setting=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        hash(a)
    a.theme = "nord"  # mutable, as the TUI sets it
    assert a != b and a.replace(theme="textual-dark") == b


def test_frozen_base_compares_only_its_own_class() -> None:
    class A(Frozen):
        _fields = ("x",)
        __slots__ = _fields

        def __init__(self, x: int) -> None:
            object.__setattr__(self, "x", x)

    class B(A):
        __slots__ = ()

    assert A(1) == A(1) and A(1) != A(2)
    assert A(1) != B(1) and B(1) == B(1)
    assert repr(B(1)) == "B(x=1)"
    assert A(1) != (1,)


def test_exit_codes_are_the_designs_ints() -> None:
    """ExitCode is plain ints now (was an IntEnum): DESIGN.md §5's numbers."""
    codes = (ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.BAD_KEY, ExitCode.UNRESOLVED)
    assert codes == (0, 1, 2, 3, 4)
    assert all(type(c) is int for c in codes)
    assert VaultError("x").exit_code == 1 and UsageError("x").exit_code == 2

"""Resolution is a plain slotted class (so `get` does not import dataclasses) that behaves
as the frozen dataclass it was: same equality, hash and repr (without the value), immutable,
copied and pickled whole; value_result builds what the constructor builds."""

from __future__ import annotations

import ast
import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tui_vault.core.resolution as resolution_module
from tui_vault.core.model import Reason
from tui_vault.core.resolution import Resolution, value_result

MARKER = "MARKER-5d1e-SECRET"


@dataclass(frozen=True)
class OldResolution:
    """The definition before (session 5), kept as the oracle."""

    name: str
    status: Literal["resolved", "empty", "unresolved"]
    value: str | None = field(default=None, repr=False)
    reason: Reason | None = None
    detail: str = ""
    origin: Literal["local", "cache", "fetched", "stale", "none"] = "none"


FIELDS = ("name", "status", "value", "reason", "detail", "origin")
values = st.fixed_dictionaries(
    {
        "name": st.text(max_size=8),
        "status": st.sampled_from(["resolved", "empty", "unresolved"]),
        "value": st.none() | st.text(max_size=8),
        "reason": st.none() | st.sampled_from(list(Reason)),
        "detail": st.text(max_size=8),
        "origin": st.sampled_from(["local", "cache", "fetched", "stale", "none"]),
    }
)


def both(kw: dict[str, Any]) -> tuple[Resolution, OldResolution]:
    return Resolution(**kw), OldResolution(**kw)


@given(values, values)
def test_equality_hash_and_repr_are_the_dataclass_ones(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    new_a, old_a = both(a)
    new_b, old_b = both(b)
    assert new_a == Resolution(**a) and hash(new_a) == hash(Resolution(**a))
    assert (new_a == new_b) == (old_a == old_b)
    assert (new_a != new_b) == (old_a != old_b)
    assert hash(new_a) == hash(old_a)
    assert repr(new_a) == repr(old_a).replace("OldResolution(", "Resolution(")
    assert [getattr(new_a, f) for f in FIELDS] == [getattr(old_a, f) for f in FIELDS]
    assert (new_a.ok, new_a.stale, new_a.explain()) == (
        new_a.status != "unresolved",
        new_a.origin == "stale",
        _old_explain(old_a),
    )


def _old_explain(r: OldResolution) -> str:
    if r.status == "unresolved" and r.reason:
        text = f"{r.name}: unresolved ({r.reason.value})"
        return f"{text}: {r.detail}" if r.detail else text
    return f"{r.name}: {r.status}"


def test_defaults_and_positional_order() -> None:
    r = Resolution("n", "resolved", MARKER)
    assert (r.value, r.reason, r.detail, r.origin) == (MARKER, None, "", "none")
    assert Resolution("n", "unresolved", reason=Reason.DISABLED) == Resolution(
        "n", "unresolved", None, Reason.DISABLED, "", "none"
    )


def test_not_equal_to_other_types() -> None:
    r = Resolution("n", "resolved", MARKER)
    assert r != OldResolution("n", "resolved", MARKER)
    assert r != ("n", "resolved", MARKER, None, "", "none")
    assert r is not None


def test_the_value_never_shows() -> None:
    r = Resolution("n", "resolved", MARKER, origin="cache")
    assert MARKER not in repr(r)
    assert MARKER not in str(r)
    assert MARKER not in f"{[r]} { ({'n': r}) }"
    with pytest.raises(TypeError):
        iter(r)  # type: ignore[call-overload]


def test_immutable() -> None:
    r = Resolution("n", "resolved", MARKER)
    for f in FIELDS:
        with pytest.raises(AttributeError):
            setattr(r, f, "other")
        with pytest.raises(AttributeError):
            delattr(r, f)
    with pytest.raises(AttributeError):
        r.extra = 1
    assert r.value == MARKER
    assert not hasattr(r, "__dict__")


def test_copy_pickle_and_replace() -> None:
    r = Resolution("n", "unresolved", None, Reason.TIMED_OUT, "late", "none")
    for other in (copy.copy(r), copy.deepcopy(r), pickle.loads(pickle.dumps(r))):
        assert other == r
        assert type(other) is Resolution
    s = value_result("n", MARKER, "cache").replace(detail="fetched 3 h ago", origin="stale")
    old = dataclasses.replace(
        OldResolution("n", "resolved", MARKER, origin="cache"),
        detail="fetched 3 h ago",
        origin="stale",
    )
    assert [getattr(s, f) for f in FIELDS] == [getattr(old, f) for f in FIELDS]
    with pytest.raises(TypeError):
        r.replace(nope=1)


@pytest.mark.parametrize("value", ["", "x", MARKER])
@pytest.mark.parametrize("origin", ["local", "cache", "fetched", "stale"])
def test_value_result_builds_what_the_constructor_builds(
    value: str, origin: Literal["local", "cache", "fetched", "stale"]
) -> None:
    r = value_result("n", value, origin)
    expected = Resolution("n", "empty" if value == "" else "resolved", value=value, origin=origin)
    assert type(r) is Resolution
    assert r == expected
    assert [getattr(r, f) for f in FIELDS] == [getattr(expected, f) for f in FIELDS]
    assert repr(r) == repr(expected)


def test_resolution_module_does_not_import_dataclasses() -> None:
    """`get` imports this module: it must not bring the dataclasses module (~13 ms) back."""
    tree = ast.parse(Path(resolution_module.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert "dataclasses" not in imported

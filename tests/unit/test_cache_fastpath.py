"""The cache's fast paths (msgspec decode of the entries, the fingerprint) give exactly what
the general rule gives, on what `_save` writes and on anything else a cache could hold."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core.cache import _DECODER, CacheEntry, _parse_entries, _parse_entries_general
from tui_vault.core.model import link_fingerprint

SCALARS = (
    st.text()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)
FIELD_VALUES = SCALARS | st.lists(SCALARS, max_size=2) | st.dictionaries(st.text(), SCALARS)


def _outcome(parse: Any, plain: bytes) -> Any:
    try:
        return ("ok", parse(plain))
    except Exception as e:
        return ("error", type(e))


@st.composite
def entry(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["value"] = draw(st.text() if draw(st.booleans()) else FIELD_VALUES)
    if draw(st.booleans()):
        out["fetched"] = draw(st.floats(0, 2e9) if draw(st.booleans()) else FIELD_VALUES)
    if draw(st.booleans()):
        out["stale"] = draw(st.text() if draw(st.booleans()) else FIELD_VALUES)
    if draw(st.booleans()):
        out[draw(st.text())] = draw(FIELD_VALUES)
    return out


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(), entry() | FIELD_VALUES, max_size=5), st.booleans())
def test_fast_parse_is_the_general_parse(doc: dict[str, Any], ascii_only: bool) -> None:
    plain = json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert _outcome(_parse_entries, plain) == _outcome(_parse_entries_general, plain)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_fast_parse_of_any_bytes(plain: bytes) -> None:
    assert _outcome(_parse_entries, plain) == _outcome(_parse_entries_general, plain)


def test_what_save_writes_takes_the_fast_path_and_keeps_every_field() -> None:
    doc = {
        "aws:secret_id=db": {"value": "MARKER-\u00e9-\U0001f511", "fetched": 1700000000.5},
        "hashicorp:engine=kv,key=k,path=p": {"value": "", "fetched": 17, "stale": "down"},
    }
    plain = json.dumps(doc).encode()
    got = _parse_entries(plain)
    assert got == _DECODER.decode(plain) == _parse_entries_general(plain)  # fast, and the same
    assert got["aws:secret_id=db"] == CacheEntry("MARKER-\u00e9-\U0001f511", 1700000000.5)
    assert got["hashicorp:engine=kv,key=k,path=p"] == CacheEntry("", 17.0, "down")
    assert type(got["hashicorp:engine=kv,key=k,path=p"].fetched) is float
    # A lone surrogate (json.dumps escapes it; msgspec refuses it): the general path reads it.
    lone = json.dumps({"a": {"value": "x\ud83d", "fetched": 1.0}}).encode()
    assert _parse_entries(lone) == {"a": CacheEntry("x\ud83d", 1.0)}


def test_duplicate_keys_and_odd_shapes_match_the_general_path() -> None:
    for plain in (
        b'{"a": {"value": "1", "fetched": 1}, "a": {"value": "2", "fetched": 2}}',
        b'{"a": {"value": "1", "value": "2", "fetched": 1}}',
        b'{"a": {"value": 5, "fetched": "7"}}',
        b'{"a": {"value": "x", "fetched": NaN}}',
        b'{"a": {"value": "x", "fetched": 1, "stale": null}}',
        b'[{"value": "x", "fetched": 1}]',
        b'{"a": {"value": "x"}}',
        b"{}",
    ):
        assert _outcome(_parse_entries, plain) == _outcome(_parse_entries_general, plain), plain


def _old_fingerprint(provider: str, params: dict[str, str]) -> str:
    items = ",".join(f"{k}={v}" for k, v in sorted(params.items()) if v)
    return f"{provider}:{items}"


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["aws", "hashicorp", "azure", "onepassword"]),
    st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=5),
)
def test_fingerprint_is_the_sorted_join(provider: str, params: dict[str, str]) -> None:
    assert link_fingerprint(provider, params) == _old_fingerprint(provider, params)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["hashicorp", "aws", "azure"]),
    st.permutations(["engine", "path", "key"]),
    st.lists(st.sampled_from(["", "s", "a=b", "app/x,y", "ünï", "%s"]), min_size=3, max_size=3),
    st.dictionaries(
        st.sampled_from(["engine", "key", "kex", "pat", "z", ""]), st.text(max_size=3), max_size=2
    ),
)
def test_fingerprint_of_hashicorp_shapes_is_the_sorted_join(
    provider: str, order: list[str], values: list[str], extra: dict[str, str]
) -> None:
    """The HashiCorp shortcut (three keys, none empty) gives the general rule's string, in
    any key order, and does not apply to other shapes (an empty value, extra keys)."""
    params = dict(zip(order, values, strict=True))
    assert link_fingerprint(provider, params) == _old_fingerprint(provider, params)
    mixed = {**params, **extra}
    assert link_fingerprint(provider, mixed) == _old_fingerprint(provider, mixed)

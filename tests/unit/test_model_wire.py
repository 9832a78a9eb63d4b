"""The vault's fast paths write and read exactly what the general ones do."""

from __future__ import annotations

import json
import re
import sys
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core import model
from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.model import Link, Secret, VaultData

names = st.from_regex(r"\A[A-Za-z0-9._-]{1,20}\Z")
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
# Unix times as this program writes them. (Below 1e-4 the two encoders spell the exponent
# differently, 1e-07 vs 1e-7: the same number, so only the parse is compared there.)
times = st.one_of(st.just(0.0), st.floats(min_value=1.0, max_value=1e11, allow_nan=False))
tiny = st.floats(min_value=-1e-4, max_value=1e-4, allow_nan=False)
links = st.one_of(
    st.none(),
    st.builds(
        Link,
        st.sampled_from(["hashicorp", "aws", "azure", "1password"]),
        st.dictionaries(st.sampled_from(["engine", "path", "key", "secret_id"]), texts),
    ),
)
secrets = st.builds(
    Secret,
    name=names,
    value=texts,
    enabled=st.booleans(),
    allowed_domains=st.lists(
        st.sampled_from(["a.example.com", "*.example.org"]), max_size=2, unique=True
    ),
    link=links,
    created=times,
    updated=times,
)


def vars_of(s: Secret) -> dict[str, object]:
    """A secret's fields by name, each with its type (vars() of the dataclass it was; the
    type too, so 1 and 1.0 or True differ)."""
    return {name: (type(v), v) for name in Secret.__match_args__ for v in [getattr(s, name)]}


def typed_decode(raw: bytes) -> VaultData:
    """from_json_bytes through msgspec's typed decoder, whatever the size (small contents
    otherwise take the general path alone)."""
    with mock.patch.object(model, "SMALL_CONTENTS", 0):
        return VaultData.from_json_bytes(raw)


def old_bytes(data: VaultData) -> bytes:
    return json.dumps(data.to_json(), separators=(",", ":"), ensure_ascii=False).encode()


def msgspec_encode(data: VaultData) -> bytes:
    """to_json_bytes through msgspec, whatever the size (small vaults are otherwise written
    by json.dumps when msgspec is not loaded yet, which would compare json.dumps with
    itself)."""
    with mock.patch.object(model, "SMALL_SECRETS", 0):
        return data.to_json_bytes()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(secrets, max_size=8), st.dictionaries(st.sampled_from(["aws"]), st.just({"a": "b"}))
)
def test_fast_encoding_is_byte_identical(
    secret_list: list[Secret], integ: dict[str, dict[str, str]]
) -> None:
    data = VaultData({s.name: s for s in secret_list}, integ)
    for s in secret_list:
        if s.link:
            assert s.link.fingerprint  # computing it must not add anything to the file
    assert msgspec_encode(data) == old_bytes(data)


class _Dict(dict):  # type: ignore[type-arg]
    """Not exactly a dict, so Secret.from_json takes its general path."""


@settings(max_examples=300, deadline=None)
@given(st.lists(secrets, max_size=8))
def test_fast_decoding_equals_the_general_path(secret_list: list[Secret]) -> None:
    raw = json.loads(VaultData({s.name: s for s in secret_list}).to_json_bytes())
    fast = [Secret.from_json(r) for r in raw["secrets"]]
    general = [Secret.from_json(_Dict(r)) for r in raw["secrets"]]
    assert fast == general
    assert [vars_of(s) for s in fast] == [vars_of(s) for s in general]


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "a b"},
        {"name": ""},
        {"name": "x" * 200},
        {"name": "a\n"},
        {"value": 3},
        {"enabled": 1},
        {"created": float("nan")},
        {"updated": 1e13},
    ],
)
def test_the_fast_path_refuses_what_the_general_path_refuses(bad: dict[str, object]) -> None:
    raw = {
        "name": "ok",
        "value": "v",
        "enabled": True,
        "allowed_domains": [],
        "link": None,
        "created": 1.0,
        "updated": 2.0,
    } | bad
    with pytest.raises(InvalidSecretError):
        Secret.from_json(raw)


@settings(max_examples=100, deadline=None)
@given(tiny)
def test_tiny_times_parse_the_same(t: float) -> None:
    data = VaultData({"a": Secret("a", created=t, updated=t)})
    assert json.loads(msgspec_encode(data)) == json.loads(old_bytes(data))


def test_the_wire_keys_are_the_fields_in_order() -> None:
    import dataclasses

    from tui_vault.core.model import _WIRE_KEYS, _msgspec_ready

    assert Secret.__match_args__ == Secret.__slots__ == _WIRE_KEYS
    _msgspec_ready()
    shape: Any = Secret  # what msgspec reads: the dataclass protocol's fields
    assert tuple(f.name for f in dataclasses.fields(shape)) == _WIRE_KEYS


def test_an_adopted_secret_behaves_like_a_constructed_one() -> None:
    raw = {
        "name": "a",
        "value": "v",
        "enabled": True,
        "allowed_domains": [],
        "link": None,
        "created": 1.0,
        "updated": 2.0,
    }
    s = Secret.from_json(raw)
    assert s == Secret("a", "v", True, [], None, 1.0, 2.0)
    assert s.replace(value="w") == Secret("a", "w", True, [], None, 1.0, 2.0)
    with pytest.raises(AttributeError):
        s.value = "x"


@settings(max_examples=300, deadline=None)
@given(st.lists(secrets, max_size=8))
def test_typed_decoding_equals_the_general_path(secret_list: list[Secret]) -> None:
    raw = VaultData({s.name: s for s in secret_list}).to_json_bytes()
    fast = typed_decode(raw)
    general = VaultData.from_json(_Dict(json.loads(raw)))
    assert fast == general
    assert [vars_of(s) for s in fast.secrets.values()] == [
        vars_of(s) for s in general.secrets.values()
    ]


@pytest.mark.parametrize(
    "doc",
    [
        {"secrets": [{"name": "a", "allowed_domains": "x.example.com, Y.example.com"}]},
        {"secrets": [{"name": "a", "allowed_domains": ["Y.example.com", "y.example.com"]}]},
        {"secrets": [{"name": "a", "created": 5, "updated": True}]},
        {"secrets": [{"name": "a", "value": "v", "link": {"provider": "aws", "params": {}}}]},
        {"secrets": [{"name": "a"}, {"name": "a", "value": "second"}]},
    ],
)
def test_unusual_contents_take_the_general_path(doc: dict[str, object]) -> None:
    raw = json.dumps(doc).encode()
    fast = typed_decode(raw)
    general = VaultData.from_json(json.loads(raw))
    assert [vars_of(s) for s in fast.secrets.values()] == [
        {**vars_of(s), "created": vars_of(f)["created"], "updated": vars_of(f)["updated"]}
        if "created" not in doc["secrets"][0]  # type: ignore[index]
        else vars_of(s)
        for s, f in zip(general.secrets.values(), fast.secrets.values(), strict=True)
    ]


@pytest.mark.parametrize(
    "doc",
    [
        {"secrets": [{"name": "a b"}]},
        {"secrets": [{"name": "a", "created": 1e13}]},
        # Times out of range in documents the typed decoder takes whole (it checks them):
        {"secrets": [{"name": "a", "created": 1e13}], "integrations": {}},
        {"secrets": [{"name": "a", "created": 1.0, "updated": -1e12}], "integrations": {}},
        {"secrets": [{"name": "a", "created": 10**400}], "integrations": {}},
        {"secrets": [{"name": "a", "allowed_domains": ["bad domain"]}]},
        {"secrets": [{"name": "a", "link": {"provider": "nope", "params": {}}}]},
        {"secrets": "x"},
    ],
)
def test_bad_contents_are_refused_by_both_paths(doc: dict[str, object]) -> None:
    raw = json.dumps(doc).encode()
    with pytest.raises(InvalidSecretError) as typed:
        typed_decode(raw)
    with pytest.raises(InvalidSecretError) as general:
        VaultData.from_json(json.loads(raw))
    assert typed.value.message == general.value.message  # names the secret, both ways


@pytest.mark.parametrize("count", [0, 3, 100])
def test_small_contents_skip_msgspec(count: int) -> None:
    """Below SMALL_CONTENTS (and msgspec not loaded yet) the general path alone decides:
    the same vault as the typed decoder builds."""
    secret_list = [
        Secret(f"s{i}", f"v{i}", allowed_domains=["a.example.com"] if i % 10 == 0 else [])
        for i in range(count)
    ]
    raw = VaultData({s.name: s for s in secret_list}, {"aws": {"a": "b"}}).to_json_bytes()
    assert len(raw) < model.SMALL_CONTENTS
    with mock.patch.dict(sys.modules):  # as in a fresh `get`: msgspec not loaded
        sys.modules.pop("msgspec", None)
        small = VaultData.from_json_bytes(raw)
        assert "msgspec" not in sys.modules
    assert small == typed_decode(raw)


@pytest.mark.parametrize("count", [0, 3, 255])
def test_small_vaults_are_written_without_msgspec(count: int) -> None:
    """Below SMALL_SECRETS (and msgspec not loaded yet) json.dumps writes the vault, as a
    process that saves once would: the same bytes msgspec writes, and msgspec stays out."""
    secret_list = [
        Secret(f"s{i}", f"v{i} é\n😀", allowed_domains=["a.example.com"] if i % 10 == 0 else [])
        for i in range(count)
    ]
    data = VaultData({s.name: s for s in secret_list}, {"aws": {"a": "b"}})
    with mock.patch.dict(sys.modules):
        sys.modules.pop("msgspec", None)
        small = data.to_json_bytes(model.EncodedBlocks())
        assert "msgspec" not in sys.modules
    assert small == msgspec_encode(data) == old_bytes(data)


def test_a_big_vault_is_written_by_msgspec() -> None:
    data = VaultData({f"s{i}": Secret(f"s{i}", "v") for i in range(model.SMALL_SECRETS)})
    with mock.patch.dict(sys.modules):
        sys.modules.pop("msgspec", None)
        assert data.to_json_bytes() == old_bytes(data)
        assert "msgspec" in sys.modules


_PLAIN_NAMES_RE = re.compile(r"\A[A-Za-z0-9._-]{1,128}(?:\n[A-Za-z0-9._-]{1,128})*\Z")
name_like = st.one_of(
    names,
    st.text(st.sampled_from("ab-\n\r é"), max_size=6),
    st.integers(120, 135).map(lambda n: "x" * n),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(name_like, min_size=1, max_size=6), st.sampled_from(["", "\n", "\n\n", " "]))
def test_the_possessive_names_pattern_matches_what_the_plain_one_does(
    parts: list[str], tail: str
) -> None:
    text = "\n".join(parts) + tail
    assert bool(model._NAMES_RE.match(text)) == bool(_PLAIN_NAMES_RE.match(text))


def test_the_names_pattern_keeps_no_state_per_name() -> None:
    import resource

    text = "\n".join(f"secret-{i:06d}" for i in range(100_000))
    model._NAMES_RE.match(text)  # warm
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert model._NAMES_RE.match(text)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 200

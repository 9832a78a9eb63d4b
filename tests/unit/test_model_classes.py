"""The model's hand-written classes (Link, StrictUrl, Secret, VaultData, Envelope, VaultPaths,
VaultFile) behave as the dataclasses they replace did: compared with reference dataclasses
of the same fields, on construction, defaults, equality, hashing, frozenness, replace, match,
copy and pickle; and importing them loads no dataclasses module."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tui_vault.core.model import Link, Secret, StrictUrl, VaultData, now
from tui_vault.core.store import Envelope
from tui_vault.core.vault import VaultFile, VaultPaths


@dataclasses.dataclass(frozen=True, slots=True)
class OldLink:
    provider: str
    params: dict[str, str]


@dataclasses.dataclass(frozen=True)
class OldUrl:
    scheme: str
    host: str
    port: int | None


@dataclasses.dataclass(frozen=True)
class OldSecret:
    name: str
    value: str = ""
    enabled: bool = True
    allowed_domains: list[str] = dataclasses.field(default_factory=list)
    link: Link | None = None
    created: float = dataclasses.field(default_factory=now)
    updated: float = dataclasses.field(default_factory=now)


@dataclasses.dataclass(frozen=True)
class OldEnvelope:
    kind: str
    vault_id: str
    key_check: bytes
    generation: int
    nonce: bytes
    ciphertext: bytes


def fields_of(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, name) for name in type(obj).__match_args__)


PAIRS: list[tuple[Any, Any]] = [
    (Link("aws", {"secret_id": "x"}), OldLink("aws", {"secret_id": "x"})),
    (StrictUrl("https", "h.example", 8443), OldUrl("https", "h.example", 8443)),
    (StrictUrl("http", "h", None), OldUrl("http", "h", None)),
    (
        Secret("a", "v", False, ["x.io"], None, 1.0, 2.0),
        OldSecret("a", "v", False, ["x.io"], None, 1.0, 2.0),
    ),
    (Secret("b", link=Link("aws", {}), created=3.0, updated=4.0), None),
    (
        Envelope("vault", "ab" * 16, b"k", 3, b"n", b"c"),
        OldEnvelope("vault", "ab" * 16, b"k", 3, b"n", b"c"),
    ),
]


@pytest.mark.parametrize(("new", "old"), PAIRS)
def test_same_fields_equality_and_hash_as_the_dataclass(new: Any, old: Any) -> None:
    if old is not None:
        assert type(new).__match_args__ == tuple(f.name for f in dataclasses.fields(old))
        assert fields_of(new) == dataclasses.astuple(old) or fields_of(new) == tuple(
            getattr(old, f.name) for f in dataclasses.fields(old)
        )
        try:
            expected: Any = hash(old)
        except TypeError:
            expected = TypeError
        if expected is TypeError:
            with pytest.raises(TypeError):
                hash(new)
        else:
            assert hash(new) == expected
    twin = type(new)(*fields_of(new))
    assert new == twin
    assert not new.__ne__(twin)
    assert new != old  # another class is never equal
    assert new.__eq__(object()) is NotImplemented
    with pytest.raises(AttributeError):
        new.kind_of_thing = 1
    with pytest.raises(AttributeError):
        setattr(new, type(new).__match_args__[0], "changed")
    with pytest.raises(AttributeError):
        delattr(new, type(new).__match_args__[0])
    assert copy.copy(new) == new and copy.deepcopy(new) == new
    assert pickle.loads(pickle.dumps(new)) == new


def test_secret_defaults_and_replace_as_the_dataclass() -> None:
    s, old = Secret("a"), OldSecret("a")
    assert (s.value, s.enabled, s.allowed_domains, s.link) == ("", True, [], None)
    assert (old.value, old.enabled, old.allowed_domains, old.link) == ("", True, [], None)
    assert abs(s.created - old.created) < 60 and abs(s.updated - old.updated) < 60
    assert Secret("a").allowed_domains is not Secret("b").allowed_domains  # a list each
    changed = s.replace(value="w", enabled=False)
    assert fields_of(changed) == ("a", "w", False, [], None, s.created, s.updated)
    with pytest.raises(TypeError):
        s.replace(colour="red")
    touched = s.touched(value="x")
    assert touched.value == "x" and touched.updated >= s.updated and touched.created == s.created
    with pytest.raises(Exception, match="unknown provider"):
        Link("aws", {}).replace(provider="nowhere")
    match s:
        case Secret(name, value):
            assert (name, value) == ("a", "")


def test_vault_data_is_mutable_and_unhashable_as_before() -> None:
    data = VaultData()
    assert data.secrets == {} and data.integrations == {}
    assert VaultData().secrets is not data.secrets
    data.secrets["a"] = Secret("a", created=1.0, updated=1.0)
    data.integrations = {"aws": {"region": "eu"}}
    assert data == VaultData(
        {"a": Secret("a", created=1.0, updated=1.0)}, {"aws": {"region": "eu"}}
    )
    with pytest.raises(TypeError):
        hash(data)


def test_no_value_or_credential_in_a_repr() -> None:
    s = Secret("api", "hunter2-VALUE", created=1.0, updated=2.0)
    data = VaultData({"api": s}, {"hashicorp": {"token": "TOKEN-CREDENTIAL"}})
    for text in (repr(s), str(s), repr(data), repr([s])):
        assert "hunter2-VALUE" not in text and "TOKEN-CREDENTIAL" not in text
    assert repr(s).startswith("Secret(name='api', value=<hidden>, enabled=True")
    assert "hashicorp" in repr(data)


def test_vault_paths_and_file() -> None:
    p = VaultPaths(Path("/x/v.json"))
    assert p == VaultPaths(Path("/x/v.json")) and hash(p) == hash((Path("/x/v.json"),))
    assert p.lock == Path("/x/v.json.lock")
    env = PAIRS[-1][0]
    f = VaultFile(env, b"d")
    assert f == VaultFile(env, b"d") and f != VaultFile(env, b"e")
    with pytest.raises(AttributeError):
        f.digest = b"x"  # type: ignore[misc]


def test_the_small_path_modules_load_no_dataclasses() -> None:
    code = (
        "import sys, tui_vault.core.model, tui_vault.core.store; "
        "assert 'dataclasses' not in sys.modules, 'dataclasses'; "
        "assert 'msgspec' not in sys.modules, 'msgspec'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("cls", [Link, Secret])
def test_the_msgspec_shape_agrees_with_init(cls: Any) -> None:
    """What msgspec reads (the dataclass protocol _msgspec_ready gives) is the class's own
    fields, in order, with __init__'s defaults: decoding a missing field gives what
    constructing without it gives."""
    import inspect

    from tui_vault.core.model import _FACTORY, _msgspec_ready

    _msgspec_ready()
    shape: Any = cls
    fields = dataclasses.fields(shape)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [f.name for f in fields] == [p.name for p in params] == list(cls.__match_args__)
    for f, p in zip(fields, params, strict=True):
        if p.default is inspect.Parameter.empty:
            assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        elif p.default is _FACTORY:
            assert f.default_factory is not dataclasses.MISSING
            made = f.default_factory()
            assert made == [] or abs(made - now()) < 60
        else:
            assert f.default == p.default

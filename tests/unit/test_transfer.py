"""Import and export: plaintext and encrypted round trips, passwords, all-or-nothing imports,
duplicates, Postman environments and the size limit."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import read_import
from tui_vault.core import transfer
from tui_vault.core.errors import (
    ExitCode,
    ImportFormatError,
    UsageError,
    VaultError,
    WrongPasswordError,
)
from tui_vault.core.model import Link, Secret, VaultData
from tui_vault.core.transfer import (
    Argon2Params,
    export_encrypted,
    export_plaintext,
    merge,
    needs_password,
    sniff,
)
from tui_vault.core.vault import Vault

MARKER = "MARKER-7f3a9c-SECRET"
CHEAP = Argon2Params(iterations=1, lanes=1, memory_cost=8)
PASSWORD = "correct horse battery"


def sample() -> VaultData:
    return VaultData(
        secrets={
            "A": Secret("A", MARKER, allowed_domains=["*.example.com"], created=1.0, updated=2.0),
            "B": Secret("B", "", enabled=False, created=3.0, updated=4.0),
            "L": Secret(
                "L",
                link=Link("aws", {"secret_id": "prod/db", "json_key": "password"}),
                created=5.0,
                updated=6.0,
            ),
            "U": Secret("U", "ünïcødé ✓ \n multi-line", created=7.0, updated=8.0),
        },
        integrations={"aws": {"region": "eu-west-1", "secret_access_key": "CREDENTIAL-99"}},
    )


def by_name(secrets: list[Secret]) -> dict[str, Secret]:
    return {s.name: s for s in secrets}


# ---------------------------------------------------------------------------- export / import


def test_plaintext_round_trip() -> None:
    data = sample()
    raw = export_plaintext(data)
    assert b"CREDENTIAL-99" not in raw and b"secret_access_key" not in raw
    doc = json.loads(raw)
    assert isinstance(doc, list) and len(doc) == 4
    assert {"name", "value", "enabled", "allowed_domains", "link"} <= set(doc[0])
    got = read_import(raw)
    assert got.kind == "plaintext"
    assert by_name(got.secrets) == data.secrets
    assert not needs_password(raw)


def test_encrypted_round_trip() -> None:
    data = sample()
    raw = export_encrypted(data, PASSWORD, CHEAP)
    assert MARKER.encode() not in raw and b"CREDENTIAL-99" not in raw and b"prod/db" not in raw
    doc = json.loads(raw)
    assert doc["format"] == "tui-vault-export" and doc["encrypted"] is True
    assert doc["kdf"] == {"name": "argon2id", "iterations": 1, "lanes": 1, "memory_cost": 8}
    assert needs_password(raw)
    got = read_import(raw, PASSWORD)
    assert got.kind == "encrypted"
    assert by_name(got.secrets) == data.secrets


def test_default_argon2_parameters_are_strong() -> None:
    p = Argon2Params()
    assert p.memory_cost >= 64 * 1024 and p.iterations >= 2
    assert Argon2Params.from_json(p.to_json()) == p


def test_two_exports_differ() -> None:
    a = export_encrypted(sample(), PASSWORD, CHEAP)
    b = export_encrypted(sample(), PASSWORD, CHEAP)
    assert json.loads(a)["salt"] != json.loads(b)["salt"]
    assert json.loads(a)["ciphertext"] != json.loads(b)["ciphertext"]


@pytest.mark.parametrize("password", ["", "short", "x" * 11])
def test_short_passwords_are_refused(password: str) -> None:
    with pytest.raises(VaultError) as info:
        export_encrypted(sample(), password, CHEAP)
    assert "12" in str(info.value)
    assert info.value.exit_code == ExitCode.ERROR  # a password of an export: 1, not usage (2)


def test_twelve_characters_are_enough() -> None:
    raw = export_encrypted(sample(), "x" * 12, CHEAP)
    assert len(read_import(raw, "x" * 12).secrets) == 4


def test_wrong_or_missing_password() -> None:
    raw = export_encrypted(sample(), PASSWORD, CHEAP)
    with pytest.raises(WrongPasswordError) as info:
        read_import(raw, PASSWORD + "!")
    assert "nothing was imported" in str(info.value)
    with pytest.raises(WrongPasswordError) as info:
        read_import(raw, None)
    assert "password is needed" in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("exported_at", 1, WrongPasswordError),
        ("salt", "AAAAAAAAAAAAAAAAAAAAAA==", WrongPasswordError),
        ("nonce", "AAAAAAAAAAAAAAAA", WrongPasswordError),
        ("kdf", {"name": "argon2id", "iterations": 1, "lanes": 1, "memory_cost": 16}, None),
        ("kdf", {"name": "argon2id", "iterations": 1, "lanes": 1, "memory_cost": 2**40}, None),
        ("kdf", {"name": "scrypt"}, ImportFormatError),
        ("kdf", {"name": "argon2id", "iterations": 1000, "lanes": 1, "memory_cost": 8}, None),
        ("cipher", "ROT13", ImportFormatError),
        ("version", 9, ImportFormatError),
        ("extra", 1, ImportFormatError),
        ("salt", "short", ImportFormatError),
        ("exported_at", "yesterday", ImportFormatError),
    ],
)
def test_tampered_encrypted_exports_are_refused(
    field: str, value: object, error: type[Exception] | None
) -> None:
    doc = json.loads(export_encrypted(sample(), PASSWORD, CHEAP))
    doc[field] = value
    # Written back in the canonical form, so the header check itself is what refuses it.
    raw = json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n"
    with pytest.raises((WrongPasswordError, ImportFormatError)) as info:
        read_import(raw, PASSWORD)
    if error is not None:
        assert isinstance(info.value, error)
    assert MARKER not in str(info.value)


# ---------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"{not json", "not valid JSON (line 1"),
        (b'"just a string"', "unrecognised"),
        (b'{"hello": 1}', "unrecognised"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_files(raw: bytes, words: str) -> None:
    with pytest.raises(ImportFormatError) as info:
        read_import(raw)
    assert words in str(info.value)


def test_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = export_plaintext(sample())
    monkeypatch.setattr(transfer, "MAX_IMPORT_BYTES", len(raw) - 1)
    with pytest.raises(ImportFormatError) as info:
        sniff(raw)
    assert "import limit" in str(info.value)
    monkeypatch.setattr(transfer, "MAX_IMPORT_BYTES", len(raw))
    assert sniff(raw)[0] == "plaintext"


def test_bom_and_wrapped_shapes_are_accepted() -> None:
    entries = json.loads(export_plaintext(sample()))
    assert len(read_import(b"\xef\xbb\xbf" + json.dumps(entries).encode()).secrets) == 4
    wrapped = {"format": "tui-vault-export", "version": 1, "secrets": entries}
    assert len(read_import(json.dumps(wrapped).encode()).secrets) == 4
    assert len(read_import(json.dumps({"secrets": entries}).encode()).secrets) == 4


@pytest.mark.parametrize(
    ("bad_entry", "words"),
    [
        ({"name": "bad name", "value": MARKER}, "entry 3 ('bad name')"),
        ({"value": MARKER}, "entry 3"),
        ("just text", "entry 3"),
        ({"name": "C", "value": 42}, "entry 3 ('C')"),
        ({"name": "C", "value": MARKER, "enabled": "no"}, "entry 3 ('C')"),
        ({"name": "C", "value": MARKER, "allowed_domains": ["*"]}, "entry 3 ('C')"),
        ({"name": "C", "link": {"provider": "aws", "params": {}}}, "entry 3 ('C')"),
        ({"name": "C", "link": {"provider": "nope", "params": {}}}, "entry 3 ('C')"),
        ({"name": "A", "value": MARKER}, "appears twice"),
    ],
)
def test_import_is_all_or_nothing_and_names_the_bad_entry(
    vault: Vault, bad_entry: object, words: str
) -> None:
    vault.set_value("EXISTING", "keep me")
    before = vault.path.read_bytes()
    entries = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, bad_entry]
    with pytest.raises(ImportFormatError) as info:
        read_import(json.dumps(entries).encode())
    assert words in str(info.value)
    assert MARKER not in str(info.value)
    assert vault.path.read_bytes() == before


# ---------------------------------------------------------------------------- duplicates


def test_merge_skip_replace_keep_both(vault: Vault) -> None:
    vault.set_value("A", "old-a")
    vault.set_value("A-imported", "taken")
    incoming = [Secret("A", "new-a"), Secret("N", "new")]

    s = vault.change(lambda d: merge(d, incoming, "skip"))
    assert s.added == ["N"] and s.skipped == ["A"]
    assert "skipped (already in the vault): A" in s.lines()
    assert vault.get("A").value == "old-a"

    s = vault.change(lambda d: merge(d, [Secret("A", "new-a")], "replace"))
    assert s.replaced == ["A"] and vault.get("A").value == "new-a"

    s = vault.change(lambda d: merge(d, [Secret("A", "third", enabled=False)], "keep-both"))
    assert s.renamed == [("A", "A-imported-2")]
    kept = vault.get("A-imported-2")
    assert kept.value == "third" and not kept.enabled
    assert vault.get("A").value == "new-a" and vault.get("A-imported").value == "taken"
    assert any("kept both" in line for line in s.lines())


@pytest.mark.timeout(10)
def test_keep_both_with_a_maximum_length_name(vault: Vault) -> None:
    long = "n" * 128
    vault.set_value(long, "old")
    for i in range(3):
        s = vault.change(lambda d, i=i: merge(d, [Secret(long, f"v{i}")], "keep-both"))
        (_, new), *_ = s.renamed
        assert len(new) <= 128 and new != long
    assert len(vault.names()) == 4


def test_merge_refuses_an_unknown_mode() -> None:
    with pytest.raises(UsageError):
        merge(VaultData(), [], "overwrite")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- Postman


def postman(values: list[object]) -> bytes:
    return json.dumps(
        {
            "id": "x",
            "name": "Staging",
            "values": values,
            "_postman_variable_scope": "environment",
            "_postman_exported_using": "Postman/11",
        }
    ).encode()


def test_postman_environment_import() -> None:
    raw = postman(
        [
            {"key": "api_key", "value": MARKER, "type": "secret", "enabled": True},
            {"key": "old_token", "value": "t", "type": "default", "enabled": False},
            {"key": "base url", "value": "https://x", "type": "default", "enabled": True},
            {"key": "flag", "value": True, "enabled": True},
            {"key": "nothing", "value": None},
            {"key": "count", "value": 3},
        ]
    )
    got = read_import(raw)
    assert got.kind == "postman"
    s = by_name(got.secrets)
    assert s["api_key"].value == MARKER and s["api_key"].enabled
    assert s["old_token"].enabled is False
    assert s["base_url"].value == "https://x"
    assert s["flag"].value == "true" and s["nothing"].value == "" and s["count"].value == "3"
    assert any("'base url'" in n and "'base_url'" in n for n in got.notes)


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ([{"value": "x"}], "variable 1"),
        ([{"key": "ok"}, {"key": "a b"}, {"key": "a_b"}], "appears twice"),
        ([{"key": "x", "value": {"nested": MARKER}}], "not text"),
        ([{"key": "x", "enabled": "yes"}], "'enabled'"),
        ([{"key": "   "}], "empty name"),
    ],
)
def test_bad_postman_variables(values: list[object], words: str) -> None:
    with pytest.raises(ImportFormatError) as info:
        read_import(postman(values))
    assert words in str(info.value)
    assert MARKER not in str(info.value)


# ---------------------------------------------------------------------------- fuzz

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
link_like = st.fixed_dictionaries(
    {"provider": st.sampled_from(["aws", "azure", "hashicorp", "1password", "x"]) | json_values},
    optional={
        "params": st.dictionaries(
            st.sampled_from(["secret_id", "ref", "engine", "path", "key", "json_key", "zzz"]),
            st.text(max_size=30) | json_values,
            max_size=4,
        )
    },
)
entries = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text("abAB01._- /", max_size=6) | json_values,
        "value": st.text(max_size=10) | json_values,
        "enabled": st.booleans() | json_values,
        "allowed_domains": st.lists(st.sampled_from(["a.io", "*.b.io", "*", "x y"]), max_size=2)
        | json_values,
        "link": st.none() | link_like | json_values,
        "created": st.floats(allow_nan=False) | json_values,
    },
)
postman_vars = st.fixed_dictionaries(
    {},
    optional={
        "key": st.text(max_size=8) | json_values,
        "value": json_values,
        "enabled": json_values,
        "type": st.sampled_from(["default", "secret"]),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entries | json_values, max_size=4))
def test_any_plaintext_import_either_parses_or_says_why(doc: list[object]) -> None:
    try:
        got = read_import(json.dumps(doc).encode())
    except VaultError:
        return
    assert all(isinstance(s, Secret) for s in got.secrets)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(postman_vars | json_values, max_size=4))
def test_any_postman_file_either_parses_or_says_why(values: list[object]) -> None:
    try:
        read_import(postman(values))
    except VaultError:
        return


def test_any_byte_change_of_an_encrypted_export_is_refused() -> None:
    raw = export_encrypted(sample(), PASSWORD, CHEAP)
    assert read_import(raw, PASSWORD).secrets
    reindented = json.dumps(json.loads(raw), indent=2, sort_keys=True).encode() + b"\n"
    for changed in (raw + b"\n", raw.replace(b": ", b":  ", 1), reindented):
        with pytest.raises(ImportFormatError, match="modified after it was written"):
            read_import(changed, PASSWORD)

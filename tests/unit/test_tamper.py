"""Damaged, foreign and tampered vault files are refused, and never changed by trying.

Includes the bit-flip sweep (every bit of a small vault file) and hypothesis properties for
the file format: any VaultData round-trips, and no mutation is ever accepted.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_vault import cli
from tui_vault.core.errors import CorruptVaultError, VaultError, WrongKeyError
from tui_vault.core.model import PROVIDERS, Link, Secret, VaultData
from tui_vault.core.store import Envelope
from tui_vault.core.vault import Vault, _seal, _unseal
from tui_vault.core.vaultkey import encode_key, generate_key

VID = "0123456789abcdef" * 2


def open_bytes(raw: bytes, key: bytes) -> VaultData:
    env = Envelope.from_bytes(raw, "vault.json", "vault")
    return _unseal(key, env, "vault.json")


def small_vault(path: Path) -> tuple[Vault, bytes]:
    v, key = Vault.create(path)
    v.set_value("A", "MARKER-7f3a9c-SECRET", allowed_domains="example.com")
    return v, key


_PARSER = cli.build_parser()


def run_main(
    args: list[str], key: bytes, monkeypatch: pytest.MonkeyPatch, stdin: bytes = b""
) -> int:
    """The CLI in-process (fast enough to run once per flipped byte: one parser for all)."""
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    monkeypatch.setattr(cli, "build_parser", lambda: _PARSER)
    return cli.main(args)


# ---------------------------------------------------------------------------- simple cases


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{}",
        b'{"hello": "world"}\n',
        b"\x00" * 100,
        b"KEY=value\n",
        b'{"format":"tui-vault"}',
    ],
    ids=["empty", "empty-object", "other-json", "zeros", "dotenv", "partial-header"],
)
def test_foreign_files_are_refused_and_untouched(vault_file: Path, content: bytes) -> None:
    vault_file.parent.mkdir(parents=True)
    vault_file.write_bytes(content)
    with pytest.raises(CorruptVaultError):
        Vault.open(vault_file, generate_key())
    assert vault_file.read_bytes() == content


def test_every_truncation_is_refused(vault_file: Path) -> None:
    _, key = small_vault(vault_file)
    raw = vault_file.read_bytes()
    for n in range(len(raw)):
        with pytest.raises(CorruptVaultError):
            open_bytes(raw[:n], key)
    vault_file.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptVaultError):
        Vault.open(vault_file, key)
    assert vault_file.read_bytes() == raw[: len(raw) // 2]


def test_a_cache_file_is_not_a_vault(vault_file: Path) -> None:
    _, key = small_vault(vault_file)
    doc = json.loads(vault_file.read_bytes())
    doc["kind"] = "cache"
    raw = json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"
    with pytest.raises(CorruptVaultError):
        open_bytes(raw, key)


def test_header_change_with_valid_encoding_fails_authentication(vault_file: Path) -> None:
    _, key = small_vault(vault_file)
    doc = json.loads(vault_file.read_bytes())
    doc["generation"] += 5
    raw = json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"
    with pytest.raises(CorruptVaultError) as info:
        open_bytes(raw, key)
    assert "tampered" in str(info.value)


def test_altered_key_check_is_tampering_not_a_wrong_key(vault_file: Path) -> None:
    """The key check is bound into the associated data; changing it must not make the right
    key look wrong (a user told "wrong key" might reset a vault that is only damaged)."""
    _, key = small_vault(vault_file)
    doc = json.loads(vault_file.read_bytes())
    check = bytearray(base64.b64decode(doc["key_check"]))
    check[0] ^= 1
    doc["key_check"] = base64.b64encode(bytes(check)).decode()
    raw = json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"
    with pytest.raises(CorruptVaultError) as info:
        open_bytes(raw, key)
    assert "key check altered" in str(info.value)
    with pytest.raises(WrongKeyError):
        open_bytes(raw, generate_key())


def test_swapped_ciphertext_from_another_vault_is_refused(home: Path) -> None:
    a, key = small_vault(home / "a" / "vault.json")
    b, _ = Vault.create(home / "b" / "vault.json", key)  # same key, another vault id
    doc_a = json.loads(a.path.read_bytes())
    doc_b = json.loads(b.path.read_bytes())
    doc_b["nonce"], doc_b["ciphertext"] = doc_a["nonce"], doc_a["ciphertext"]
    raw = json.dumps(doc_b, sort_keys=True, indent=1).encode() + b"\n"
    with pytest.raises(CorruptVaultError):
        open_bytes(raw, key)


def test_file_replaced_under_an_open_vault_is_not_overwritten(home: Path) -> None:
    a, key = small_vault(home / "a" / "vault.json")
    other, _ = Vault.create(home / "b" / "vault.json", key)
    foreign = other.path.read_bytes()
    a.path.write_bytes(foreign)
    with pytest.raises(CorruptVaultError) as info:
        a.set_value("B", "x")
    assert "different vault" in str(info.value)
    assert a.path.read_bytes() == foreign


def test_tampered_file_under_an_open_vault_is_not_overwritten(vault_file: Path) -> None:
    v, _ = small_vault(vault_file)
    raw = bytearray(vault_file.read_bytes())
    i = raw.index(b'"ciphertext": "') + 20
    raw[i] = ord("A") if raw[i] != ord("A") else ord("B")
    vault_file.write_bytes(bytes(raw))
    with pytest.raises(CorruptVaultError):
        v.set_value("B", "x")
    with pytest.raises(CorruptVaultError):
        v.delete("A")
    assert vault_file.read_bytes() == bytes(raw)


def test_corrupt_errors_never_carry_values(vault_file: Path) -> None:
    _, key = small_vault(vault_file)
    raw = vault_file.read_bytes()
    for n in (0, 10, len(raw) // 2, len(raw) - 3):
        other = b"y" if raw[n : n + 1] == b"x" else b"x"  # always a different byte
        with pytest.raises(VaultError) as info:
            open_bytes(raw[:n] + other + raw[n + 1 :], key)
        assert "MARKER" not in str(info.value)


# ---------------------------------------------------------------------------- bit-flip sweep


def test_every_bit_flip_is_refused(vault_file: Path) -> None:
    v, key = small_vault(vault_file)
    raw = vault_file.read_bytes()
    assert open_bytes(raw, key).secrets["A"].value == "MARKER-7f3a9c-SECRET"
    # With the right key a flip is "damaged", except in the vault id: that is another vault.
    vid = raw.index(v.vault_id.encode())
    other_vault = range(vid, vid + len(v.vault_id))
    for i in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[i] ^= 1 << bit
            try:
                open_bytes(bytes(flipped), key)
            except CorruptVaultError as e:
                assert "MARKER" not in str(e)
            except WrongKeyError:
                assert i in other_vault, f"bit {bit} of byte {i}: the right key called wrong"
            else:
                pytest.fail(f"bit {bit} of byte {i} flipped and the file was accepted")


def test_bit_flipped_files_on_disk_are_left_unchanged_by_open_and_cli_set(
    vault_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, key = small_vault(vault_file)
    raw = vault_file.read_bytes()
    backup = vault_file.with_name("vault.json.bak")
    backup_before = backup.read_bytes()
    patterns = (0x01, 0x10, 0x80, 0xFF)
    for i in range(len(raw)):
        flipped = bytearray(raw)
        flipped[i] ^= patterns[i % len(patterns)]
        vault_file.write_bytes(bytes(flipped))
        with pytest.raises((CorruptVaultError, WrongKeyError)):
            Vault.open(vault_file, key)
        code = run_main(
            ["--vault", str(vault_file), "set", "B"], key, monkeypatch, stdin=b"new value\n"
        )
        assert code in (1, 3), f"byte {i}: exit {code}"
        assert vault_file.read_bytes() == bytes(flipped), f"byte {i}: file changed"
        err = capsys.readouterr().err
        assert "Traceback" not in err and "MARKER" not in err
        assert len(err.strip().splitlines()) == 1, err
    assert backup.read_bytes() == backup_before
    leftovers = sorted(p.name for p in vault_file.parent.iterdir())
    assert leftovers == ["vault.json", "vault.json.bak", "vault.json.lock"]


# ---------------------------------------------------------------------------- properties

names = st.text("ABCXYZabcxyz0189._-", min_size=1, max_size=12)
domains = st.lists(
    st.sampled_from(["example.com", "*.example.com", "api.test.org", "https://h.io", "x.y:8443"]),
    unique=True,
    max_size=3,
)
times = st.floats(min_value=0, max_value=4e9, allow_nan=False)
params = st.dictionaries(st.sampled_from(["engine", "path", "key", "ref", "secret_id"]), st.text())
links = st.builds(Link, provider=st.sampled_from(sorted(PROVIDERS)), params=params)


@st.composite
def secrets(draw: st.DrawFn) -> Secret:
    link = draw(st.none() | links)
    return Secret(
        name=draw(names),
        value="" if link else draw(st.text(max_size=50)),
        enabled=draw(st.booleans()),
        allowed_domains=draw(domains),
        link=link,
        created=draw(times),
        updated=draw(times),
    )


@st.composite
def vault_datas(draw: st.DrawFn) -> VaultData:
    items = draw(st.lists(secrets(), max_size=6, unique_by=lambda s: s.name))
    integrations = draw(
        st.dictionaries(
            st.sampled_from(sorted(PROVIDERS)),
            st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
            max_size=2,
        )
    )
    return VaultData(secrets={s.name: s for s in items}, integrations=integrations)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(vault_datas(), st.integers(min_value=0, max_value=2**40))
def test_any_vault_data_round_trips_through_the_file_format(
    data: VaultData, generation: int
) -> None:
    key = bytes(range(32))
    raw = _seal(key, VID, generation, data).to_bytes()
    assert open_bytes(raw, key) == data
    with pytest.raises(WrongKeyError):
        open_bytes(raw, bytes(32))


mutations = st.lists(
    st.tuples(st.sampled_from(["set", "insert", "delete"]), st.integers(0), st.integers(0, 255)),
    min_size=1,
    max_size=4,
)


def mutate(raw: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    out = bytearray(raw)
    for op, pos, byte in ops:
        pos %= len(out) + (op == "insert")
        if op == "set":
            out[pos] = byte
        elif op == "insert":
            out.insert(pos, byte)
        elif len(out) > 1:
            del out[pos]
    return bytes(out)


KEY = bytes(range(32))
SAMPLE_FILES = [
    _seal(KEY, VID, 1, VaultData()).to_bytes(),
    _seal(
        KEY,
        VID,
        12,
        VaultData(
            secrets={
                "A": Secret("A", "MARKER-7f3a9c-SECRET", allowed_domains=["*.example.com"]),
                "L": Secret("L", link=Link("aws", {"secret_id": "db"}), enabled=False),
            },
            integrations={"aws": {"region": "eu-west-1"}},
        ),
    ).to_bytes(),
]


@settings(max_examples=300)
@given(st.sampled_from(SAMPLE_FILES), mutations)
def test_random_mutations_are_never_accepted(raw: bytes, ops: list[tuple[str, int, int]]) -> None:
    changed = mutate(raw, ops)
    if changed == raw:
        return
    try:
        open_bytes(changed, KEY)
    except (CorruptVaultError, WrongKeyError):
        return
    pytest.fail("a mutated file was accepted")

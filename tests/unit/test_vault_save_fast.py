"""The save path's shortcuts (issue 15): the reload before each change compares the file
with the envelope held instead of reading and hashing it whole, the new file's digest is
computed while the file is written, and the vault's JSON is encoded in blocks reused while
their secrets stay the same. Each gives the bytes and verdicts of the plain way."""

from __future__ import annotations

import hashlib
import json
import operator
import os
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core import model, store
from tui_vault.core import vault as vault_module
from tui_vault.core.errors import CorruptVaultError
from tui_vault.core.model import EncodedBlocks, Link, Secret, VaultData
from tui_vault.core.rollback import RollbackError
from tui_vault.core.store import Envelope
from tui_vault.core.vault import Vault


def _envelope(size: int) -> Envelope:
    return Envelope("vault", "ab" * 16, b"k" * 32, 7, os.urandom(12), os.urandom(size))


@pytest.mark.parametrize(
    "size",
    [
        0,
        1,
        2,
        3,
        4,
        store._B64_SLICE - 1,
        store._B64_SLICE,
        store._B64_SLICE + 1,
        2 * store._B64_SLICE + 2,
    ],
)
def test_rendering_in_pieces_is_to_bytes(size: int) -> None:
    env = _envelope(size)
    length, pieces = env.rendering()
    whole = env.to_bytes()
    assert b"".join(pieces) == whole and length == len(whole)


def test_read_file_unless_tells_same_from_different(tmp_path: Path) -> None:
    env = _envelope(store._B64_SLICE * 2 + 5)
    path = tmp_path / "f"
    whole = env.to_bytes()
    path.write_bytes(whole)
    assert store.read_file_unless(path, env.rendering()) is None
    variants = [
        whole[:-1] + b"X",  # same length, last byte
        whole[:100] + bytes([whole[100] ^ 1]) + whole[101:],  # same length, in the prefix
        whole[: len(whole) // 2] + b"A" + whole[len(whole) // 2 + 1 :],  # in the base64
        whole + b"\n",  # longer
        whole[:-1],  # shorter
        b"",
    ]
    for changed in variants:
        if changed == whole:
            continue
        path.write_bytes(changed)
        assert store.read_file_unless(path, env.rendering()) == changed  # read whole, from 0


def test_read_file_unless_keeps_every_check(tmp_path: Path) -> None:
    env = _envelope(10)
    target = tmp_path / "real"
    target.write_bytes(env.to_bytes())
    link = tmp_path / "link"
    link.symlink_to(target)
    assert store.read_file_unless(link, env.rendering()) is None  # follow=True, as read_file
    (tmp_path / "dir").mkdir()
    with pytest.raises(CorruptVaultError):
        store.read_file_unless(tmp_path / "dir", env.rendering())
    with pytest.raises(FileNotFoundError):
        store.read_file_unless(tmp_path / "missing", env.rendering())


@pytest.mark.parametrize("size", [10, 3 << 20])  # below and above the threaded digest
def test_digest_while_writing_is_the_digest(size: int) -> None:
    pieces = (b"head", os.urandom(size), b"tail")
    big = sum(map(len, pieces)) >= vault_module._THREADED_DIGEST
    digest = vault_module._Background(vault_module._digest, *pieces, big=big, name="digest")
    assert (digest._thread is not None) == (size > 1 << 20)
    assert digest.result() == hashlib.sha256(b"".join(pieces)).digest()


@pytest.mark.parametrize("size", [10, 2 << 20])  # below and above the threaded digest
def test_reading_a_vault_file_digests_it_while_checking_it(tmp_path: Path, size: int) -> None:
    """read_vault_file's digest is the file's SHA-256 (a big one hashed in a thread while
    the envelope is checked); a big file that fails the check fails as before, its digest's
    thread finished, not left running."""
    import threading

    path = tmp_path / "vault.json"
    path.write_bytes(_envelope(size).to_bytes())
    file = vault_module.read_vault_file(path)
    assert file.digest == hashlib.sha256(path.read_bytes()).digest()
    assert file.envelope == Envelope.from_bytes(path.read_bytes(), str(path), "vault")
    threads = threading.active_count()
    path.write_bytes(path.read_bytes()[:-2] + b" }")  # no longer the canonical rendering
    with pytest.raises(CorruptVaultError):
        vault_module.read_vault_file(path)
    assert threading.active_count() == threads


def test_unchanged_file_is_not_parsed_again(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    vault.set_value("A", "1")

    def refuse(*_: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(Envelope, "from_bytes", classmethod(refuse))
    vault.set_value("B", "2")  # reload finds the file it wrote
    monkeypatch.undo()
    again = Vault.open(vault.path, vault.key)
    assert {n: s.value for n, s in again.data.secrets.items()} == {"A": "1", "B": "2"}
    assert vault._digest == hashlib.sha256(vault.path.read_bytes()).digest()


def test_another_writers_save_is_adopted(vault: Vault) -> None:
    vault.set_value("A", "1")
    other = Vault.open(vault.path, vault.key)
    other.set_value("A", "2")  # same length: the file differs only inside the ciphertext
    vault.set_value("B", "3")
    assert vault.get("A").value == "2"
    again = Vault.open(vault.path, vault.key)
    assert {n: s.value for n, s in again.data.secrets.items()} == {"A": "2", "B": "3"}


def test_a_tampered_file_of_the_same_length_is_refused(vault: Vault) -> None:
    vault.set_value("A", "1")
    raw = bytearray(vault.path.read_bytes())
    at = raw.index(b'"ciphertext": "') + 20
    raw[at] = ord("A") if raw[at] != ord("A") else ord("B")
    vault.path.write_bytes(bytes(raw))
    with pytest.raises(CorruptVaultError):
        vault.set_value("B", "2")
    assert vault.path.read_bytes() == bytes(raw)  # nothing written over it


def test_an_older_copy_put_back_is_refused(vault: Vault) -> None:
    vault.set_value("A", "1")
    older = vault.path.read_bytes()
    vault.set_value("A", "2")
    vault.path.write_bytes(older)
    with pytest.raises(RollbackError):
        vault.set_value("B", "3")


# ------------------------------------------------------------------ the JSON in blocks


def _plain(data: VaultData) -> bytes:
    """The straightforward encoding the vault file held before (json.dumps, compact)."""
    return json.dumps(data.to_json(), separators=(",", ":"), ensure_ascii=False).encode()


def _hostile(i: int) -> Secret:
    kinds = [
        Secret(f"s{i}", "v" * (i % 5)),
        Secret(f"s{i}", 'q"\\\n\u2028é😀', enabled=False),
        Secret(f"s{i}", "", allowed_domains=["api.example.com", "*.example.org"]),
        Secret(f"s{i}", "", link=Link("aws", {"secret_id": f"a/{i}", "json_key": "k"})),
        Secret(f"s{i}", "x", created=0.0, updated=99999999999.25),
    ]
    return kinds[i % len(kinds)]


OPS = st.lists(
    st.tuples(
        st.sampled_from(["edit", "add", "delete", "rename", "integ", "same"]), st.integers(0, 60)
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(ops=OPS, start=st.integers(0, 40))
def test_blocks_encode_what_a_whole_encode_writes(ops: list[tuple[str, int]], start: int) -> None:
    with mock.patch.object(model, "SMALL_SECRETS", 0):  # msgspec, however small the vault
        _blocks_encode_what_a_whole_encode_writes(ops, start)


def _blocks_encode_what_a_whole_encode_writes(ops: list[tuple[str, int]], start: int) -> None:
    blocks = EncodedBlocks()
    blocks.BLOCK = 4  # many blocks, so reuse, shifts and partial blocks all happen
    data = VaultData({s.name: s for s in map(_hostile, range(start))}, {"aws": {"region": "x"}})
    assert data.to_json_bytes(blocks) == data.to_json_bytes() == _plain(data)
    fresh = 1000
    for op, n in ops:
        secrets = dict(data.secrets)
        names = list(secrets)
        name = names[n % len(names)] if names else None
        if op == "edit" and name:
            secrets[name] = secrets[name].touched(value=f"edited {n}")
        elif op == "add":
            fresh += 1
            secrets[f"s{fresh}"] = _hostile(fresh)
        elif op == "delete" and name:
            del secrets[name]
        elif op == "rename" and name:
            old = secrets.pop(name)
            fresh += 1
            secrets[f"r{fresh}"] = old.touched(name=f"r{fresh}")
        integrations = dict(data.integrations)
        if op == "integ":
            integrations[f"p{n}"] = {"url": f"https://h{n}"}
        data = VaultData(secrets, integrations)  # as a transaction's draft: a new VaultData
        assert data.to_json_bytes(blocks) == data.to_json_bytes() == _plain(data), (op, n)


def _decrypted(vault: Vault) -> bytes:
    from tui_vault.core import crypto

    env = Envelope.from_bytes(vault.path.read_bytes(), str(vault.path), "vault")
    return crypto.unseal(vault.subkey("vault"), env.nonce, env.ciphertext, env.aad())


def test_saves_write_what_the_old_code_reads_back(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EncodedBlocks, "BLOCK", 8)
    vault.add_many([_hostile(i) for i in range(50)])
    vault.set_value("s4", "changed")
    vault.update("s7", new_name="renamed", value="v2")
    vault.delete("s11")
    vault.link("s12", Link("hashicorp", {"engine": "kv", "path": "p", "key": "k"}))
    vault.set_integration("aws", {"region": "eu-west-1"})
    vault.change(lambda d: None)
    before = [encoded for _, encoded in vault._blocks._blocks]
    vault.change(lambda d: None)  # a save that changes nothing reuses every block
    after = [encoded for _, encoded in vault._blocks._blocks]
    assert len(after) == 7 and all(map(operator.is_, before, after))
    vault.set_value("s20", "again")  # one edit: one block encoded anew (s20 is in block 3)
    edited = [encoded for _, encoded in vault._blocks._blocks]
    assert [a is b for a, b in zip(after, edited, strict=True)].count(False) == 1
    plaintext = _decrypted(vault)
    assert plaintext == _plain(vault.data)
    # the general parser (what older versions ran) reads the same secrets back
    old_reader = VaultData.from_json(json.loads(plaintext))
    assert old_reader == vault.data == Vault.open(vault.path, vault.key).data


@pytest.mark.parametrize("small", [True, False], ids=["json.dumps", "msgspec"])
def test_a_save_writes_the_secrets_in_name_order(vault: Vault, small: bool) -> None:
    """Whatever order secrets were added in, the file holds them in `names()` order (names
    equal but for case keep the order they had), so a vault read back is in name order and
    `list --json` takes its secrets as they are (VaultData.in_name_order)."""
    added = ["zeta", "Alpha", "beta", "ALPHA2", "alpha2", "Beta-1", "a.b", "a_b", "a-b", "m"]
    with mock.patch.object(model, "SMALL_SECRETS", 1000 if small else 0):
        vault.add_many([Secret(name, f"value of {name}") for name in added])
        assert list(vault.data.secrets) == added  # in memory: the order they came in
        plaintext = _decrypted(vault)
    written = [s["name"] for s in json.loads(plaintext)["secrets"]]
    expected = sorted(added, key=str.lower)
    assert written == expected
    assert written.index("ALPHA2") < written.index("alpha2")  # equal but for case: as added
    again = Vault.open(vault.path, vault.key)
    assert list(again.data.secrets) == expected == again.names()
    names, secrets = again.data.in_name_order()
    assert names == expected and [s.name for s in secrets] == expected
    assert all(s is again.data.secrets[s.name] for s in secrets)
    assert again.data == vault.data  # the same secrets, only their order on disk changed


def test_a_save_of_the_same_names_reuses_the_last_saves_name_order() -> None:
    """name_order(known) hands back `known` itself (no sort) only for the very same names
    in the same dict order; any other vault gets its own order worked out."""
    names = ["zeta", "Alpha", "beta", "s10", "s2", "ALPHA2", "alpha2"]
    data = VaultData({n: Secret(n, "v") for n in names})
    known = data.name_order()
    assert known == (names, sorted(names, key=str.lower))
    edited = VaultData(dict(data.secrets))
    edited.secrets["beta"] = edited.secrets["beta"].touched(value="changed")  # same place
    assert edited.name_order(known) is known
    in_order, secrets = edited.in_name_order(known)
    assert [s.name for s in secrets] == in_order == known[1]
    assert secrets[in_order.index("beta")] is edited.secrets["beta"]  # the edited one
    moved = VaultData(dict(data.secrets))
    moved.secrets["beta"] = moved.secrets.pop("beta")  # same names, another dict order
    assert moved.name_order(known) is not known
    assert moved.name_order(known)[0] == [n for n in names if n != "beta"] + ["beta"]
    grown = VaultData({**data.secrets, "aardvark": Secret("aardvark", "v")})
    assert grown.name_order(known)[1] == sorted([*names, "aardvark"], key=str.lower)
    ordered = VaultData({n: Secret(n, "v") for n in sorted(names, key=str.lower)})
    keys, in_order = ordered.name_order()
    assert in_order is keys  # in name order already: the same list (no lookups later)

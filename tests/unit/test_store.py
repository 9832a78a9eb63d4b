"""Files on disk: the canonical envelope, atomic writes, the lock, the backup, file modes."""

from __future__ import annotations

import errno
import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from tui_vault.core import store
from tui_vault.core import vault as vault_module
from tui_vault.core.errors import (
    CorruptVaultError,
    LockTimeoutError,
    StorageError,
    VaultExistsError,
    VaultNotFoundError,
    WrongKeyError,
)
from tui_vault.core.store import Envelope, atomic_write, b64d, b64e, file_lock
from tui_vault.core.vault import Vault, read_envelope
from tui_vault.core.vaultkey import generate_key


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sample_envelope(kind: str = "vault") -> Envelope:
    return Envelope(kind, "ab" * 16, b"k" * 16, 7, b"n" * 12, b"ciphertext-bytes")


# ---------------------------------------------------------------------------- envelope


def test_envelope_round_trip_and_canonical_form() -> None:
    env = sample_envelope()
    raw = env.to_bytes()
    assert Envelope.from_bytes(raw, "f", "vault") == env
    doc = json.loads(raw)
    assert list(doc) == sorted(doc)
    assert set(doc) == {*store._HEADER_FIELDS, "nonce", "ciphertext"}
    assert doc["format"] == "tui-vault" and doc["version"] == 1
    assert doc["cipher"] == "AES-256-GCM"
    assert raw.endswith(b"}\n")
    assert raw == json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"


def test_aad_covers_every_header_field() -> None:
    env = sample_envelope()
    for field, value in [
        ("kind", "cache"),
        ("vault_id", "cd" * 16),
        ("key_check", b"x" * 16),
        ("generation", 8),
    ]:
        other = env.replace(**{field: value})
        assert other.aad() != env.aad(), field
    # nonce and ciphertext are not header fields
    assert env.replace(nonce=b"m" * 12).aad() == env.aad()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: raw.replace(b"\n", b"\r\n"),
        lambda raw: raw.replace(b'": ', b'":  ', 1),
        lambda raw: raw[:-1],
        lambda raw: raw + b"\n",
        lambda raw: b" " + raw,
        lambda raw: (
            json.dumps(dict(reversed(json.loads(raw).items())), indent=1).encode() + b"\n"
        ),  # key order
        lambda raw: json.dumps(json.loads(raw), sort_keys=True).encode() + b"\n",  # spacing
    ],
    ids=["crlf", "space", "no-newline", "extra-newline", "leading-space", "order", "compact"],
)
def test_non_canonical_bytes_are_refused(mutate: object) -> None:
    env = Envelope("vault", "ab" * 16, b"k" * 16, 7, b"n" * 12, b"c" * 40)
    raw = env.to_bytes()
    changed = mutate(raw)  # type: ignore[operator]
    assert changed != raw
    with pytest.raises(CorruptVaultError):
        Envelope.from_bytes(changed, "f", "vault")


def _doc() -> dict[str, object]:
    return json.loads(sample_envelope().to_bytes())


def _dump(doc: object) -> bytes:
    return json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"format": "other"}, "not a tui-vault file"),
        ({"version": 2}, "format version 2"),
        ({"extra": 1}, "unexpected fields"),
        ({"kind": "cache"}, "not a 'vault' file"),
        ({"cipher": "ROT13"}, "unknown cipher"),
        ({"kdf": "none"}, "unknown cipher"),
        ({"vault_id": "short"}, "vault id"),
        ({"vault_id": 5}, "vault id"),
        ({"generation": -1}, "generation"),
        ({"generation": True}, "generation"),
        ({"generation": 1.0}, "generation"),
        ({"nonce": "not base64!"}, "not valid base64"),
        ({"nonce": 12}, "missing"),
        ({"ciphertext": "YQ"}, "not valid base64"),
    ],
)
def test_bad_envelope_fields_are_named(change: dict[str, object], words: str) -> None:
    doc = _doc() | change
    with pytest.raises(CorruptVaultError) as info:
        Envelope.from_bytes(_dump(doc), "the file", "vault")
    assert words in str(info.value)
    assert "the file" in str(info.value)


def test_missing_field_is_refused() -> None:
    doc = _doc()
    del doc["nonce"]
    with pytest.raises(CorruptVaultError):
        Envelope.from_bytes(_dump(doc), "f", "vault")


@pytest.mark.parametrize(
    "raw",
    [b"", b"\xff\xfe", b"[]", b"null", b'"x"', b"{", b"[" * 100_000, b"PK\x03\x04zip"],
    ids=["empty", "binary", "list", "null", "string", "broken", "deep", "zip"],
)
def test_foreign_bytes_are_not_a_vault(raw: bytes) -> None:
    with pytest.raises(CorruptVaultError) as info:
        Envelope.from_bytes(raw, "f", "vault")
    assert "not a tui-vault file" in str(info.value)


def test_b64_is_strict_and_canonical() -> None:
    assert b64d(b64e(b"abc"), "x") == b"abc"
    for bad in ("YWJj\n", "YW Jj", "YWJ=", "YWJk=", "===="):
        with pytest.raises(CorruptVaultError):
            b64d(bad, "x")
    with pytest.raises(CorruptVaultError):
        b64d(None, "x")


# ---------------------------------------------------------------------------- atomic write


def test_atomic_write_creates_0600_and_replaces(tmp_path: Path) -> None:
    tmp_path = tmp_path / "d"
    tmp_path.mkdir()
    target = tmp_path / "f.json"
    atomic_write(target, b"one")
    assert target.read_bytes() == b"one"
    assert mode(target) == 0o600
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_atomic_write_exclusive_refuses_existing_file(tmp_path: Path) -> None:
    tmp_path = tmp_path / "d"
    tmp_path.mkdir()
    target = tmp_path / "key.txt"
    target.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        atomic_write(target, b"new", exclusive=True)
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["key.txt"]


def test_atomic_write_failure_keeps_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = tmp_path / "d"
    tmp_path.mkdir()
    target = tmp_path / "f.json"
    atomic_write(target, b"previous")

    def full_disk(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(store.os, "write", full_disk)
        with pytest.raises(StorageError) as info:
            atomic_write(target, b"next")
    assert "disk is full" in str(info.value)
    assert "unchanged" in str(info.value)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_atomic_write_into_missing_directory_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        atomic_write(tmp_path / "nope" / "f", b"x")


def test_remove_stale_temps_only_removes_old_temps(tmp_path: Path) -> None:
    target = tmp_path / "vault.json"
    target.write_bytes(b"v")
    old = tmp_path / ".vault.json.tmp-aaaaaa"
    new = tmp_path / ".vault.json.tmp-bbbbbb"
    other = tmp_path / ".other.tmp-cccccc"
    for p in (old, new, other):
        p.write_bytes(b"t")
    past = time.time() - 3600
    os.utime(old, (past, past))
    os.utime(other, (past, past))
    store.remove_stale_temps(target)
    assert not old.exists()
    assert new.exists() and other.exists() and target.exists()


def test_ensure_private_dir_is_0700(tmp_path: Path) -> None:
    d = tmp_path / "a" / "b"
    store.ensure_private_dir(d)
    assert d.is_dir() and mode(d) == 0o700


def test_read_file_refuses_directory_and_huge_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CorruptVaultError):
        store.read_file(tmp_path)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 100)
    monkeypatch.setattr(store, "MAX_FILE_BYTES", 10)
    with pytest.raises(CorruptVaultError) as info:
        store.read_file(big)
    assert "too large" in str(info.value)


# ---------------------------------------------------------------------------- lock


def test_lock_excludes_a_second_writer(tmp_path: Path) -> None:
    lock = tmp_path / "v.lock"
    with file_lock(lock):
        # flock belongs to the open file description: a second open conflicts even here.
        t0 = time.monotonic()
        with pytest.raises(LockTimeoutError) as info, file_lock(lock, timeout=0.1):
            pass
        assert time.monotonic() - t0 < 2
        assert "another tui-vault process" in str(info.value)
    with file_lock(lock, timeout=0.1):
        pass
    assert mode(lock) == 0o600


def test_lock_waits_for_the_holder(tmp_path: Path) -> None:
    lock = tmp_path / "v.lock"
    order: list[str] = []
    held = threading.Event()

    def holder() -> None:
        with file_lock(lock):
            held.set()
            time.sleep(0.2)
            order.append("holder done")

    t = threading.Thread(target=holder)
    t.start()
    held.wait()
    with file_lock(lock, timeout=5):
        order.append("second got it")
    t.join()
    assert order == ["holder done", "second got it"]


def test_lock_in_another_process_blocks_writes(vault_file: Path) -> None:
    import subprocess
    import sys

    v, _ = Vault.create(vault_file)
    script = (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(v.paths.lock)], stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"locked"
        before = vault_file.read_bytes()
        original = store.file_lock

        def quick_lock(path: Path, timeout: float = 15.0) -> object:
            return original(path, timeout=0.2)

        import tui_vault.core.vault as vault_mod

        old = vault_mod.file_lock
        vault_mod.file_lock = quick_lock  # type: ignore[assignment]
        try:
            with pytest.raises(LockTimeoutError):
                v.set_value("A", "x")
        finally:
            vault_mod.file_lock = old
        assert vault_file.read_bytes() == before
    finally:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------------------- vault files


def test_new_vault_modes_and_layout(vault_file: Path) -> None:
    v, key = Vault.create(vault_file)
    assert len(key) == 32
    assert mode(vault_file.parent) == 0o700
    assert mode(vault_file) == 0o600
    v.set_value("A", "1")
    for p in vault_file.parent.iterdir():
        assert mode(p) == 0o600, p
    names = sorted(p.name for p in vault_file.parent.iterdir())
    assert names == ["vault.json", "vault.json.bak", "vault.json.lock"]


@pytest.fixture(params=["inline", "in a thread"])
def backup_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The backup is linked inline (small vaults) or in a thread during the write (big ones:
    here any vault counts as big)."""
    if request.param == "in a thread":
        monkeypatch.setattr(vault_module, "_THREADED_DIGEST", 0)
    return str(request.param)


def test_backup_keeps_previous_generation(vault_file: Path, backup_mode: str) -> None:
    v, key = Vault.create(vault_file)
    v.set_value("A", "1")
    gen1 = vault_file.read_bytes()
    v.set_value("B", "2")
    backup = v.paths.backup
    assert backup.read_bytes() == gen1
    assert read_envelope(backup).generation == read_envelope(vault_file).generation - 1
    old = Vault.open(backup, key)
    assert set(old.data.secrets) == {"A"}
    assert mode(backup) == 0o600


def test_a_symlinked_backup_stops_the_save_and_changes_nothing(
    vault_file: Path, tmp_path: Path, backup_mode: str
) -> None:
    v, key = Vault.create(vault_file)
    v.set_value("A", "1")
    before = vault_file.read_bytes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"not a backup")
    v.paths.backup.unlink()
    v.paths.backup.symlink_to(elsewhere)
    with pytest.raises(StorageError, match="symbolic link"):
        v.set_value("B", "2")
    assert vault_file.read_bytes() == before
    assert elsewhere.read_bytes() == b"not a backup"
    assert v.paths.backup.is_symlink()
    assert not [p for p in vault_file.parent.iterdir() if ".tmp-" in p.name]
    assert set(Vault.open(vault_file, key).data.secrets) == {"A"}


def test_atomic_write_hook_failure_keeps_the_old_file(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    target = folder / "f"
    target.write_bytes(b"old")
    seen: list[bytes] = []

    def hook() -> None:
        # Called with the new bytes on disk in the temp, the old file still in place.
        (tmp,) = [p for p in folder.iterdir() if ".tmp-" in p.name]
        seen.append(tmp.read_bytes() + b"|" + target.read_bytes())
        raise StorageError("no")

    with pytest.raises(StorageError, match="no"):
        atomic_write(target, [b"ne", b"w"], before_replace=hook)
    assert seen == [b"new|old"]
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in folder.iterdir()) == ["f"]


@pytest.fixture(params=["inline", "in a thread"])
def read_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A vault file is read inline, or (big files, msgspec not loaded yet) in a thread while
    the envelope's codecs are imported: here any file counts as big."""
    if request.param == "in a thread":
        monkeypatch.setattr(vault_module, "_read_while_importing", lambda path: True)
    return str(request.param)


def test_a_vault_read_either_way_opens_the_same(vault_file: Path, read_mode: str) -> None:
    v, key = Vault.create(vault_file)
    v.set_value("A", "1")
    assert Vault.open(vault_file, key).get("A").value == "1"
    assert vault_module.read_vault_file(vault_file).envelope == read_envelope(vault_file)


def test_a_vault_read_either_way_fails_with_one_message(
    vault_file: Path, tmp_path: Path, read_mode: str
) -> None:
    with pytest.raises(VaultNotFoundError, match="no vault at"):
        vault_module.read_vault_file(vault_file)
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    (folder / "vault.json").mkdir()
    with pytest.raises(CorruptVaultError, match="is a directory; not reading it"):
        vault_module.read_vault_file(folder / "vault.json")


def test_create_refuses_to_overwrite(vault_file: Path) -> None:
    v, _ = Vault.create(vault_file)
    v.set_value("A", "1")
    before = vault_file.read_bytes()
    with pytest.raises(VaultExistsError):
        Vault.create(vault_file)
    assert vault_file.read_bytes() == before
    other = vault_file.parent / "foreign.txt"
    other.write_bytes(b"not a vault")
    with pytest.raises(VaultExistsError):
        Vault.create(other)
    assert other.read_bytes() == b"not a vault"


def test_open_missing_vault(vault_file: Path) -> None:
    with pytest.raises(VaultNotFoundError) as info:
        Vault.open(vault_file, generate_key())
    assert "tui-vault init" in str(info.value)


def test_wrong_key_is_wrong_key(vault_file: Path) -> None:
    Vault.create(vault_file)
    before = vault_file.read_bytes()
    with pytest.raises(WrongKeyError):
        Vault.open(vault_file, generate_key())
    assert vault_file.read_bytes() == before


def test_vault_contents_are_encrypted_on_disk(vault_file: Path) -> None:
    v, _ = Vault.create(vault_file)
    v.set_value("SOME_NAME", "MARKER-7f3a9c-SECRET")
    v.set_integration("hashicorp", {"url": "http://x", "auth": "token", "token": "TOKEN-42"})
    v.set_value("OTHER", "x")
    for p in vault_file.parent.iterdir():
        raw = p.read_bytes()
        assert b"MARKER-7f3a9c-SECRET" not in raw
        assert b"SOME_NAME" not in raw
        assert b"TOKEN-42" not in raw


def test_each_write_uses_a_fresh_nonce(vault_file: Path) -> None:
    v, _ = Vault.create(vault_file)
    nonces = set()
    for i in range(5):
        v.set_value("A", "same")
        nonces.add(read_envelope(vault_file).nonce)
        assert read_envelope(vault_file).generation == i + 2
    assert len(nonces) == 5

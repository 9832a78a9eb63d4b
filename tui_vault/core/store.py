"""Files on disk: the sealed JSON envelope, atomic writes, the writer lock and the backup.

The envelope is written in one canonical form and read back only if its bytes are exactly
that form, so any change to the file (even white space) is refused, not silently accepted.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from tui_vault.core.crypto import CIPHER_NAME, KDF_NAME
from tui_vault.core.errors import CorruptVaultError, LockTimeoutError, StorageError

FORMAT = "tui-vault"
VERSION = 1
MAX_FILE_BYTES = 512 * 1024 * 1024
_HEADER_FIELDS = (
    "cipher",
    "format",
    "generation",
    "kdf",
    "key_check",
    "kind",
    "vault_id",
    "version",
)


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise CorruptVaultError(f"{what} is missing")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CorruptVaultError(f"{what} is not valid base64") from None
    if not _canonical_b64(text, raw):
        raise CorruptVaultError(f"{what} is not in canonical form")
    return raw


def _canonical_b64(text: str, raw: bytes) -> bool:
    """True if b64e(raw) == text, without re-encoding all of raw (it may be 20 MB).

    The strict decode above already refused every character outside the alphabet and any
    padding that is not at the end, so whole 4-character groups map one to one onto 3 bytes.
    What can still differ from the canonical spelling is the length (padding missing) and
    the last group (non-zero pad bits): check those two.
    """
    if len(text) % 4:
        return False
    if not raw:
        return text == ""
    tail = len(raw) % 3 or 3
    return len(text) == (len(raw) + 2) // 3 * 4 and b64e(raw[-tail:]) == text[-4:]


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@dataclass(frozen=True)
class Envelope:
    kind: str  # "vault" or "cache"
    vault_id: str
    key_check: bytes
    generation: int
    nonce: bytes
    ciphertext: bytes

    def header(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "kind": self.kind,
            "vault_id": self.vault_id,
            "cipher": CIPHER_NAME,
            "kdf": KDF_NAME,
            "key_check": b64e(self.key_check),
            "generation": self.generation,
        }

    def aad(self) -> bytes:
        """Associated data: the header, so no field of it can be changed unnoticed."""
        return canonical_json(self.header())

    def to_bytes(self) -> bytes:
        prefix, suffix = self._frame(b64e(self.nonce))
        return b"".join((prefix, base64.b64encode(self.ciphertext), suffix))

    def _frame(self, nonce_b64: str) -> tuple[bytes, bytes]:
        """The one canonical spelling is json.dumps(sort_keys, indent=1, ensure_ascii) + "\\n";
        this returns it cut around the ciphertext's base64 text (most of the file).

        Base64 needs no JSON escaping, so the ciphertext goes in between as is: a 30 MB
        vault is neither scanned by the encoder nor copied through str.replace.
        """
        doc = self.header() | {"nonce": nonce_b64, "ciphertext": ""}
        text = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=True) + "\n"
        # "ciphertext" is the second key in sorted order; its line is the first match.
        before, _, after = text.partition('"ciphertext": ""')
        return (before + '"ciphertext": "').encode(), ('"' + after).encode()

    def _is_rendering_of(self, raw: bytes, nonce_b64: str, ciphertext_b64: str) -> bool:
        """raw == what to_bytes() writes, given the two base64 fields as read from raw."""
        prefix, suffix = self._frame(nonce_b64)
        n = len(ciphertext_b64)
        return (
            len(raw) == len(prefix) + n + len(suffix)
            and raw.startswith(prefix)
            and raw.endswith(suffix)
            and memoryview(raw)[len(prefix) : len(prefix) + n] == ciphertext_b64.encode("ascii")
        )

    @classmethod
    def from_bytes(cls, raw: bytes, where: str, kind: str) -> Envelope:
        try:
            # msgspec checks the UTF-8 itself: no 30 MB str copy first.
            doc = msgspec.json.decode(raw)
        except (ValueError, RecursionError, msgspec.MsgspecError):  # bad UTF-8/JSON, nesting
            raise CorruptVaultError(f"{where} is not a tui-vault file (not valid JSON)") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise CorruptVaultError(f"{where} is not a tui-vault file")
        if doc.get("version") != VERSION:
            raise CorruptVaultError(
                f"{where} has format version {doc.get('version')!r}; this tui-vault reads {VERSION}"
            )
        expected_keys = {*_HEADER_FIELDS, "nonce", "ciphertext"}
        if set(doc) != expected_keys:
            raise CorruptVaultError(f"{where} is damaged (unexpected fields)")
        if doc["kind"] != kind:
            raise CorruptVaultError(f"{where} is a {doc['kind']!r} file, not a {kind!r} file")
        if doc["cipher"] != CIPHER_NAME or doc["kdf"] != KDF_NAME:
            raise CorruptVaultError(f"{where} uses an unknown cipher")
        vault_id, generation = doc["vault_id"], doc["generation"]
        if not isinstance(vault_id, str) or len(vault_id) != 32:
            raise CorruptVaultError(f"{where} is damaged (vault id)")
        if type(generation) is not int or generation < 0:
            raise CorruptVaultError(f"{where} is damaged (generation)")
        env = cls(
            kind=kind,
            vault_id=vault_id,
            key_check=b64d(doc["key_check"], f"{where}: key check"),
            generation=generation,
            nonce=b64d(doc["nonce"], f"{where}: nonce"),
            ciphertext=b64d(doc["ciphertext"], f"{where}: ciphertext"),
        )
        # b64d checked that each base64 field is the canonical spelling of its bytes, so the
        # fields as read render exactly like env.to_bytes() (without re-encoding 20 MB).
        if not env._is_rendering_of(raw, doc["nonce"], doc["ciphertext"]):
            raise CorruptVaultError(f"{where} was modified outside tui-vault (not canonical)")
        return env


def new_vault_id() -> str:
    return secrets.token_hex(16)


def read_file(path: Path, what: str = "vault file") -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorruptVaultError(f"{path} is too large to be a {what}")
        return path.read_bytes()
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise CorruptVaultError(f"{path} is a directory, not a {what}") from None
    except PermissionError:
        raise StorageError(f"cannot read {path}: permission denied") from None
    except OSError as e:
        raise StorageError(f"cannot read {path}: {e.strerror}") from None


def ensure_private_dir(directory: Path) -> None:
    if not directory.exists():
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            directory.chmod(0o700)
        except OSError as e:
            raise StorageError(f"cannot create {directory}: {e.strerror}") from None


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write a file whole or not at all: temp file beside it, fsync, rename, fsync the directory.

    exclusive: refuse to replace an existing file (used for key files and new vaults).
    """
    directory = path.parent
    tmp = directory / f".{path.name}.tmp-{secrets.token_hex(6)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            # link() fails if the target exists, so two creators cannot both win.
            os.link(tmp, path)
            tmp.unlink()
        else:
            tmp.replace(path)
    except FileExistsError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StorageError(
            f"could not write {path}: {_reason(e)}; the previous file is unchanged"
        ) from None
    # The new file is in place now: a failure from here on must not say it is unchanged.
    try:
        fsync_dir(directory)
    except OSError as e:
        if e.errno in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            return  # this file system cannot sync directories (some network file systems)
        raise StorageError(
            f"{path} was written, but flushing its directory to disk failed: {_reason(e)}"
        ) from None


def _reason(e: OSError) -> str:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if e.errno == errno.EROFS:
        return "the file system is read-only"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return os.strerror(e.errno) if e.errno else str(e)


def remove_stale_temps(path: Path, older_than: float = 60.0) -> None:
    """Temp files left by a writer that was killed mid-save (their content is never used)."""
    cutoff = time.time() - older_than
    for tmp in path.parent.glob(f".{path.name}.tmp-*"):
        with contextlib.suppress(OSError):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()


def keep_backup(path: Path, backup: Path) -> None:
    """Keep the current generation as the backup: a hard link, atomic and free of copying."""
    if not path.exists():
        return
    with contextlib.suppress(OSError):
        if backup.samefile(path):
            # Already a link to it (a save failed after taking the backup). rename() of two
            # links to one file does nothing and would leave the temp link behind.
            return
    tmp = backup.parent / f".{backup.name}.tmp-{secrets.token_hex(6)}"
    try:
        os.link(path, tmp)
        tmp.replace(backup)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        # Hard links may be unsupported (some network file systems): copy instead.
        try:
            atomic_write(backup, path.read_bytes())
        except (OSError, StorageError):
            return


@contextlib.contextmanager
def file_lock(lock_path: Path, timeout: float = 15.0) -> Iterator[None]:
    """Serialise writers across processes with flock on a lock file beside the vault."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:  # a read-only or unwritable directory: nothing can be saved there
        raise StorageError(
            f"cannot write in {lock_path.parent}: {_reason(e)}; nothing was changed"
        ) from None
    try:
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeoutError(
                        f"another tui-vault process is writing {lock_path.with_suffix('')}; "
                        "try again"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

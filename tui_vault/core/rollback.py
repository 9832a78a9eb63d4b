"""Rollback protection (DESIGN.md §2): this machine remembers the newest generation of each
vault (and of its cache) it has opened, so a genuine but older copy put in its place (an old
`.bak` copied back, a restore, a sync conflict) is noticed instead of silently bringing back
a rotated token.

Where: one small record per vault id in the user state directory
(`$XDG_STATE_HOME/tui-vault/generations/<vault id>.json`, by platformdirs; 0600 in a 0700
directory). It is not secret (numbers and a digest) but it is authenticated: an HMAC with a
subkey of the vault key (HKDF purpose "generation-record"), so only someone holding the key
can write a record tui-vault believes. Deleting it only makes the next open the first one.

What happens on a rollback: reading commands warn on stderr; writing commands refuse (exit
1) unless `--accept-rollback` is given, which makes the older copy the accepted newest one.
An open process never adopts an older generation than the one it holds (Vault.reload), and
a replayed older cache file is ignored like a damaged one.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from tui_vault.core.errors import StorageError, VaultError
from tui_vault.core.frozen import Frozen

RECORD_PURPOSE = "generation-record"
MAX_RECORD_BYTES = 4096
_accepted = False


def set_accept_rollback(accept: bool) -> None:
    """The process-wide `--accept-rollback` (set once by the CLI before opening anything)."""
    global _accepted
    _accepted = accept


def rollback_accepted() -> bool:
    return _accepted


class RollbackError(VaultError):
    """The vault on disk is older than one this machine (or this process) has seen."""


def records_dir() -> Path:
    from tui_vault.core.paths import user_dir

    return user_dir("XDG_STATE_HOME") / "generations"  # platformdirs' user state path


class Record(Frozen):
    """The newest generations (and digest) this machine has opened (frozen)."""

    _fields = ("vault_generation", "vault_digest", "cache_generation")
    __slots__ = _fields

    vault_generation: int
    vault_digest: str
    cache_generation: int

    def __init__(
        self, vault_generation: int = 0, vault_digest: str = "", cache_generation: int = 0
    ) -> None:
        object.__setattr__(self, "vault_generation", vault_generation)
        object.__setattr__(self, "vault_digest", vault_digest)
        object.__setattr__(self, "cache_generation", cache_generation)


class Rollback(Frozen):
    """What was found against what this machine remembers (frozen)."""

    _fields = ("path", "found", "newest")
    __slots__ = _fields

    path: str
    found: int
    newest: int

    def __init__(self, path: str, found: int, newest: int) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "found", found)
        object.__setattr__(self, "newest", newest)

    def describe(self) -> str:
        if self.found == self.newest:
            what = f"a different copy of generation {self.found} (a sync conflict or a restore)"
        else:
            what = (
                f"an older copy: generation {self.found}, but this machine has opened "
                f"generation {self.newest}"
            )
        return f"{self.path} is {what}; values changed since may have come back"

    def warning(self) -> str:
        return (
            f"warning: {self.describe()}. Writing is refused until you confirm with "
            "--accept-rollback"
        )

    def refusal(self) -> str:
        return (
            f"{self.describe()}; not saving over it (pass --accept-rollback if this older "
            "copy is what you want now); nothing was changed"
        )


class Guard:
    """The generation record of one vault, read and written with its authenticating key."""

    def __init__(self, vault_id: str, record_key: bytes, directory: Path | None = None) -> None:
        self.vault_id = vault_id
        self._key = record_key
        self.directory = directory or records_dir()
        self.path = self.directory / f"{vault_id}.json"

    def _body(self, rec: Record) -> bytes:
        """What the record's MAC authenticates."""
        return json.dumps(
            [self.vault_id, rec.vault_generation, rec.vault_digest, rec.cache_generation]
        ).encode()

    def _mac(self, rec: Record) -> str:
        from tui_vault.core.crypto import hmac_sha256

        return hmac_sha256(self._key, self._body(rec)).hex()

    def load(self) -> Record | None:
        """The record, or None (none yet, unreadable, or not authenticated by this key)."""
        from tui_vault.core.crypto import hmac_sha256_verify
        from tui_vault.core.store import read_file

        try:
            doc = json.loads(read_file(self.path, "generation record"))
            rec = Record(
                int(doc["vault_generation"]), str(doc["vault_digest"]), int(doc["cache_generation"])
            )
            # The MAC as written (_mac: lowercase hex), compared in constant time.
            text = str(doc["mac"])
            mac = bytes.fromhex(text)
            ok = mac.hex() == text and hmac_sha256_verify(self._key, self._body(rec), mac)
        except (OSError, VaultError, ValueError, KeyError, TypeError):
            return None
        return rec if ok else None

    def _save(self, rec: Record) -> None:
        from tui_vault.core.store import atomic_write, ensure_private_dir

        doc = {
            "vault_id": self.vault_id,
            "vault_generation": rec.vault_generation,
            "vault_digest": rec.vault_digest,
            "cache_generation": rec.cache_generation,
            "mac": self._mac(rec),
        }
        # Best effort: an unwritable state directory must not stop the vault from working.
        with contextlib.suppress(StorageError, OSError):
            ensure_private_dir(self.directory)
            atomic_write(self.path, json.dumps(doc, sort_keys=True).encode() + b"\n")

    def update(
        self,
        *,
        vault: tuple[int, str] | None = None,
        cache: int | None = None,
        force: bool = False,
    ) -> None:
        """Raise the record to this vault generation (and digest) or cache generation.
        force: set it even if lower (an accepted rollback)."""
        with _record_lock(self.directory, self.vault_id):
            rec = self.load() or Record()
            new = rec
            if vault is not None:
                gen, digest = vault
                if force or gen > rec.vault_generation or not rec.vault_digest:
                    new = Record(gen, digest, new.cache_generation)
            if cache is not None and (force or cache > rec.cache_generation):
                new = Record(new.vault_generation, new.vault_digest, cache)
            if new != rec:
                self._save(new)

    def check_vault(self, path: Path, generation: int, digest: str) -> Rollback | None:
        """A Rollback if (generation, digest) is older than (or a sibling of) the newest seen."""
        rec = self.load()
        if rec is None or not rec.vault_digest:
            return None
        if generation < rec.vault_generation or (
            generation == rec.vault_generation and digest != rec.vault_digest
        ):
            return Rollback(str(path), generation, rec.vault_generation)
        return None

    def cache_floor(self) -> int:
        rec = self.load()
        return rec.cache_generation if rec else 0


@contextlib.contextmanager
def _record_lock(directory: Path, vault_id: str) -> Iterator[None]:
    """Serialise read-modify-write of one record (readers update it too, outside the
    vault's own lock)."""
    import fcntl

    from tui_vault.core.store import ensure_private_dir

    fd = -1
    with contextlib.suppress(StorageError, OSError):
        ensure_private_dir(directory)
        fd = os.open(
            directory / f"{vault_id}.lock",
            os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
        )
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        if fd >= 0:
            os.close(fd)

"""The encrypted cache of values fetched from external vaults.

Entries are keyed by link fingerprint, so a changed link never reuses the old value. The
cache is sealed with its own subkey; a damaged or foreign cache file is simply ignored.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import msgspec

from tui_vault.core import crypto, rollback
from tui_vault.core.bulk import paused_gc
from tui_vault.core.errors import CorruptVaultError, StorageError
from tui_vault.core.store import Envelope, atomic_write, file_lock, os_reason, read_file


class CacheEntry(msgspec.Struct, frozen=True, gc=False):
    """One cached value. A msgspec Struct so the cache file decodes straight into entries
    (types checked in C); gc=False: it holds only a str, a float and a str, never a cycle,
    so 10,000 entries add nothing to the cyclic GC's work."""

    value: str
    fetched: float
    # Set when the entry was served stale because its provider could not be reached
    # (e.g. "HashiCorp Vault unreachable"); a successful fetch writes a fresh entry.
    stale: str = ""

    def age(self, now: float | None = None) -> float:
        return max(0.0, (now or time.time()) - self.fetched)

    def expires_in(self, ttl_seconds: float, now: float | None = None) -> float:
        return ttl_seconds - self.age(now)


class Cache:
    def __init__(self, path: Path, lock_path: Path, master: bytes, vault_id: str) -> None:
        self.path = path
        self.lock_path = lock_path
        self.vault_id = vault_id
        salt = bytes.fromhex(vault_id)
        self._key = crypto.derive_subkey(master, salt, "cache")
        self._check = crypto.key_check(master, salt)
        # A replayed older cache file (values fetched before a rotation) is ignored: each save
        # raises the generation, and this machine remembers the newest (core/rollback.py).
        self._guard = rollback.Guard(
            vault_id, crypto.derive_subkey(master, salt, rollback.RECORD_PURPOSE)
        )
        self._generation = 0  # the newest generation of the file this object has seen
        self._entries: dict[str, CacheEntry] | None = None
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of the file we read
        self._checked = 0.0

    def entries(self) -> dict[str, CacheEntry]:
        """The entries, re-read when another process changed the file (checked once a second:
        a long-running TUI sees `cache reset` or a reconnect done from the command line)."""
        now = time.monotonic()
        if self._entries is not None and now - self._checked < 1.0:
            return self._entries
        self._checked = now
        stamp = self._stamp()
        if self._entries is None or stamp != self._seen:
            self._seen = stamp
            self._entries = self._read()
        return self._entries

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _read(self) -> dict[str, CacheEntry]:
        try:
            raw = read_file(self.path, "cache file")
            env = Envelope.from_bytes(raw, str(self.path), "cache")
            if env.vault_id != self.vault_id or env.key_check != self._check:
                return {}
            plain = crypto.unseal(self._key, env.nonce, env.ciphertext, env.aad())
            if env.generation < max(self._generation, self._guard.cache_floor()):
                return {}  # an older copy put back: its values may have been rotated since
            self._generation = env.generation
            return _parse_entries(plain)
        except (
            FileNotFoundError,
            CorruptVaultError,
            StorageError,
            crypto.DecryptionFailed,
            ValueError,
            RecursionError,
            KeyError,
            TypeError,
            AttributeError,
        ):
            return {}

    def get(self, fingerprint: str, ttl_seconds: float) -> CacheEntry | None:
        entry = self.entries().get(fingerprint)
        if entry is None or entry.expires_in(ttl_seconds) <= 0:
            return None
        return entry

    def peek(self, fingerprint: str) -> CacheEntry | None:
        """The entry even if expired (for showing its age)."""
        return self.entries().get(fingerprint)

    def put_many(self, values: dict[str, str], now: float | None = None) -> None:
        if not values:
            return
        stamp = now or time.time()
        with file_lock(self.lock_path):
            current = self._read()
            for fp, value in values.items():
                current[fp] = CacheEntry(value, stamp)
            self._save(current)

    def mark_stale(self, reasons: dict[str, str]) -> None:
        """Record that these entries were served stale, and why (their provider was down).

        The value and its fetch time stay as they are: the age keeps counting from the
        last successful fetch, so a stale value is never served past its limit."""
        if not reasons:
            return
        with file_lock(self.lock_path):
            current = self._read()
            changed = False
            for fp, why in reasons.items():
                entry = current.get(fp)
                if entry is not None and entry.stale != why:
                    current[fp] = CacheEntry(entry.value, entry.fetched, why)
                    changed = True
            if changed:
                self._save(current)

    def _save(self, entries: dict[str, CacheEntry]) -> None:
        doc: dict[str, dict[str, object]] = {}
        for fp, e in entries.items():
            doc[fp] = {"value": e.value, "fetched": e.fetched}
            if e.stale:
                doc[fp]["stale"] = e.stale
        generation = max(self._generation, self._guard.cache_floor()) + 1
        probe = Envelope("cache", self.vault_id, self._check, generation, b"", b"")
        nonce, ct = crypto.seal(self._key, json.dumps(doc).encode(), probe.aad())
        env = Envelope("cache", self.vault_id, self._check, generation, nonce, ct)
        atomic_write(self.path, env.to_bytes())
        self._generation = generation
        self._guard.update(cache=generation)
        self._entries = entries
        self._seen = self._stamp()

    def forget_provider(self, provider: str) -> int:
        """Drop every value fetched from `provider`; returns how many were dropped.

        Called when its connection changes or goes away: the same link may name another
        secret on another server, region or account, so old values must not be served.
        """
        prefix = f"{provider}:"
        with file_lock(self.lock_path):
            current = self._read()
            kept = {fp: e for fp, e in current.items() if not fp.startswith(prefix)}
            dropped = len(current) - len(kept)
            if dropped:
                self._save(kept)
            else:
                self._entries = current
        return dropped

    def reset(self) -> None:
        reset_cache_file(self.path)
        self._entries = {}
        self._seen = None


_DECODER = msgspec.json.Decoder(dict[str, CacheEntry])


def _parse_entries(plain: bytes) -> dict[str, CacheEntry]:
    """The decrypted cache document as entries: {fingerprint: {"value", "fetched", "stale"?}}.

    Fast path: msgspec decodes what `_save` writes straight into CacheEntry objects. Anything
    it does not take as is (a number as a value, NaN, a missing field: never written by
    `_save`, but the rule is the general path) goes through json.loads and the same
    conversions as before, so the result is always what the general path gives.
    """
    try:
        entries: dict[str, CacheEntry] = _DECODER.decode(plain)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return _parse_entries_general(plain)
    return entries


def _parse_entries_general(plain: bytes) -> dict[str, CacheEntry]:
    """The rule `_parse_entries` follows: json.loads and a conversion of each field."""
    with paused_gc():  # thousands of entries built at once, none in a cycle
        doc: Any = json.loads(plain)
        return {
            fp: CacheEntry(
                value=str(e["value"]),
                fetched=float(e["fetched"]),
                stale=str(e.get("stale", "")),
            )
            for fp, e in doc.items()
        }


def reset_cache_file(path: Path) -> bool:
    """Delete the cache file (needs no key). True if there was one.

    A directory in its place is not tui-vault's and is left alone (one clear line, not an
    unexpected IsADirectoryError); so is a file the system will not let us delete."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except IsADirectoryError:
        raise StorageError(
            f"{path} is a directory, not a cache file; not removing it (remove it yourself)"
        ) from None
    except OSError as e:
        raise StorageError(f"cannot remove {path}: {os_reason(e)}") from None
    return True

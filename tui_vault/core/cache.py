"""The encrypted cache of values fetched from external vaults.

Entries are keyed by link fingerprint, so a changed link never reuses the old value. The
cache is sealed with its own subkey; a damaged or foreign cache file is simply ignored.
The file also keeps, for one version of the vault file, which entry each linked name
resolves to (see _Head): a warm `run` of thousands of references reads them by name.
"""

from __future__ import annotations

import json
import math
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


FORMAT = 2  # 1: the entries object alone (still read); 2: a head line, then a body


class _Head(msgspec.Struct, gc=False):
    """The first line of a format 2 cache document: the name index, made for one vault file
    (`vault`, its tag: Vault.tagged). `named` gives each usual linked name of that file
    (enabled, no domain list, its provider connected) the value of its link's entry, when
    there is one; `fetched` (in `named`'s order) each entry's fetch time, `oldest` the
    oldest of them. With the same vault file, a name's link is the one the index saw:
    `named` answers a warm request with no fingerprint to compute and no entry object to
    build (resolver.py).

    The second line, the body (`_Body`), completes the entries; it is decoded only when
    asked for (a lookup by fingerprint, a write). A warm request decodes the head alone
    (bench row warm_cache, bench/PROFILING.md)."""

    v: int
    vault: str = ""
    oldest: float = 0.0
    named: dict[str, str] = {}
    fetched: list[float] = []


class _Body(msgspec.Struct, gc=False):
    """The second line: the fingerprint of each of `named`'s entries, in its order (one
    twice when two names share a link), the stale marks among them by position, and the
    entries no name holds, as format 1 wrote them ({fingerprint: {"value", "fetched",
    "stale"?}})."""

    fps: list[str] = []
    stale: list[tuple[int, str]] = []
    rest: msgspec.Raw = msgspec.Raw(b"{}")


_HEAD = msgspec.json.Decoder(_Head)
_BODY = msgspec.json.Decoder(_Body)

# What a document that does not parse or hold together raises (read as an empty cache).
_DAMAGED = (ValueError, RecursionError, LookupError, TypeError, AttributeError, ArithmeticError)


class _Doc:
    """A cache document as read: the name index at once, the entries when first asked for."""

    __slots__ = ("_body", "_entries", "_index", "fetched", "named", "oldest", "vault")

    def __init__(
        self,
        entries: dict[str, CacheEntry] | None = None,
        vault: str = "",
        index: dict[str, str] | None = None,
        named: dict[str, str] | None = None,
        fetched: list[float] | None = None,
        oldest: float = 0.0,
        body: bytes = b"",
    ) -> None:
        self._entries = entries if entries is not None else {}
        self._index = index if index is not None else {}
        self._body = body  # not parsed yet: what completes the entries and the index
        self.vault = vault
        self.named = named if named is not None else {}
        self.fetched = fetched if fetched is not None else []
        self.oldest = oldest
        if len(self.fetched) != len(self.named):
            raise ValueError("cache index: a fetch time for each name")

    def _parse_body(self) -> None:
        """Decode the body into the entries and the index. The body is dropped only once
        both are in place: another thread reading meanwhile parses it too (the same
        result), never sees it half done."""
        body = self._body
        try:
            parts = _BODY.decode(body)
            rest = _parse_entries(bytes(parts.rest))
        except (msgspec.MsgspecError, ValueError, RecursionError):
            loaded: Any = json.loads(body)  # a lone surrogate, which msgspec refuses
            parts = _Body(
                msgspec.convert(loaded.get("fps", []), list[str]),
                msgspec.convert(loaded.get("stale", []), list[tuple[int, str]]),
            )
            rest = _entries_from(loaded.get("rest", {}))
        n = len(self.named)
        if len(parts.fps) != n:
            raise ValueError("cache body does not match its head")
        fps, values, fetched = parts.fps, list(self.named.values()), self.fetched
        with paused_gc():  # thousands of entries built at once, none in a cycle
            # In C: one CacheEntry per (value, fetch time); then the stale marks (a few).
            held = dict(zip(fps, map(CacheEntry, values, fetched), strict=True))
            for i, why in parts.stale:
                if not 0 <= i < n:
                    raise ValueError("cache body: a stale mark out of range")
                held[fps[i]] = CacheEntry(values[i], fetched[i], why)
        rest.update(held)
        self._entries, self._index = rest, dict(zip(self.named, fps, strict=True))
        self._body = b""

    def fresh(self, ttl_seconds: float, now: float) -> dict[str, str]:
        """`named`, but only the names whose entry is younger than ttl_seconds at `now`."""
        if now - self.oldest < ttl_seconds:
            return self.named  # the usual case: every entry fresh, nothing to check one by one
        return {
            name: value
            for (name, value), fetched in zip(self.named.items(), self.fetched, strict=True)
            if now - fetched < ttl_seconds
        }

    @property
    def entries(self) -> dict[str, CacheEntry]:
        if self._body:
            self._parse_body()
        return self._entries

    @property
    def index(self) -> dict[str, str]:
        if self._body:
            self._parse_body()
        return self._index


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
        self._doc: _Doc | None = None
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of the file we read
        self._checked = 0.0

    def _current(self) -> _Doc:
        """The file's document, re-read when another process changed the file (checked once
        a second: a long-running TUI sees `cache reset` or a reconnect done from the command
        line)."""
        now = time.monotonic()
        if self._doc is not None and now - self._checked < 1.0:
            return self._doc
        self._checked = now
        stamp = self._stamp()
        if self._doc is None or stamp != self._seen:
            self._seen = stamp
            self._doc = self._read()
        return self._doc

    def entries(self) -> dict[str, CacheEntry]:
        """The entries by fingerprint (decoded once per version of the file read)."""
        try:
            return self._current().entries
        except _DAMAGED:
            self._doc = _Doc({})  # a document whose entries do not parse: nothing cached
            return self._doc.entries

    def named(self, tag: str, ttl_seconds: float, now: float) -> dict[str, str]:
        """{name: value} from the file's name index, if it was made for the vault file tagged
        `tag` (Vault.tagged): its names whose entry is fresh (younger than ttl_seconds at
        `now`); else empty. A name missing here is looked up by fingerprint (`entries`).
        The head is taken as it is, the body unread: the document is authenticated as a
        whole and _save writes its two lines together."""
        doc = self._current()
        if tag and doc.vault == tag and ttl_seconds > 0:
            return doc.fresh(ttl_seconds, now)
        return {}

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _read(self) -> _Doc:
        try:
            raw = read_file(self.path, "cache file")
            env = Envelope.from_bytes(raw, str(self.path), "cache")
            if env.vault_id != self.vault_id or env.key_check != self._check:
                return _Doc({})
            plain = crypto.unseal(self._key, env.nonce, env.ciphertext, env.aad())
            if env.generation < max(self._generation, self._guard.cache_floor()):
                return _Doc({})  # an older copy put back: its values may have been rotated since
            self._generation = env.generation
            return _parse_document(plain)
        except (
            FileNotFoundError,
            CorruptVaultError,
            StorageError,
            crypto.DecryptionFailed,
            msgspec.MsgspecError,
            *_DAMAGED,
        ):
            return _Doc({})

    def get(self, fingerprint: str, ttl_seconds: float) -> CacheEntry | None:
        entry = self.entries().get(fingerprint)
        if entry is None or entry.expires_in(ttl_seconds) <= 0:
            return None
        return entry

    def peek(self, fingerprint: str) -> CacheEntry | None:
        """The entry even if expired (for showing its age)."""
        return self.entries().get(fingerprint)

    def put_many(
        self,
        values: dict[str, str],
        now: float | None = None,
        *,
        tag: str = "",
        index: dict[str, str] | None = None,
    ) -> None:
        """Store fetched values by fingerprint. With `tag` and `index` (a vault file's tag and
        {name: fingerprint} of that file's usual linked names: resolver.linked), the name
        index is made anew for that file; without, the file's index is kept (new entries
        never make it wrong: it names only entries it has seen)."""
        if not values:
            return
        stamp = now or time.time()
        with file_lock(self.lock_path):
            current = self._readable()
            entries = current.entries
            for fp, value in values.items():
                entries[fp] = CacheEntry(value, stamp)
            if tag and index is not None:
                self._save(entries, tag, index)
            else:
                self._save(entries, current.vault, current.index)

    def mark_stale(self, reasons: dict[str, str]) -> None:
        """Record that these entries were served stale, and why (their provider was down).

        The value and its fetch time stay as they are: the age keeps counting from the
        last successful fetch, so a stale value is never served past its limit."""
        if not reasons:
            return
        with file_lock(self.lock_path):
            current = self._readable()
            entries = current.entries
            changed = False
            for fp, why in reasons.items():
                entry = entries.get(fp)
                if entry is not None and entry.stale != why:
                    entries[fp] = CacheEntry(entry.value, entry.fetched, why)
                    changed = True
            if changed:
                self._save(entries, current.vault, current.index)

    def _readable(self) -> _Doc:
        """The file's document with its entries and index decoded (empty if they do not
        parse: a writer starts again from nothing, as with a damaged file)."""
        doc = self._read()
        try:
            doc.entries, doc.index  # noqa: B018 (decoded now, inside the try)
        except _DAMAGED:
            return _Doc({})
        return doc

    def _save(self, entries: dict[str, CacheEntry], tag: str, index: dict[str, str]) -> None:
        """Write `entries`, and the name index of `index` ({name: fingerprint} of the vault
        file tagged `tag`) for the names whose entry is among them."""
        named: dict[str, str] = {}
        kept: dict[str, str] = {}
        held: list[CacheEntry] = []
        for name, fp in index.items():
            e = entries.get(fp)
            if e is not None:
                named[name], kept[name] = e.value, fp
                held.append(e)
        if not all(math.isfinite(e.fetched) for e in held):
            named, kept, held = {}, {}, []  # a time no clock gives: no index, the rule decides
        fetched = [e.fetched for e in held]
        used = set(kept.values())
        rest: dict[str, dict[str, object]] = {}
        for fp, e in entries.items():
            if fp not in used:
                rest[fp] = {"value": e.value, "fetched": e.fetched}
                if e.stale:
                    rest[fp]["stale"] = e.stale
        oldest = min(fetched, default=0.0)
        head = {"v": FORMAT, "vault": tag if named else "", "oldest": oldest, "named": named}
        head["fetched"] = fetched
        body = {
            "fps": list(kept.values()),
            "stale": [(i, e.stale) for i, e in enumerate(held) if e.stale],
            "rest": rest,
        }
        # json.dumps, not msgspec: it writes any str (a lone surrogate too, escaped; which
        # _parse_document reads back through its general path), and never a line break.
        plain = b"%s\n%s" % (json.dumps(head).encode(), json.dumps(body).encode())
        generation = max(self._generation, self._guard.cache_floor()) + 1
        probe = Envelope("cache", self.vault_id, self._check, generation, b"", b"")
        nonce, ct = crypto.seal(self._key, plain, probe.aad())
        env = Envelope("cache", self.vault_id, self._check, generation, nonce, ct)
        atomic_write(self.path, env.to_bytes())
        self._generation = generation
        self._guard.update(cache=generation)
        self._doc = _Doc(entries, tag if named else "", kept, named, fetched, oldest)
        self._seen = self._stamp()

    def forget_provider(self, provider: str) -> int:
        """Drop every value fetched from `provider`; returns how many were dropped.

        Called when its connection changes or goes away: the same link may name another
        secret on another server, region or account, so old values must not be served.
        """
        prefix = f"{provider}:"
        with file_lock(self.lock_path):
            current = self._readable()
            entries = current.entries
            kept = {fp: e for fp, e in entries.items() if not fp.startswith(prefix)}
            dropped = len(entries) - len(kept)
            if dropped:
                self._save(kept, current.vault, current.index)
            else:
                self._doc = current
        return dropped

    def reset(self) -> None:
        reset_cache_file(self.path)
        self._doc = _Doc({})
        self._seen = None


def _parse_document(plain: bytes) -> _Doc:
    """The decrypted cache document, format 2 or 1. Raises ValueError (or a msgspec error)
    for anything else. Only format 2's head is decoded here; its body when asked for."""
    cut = plain.find(b"\n")
    if cut < 0:  # format 1 (json.dumps wrote it on one line)
        return _Doc(_parse_entries(plain))
    head_bytes, body = plain[:cut], plain[cut + 1 :]
    try:
        head = _HEAD.decode(head_bytes)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        # A lone surrogate, which msgspec's decoder refuses: json.loads takes it, and
        # msgspec.convert checks the same fields and types on what it gave.
        head = msgspec.convert(json.loads(head_bytes), _Head)
    if head.v != FORMAT:
        raise ValueError(f"cache format {head.v}")
    return _Doc(None, head.vault, None, head.named, head.fetched, head.oldest, body or b"{}")


_DECODER = msgspec.json.Decoder(dict[str, CacheEntry])


def _parse_entries(plain: bytes) -> dict[str, CacheEntry]:
    """Cache entries from {fingerprint: {"value", "fetched", "stale"?}}: format 1's whole
    document, format 2's `entries`.

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
    return _entries_from(json.loads(plain))


def _entries_from(doc: Any) -> dict[str, CacheEntry]:
    """Entries from the object json.loads gave (each field converted)."""
    with paused_gc():  # thousands of entries built at once, none in a cycle
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

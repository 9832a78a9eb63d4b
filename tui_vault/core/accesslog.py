"""The local access log: which command read which secret, when, from where. Never a value.

Layout beside the vault file (``vault.json`` here):

- ``vault.json.log``: the current segment, one sealed record per line.
- ``vault.json.log.1``: the previous segment, kept when the current one reaches the size limit.
- ``vault.json.log.head``: a sealed checkpoint (last sequence number, hash of the last line,
  first sequence number that must still be present), so a cut-off tail is detected too.
- ``vault.json.log.lock``: flock'd by writers, so concurrent appends never interleave.

Each line is ``SEQ:BASE64(nonce || AES-GCM ciphertext)``, sealed with the vault key's own
HKDF subkey ("access-log") and, as associated data, the vault id, the sequence number and the
SHA-256 of the previous line. Editing a line breaks its tag; removing or reordering lines
breaks the chain of the line after; cutting lines off the end disagrees with the head.

What it cannot detect: someone holding the files may put back an older copy of all of them
together (log and head), or delete every file at once, which reads as "no log yet". The log
records what this machine's tui-vault did; it is not a remote audit trail.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import stat
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_vault.core import crypto
from tui_vault.core.display import visible as visible  # names and notes shown escaped
from tui_vault.core.errors import StorageError, VaultError
from tui_vault.core.frozen import Frozen
from tui_vault.core.store import atomic_write, file_lock

if TYPE_CHECKING:
    from tui_vault.core.resolution import Resolution
    from tui_vault.core.vault import Vault

SEGMENT_LIMIT = 1024 * 1024
"""Rotate the current segment once it is this large (the log holds at most about twice it)."""
MAX_LINE_BYTES = 64 * 1024
_ZERO = b"\0" * 32
# A reference in an argument; compiled (re's cache) only when an argument holds "{{".
_REF = r"\{\{\s*vault:[^}]*\}\}"
ELIDED = "[elided]"
ACTIONS = ("get", "inject", "run", "copy", "reveal", "clear")


class LogTampered(VaultError):
    """The log's chain is broken: a record was edited, removed, reordered or cut off."""


class LogPaths(Frozen):
    """The log's four files beside one vault (frozen)."""

    _fields = ("log", "previous", "head", "lock")
    __slots__ = _fields

    log: Path
    previous: Path
    head: Path
    lock: Path

    def __init__(self, log: Path, previous: Path, head: Path, lock: Path) -> None:
        object.__setattr__(self, "log", log)
        object.__setattr__(self, "previous", previous)
        object.__setattr__(self, "head", head)
        object.__setattr__(self, "lock", lock)

    @classmethod
    def beside(cls, vault_path: Path) -> LogPaths:
        base = vault_path.resolve() if vault_path.is_symlink() else vault_path
        name = base.name + ".log"
        return cls(
            log=base.with_name(name),
            previous=base.with_name(name + ".1"),
            head=base.with_name(name + ".head"),
            lock=base.with_name(name + ".lock"),
        )

    def all(self) -> tuple[Path, ...]:
        return (self.log, self.previous, self.head, self.lock)


# Record and LogReading are plain (mutable, unhashable, equal by their fields) classes, not
# dataclasses: core/frozen.py says why.

_RECORD_FIELDS = (
    "time",
    "action",
    "names",
    "outcome",
    "details",
    "argv",
    "tty",
    "ssh_client",
    "pid",
    "seq",
)


class Record:
    """One resolution: who asked for which names and how it ended. Never a value."""

    __slots__ = _RECORD_FIELDS

    time: float
    action: str
    names: list[str]
    outcome: str  # "resolved" or "unresolved"
    details: dict[str, str]  # name -> resolved/empty/reason
    argv: list[str]
    tty: str | None
    ssh_client: str | None
    pid: int
    seq: int

    def __init__(
        self,
        time: float,
        action: str,
        names: list[str],
        outcome: str,
        details: dict[str, str] | None = None,
        argv: list[str] | None = None,
        tty: str | None = None,
        ssh_client: str | None = None,
        pid: int = 0,
        seq: int = 0,
    ) -> None:
        self.time = time
        self.action = action
        self.names = names
        self.outcome = outcome
        self.details = {} if details is None else details
        self.argv = [] if argv is None else argv
        self.tty = tty
        self.ssh_client = ssh_client
        self.pid = pid
        self.seq = seq

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record) or other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _RECORD_FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in _RECORD_FIELDS)
        return f"Record({inner})"

    def to_json(self) -> dict[str, Any]:
        """Every field, in order; the lists and the dict copied (as dataclasses.asdict)."""
        return {
            "time": self.time,
            "action": self.action,
            "names": list(self.names),
            "outcome": self.outcome,
            "details": dict(self.details),
            "argv": list(self.argv),
            "tty": self.tty,
            "ssh_client": self.ssh_client,
            "pid": self.pid,
            "seq": self.seq,
        }

    @classmethod
    def from_json(cls, doc: Any) -> Record:
        if not isinstance(doc, dict):
            raise ValueError("not an object")
        rec = cls(
            time=float(doc["time"]),
            action=str(doc["action"]),
            names=[str(n) for n in doc["names"]],
            outcome=str(doc["outcome"]),
            details={str(k): str(v) for k, v in dict(doc.get("details", {})).items()},
            argv=[str(a) for a in doc.get("argv", [])],
            tty=None if doc.get("tty") is None else str(doc["tty"]),
            ssh_client=None if doc.get("ssh_client") is None else str(doc["ssh_client"]),
            pid=int(doc.get("pid", 0)),
            seq=int(doc["seq"]),
        )
        return rec


class LogReading:
    """What `read_log` found: the records whose chain holds, and what broke it (if anything)."""

    __slots__ = ("problem", "records")

    records: list[Record]
    problem: str | None

    def __init__(self, records: list[Record], problem: str | None = None) -> None:
        self.records = records
        self.problem = problem

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LogReading) or other.__class__ is not self.__class__:
            return NotImplemented
        return (self.records, self.problem) == (other.records, other.problem)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LogReading(records={self.records!r}, problem={self.problem!r})"


# ------------------------------------------------------------------ what a record says


def elide_argv(argv: Sequence[str], values: Iterable[str]) -> list[str]:
    """argv with every argument holding a value replaced whole, and references elided."""
    shown = [v for v in values if v]
    out: list[str] = []
    for arg in argv:
        if any(v in arg for v in shown):
            out.append(ELIDED)
        elif "{{" in arg:
            out.append(re.sub(_REF, "{{vault:…}}", arg))
        else:
            out.append(arg)
    return out


def _tty() -> str | None:
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            if stream is not None and stream.isatty():
                return os.ttyname(stream.fileno())
    return None


def _ssh_client() -> str | None:
    conn = os.environ.get("SSH_CONNECTION", "").split()
    return conn[0][:64] if conn else None


def make_record(
    action: str,
    results: Mapping[str, Resolution] | None = None,
    *,
    names: Sequence[str] = (),
    argv: Sequence[str] | None = None,
    outcome: str | None = None,
) -> Record:
    """A record of one resolution, taken from its results (names, statuses, reasons)."""
    details: dict[str, str] = {}
    values: list[str] = []
    for name, r in (results or {}).items():
        if r.status == "unresolved":
            details[name] = r.reason.value if r.reason is not None else "unresolved"
        else:
            details[name] = r.status
        if r.value:
            values.append(r.value)
    all_names = list(dict.fromkeys([*names, *details]))
    if outcome is None:
        bad = [n for n, d in details.items() if d not in ("resolved", "empty")]
        outcome = "unresolved" if bad else "resolved"
    raw_argv = list(sys.argv) if argv is None else list(argv)
    if raw_argv:
        program = Path(raw_argv[0]).name
        raw_argv[0] = "tui-vault" if program in ("__main__.py", "-c", "-m", "") else program
    return Record(
        time=time.time(),
        action=action,
        names=all_names,
        outcome=outcome,
        details=details,
        argv=elide_argv(raw_argv, values),
        tty=_tty(),
        ssh_client=_ssh_client(),
        pid=os.getpid(),
    )


# ------------------------------------------------------------------ the sealed files


def _b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class AccessLog:
    """Append to and read the access log of one vault (needs the vault key)."""

    def __init__(
        self,
        vault_path: Path,
        master: bytes,
        vault_id: str,
        segment_limit: int = SEGMENT_LIMIT,
    ) -> None:
        self.paths = LogPaths.beside(vault_path)
        self.vault_id = vault_id
        self._key = crypto.derive_subkey(master, bytes.fromhex(vault_id), "access-log")
        self.segment_limit = segment_limit

    # -------------------------------------------------------------- sealing

    def _aad(self, seq: int, prev: bytes) -> bytes:
        return f"tui-vault/access-log/v1|{self.vault_id}|{seq}|".encode() + prev

    def _seal_line(self, record: Record, prev: bytes) -> bytes:
        plaintext = json.dumps(record.to_json(), sort_keys=True, ensure_ascii=True).encode()
        nonce, ct = crypto.seal(self._key, plaintext, self._aad(record.seq, prev))
        return f"{record.seq}:{prev.hex()}:".encode() + base64.b64encode(nonce + ct)

    def _open_line(self, line: bytes, expect_seq: int | None, prev: bytes | None) -> Record:
        """The record in one line, if its tag holds for this position in the chain.

        prev: the hash of the line before it (None for the oldest kept line, whose
        predecessor may have been rotated out: the hash it names is then taken on trust,
        though still bound by its tag).
        """
        try:
            seq_text, prev_hex, body = line.decode("ascii").split(":")
            seq = int(seq_text)
            stated = bytes.fromhex(prev_hex)
            blob = _b64d(body)
        except (UnicodeDecodeError, ValueError, binascii.Error):
            raise LogTampered("a line of the log is not a sealed record") from None
        if expect_seq is not None and seq != expect_seq:
            if seq > expect_seq:
                raise LogTampered(f"record {expect_seq} was removed (found {seq} in its place)")
            raise LogTampered(f"record {seq} is out of order (expected {expect_seq})")
        if prev is not None and stated != prev:
            raise LogTampered(f"record {seq} does not follow the record before it (changed?)")
        nonce, ct = blob[: crypto.NONCE_BYTES], blob[crypto.NONCE_BYTES :]
        try:
            plaintext = crypto.unseal(self._key, nonce, ct, self._aad(seq, stated))
        except crypto.DecryptionFailed:
            raise LogTampered(f"record {seq} was changed") from None
        try:
            rec = Record.from_json(json.loads(plaintext))
        except (ValueError, KeyError, TypeError):
            raise LogTampered(f"record {seq} is damaged") from None
        if rec.seq != seq:
            raise LogTampered(f"record {seq} is damaged")
        return rec

    def _head_aad(self) -> bytes:
        return f"tui-vault/access-log-head/v1|{self.vault_id}".encode()

    def _read_head(self) -> tuple[int, bytes, int] | None:
        """(last seq, hash of the last line, first seq that must exist), or None if no head."""
        raw = self._read_bounded(self.paths.head, 4096)
        if raw is None:
            return None
        try:
            nonce_b64, _, ct_b64 = raw.decode("ascii").strip().partition(":")
            plaintext = crypto.unseal(self._key, _b64d(nonce_b64), _b64d(ct_b64), self._head_aad())
            doc = json.loads(plaintext)
            return int(doc["seq"]), bytes.fromhex(doc["hash"]), int(doc["start"])
        except (UnicodeDecodeError, ValueError, binascii.Error, KeyError, TypeError):
            raise LogTampered("the log's checkpoint is damaged") from None
        except crypto.DecryptionFailed:
            raise LogTampered(
                "the log's checkpoint was changed (or belongs to another vault key)"
            ) from None

    def _write_head(self, seq: int, last: bytes, start: int, *, behind_ok: bool = False) -> None:
        """Replace the head atomically (temp file, fsync, rename).

        behind_ok: the head only moves on to a line already flushed (append), so it may be
        lost in a power cut: the old head then lags one record behind the log, which is the
        state a crash between line and head leaves, and reads and appends accept it (the
        line ahead). Its directory is then not flushed: one fsync less per `get`.
        """
        doc = {"seq": seq, "hash": last.hex(), "start": start}
        nonce, ct = crypto.seal(self._key, json.dumps(doc).encode(), self._head_aad())
        line = base64.b64encode(nonce) + b":" + base64.b64encode(ct) + b"\n"
        atomic_write(self.paths.head, line, sync_dir=not behind_ok)

    @staticmethod
    def _read_bounded(path: Path, limit: int) -> bytes | None:
        """A regular file's bytes (never through a symlink), or None if it does not exist."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StorageError(f"cannot read {path}: {e.strerror}") from None
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())

            if not stat.S_ISREG(st.st_mode):
                raise StorageError(f"{path} is not a regular file")
            if st.st_size > limit:
                raise StorageError(f"{path} is larger than an access log can be")
            return f.read(limit + 1)

    def _segment_lines(self, path: Path) -> list[bytes]:
        raw = self._read_bounded(path, self.segment_limit + 2 * MAX_LINE_BYTES)
        if not raw:
            return []
        if not raw.endswith(b"\n"):
            # A writer died mid-line (or the end was cut): the partial line is not a record.
            raw = raw[: raw.rfind(b"\n") + 1]
        return raw.splitlines()

    # -------------------------------------------------------------- writing

    def append(self, record: Record) -> Record:
        """Add one record under the lock; raises StorageError/LogTampered if it cannot."""
        with file_lock(self.paths.lock, timeout=5.0):
            head = self._read_head()
            if head is None and (self.paths.log.exists() or self.paths.previous.exists()):
                raise LogTampered("the log's checkpoint is missing")
            seq, last, start = head if head is not None else (0, _ZERO, 1)
            size, last_line = self._tail(self.paths.log)
            if last_line:
                # A crash between writing the line and the head leaves the line ahead.
                with contextlib.suppress(LogTampered):
                    tail = self._open_line(last_line, None, None)
                    if tail.seq > seq:
                        seq, last = tail.seq, crypto.sha256(last_line)
            if size >= self.segment_limit:
                # Rotate: the current segment becomes the previous one (the older previous
                # is dropped); the next record chains on to its last line. The head moves
                # first, so a crash in between leaves extra old records, never a gap.
                start = self._first_seq(self.paths.log) or seq + 1
                self._write_head(seq, last, start)
                self.paths.log.replace(self.paths.previous)
            rec = Record(**{**record.to_json(), "seq": seq + 1})
            line = self._seal_line(rec, last)
            if len(line) > MAX_LINE_BYTES:
                rec.argv = [*rec.argv[:8], "[…]"]
                line = self._seal_line(rec, last)
            self._append_line(line, truncate=False)  # flushed before the head names it
            self._write_head(rec.seq, crypto.sha256(line), start, behind_ok=True)
            return rec

    def _append_line(self, line: bytes, truncate: bool) -> None:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if truncate else 0)
        try:
            fd = os.open(self.paths.log, flags, 0o600)
        except OSError as e:
            raise StorageError(f"cannot write {self.paths.log}: {e.strerror}") from None
        try:
            end = os.lseek(fd, 0, os.SEEK_END)
            if end and os.pread(fd, 1, end - 1) != b"\n":
                # A writer died mid-line: that record never got its head, so it never
                # happened. Cut it off, or the next line would be glued to it.
                tail = os.pread(fd, min(end, MAX_LINE_BYTES + 1), max(0, end - MAX_LINE_BYTES - 1))
                cut = end - len(tail) + tail.rfind(b"\n") + 1
                os.ftruncate(fd, cut)
                end = cut
            os.pwrite(fd, line + b"\n", end)
            os.fsync(fd)
        except OSError as e:
            raise StorageError(f"cannot write {self.paths.log}: {e.strerror}") from None
        finally:
            os.close(fd)

    def _tail(self, path: Path) -> tuple[int, bytes | None]:
        """The segment's size and its last complete line, read from the end only."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return 0, None
        except OSError as e:
            raise StorageError(f"cannot read {path}: {e.strerror}") from None
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise StorageError(f"{path} is not a regular file")
            f.seek(max(0, st.st_size - MAX_LINE_BYTES - 1))
            chunk = f.read(MAX_LINE_BYTES + 1)
        end = chunk.rfind(b"\n")
        if end < 0:
            return st.st_size, None
        begin = chunk.rfind(b"\n", 0, end) + 1
        return st.st_size, chunk[begin:end] or None

    @staticmethod
    def _first_seq(path: Path) -> int | None:
        try:
            with path.open("rb") as f:
                first = f.readline(64)
            return int(first.split(b":", 1)[0])
        except (OSError, ValueError):
            return None

    def clear(self, record: Record) -> Record:
        """Drop every record; the first new record says the log was cleared (and when)."""
        with file_lock(self.paths.lock, timeout=5.0):
            head = None
            with contextlib.suppress(LogTampered):
                head = self._read_head()
            seq = head[0] if head is not None else 0
            rec = Record(**{**record.to_json(), "seq": seq + 1})
            line = self._seal_line(rec, _ZERO)
            self._write_head(seq, _ZERO, rec.seq)
            with contextlib.suppress(FileNotFoundError):
                self.paths.previous.unlink()
            self._append_line(line, truncate=True)
            self._write_head(rec.seq, crypto.sha256(line), rec.seq)
            return rec

    # -------------------------------------------------------------- reading

    def read(self) -> LogReading:
        """Every record whose chain holds, oldest first; `problem` says where it broke."""
        with file_lock(self.paths.lock, timeout=5.0):
            try:
                head = self._read_head()
            except LogTampered as e:
                found = self._walk(None)
                return LogReading(found.records, e.message)
            return self._walk(head)

    def _walk(self, head: tuple[int, bytes, int] | None) -> LogReading:
        lines = self._segment_lines(self.paths.previous) + self._segment_lines(self.paths.log)
        if head is None and not lines:
            return LogReading([])
        records: list[Record] = []
        prev: bytes | None = None
        expect: int | None = None
        for line in lines:
            try:
                rec = self._open_line(line, expect, prev)
            except LogTampered as e:
                return LogReading(records, e.message)
            records.append(rec)
            prev = crypto.sha256(line)
            expect = rec.seq + 1
        if head is None:
            return LogReading(records, "the log's checkpoint is missing")
        seq, last, start = head
        if records and records[0].seq > start:
            return LogReading(
                records,
                f"{_span(start, records[0].seq - 1)} removed from the start of the log",
            )
        last_seq = records[-1].seq if records else start - 1
        if last_seq < seq:
            return LogReading(records, f"{_span(last_seq + 1, seq)} cut off the end of the log")
        if records and records[-1].seq == seq and prev != last:
            return LogReading(records[:-1], f"record {seq} is not the one the checkpoint names")
        return LogReading(records)


def _span(first: int, last: int) -> str:
    return f"record {first} was" if first == last else f"records {first} to {last} were"


def for_vault(vault: Vault) -> AccessLog:
    return AccessLog(vault.path, vault.key, vault.vault_id)


def record_access(vault: Vault, record: Record) -> str | None:
    """Append a record; a failure is returned as one line for a warning, never raised."""
    try:
        for_vault(vault).append(record)
    except LogTampered as e:
        return (
            f"the access log was not written: {e.message} (see `tui-vault log`; "
            "`tui-vault log clear` starts a new one)"
        )
    except VaultError as e:
        return f"the access log was not written: {e.message}"
    except OSError as e:
        return f"the access log was not written: {e.strerror or type(e).__name__}"
    return None


def parse_duration(text: str) -> float:
    """Seconds in a duration like 90s, 15m, 2h, 7d, 1w or 1h30m (a bare number is seconds)."""
    t = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return float(t)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhdw])", t)
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([smhdw])", "", t).strip():
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 2h, 7d, 1h30m)")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    return sum(float(n) * unit[u] for n, u in parts)


def remove_log_files(vault_path: Path) -> None:
    """Delete the access log of a vault whose key is gone (reset): nothing could read it."""
    for p in LogPaths.beside(vault_path).all():
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            p.unlink()

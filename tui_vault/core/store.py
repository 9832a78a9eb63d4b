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
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

# msgspec and core.crypto (cryptography) load with the first envelope read or written: the
# settings file is read through this module before the TUI's first paint, which needs neither.
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


# Fields this long (a vault's ciphertext) are coded with pybase64 (SIMD; ~20x the stdlib on
# 30 MB); shorter ones with the stdlib, so a `get` of a small vault never imports it.
_BIG_B64 = 1 << 16


_B64_SLICE = 3 << 18  # 768 KiB of bytes, 1 MiB of base64


def b64encode(data: bytes | memoryview) -> bytes:
    """base64.b64encode(data), the same bytes; big inputs through pybase64."""
    if len(data) < _BIG_B64:
        return base64.b64encode(data)
    import pybase64

    return pybase64.b64encode(data)


def b64d(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise CorruptVaultError(f"{what} is missing")
    if len(text) >= _BIG_B64:
        import pybase64

        try:
            fast: bytes | None = pybase64.b64decode(text, validate=True)
        except (ValueError, TypeError):
            fast = None
        # Accepted only if text is exactly the canonical spelling of those bytes (re-encoded
        # and compared whole): then the checks below accept it too, with the same bytes.
        # Anything else gets the stdlib's verdict and message.
        if fast is not None and pybase64.b64encode_as_string(fast) == text:
            return fast
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CorruptVaultError(f"{what} is not valid base64") from None
    if not _canonical_b64(text, raw):
        raise CorruptVaultError(f"{what} is not in canonical form")
    return raw


def _canonical_b64(text: str | memoryview, raw: bytes) -> bool:
    """True if text is the base64 of raw (as a str, or as ASCII bytes in a view of a file),
    without re-encoding all of raw (it may be 20 MB).

    The strict decode of text already refused every character outside the alphabet and any
    padding that is not at the end, so whole 4-character groups map one to one onto 3 bytes.
    What can still differ from the canonical spelling is the length (padding missing) and
    the last group (non-zero pad bits): check those two.
    """
    if len(text) % 4:
        return False
    if not raw:
        return len(text) == 0
    tail = len(raw) % 3 or 3
    last = base64.b64encode(raw[-tail:])
    return len(text) == (len(raw) + 2) // 3 * 4 and text[-4:] == (
        last.decode("ascii") if isinstance(text, str) else last
    )


def canonical_json(obj: Any) -> bytes:
    import json  # (here: the TUI's start imports this module for settings, not for JSON)

    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


_ENVELOPE_FIELDS = ("kind", "vault_id", "key_check", "generation", "nonce", "ciphertext")


def _frozen(self: object, name: str, value: object = None) -> NoReturn:
    raise AttributeError(f"cannot assign to field {name!r}")


class Envelope:
    """A vault or cache file's fields. Frozen; written by hand, not by @dataclass (a small
    `get` imports no dataclasses module), with what the dataclass had: this __init__,
    __eq__/__hash__ over the fields in order, __repr__, and `replace` for
    dataclasses.replace."""

    __match_args__ = ("kind", "vault_id", "key_check", "generation", "nonce", "ciphertext")
    __slots__ = __match_args__  # the fields, in order
    kind: str  # "vault" or "cache"
    vault_id: str
    key_check: bytes
    generation: int
    nonce: bytes
    ciphertext: bytes

    def __init__(
        self,
        kind: str,
        vault_id: str,
        key_check: bytes,
        generation: int,
        nonce: bytes,
        ciphertext: bytes,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "kind", kind)
        setattr_(self, "vault_id", vault_id)
        setattr_(self, "key_check", key_check)
        setattr_(self, "generation", generation)
        setattr_(self, "nonce", nonce)
        setattr_(self, "ciphertext", ciphertext)

    __setattr__ = _frozen
    __delattr__ = _frozen

    def _fields(self) -> tuple[str, str, bytes, int, bytes, bytes]:
        return (
            self.kind,
            self.vault_id,
            self.key_check,
            self.generation,
            self.nonce,
            self.ciphertext,
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Envelope)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}("
            + ", ".join(f"{name}={getattr(self, name)!r}" for name in _ENVELOPE_FIELDS)
            + ")"
        )

    def __reduce__(self) -> tuple[type[Envelope], tuple[str, str, bytes, int, bytes, bytes]]:
        return (self.__class__, self._fields())

    def replace(self, **changes: Any) -> Envelope:
        """A copy with the named fields changed (an unknown name is a TypeError)."""
        kwargs: dict[str, Any] = {name: getattr(self, name) for name in _ENVELOPE_FIELDS}
        kwargs.update(changes)
        return Envelope(**kwargs)

    def header(self) -> dict[str, Any]:
        from tui_vault.core.crypto import CIPHER_NAME, KDF_NAME

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
        return b"".join(self.to_parts())

    def to_parts(self) -> tuple[bytes, bytes, bytes]:
        """`to_bytes()` in three pieces (the ciphertext's base64 in the middle), for a writer
        that need not join 30 MB into one buffer first (atomic_write takes the pieces)."""
        prefix, suffix = self._frame(b64e(self.nonce))
        return prefix, b64encode(self.ciphertext), suffix

    def _frame(self, nonce_b64: str) -> tuple[bytes, bytes]:
        """The one canonical spelling is json.dumps(sort_keys, indent=1, ensure_ascii) + "\\n";
        this returns it cut around the ciphertext's base64 text (most of the file).

        Base64 needs no JSON escaping, so the ciphertext goes in between as is: a 30 MB
        vault is neither scanned by the encoder nor copied through str.replace.
        """
        import json

        doc = self.header() | {"nonce": nonce_b64, "ciphertext": ""}
        text = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=True) + "\n"
        # "ciphertext" is the second key in sorted order; its line is the first match.
        before, _, after = text.partition('"ciphertext": ""')
        return (before + '"ciphertext": "').encode(), ('"' + after).encode()

    def rendering(self) -> tuple[int, Iterator[bytes]]:
        """The length of `to_bytes()` and its bytes in pieces of about 1 MiB (the base64 of
        the ciphertext coded a slice at a time): to compare a file with, never held whole."""
        prefix, suffix = self._frame(b64e(self.nonce))
        ct = memoryview(self.ciphertext)
        size = len(prefix) + (len(ct) + 2) // 3 * 4 + len(suffix)

        def pieces() -> Iterator[bytes]:
            yield prefix
            for start in range(0, len(ct), _B64_SLICE):  # whole 3-byte groups per slice
                yield b64encode(ct[start : start + _B64_SLICE])
            yield suffix

        return size, pieces()

    def _is_rendering_of(self, raw: bytes, nonce_b64: str, ciphertext_b64: str) -> bool:
        """raw == what to_bytes() writes, given the two base64 fields as read from raw."""
        prefix, suffix = self._frame(nonce_b64)
        n = len(ciphertext_b64)
        # bytes.startswith(x, start) is one memcmp in place; comparing a memoryview slice
        # goes item by item (~20x slower on a 30 MB vault).
        return (
            len(raw) == len(prefix) + n + len(suffix)
            and raw.startswith(prefix)
            and raw.endswith(suffix)
            and raw.startswith(ciphertext_b64.encode("ascii"), len(prefix))
        )

    @classmethod
    def from_bytes(cls, raw: bytes, where: str, kind: str) -> Envelope:
        """The envelope in `raw`, if raw is exactly its canonical rendering; else one
        CorruptVaultError saying what is wrong.

        msgspec decodes the JSON and its verdict is the rule. A small file (a `get` of a
        vault of a few hundred secrets) is first tried with the stdlib's json, which is
        already loaded where msgspec would cost a command ~20 ms to import: that result is
        kept only when every check below accepts it, canonical form included. An accepted
        file is then plain ASCII JSON without a backslash (no escapes, no NaN), which both
        decoders read as the same document; anything else is decided by msgspec, with its
        message, as before.
        """
        if len(raw) < _SMALL_FILE and b"\\" not in raw:
            import json

            try:
                doc = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
            except (ValueError, RecursionError):
                pass
            else:
                with contextlib.suppress(CorruptVaultError):
                    return cls._from_doc(doc, raw, where, kind)
        import msgspec

        if len(raw) >= _BIG_FILE:
            env = cls._from_big(raw, where, kind)
            if env is not None:
                return env
        try:
            # msgspec checks the UTF-8 itself: no 30 MB str copy first.
            doc = msgspec.json.decode(raw)
        except (ValueError, RecursionError, msgspec.MsgspecError):  # bad UTF-8/JSON, nesting
            raise CorruptVaultError(f"{where} is not a tui-vault file (not valid JSON)") from None
        return cls._from_doc(doc, raw, where, kind)

    @classmethod
    def _from_big(cls, raw: bytes, where: str, kind: str) -> Envelope | None:
        """A big file's envelope, read without scanning or copying the ciphertext's base64
        more than its decoding and one comparison need, or None: then the general path
        above decides, with its message, as before.

        In the canonical rendering the ciphertext's value (most of the file) sits between
        `"ciphertext": "` near the start and `",` + the next key near the end. Those two
        places are found in the first and last few KiB; the rest of the document (the
        header, with the ciphertext's value left empty) is decoded as JSON; pybase64
        decodes the value straight from raw; the header gets every check the general path
        makes; and the result is kept only if raw is exactly its canonical rendering (the
        header's text compared, the value's canonical form checked without re-encoding
        it). A file accepted here is therefore the rendering of that envelope, which the
        general path accepts too, with the same envelope (a test compares the two on the
        canonical file and on damaged ones)."""
        import msgspec
        import pybase64

        begin = raw.find(_CIPHERTEXT_OPEN, 0, _EDGE)
        close = raw.rfind(_CIPHERTEXT_CLOSE, max(0, len(raw) - _EDGE))
        if begin < 0 or close < 0:
            return None
        begin += len(_CIPHERTEXT_OPEN)
        if close < begin:
            return None
        try:
            doc = msgspec.json.decode(raw[:begin] + raw[close:])
            ciphertext = pybase64.b64decode(memoryview(raw)[begin:close], validate=True)
        except (ValueError, TypeError, RecursionError, msgspec.MsgspecError):
            return None
        if not isinstance(doc, dict) or set(doc) != {*_HEADER_FIELDS, "nonce", "ciphertext"}:
            return None
        fields = {name: doc[name] for name in _HEADER_FIELDS}
        fields.update(nonce=doc["nonce"], ciphertext="")
        try:
            env = cls._checked(fields, where, kind, ciphertext)
        except CorruptVaultError:
            return None
        # raw is env's rendering: the same text around the value, and the value (strictly
        # decoded above) the canonical base64 of the ciphertext.
        prefix, suffix = env._frame(doc["nonce"])
        if (
            raw[:begin] != prefix
            or raw[close:] != suffix
            or not ciphertext
            or not _canonical_b64(memoryview(raw)[begin:close], ciphertext)
        ):
            return None
        return env

    @classmethod
    def _from_doc(cls, doc: Any, raw: bytes, where: str, kind: str) -> Envelope:
        """Check the decoded document of `raw` field by field, and raw's canonical form."""
        env = cls._checked(doc, where, kind)
        # b64d checked that each base64 field is the canonical spelling of its bytes, so the
        # fields as read render exactly like env.to_bytes() (without re-encoding 20 MB).
        if not env._is_rendering_of(raw, doc["nonce"], doc["ciphertext"]):
            raise CorruptVaultError(f"{where} was modified outside tui-vault (not canonical)")
        return env

    @classmethod
    def _checked(cls, doc: Any, where: str, kind: str, ciphertext: bytes | None = None) -> Envelope:
        """The envelope of a decoded document, every field checked (the ciphertext decoded
        from doc's base64 unless given), or CorruptVaultError; not raw's canonical form."""
        from tui_vault.core.crypto import CIPHER_NAME, KDF_NAME

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
        key_check = b64d(doc["key_check"], f"{where}: key check")
        nonce = b64d(doc["nonce"], f"{where}: nonce")
        if ciphertext is None:
            ciphertext = b64d(doc["ciphertext"], f"{where}: ciphertext")
        return cls(kind, vault_id, key_check, generation, nonce, ciphertext)


# Envelopes smaller than this are first decoded with the stdlib's json (see from_bytes).
_SMALL_FILE = 256 * 1024
# Envelopes this big or bigger are first read by Envelope._from_big.
_BIG_FILE = 1 << 20
# Where _from_big looks for the two ends of the ciphertext's value: within this many bytes
# of the file's start and end (the rest of a canonical header is a few hundred bytes).
_EDGE = 4096
_CIPHERTEXT_OPEN = b'"ciphertext": "'
_CIPHERTEXT_CLOSE = b'",\n "format": '  # the next key in sorted order


def is_big_envelope(size: int) -> bool:
    """A file this big is read by Envelope._from_big (msgspec and pybase64 are loaded for it)."""
    return size >= _BIG_FILE


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # json.loads accepts NaN and Infinity; msgspec not


def new_vault_id() -> str:
    return os.urandom(16).hex()  # what secrets.token_hex does, without importing random


def read_file(path: Path, what: str = "vault file", *, follow: bool = False) -> bytes:
    """Read one of the vault's own files (vault, cache, backup) with every check (§7)."""
    return read_checked(path, what, MAX_FILE_BYTES, follow=follow, owners=_own_uids())


def _own_uids() -> frozenset[int]:
    return frozenset({os.geteuid()})


def trusted_uids() -> frozenset[int]:
    """Owners a file we read may have: this user, or root (files an admin put there)."""
    return frozenset({os.geteuid(), 0})


def read_file_unless(
    path: Path, expected: tuple[int, Iterable[bytes]], what: str = "vault file"
) -> bytes | None:
    """read_file(path, follow=True), or None if the file holds exactly the expected bytes
    (their total length, and the pieces they come in one after another).

    Same checks as read_file. The file is compared a piece at a time as it is read, so
    finding it unchanged allocates no file-sized buffer (a 30 MB vault: no 30 MB read and
    no hash of it); a file that differs is then read whole, from its start.
    """
    raw = _read_checked(
        path, what, MAX_FILE_BYTES, follow=True, owners=_own_uids(), expected=expected
    )
    return raw


def read_checked(
    path: Path,
    what: str,
    limit: int,
    *,
    follow: bool = True,
    owners: frozenset[int] | None = None,
    regular: bool = True,
) -> bytes:
    """Read a file that someone else may have planted (DESIGN.md §7, hostile files).

    A regular file only (a FIFO would block, /dev/zero would fill memory: both are refused
    before any read), at most `limit` bytes (checked on the open descriptor and by reading at
    most limit+1, so a file growing meanwhile is caught too), owned by one of `owners`, and
    with follow=False never through a symbolic link (O_NOFOLLOW on the last component).
    FileNotFoundError passes through; everything else is one StorageError/CorruptVaultError.
    """
    raw = _read_checked(path, what, limit, follow=follow, owners=owners, regular=regular)
    assert raw is not None  # nothing was expected
    return raw


def _read_checked(
    path: Path,
    what: str,
    limit: int,
    *,
    follow: bool = True,
    owners: frozenset[int] | None = None,
    regular: bool = True,
    expected: tuple[int, Iterable[bytes]] | None = None,
) -> bytes | None:
    # O_NONBLOCK: opening a planted FIFO must not wait for a writer (it is refused below).
    # A caller that accepts pipes (regular=False) waits for the writer, as a reader should.
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | (os.O_NONBLOCK if regular else 0)
    if not follow:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise CorruptVaultError(f"{path} is a directory, not a {what}") from None
    except PermissionError:
        raise StorageError(f"cannot read {path}: permission denied") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise StorageError(
                f"{path} is a symbolic link; a {what} is never read through one (remove it)"
            ) from None
        raise StorageError(f"cannot read {path}: {os_reason(e)}") from None
    try:
        st = os.fstat(fd)
        if regular and not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise CorruptVaultError(f"{path} is {kind}; not reading it as a {what}")
        if owners is not None and st.st_uid not in owners:
            raise StorageError(
                f"{path} belongs to another user (uid {st.st_uid}); not reading it as a {what}"
            )
        if st.st_size > limit:
            raise CorruptVaultError(f"{path} is too large to be a {what}")
        if expected is not None and st.st_size == expected[0]:
            if _holds(fd, expected[1]):
                return None
            os.lseek(fd, 0, os.SEEK_SET)  # it differs: read it whole, as below
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            # The whole file in one read when its size is known (then join() returns that
            # one chunk without copying it), never more than limit+1 bytes in all.
            want = max(1 << 20, st.st_size + 1 - size)
            chunk = os.read(fd, min(want, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise CorruptVaultError(f"{path} is too large to be a {what}")
        return b"".join(chunks)
    except OSError as e:
        raise StorageError(f"cannot read {path}: {os_reason(e)}") from None
    finally:
        os.close(fd)


def _holds(fd: int, pieces: Iterable[bytes]) -> bool:
    """True if reading fd from here gives exactly the pieces, one after another, then EOF."""
    for piece in pieces:
        want = len(piece)
        got = os.read(fd, want)
        while len(got) < want:  # a short read (not at EOF) is continued
            more = os.read(fd, want - len(got))
            if not more:
                return False
            got += more
        if got != piece:
            return False
    return os.read(fd, 1) == b""


def check_private_dir(directory: Path) -> None:
    """Refuse a vault directory that other users may write in: they could swap the vault for
    an older copy, or plant a link as its lock, backup or cache."""
    try:
        st = directory.stat()
    except OSError:
        return  # a missing directory is reported by whatever needs it
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        mode = stat.S_IMODE(st.st_mode)
        raise StorageError(
            f"the vault directory {directory} is writable by other users (mode {mode:04o}): "
            f"they could replace the vault; run `chmod go-w {directory}` or choose another place"
        )
    if st.st_uid not in trusted_uids():
        raise StorageError(
            f"the vault directory {directory} belongs to another user (uid {st.st_uid}); "
            "choose a directory of your own"
        )


def ensure_private_dir(directory: Path) -> None:
    """Create `directory` and every missing parent with mode 0700 (not the umask's 0755)."""
    missing: list[Path] = []
    d = directory
    while not d.exists():
        missing.append(d)
        if d.parent == d:
            break
        d = d.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
            d.chmod(0o700)  # mkdir's mode is masked by the umask
        except FileExistsError:
            continue
        except OSError as e:
            raise StorageError(f"cannot create {d}: {os_reason(e)}") from None


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(
    path: Path,
    data: bytes | Sequence[bytes],
    *,
    exclusive: bool = False,
    sync_dir: bool = True,
    before_replace: Callable[[], object] | None = None,
) -> None:
    """Write a file whole or not at all: temp file beside it, fsync, rename, fsync the directory.

    data: the bytes, or pieces written one after the other (Envelope.to_parts).
    exclusive: refuse to replace an existing file (used for key files and new vaults).
    sync_dir=False: the rename need not survive a power cut (the old file may come back,
    never a partial one): for the access log's head, see AccessLog._write_head.
    before_replace: called once the new bytes are on disk, just before they take the old
    file's place (a save waits there for its backup link, taken meanwhile in a thread); if
    it raises, the temp file is removed, the old file stays, and its error goes up.
    """
    pieces = [data] if isinstance(data, bytes) else list(data)
    directory = path.parent
    tmp = directory / f".{path.name}.tmp-{os.urandom(6).hex()}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            for piece in pieces:
                view = memoryview(piece)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if before_replace is not None:
            try:
                before_replace()
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
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
            f"could not write {path}: {os_reason(e)}; the previous file is unchanged"
        ) from None
    # The new file is in place now: a failure from here on must not say it is unchanged.
    if not sync_dir:
        return
    try:
        fsync_dir(directory)
    except OSError as e:
        if e.errno in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            return  # this file system cannot sync directories (some network file systems)
        raise StorageError(
            f"{path} was written, but flushing its directory to disk failed: {os_reason(e)}"
        ) from None


# What the envelope adds around the ciphertext's base64 (its header fields and the nonce:
# ~400 bytes), generously: below the limit by more than this, no save needs its exact size.
_FRAME_BYTES = 4096


def _size_text(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB" if n >= 1 << 20 else f"{n} bytes"


def check_writable_size(path: Path, env: Envelope, what: str = "vault file") -> None:
    """Refuse (before anything is written) a file that read_file would refuse to read back:
    a save past MAX_FILE_BYTES would leave a vault that can never be opened again.

    The limit is looked up at call time (tests patch it), and the exact size (rendering()'s,
    which codes nothing) only computed near it."""
    limit = MAX_FILE_BYTES
    if (len(env.ciphertext) + 2) // 3 * 4 + _FRAME_BYTES <= limit:
        return
    size, _ = env.rendering()
    if size > limit:
        raise StorageError(
            f"not saved: {path} would be {_size_text(size)}, over the {_size_text(limit)} "
            f"limit of a {what} (it could never be read back); the previous file is unchanged"
        )


def os_reason(e: OSError) -> str:
    """The reason an OSError gives, in words (never the exception's class name)."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if e.errno == errno.EROFS:
        return "the file system is read-only"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.EISDIR:
        return "it is a directory"
    return os.strerror(e.errno) if e.errno else str(e)


def remove_stale_temps(path: Path, older_than: float = 60.0) -> None:
    """Temp files left by a writer that was killed mid-save (their content is never used)."""
    cutoff = time.time() - older_than
    for tmp in path.parent.glob(f".{path.name}.tmp-*"):
        with contextlib.suppress(OSError):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()


def keep_backup(path: Path, backup: Path) -> None:
    """Keep the current generation as the backup: a hard link, atomic and free of copying.

    A symbolic link planted as the backup is refused: followed, a link to the vault itself
    would make the backup the vault and silently turn it off.
    """
    if not path.exists():
        return
    if backup.is_symlink():
        raise StorageError(
            f"{backup} is a symbolic link; the backup of the previous generation is never "
            "written through one (remove it); nothing was changed"
        )
    with contextlib.suppress(OSError):
        if backup.samefile(path):
            # Already a link to it (a save failed after taking the backup). rename() of two
            # links to one file does nothing and would leave the temp link behind.
            return
    tmp = backup.parent / f".{backup.name}.tmp-{os.urandom(6).hex()}"
    try:
        os.link(path, tmp)
        tmp.replace(backup)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        # Hard links may be unsupported (some network file systems): copy instead.
        try:
            atomic_write(backup, read_file(path))
        except (OSError, StorageError, CorruptVaultError):
            return


def scrub_backup(path: Path, backup: Path) -> None:
    """Make the backup the current generation (after clear, reset or disconnect: what was
    deleted must not stay readable in the previous generation)."""
    if backup.is_symlink():
        with contextlib.suppress(FileNotFoundError):
            backup.unlink()
    with contextlib.suppress(FileNotFoundError):
        if backup.exists() and not backup.samefile(path):
            backup.unlink()
    keep_backup(path, backup)


@contextlib.contextmanager
def file_lock(lock_path: Path, timeout: float = 15.0) -> Iterator[None]:
    """Serialise writers across processes with flock on a lock file beside the vault."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock_path, flags, 0o600)
    except OSError as e:  # a read-only or unwritable directory: nothing can be saved there
        if e.errno == errno.ELOOP:
            raise StorageError(
                f"{lock_path} is a symbolic link; the lock is never taken through one "
                "(remove it); nothing was changed"
            ) from None
        raise StorageError(
            f"cannot write in {lock_path.parent}: {os_reason(e)}; nothing was changed"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StorageError(f"{lock_path} is not a regular file (remove it); nothing was changed")
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

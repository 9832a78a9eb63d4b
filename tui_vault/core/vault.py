"""The vault: open with a key, change secrets in small transactions, save atomically.

Every change runs under the cross-process lock on the latest contents from disk, so two
writers (the CLI and the TUI, say) changing different secrets never lose each other's work.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Generic, NoReturn, TypeVar

from tui_vault.core import crypto, rollback
from tui_vault.core.bulk import paused_gc
from tui_vault.core.errors import (
    CorruptVaultError,
    InvalidSecretError,
    SecretNotFoundError,
    VaultExistsError,
    VaultNotFoundError,
    WrongKeyError,
)
from tui_vault.core.model import (
    EncodedBlocks,
    Link,
    Secret,
    VaultData,
    parse_domains,
    validate_name,
)
from tui_vault.core.store import (
    Envelope,
    atomic_write,
    check_private_dir,
    check_writable_size,
    ensure_private_dir,
    file_lock,
    is_big_envelope,
    keep_backup,
    new_vault_id,
    read_file,
    read_file_unless,
    remove_stale_temps,
)
from tui_vault.core.store import scrub_backup as scrub_backup_file
from tui_vault.core.vaultkey import generate_key

T = TypeVar("T")
_UNSET: Any = object()


def _frozen(self: object, name: str, value: object = None) -> NoReturn:
    raise AttributeError(f"cannot assign to field {name!r}")


class VaultPaths:
    """The vault file and the files beside it. Frozen (written by hand, not by @dataclass:
    a small `get` imports no dataclasses module; same __eq__, __hash__ and __repr__)."""

    __slots__ = ("vault",)
    vault: Path

    def __init__(self, vault: Path) -> None:
        # A vault path that is a symlink is followed: saves replace the target, not the link,
        # and every process finds the same lock, backup and cache beside it.
        object.__setattr__(self, "vault", vault.resolve() if vault.is_symlink() else vault)

    __setattr__ = _frozen
    __delattr__ = _frozen

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, VaultPaths)
        return (self.vault,) == (other.vault,)

    def __hash__(self) -> int:
        return hash((self.vault,))

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(vault={self.vault!r})"

    @property
    def lock(self) -> Path:
        return self.vault.with_name(self.vault.name + ".lock")

    @property
    def backup(self) -> Path:
        return self.vault.with_name(self.vault.name + ".bak")

    @property
    def cache(self) -> Path:
        return self.vault.with_name(self.vault.name + ".cache")


def _read_vault_bytes(path: Path) -> bytes:
    # The vault path as named may be a symbolic link (VaultPaths follows it on purpose); the
    # directory it really lives in must be private.
    check_private_dir(path.resolve().parent)
    try:
        return read_file(path, follow=True)
    except FileNotFoundError:
        raise VaultNotFoundError(f"no vault at {path}; create one with `tui-vault init`") from None


def _read_vault_bytes_unless(path: Path, expected: tuple[int, Iterable[bytes]]) -> bytes | None:
    """_read_vault_bytes, or None if the file holds exactly the expected bytes."""
    check_private_dir(path.resolve().parent)
    try:
        return read_file_unless(path, expected)
    except FileNotFoundError:
        raise VaultNotFoundError(f"no vault at {path}; create one with `tui-vault init`") from None


def _digest(*pieces: bytes) -> bytes:
    """SHA-256 of the file's bytes (given whole, or as the pieces written one after another),
    from cryptography's OpenSSL (crypto.sha256): hashlib would load the system's OpenSSL a
    second time, ~3-4 ms of a small `get`."""
    return crypto.sha256(*pieces)


_THREADED_DIGEST = 1 << 20  # below this, a thread costs more than it saves


class _Background(Generic[T]):
    """fn(*args) in a thread when `big`, else at once; `result()` waits for it and returns what
    it returned or raises what it raised (once), `join()` only waits."""

    def __init__(self, fn: Callable[..., T], *args: Any, big: bool, name: str) -> None:
        self._failure: BaseException | None = None
        self._thread: Any = None
        self._value: T | None = None
        if not big:
            self._value = fn(*args)
            return
        import threading

        def run() -> None:
            try:
                self._value = fn(*args)
            except BaseException as e:  # handed to result(), in the caller's thread
                self._failure = e

        self._thread = threading.Thread(target=run, name=f"tui-vault-{name}", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def result(self) -> T:
        self.join()
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
        return self._value  # type: ignore[return-value]


def read_envelope(path: Path, kind: str = "vault") -> Envelope:
    return Envelope.from_bytes(_read_vault_bytes(path), str(path), kind)


class VaultFile:
    """A vault file as read from disk: its checked envelope and a digest of its bytes.

    The digest may still be being computed (a big file's, in a thread): it is waited for
    when first read (`Vault.open` needs it only after decrypting and decoding)."""

    __slots__ = ("_digest", "_pending", "envelope")
    envelope: Envelope
    _digest: bytes | None
    _pending: Callable[[], bytes] | None

    def __init__(self, envelope: Envelope, digest: bytes | Callable[[], bytes]) -> None:
        object.__setattr__(self, "envelope", envelope)
        done = isinstance(digest, bytes)
        object.__setattr__(self, "_digest", digest if done else None)
        object.__setattr__(self, "_pending", None if done else digest)

    __setattr__ = _frozen
    __delattr__ = _frozen

    @property
    def digest(self) -> bytes:
        digest = self._digest
        if digest is None:
            assert self._pending is not None
            digest = self._pending()
            object.__setattr__(self, "_digest", digest)
            object.__setattr__(self, "_pending", None)
        return digest

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, VaultFile)
        return (self.envelope, self.digest) == (other.envelope, other.digest)

    def __hash__(self) -> int:
        return hash((self.envelope, self.digest))

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(envelope={self.envelope!r}, digest={self.digest!r})"


def read_vault_file(path: Path) -> VaultFile:
    """Read and check the envelope (no key needed): a missing or foreign file fails here."""
    if not _read_while_importing(path):
        raw = _read_vault_bytes(path)
    else:
        # A big file is read in a thread (the read releases the GIL) while what reading its
        # envelope needs is imported here: ~7 ms of imports inside the ~10 ms of a 23 MB read.
        reading = _Background(_read_vault_bytes, path, big=True, name="read")
        try:
            import msgspec  # noqa: F401 (Envelope.from_bytes uses them)
            import pybase64  # noqa: F401
        finally:
            raw = reading.result()
    # A big file's digest (~12 ms for 23 MB) is computed in a thread while its envelope is
    # checked, and, once it opens, decrypted and decoded: it is waited for when first read.
    digest = _Background(_digest, raw, big=len(raw) >= _THREADED_DIGEST, name="digest")
    try:
        envelope = Envelope.from_bytes(raw, str(path), "vault")
    except BaseException:
        digest.join()
        raise
    return VaultFile(envelope, digest.result)


def _read_while_importing(path: Path) -> bool:
    """msgspec is not loaded yet and the file is one Envelope.from_bytes reads with it (False
    when the file cannot be looked at: the read then says why)."""
    if "msgspec" in sys.modules:
        return False
    try:
        return is_big_envelope(path.stat().st_size)
    except OSError:
        return False


def peek_vault_id(path: Path) -> str:
    """The vault id from the header, readable without the key (for the keyring lookup)."""
    return read_envelope(path).vault_id


class Vault:
    def __init__(self, path: Path, key: bytes, envelope: Envelope, data: VaultData) -> None:
        self.paths = VaultPaths(path)
        self.path = self.paths.vault
        self._key = key
        self.vault_id = envelope.vault_id
        self.generation = envelope.generation
        self._envelope = envelope  # what is on disk as far as we know
        self._digest: bytes | None = None  # of those bytes, when known: reload skips them
        self.data = data
        self._tagged: tuple[VaultData, str] = (data, "")  # see `tagged`
        self._salt = bytes.fromhex(self.vault_id)
        self._enc_key = crypto.derive_subkey(key, self._salt, "vault")
        self._guard = rollback.Guard(self.vault_id, self.subkey(rollback.RECORD_PURPOSE))
        self._blocks = EncodedBlocks()  # the JSON of the last save, reused for what is unchanged
        # Set when the file opened is older than one this machine has seen (see rollback.py):
        # reading goes on (the CLI warns), saving is refused unless --accept-rollback.
        self.rollback: rollback.Rollback | None = None

    # ---------------------------------------------------------------- open / create

    @staticmethod
    def exists(path: Path) -> bool:
        return path.exists()

    @classmethod
    def create(cls, path: Path, key: bytes | None = None) -> tuple[Vault, bytes]:
        """Create an empty vault. Refuses to touch an existing file."""
        key = key or generate_key()
        ensure_private_dir(path.parent)
        check_private_dir(path.resolve().parent)
        vault_id = new_vault_id()
        env = _seal(key, vault_id, 1, VaultData())
        raw = env.to_bytes()
        try:
            atomic_write(path, raw, exclusive=True)
        except FileExistsError:
            raise VaultExistsError(f"a vault already exists at {path}") from None
        vault = cls(path, key, env, VaultData())
        vault._digest = _digest(raw)
        vault._tag()
        vault._remember()
        return vault, key

    @classmethod
    def open(
        cls, path: Path, key: bytes, file: VaultFile | None = None, *, _retries: int = 3
    ) -> Vault:
        """Open with the key; `file` is the already read file (read_vault_file), if any."""
        file = file or read_vault_file(path)
        env = file.envelope
        vault = cls(path, key, env, _unseal(key, env, str(path)))
        vault._digest = file.digest
        vault._tag()
        found = vault._guard.check_vault(vault.path, env.generation, file.digest.hex())
        if found is not None and _retries > 0:
            # A writer may have saved (and recorded) a newer generation between our read of
            # the file and of the record: a file that changed meanwhile is read again.
            fresh = read_vault_file(path)
            if fresh.digest != file.digest:
                return cls.open(path, key, fresh, _retries=_retries - 1)
        if found is None or rollback.rollback_accepted():
            vault._remember(force=found is not None)  # accepted: the older copy is the newest
        else:
            vault.rollback = found
        return vault

    def _remember(self, force: bool = False) -> None:
        """Raise this machine's record to the generation we hold (force: even if lower, for
        an accepted rollback; only the newer-or-unknown case writes anything)."""
        if self._digest is not None:
            self._guard.update(vault=(self.generation, self._digest.hex()), force=force)

    def _tag(self) -> None:
        """Pair the contents with the digest of the file they were read from or written to
        (after each of the two is set)."""
        digest = self._digest
        self._tagged = (self.data, digest.hex() if digest is not None else "")

    @property
    def tagged(self) -> tuple[VaultData, str]:
        """The contents and a tag of the file they came from: the file's digest (hex), "" if
        unknown. One pair, read at once: another thread saving meanwhile can never pair new
        contents with the old file's tag. Equal tags mean the same file, so the same
        contents (the contents are never changed in place: a save replaces them). The
        cache keeps, for one tag, each linked name's entry (Cache.named)."""
        return self._tagged

    @property
    def key(self) -> bytes:
        return self._key

    def subkey(self, purpose: str) -> bytes:
        return crypto.derive_subkey(self._key, self._salt, purpose)

    # ---------------------------------------------------------------- transactions

    def reload(self) -> None:
        # Byte for byte what we last read or wrote (the bytes whose digest we hold are the
        # rendering of the envelope we hold): nothing to parse or check. The file is compared
        # with that rendering as it is read, a piece at a time: no 30 MB read, no hash of it.
        if self._digest is None:
            raw = _read_vault_bytes(self.path)
        else:
            changed = _read_vault_bytes_unless(self.path, self._envelope.rendering())
            if changed is None:
                return
            raw = changed
        digest = _digest(raw)
        env = Envelope.from_bytes(raw, str(self.path), "vault")
        if env.vault_id != self.vault_id:
            raise CorruptVaultError(f"{self.path} now holds a different vault; not touching it")
        # Compare the whole envelope, not the generation: a file changed outside tui-vault
        # can keep its generation, and must be authenticated before we write over it.
        if env != self._envelope:
            data = _unseal(self._key, env, str(self.path))
            # Never adopt an older generation than the one held (or another copy of it), nor
            # one older than this machine has seen: an older copy was put in place meanwhile.
            found: rollback.Rollback | None = None
            if env.generation <= self.generation:
                found = rollback.Rollback(str(self.path), env.generation, self.generation)
            else:
                found = self._guard.check_vault(self.path, env.generation, digest.hex())
            if found is not None and not rollback.rollback_accepted():
                raise rollback.RollbackError(found.refusal())
            self.data = data
            self.generation = env.generation
            self._envelope = env
        self._digest = digest
        self._tag()

    @contextlib.contextmanager
    def transaction(self, *, scrub_backup: bool = False) -> Iterator[VaultData]:
        """Lock, load the latest contents, let the caller change them, save them.

        scrub_backup: the change deletes things (clear, disconnect) that must not stay
        readable in the backup generation: the backup becomes the new generation too.
        """
        with file_lock(self.paths.lock):
            self.reload()
            draft = VaultData(
                secrets=dict(self.data.secrets),
                integrations={k: dict(v) for k, v in self.data.integrations.items()},
            )
            yield draft
            self._write(draft)
            if scrub_backup:
                scrub_backup_file(self.path, self.paths.backup)

    def _write(self, data: VaultData) -> None:
        if self.rollback is not None and not rollback.rollback_accepted():
            raise rollback.RollbackError(self.rollback.refusal())
        # A writer killed mid-save can leave temps of the vault, its backup or its cache.
        for path in (self.path, self.paths.backup, self.paths.cache):
            remove_stale_temps(path)
        generation = self.generation + 1
        env = _seal(self._key, self.vault_id, generation, data, self._enc_key, self._blocks)
        check_writable_size(self.path, env)  # before the backup link, before any byte
        # The backup link replaces the one before it, whose file the kernel then frees:
        # ~4 ms for a 23 MB vault, spent in a thread while the new file is coded and written
        # (the link is in place before the new file takes the vault's place).
        backup = _Background(
            keep_backup, self.path, self.paths.backup, big=self._is_big(), name="backup"
        )
        try:
            parts = env.to_parts()  # written and hashed piece by piece: no 30 MB join
            # The new file's digest (for the rollback record) is computed while the file is
            # written and flushed: hashlib and the writes both release the GIL.
            big = sum(map(len, parts)) >= _THREADED_DIGEST
            digest = _Background(_digest, *parts, big=big, name="digest")
            try:
                atomic_write(self.path, parts, before_replace=backup.result)
            finally:
                digest.join()
        finally:
            backup.join()  # (a write that failed before the hook: the thread is done first)
        self.data = data
        self.generation = generation
        self._envelope = env
        self._digest = digest.result()
        self._tag()
        self._remember(force=True)  # under the lock: no other writer is ahead of us

    def _is_big(self) -> bool:
        """The file on disk is big enough for a thread to pay (its ciphertext, as last read
        or written)."""
        return len(self._envelope.ciphertext) >= _THREADED_DIGEST

    def change(self, fn: Callable[[VaultData], T], *, scrub_backup: bool = False) -> T:
        with self.transaction(scrub_backup=scrub_backup) as draft:
            return fn(draft)

    # ---------------------------------------------------------------- secrets

    def get(self, name: str) -> Secret:
        try:
            return self.data.secrets[name]
        except KeyError:
            raise SecretNotFoundError(f"no secret named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self.data.secrets, key=str.lower)

    def set_value(
        self,
        name: str,
        value: str,
        *,
        allowed_domains: str | list[str] | None = None,
        enabled: bool | None = None,
    ) -> Secret:
        """Create NAME or change its value (refused for linked secrets)."""
        validate_name(name)
        domains = parse_domains(allowed_domains) if allowed_domains is not None else None

        def apply(d: VaultData) -> Secret:
            old = d.secrets.get(name)
            if old is None:
                new = Secret(
                    name=name,
                    value=value,
                    allowed_domains=domains or [],
                    enabled=True if enabled is None else enabled,
                )
            else:
                if old.link is not None:
                    raise InvalidSecretError(
                        f"{name!r} is linked to {old.link.provider}; its value lives there "
                        f"(unlink it first to store a local value)"
                    )
                new = old.touched(
                    value=value,
                    allowed_domains=old.allowed_domains if domains is None else domains,
                    enabled=old.enabled if enabled is None else enabled,
                )
            d.secrets[name] = new
            return new

        return self.change(apply)

    def update(
        self,
        name: str,
        *,
        new_name: str | None = None,
        value: str | None = None,
        enabled: bool | None = None,
        allowed_domains: str | list[str] | None = None,
        link: Link | None = _UNSET,
    ) -> Secret:
        """Edit one secret in place: rename, value, enabled, domains, link."""
        if new_name is not None:
            validate_name(new_name)
        domains = parse_domains(allowed_domains) if allowed_domains is not None else None

        def apply(d: VaultData) -> Secret:
            old = d.secrets.get(name)
            if old is None:
                raise SecretNotFoundError(f"no secret named {name!r}")
            changes: dict[str, Any] = {}
            if value is not None:
                if old.link is not None and link is _UNSET:
                    raise InvalidSecretError(
                        f"{name!r} is linked to {old.link.provider}; its value cannot be "
                        "edited here"
                    )
                changes["value"] = value
            if enabled is not None:
                changes["enabled"] = enabled
            if domains is not None:
                changes["allowed_domains"] = domains
            if link is not _UNSET:
                changes["link"] = link
                if link is not None:
                    changes["value"] = ""
            target = new_name or name
            if target != name and target in d.secrets:
                raise InvalidSecretError(f"a secret named {target!r} already exists")
            new = old.touched(name=target, **changes)
            del d.secrets[name]
            d.secrets[target] = new
            return new

        return self.change(apply)

    def add(self, secret: Secret) -> Secret:
        validate_name(secret.name)

        def apply(d: VaultData) -> Secret:
            if secret.name in d.secrets:
                raise InvalidSecretError(f"a secret named {secret.name!r} already exists")
            d.secrets[secret.name] = secret
            return secret

        return self.change(apply)

    def add_many(self, secrets: list[Secret]) -> None:
        """Add several secrets at once (bulk paste): all or nothing."""
        for s in secrets:
            validate_name(s.name)

        def apply(d: VaultData) -> None:
            clashes = [s.name for s in secrets if s.name in d.secrets]
            if clashes:
                raise InvalidSecretError(f"already in the vault: {', '.join(clashes)}")
            for s in secrets:
                d.secrets[s.name] = s

        self.change(apply)

    def delete(self, name: str) -> None:
        def apply(d: VaultData) -> None:
            if name not in d.secrets:
                raise SecretNotFoundError(f"no secret named {name!r}")
            del d.secrets[name]

        self.change(apply)

    def link(self, name: str, link: Link) -> Secret:
        """Link NAME to an external secret, creating NAME if it does not exist."""
        validate_name(name)

        def apply(d: VaultData) -> Secret:
            old = d.secrets.get(name)
            new = Secret(name=name, link=link) if old is None else old.touched(link=link, value="")
            d.secrets[name] = new
            return new

        return self.change(apply)

    def unlink(self, name: str) -> Secret:
        def apply(d: VaultData) -> Secret:
            old = d.secrets.get(name)
            if old is None:
                raise SecretNotFoundError(f"no secret named {name!r}")
            if old.link is None:
                raise InvalidSecretError(f"{name!r} is not linked")
            new = old.touched(link=None, value="")
            d.secrets[name] = new
            return new

        return self.change(apply)

    def clear(self) -> int:
        """Delete every secret; keep the key and the integrations."""

        def apply(d: VaultData) -> int:
            count = len(d.secrets)
            d.secrets.clear()
            return count

        return self.change(apply, scrub_backup=True)

    # ---------------------------------------------------------------- integrations

    def set_integration(self, provider: str, config: dict[str, str]) -> None:
        def apply(d: VaultData) -> None:
            d.integrations[provider] = dict(config)

        self.change(apply)

    def remove_integration(self, provider: str) -> bool:
        def apply(d: VaultData) -> bool:
            return d.integrations.pop(provider, None) is not None

        return self.change(apply, scrub_backup=True)


def _seal(
    key: bytes,
    vault_id: str,
    generation: int,
    data: VaultData,
    enc_key: bytes | None = None,
    blocks: EncodedBlocks | None = None,
) -> Envelope:
    salt = bytes.fromhex(vault_id)
    enc_key = enc_key or crypto.derive_subkey(key, salt, "vault")
    probe = Envelope("vault", vault_id, crypto.key_check(key, salt), generation, b"", b"")
    plaintext = data.to_json_bytes(blocks)
    nonce, ciphertext = crypto.seal(enc_key, plaintext, probe.aad())
    return probe.replace(nonce=nonce, ciphertext=ciphertext)


def _unseal(key: bytes, env: Envelope, where: str) -> VaultData:
    try:
        salt = bytes.fromhex(env.vault_id)
    except ValueError:
        raise CorruptVaultError(f"{where} is damaged (vault id)") from None
    enc_key = crypto.derive_subkey(key, salt, "vault")
    our_check = crypto.key_check(key, salt)
    key_matches = our_check == env.key_check
    try:
        plaintext = crypto.unseal(enc_key, env.nonce, env.ciphertext, env.aad())
    except crypto.DecryptionFailed:
        if not key_matches:
            # The key check is part of the associated data, so a file whose key check alone
            # was altered fails above too: before blaming the key, try the check it gives.
            try:
                crypto.unseal(
                    enc_key, env.nonce, env.ciphertext, env.replace(key_check=our_check).aad()
                )
            except crypto.DecryptionFailed:
                raise WrongKeyError() from None
            raise CorruptVaultError(
                f"{where} was tampered with (key check altered); it was not changed"
            ) from None
        raise CorruptVaultError(
            f"{where} is damaged or was tampered with (authentication failed); it was not changed"
        ) from None
    if not key_matches:
        # The content decrypts, so the key is right and only the key check was altered.
        raise CorruptVaultError(f"{where} was tampered with (key check altered)")
    try:
        with paused_gc():
            return VaultData.from_json_bytes(plaintext)
    except (ValueError, RecursionError, InvalidSecretError) as e:  # msgspec's: handled inside
        raise CorruptVaultError(f"{where} holds unreadable contents: {e}") from None

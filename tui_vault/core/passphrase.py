"""An optional passphrase beside the vault key: Argon2id(passphrase) wraps the key.

The wrapped key lives in a companion file beside the vault (`vault.json.passphrase`, 0600),
so saving the vault never touches it and it survives every save. It is AES-256-GCM sealed
with a key derived by Argon2id (the parameters of encrypted exports, stored in the file and
capped when read), its header (vault id, parameters, salt) as associated data: a changed byte
anywhere fails authentication. What it unwraps must still open the vault, so a foreign file
swapped in yields nothing. The vault key stays the recovery key.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_vault.core import crypto
from tui_vault.core.errors import CorruptVaultError, StorageError, UsageError, WrongKeyError
from tui_vault.core.store import atomic_write, b64d, b64e, canonical_json, file_lock

FORMAT = "tui-vault-passphrase"
VERSION = 1
SUFFIX = ".passphrase"
MIN_LENGTH = 12
MAX_LENGTH = 1024
MAX_FILE_BYTES = 4096
# DESIGN §7: Argon2id parameters read from a file are capped.
MAX_MEMORY_KIB = 256 * 1024
MAX_ITERATIONS = 10
MAX_LANES = 8
WRONG = "wrong passphrase or key"


def passphrase_path(vault_path: Path) -> Path:
    from tui_vault.core.vault import VaultPaths

    vault = VaultPaths(vault_path).vault
    return vault.with_name(vault.name + SUFFIX)


def check_passphrase(text: str) -> None:
    if len(text) < MIN_LENGTH:
        raise UsageError(f"the passphrase must be at least {MIN_LENGTH} characters long")
    if len(text) > MAX_LENGTH:
        raise UsageError(f"the passphrase must be at most {MAX_LENGTH} characters long")


@dataclass(frozen=True)
class Wrapped:
    vault_id: str
    kdf: dict[str, Any]
    salt: bytes
    nonce: bytes
    wrapped_key: bytes

    def header(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "vault_id": self.vault_id,
            "cipher": crypto.CIPHER_NAME,
            "kdf": self.kdf,
            "salt": b64e(self.salt),
        }

    def to_bytes(self) -> bytes:
        doc = self.header() | {"nonce": b64e(self.nonce), "wrapped_key": b64e(self.wrapped_key)}
        return json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"

    @classmethod
    def from_bytes(cls, raw: bytes, where: str) -> Wrapped:
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise CorruptVaultError(f"{where} is not a passphrase file") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise CorruptVaultError(f"{where} is not a passphrase file")
        if doc.get("version") != VERSION or doc.get("cipher") != crypto.CIPHER_NAME:
            raise CorruptVaultError(f"{where} has an unknown format version or cipher")
        if set(doc) != {"format", "version", "vault_id", "cipher", "kdf", "salt", "nonce",
                        "wrapped_key"}:  # fmt: skip
            raise CorruptVaultError(f"{where} is damaged (unexpected fields)")
        vault_id = doc["vault_id"]
        if not isinstance(vault_id, str) or len(vault_id) != 32:
            raise CorruptVaultError(f"{where} is damaged (vault id)")
        _params(doc["kdf"], where)
        return cls(
            vault_id=vault_id,
            kdf=doc["kdf"],
            salt=b64d(doc["salt"], f"{where}: salt"),
            nonce=b64d(doc["nonce"], f"{where}: nonce"),
            wrapped_key=b64d(doc["wrapped_key"], f"{where}: wrapped key"),
        )


def _params(doc: Any, where: str) -> tuple[int, int, int]:
    if not isinstance(doc, dict) or doc.get("name") != "argon2id" or len(doc) != 4:
        raise CorruptVaultError(f"{where}: unknown key derivation")
    iterations, lanes, memory = doc.get("iterations"), doc.get("lanes"), doc.get("memory_cost")
    if not (type(iterations) is int and type(lanes) is int and type(memory) is int):
        raise CorruptVaultError(f"{where}: bad key derivation parameters")
    if not (1 <= iterations <= MAX_ITERATIONS and 1 <= lanes <= MAX_LANES):
        raise CorruptVaultError(f"{where}: key derivation parameters out of range")
    if not 8 * lanes <= memory <= MAX_MEMORY_KIB:
        raise CorruptVaultError(f"{where}: key derivation memory out of range")
    return iterations, lanes, memory


def _derive(passphrase: str, salt: bytes, kdf: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    iterations, lanes, memory = _params(kdf, "passphrase file")
    return Argon2id(
        salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory
    ).derive(passphrase.encode("utf-8"))


def read_wrapped(vault_path: Path) -> Wrapped | None:
    """The passphrase file of this vault, or None when it has none."""
    path = passphrase_path(vault_path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StorageError(f"cannot read {path}: {e.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CorruptVaultError(f"{path} is not a regular file")
        raw = os.read(fd, MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise CorruptVaultError(f"{path} is too large to be a passphrase file")
    return Wrapped.from_bytes(raw, str(path))


def has_passphrase(vault_path: Path) -> bool:
    try:
        return read_wrapped(vault_path) is not None
    except (CorruptVaultError, StorageError):
        return True  # there is one, if damaged: offer it, and say what is wrong on use


def unwrap(vault_path: Path, vault_id: str, passphrase: str) -> bytes:
    """The vault key the passphrase opens. WrongKeyError("wrong passphrase or key") if it
    does not, or if the vault has no passphrase (the text was not a key either)."""
    wrapped = read_wrapped(vault_path)
    if wrapped is None or wrapped.vault_id != vault_id or len(passphrase) > MAX_LENGTH:
        raise WrongKeyError(WRONG)
    kek = _derive(passphrase, wrapped.salt, wrapped.kdf)
    try:
        aad = canonical_json(wrapped.header())
        key = crypto.unseal(kek, wrapped.nonce, wrapped.wrapped_key, aad)
    except crypto.DecryptionFailed:
        raise WrongKeyError(WRONG) from None
    if len(key) != 32:
        raise WrongKeyError(WRONG)
    return key


def set_passphrase(vault_path: Path, vault_id: str, key: bytes, passphrase: str) -> Path:
    """Wrap the (already verified) vault key with the passphrase; replaces an old one."""
    from tui_vault.core.transfer import Argon2Params
    from tui_vault.core.vault import VaultPaths

    check_passphrase(passphrase)
    kdf = Argon2Params().to_json()
    probe = Wrapped(vault_id, kdf, secrets.token_bytes(16), b"", b"")
    kek = _derive(passphrase, probe.salt, kdf)
    nonce, sealed = crypto.seal(kek, key, canonical_json(probe.header()))
    wrapped = Wrapped(vault_id, kdf, probe.salt, nonce, sealed)
    path = passphrase_path(vault_path)
    with file_lock(VaultPaths(vault_path).lock):
        atomic_write(path, wrapped.to_bytes())
    return path


def remove_passphrase(vault_path: Path) -> bool:
    """Drop the passphrase (the key still opens the vault). True if there was one."""
    from tui_vault.core.vault import VaultPaths

    path = passphrase_path(vault_path)
    with file_lock(VaultPaths(vault_path).lock):
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as e:
            raise StorageError(f"cannot delete {path}: {e.strerror}") from None
    with contextlib.suppress(OSError):
        from tui_vault.core.store import fsync_dir

        fsync_dir(path.parent)
    return True

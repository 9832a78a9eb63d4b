"""Export and import: plaintext or password-encrypted JSON, and Postman environment files.

Encrypted exports: password (12+ characters) -> Argon2id (parameters stored in the file)
-> AES-256-GCM with the header as associated data. Imports are all or nothing: the whole file
is read and checked before anything is written. Exports carry links, never integration
credentials.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui_vault.core import crypto
from tui_vault.core.display import control_warning
from tui_vault.core.errors import (
    ImportFormatError,
    InvalidSecretError,
    UsageError,
    VaultError,
    WrongPasswordError,
)
from tui_vault.core.model import MAX_NAME_LENGTH, NAME_RE, Secret, VaultData, validate_name
from tui_vault.core.references import reference
from tui_vault.core.store import b64d, b64e, canonical_json, read_checked, trusted_uids

if TYPE_CHECKING:
    from tui_vault.core.providers import LinkValidator

EXPORT_FORMAT = "tui-vault-export"
EXPORT_VERSION = 1
MIN_PASSWORD_LENGTH = 12
MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_KDF_MEMORY_KIB = 256 * 1024  # 256 MiB
MAX_KDF_ITERATIONS = 10
MAX_KDF_LANES = 8
DuplicateMode = Literal["skip", "replace", "keep-both"]
DUPLICATE_MODES: tuple[DuplicateMode, ...] = ("skip", "replace", "keep-both")


@dataclass(frozen=True)
class Argon2Params:
    iterations: int = 3
    lanes: int = 4
    memory_cost: int = 64 * 1024  # KiB: 64 MiB (RFC 9106's second recommended option)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "iterations": self.iterations,
            "lanes": self.lanes,
            "memory_cost": self.memory_cost,
        }

    @classmethod
    def from_json(cls, doc: Any) -> Argon2Params:
        if not isinstance(doc, dict) or doc.get("name") != "argon2id":
            raise ImportFormatError("encrypted export: unknown key derivation")
        try:
            p = cls(int(doc["iterations"]), int(doc["lanes"]), int(doc["memory_cost"]))
        except (KeyError, TypeError, ValueError):
            raise ImportFormatError("encrypted export: bad key derivation parameters") from None
        p.check()
        return p

    def check(self) -> None:
        """Bounds (DESIGN.md §7), checked before any derivation: a hostile file must not make
        import ask for a gigabyte of memory or a minute of time before the password is tried."""
        if not (1 <= self.iterations <= MAX_KDF_ITERATIONS and 1 <= self.lanes <= MAX_KDF_LANES):
            raise ImportFormatError(
                "encrypted export: key derivation parameters out of range (at most "
                f"{MAX_KDF_ITERATIONS} passes and {MAX_KDF_LANES} lanes); nothing was imported"
            )
        if not (8 * self.lanes <= self.memory_cost <= MAX_KDF_MEMORY_KIB):
            raise ImportFormatError(
                "encrypted export: key derivation memory out of range (at most "
                f"{MAX_KDF_MEMORY_KIB // 1024} MiB); nothing was imported"
            )


def nothing_imported(message: str) -> str:
    """A failed import's message, ending with "nothing was imported" once (many of the
    messages below say it already): the CLI and the TUI's dialog end every failure so."""
    if "nothing was imported" in message:
        return message
    return message + "; nothing was imported"


def check_password(password: str) -> None:
    """A too short export password is an error about the password (exit 1, DESIGN.md §5:
    "passwords of exports"), not about how the command was typed."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise VaultError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")


def _derive(password: str, salt: bytes, params: Argon2Params) -> bytes:
    params.check()  # every derivation, whatever built the parameters
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=salt,
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_cost,
    ).derive(password.encode("utf-8"))


# ------------------------------------------------------------------------- export


def export_entries(data: VaultData) -> list[dict[str, Any]]:
    """Secrets as export entries (links included, credentials never)."""
    out = []
    for s in data.secrets.values():
        out.append(
            {
                "name": s.name,
                "value": s.value,
                "enabled": s.enabled,
                "allowed_domains": list(s.allowed_domains),
                "link": s.link.to_json() if s.link else None,
                "created": s.created,
                "updated": s.updated,
            }
        )
    return out


def export_plaintext(data: VaultData) -> bytes:
    """A JSON list of secrets (names, values, domains, enabled, links)."""
    return json.dumps(export_entries(data), indent=2, ensure_ascii=False).encode() + b"\n"


def read_import_bytes(path: Path) -> bytes:
    """Read an import file with every check of a file someone may have planted: a regular
    file (a FIFO would block, /dev/zero fill memory), owned by this user or root, at most
    MAX_IMPORT_BYTES (checked before reading, and by reading at most one byte more).
    Raises a VaultError with one clear line (too large, missing, unreadable)."""
    limit = MAX_IMPORT_BYTES // (1024 * 1024)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise VaultError(f"{path} does not exist") from None
    except OSError as e:
        raise VaultError(f"cannot read {path}: {e.strerror or type(e).__name__}") from None
    if size > MAX_IMPORT_BYTES and path.is_file():
        raise ImportFormatError(
            f"{path} is {size // (1024 * 1024)} MiB, over the import limit of {limit} MiB; "
            "nothing was imported"
        )
    try:
        return read_checked(path, "file to import", MAX_IMPORT_BYTES, owners=trusted_uids())
    except FileNotFoundError:
        raise VaultError(f"{path} does not exist") from None
    except VaultError as e:
        if "too large" in e.message:
            raise ImportFormatError(
                f"{path} is larger than the import limit of {limit} MiB; nothing was imported"
            ) from None
        raise VaultError(f"{e.message}; nothing was imported") from None


def _encrypted_bytes(doc: dict[str, Any]) -> bytes:
    """The one byte form of an encrypted export (checked on import: any other is refused)."""
    return json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n"


def export_encrypted(data: VaultData, password: str, params: Argon2Params | None = None) -> bytes:
    check_password(password)
    params = params or Argon2Params()
    salt = os.urandom(16)
    header = _enc_header(salt, params)
    key = _derive(password, salt, params)
    plaintext = json.dumps(export_entries(data), ensure_ascii=False).encode()
    nonce, ciphertext = crypto.seal(key, plaintext, canonical_json(header))
    return _encrypted_bytes(header | {"nonce": b64e(nonce), "ciphertext": b64e(ciphertext)})


def _enc_header(salt: bytes, params: Argon2Params) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "encrypted": True,
        "cipher": crypto.CIPHER_NAME,
        "kdf": params.to_json(),
        "salt": b64e(salt),
        "exported_at": int(time.time()),
    }


# ------------------------------------------------------------------------- import


@dataclass
class ImportFile:
    kind: Literal["plaintext", "encrypted", "postman"]
    secrets: list[Secret]
    notes: list[str] = field(default_factory=list)
    postman: dict[str, Any] | None = None
    """The Postman environment as read (for `rewrite_postman`)."""
    origins: dict[str, int] = field(default_factory=dict)
    """Secret name -> index of the Postman variable it came from."""


def sniff(raw: bytes) -> tuple[str, Any]:
    """Which kind of import file this is, and its parsed JSON."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportFormatError(
            f"the file is larger than the import limit of {MAX_IMPORT_BYTES // (1024 * 1024)} MiB"
        )
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportFormatError("the file is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise ImportFormatError(f"the file is not valid JSON (line {e.lineno}: {e.msg})") from None
    except ValueError:  # a number with thousands of digits (Python's int conversion limit)
        raise ImportFormatError("the file holds a number too long to read") from None
    except RecursionError:
        raise ImportFormatError("the file is nested too deeply") from None
    _refuse_lone_surrogates(doc, "the file")
    if isinstance(doc, list):
        return "plaintext", doc
    if isinstance(doc, dict):
        if doc.get("format") == EXPORT_FORMAT and doc.get("encrypted") is True:
            return "encrypted", doc
        if doc.get("format") == EXPORT_FORMAT and isinstance(doc.get("secrets"), list):
            return "plaintext", doc["secrets"]
        if isinstance(doc.get("values"), list) and (
            "_postman_variable_scope" in doc or "_postman_exported_using" in doc
        ):
            return "postman", doc
        if isinstance(doc.get("secrets"), list):
            return "plaintext", doc["secrets"]
    raise ImportFormatError(
        "not a tui-vault export or a Postman environment export (unrecognised JSON shape)"
    )


def needs_password(raw: bytes) -> bool:
    try:
        return sniff(raw)[0] == "encrypted"
    except VaultError:
        return False


def read_import(
    raw: bytes,
    password: str | None = None,
    sniffed: tuple[str, Any] | None = None,
    *,
    validate_link: LinkValidator,
    secrets_only: bool = False,
) -> ImportFile:
    """Parse and check a whole import file. Raises a VaultError naming the bad entry.

    sniffed: what `sniff(raw)` already returned, so a large file is not parsed twice.
    validate_link: checks each link's parameters offline (the registry's `validate_link`).
    secrets_only: of a Postman environment, only the variables of type "secret".
    """
    result = _read_import(raw, password, sniffed, validate_link, secrets_only)
    warning = control_warning((s.name, s.value) for s in result.secrets)
    if warning:
        result.notes.append(warning)
    return result


def _read_import(
    raw: bytes,
    password: str | None,
    sniffed: tuple[str, Any] | None,
    validate_link: LinkValidator,
    secrets_only: bool,
) -> ImportFile:
    kind, doc = sniffed if sniffed is not None else sniff(raw)
    if kind == "encrypted":
        if password is None:
            raise WrongPasswordError("this export is encrypted: a password is needed")
        if raw != _encrypted_bytes(doc):
            # Authenticated content cannot change, but the file's bytes must not either:
            # a tampered file is refused whole, even where JSON would read it the same.
            raise ImportFormatError(
                "encrypted export was modified after it was written (not byte-for-byte as "
                "tui-vault wrote it); nothing was imported"
            )
        entries = _decrypt(doc, password)
        return ImportFile("encrypted", _entries_to_secrets(entries, validate_link))
    if kind == "postman":
        return _from_postman(doc, secrets_only)
    if secrets_only:
        raise UsageError("--secrets-only works with Postman environment files only")
    return ImportFile("plaintext", _entries_to_secrets(doc, validate_link))


def _decrypt(doc: dict[str, Any], password: str) -> Any:
    if doc.get("version") != EXPORT_VERSION or doc.get("cipher") != crypto.CIPHER_NAME:
        raise ImportFormatError("encrypted export: unsupported version or cipher")
    expected = {*_enc_header(b"", Argon2Params()).keys(), "nonce", "ciphertext"}
    if set(doc) != expected:
        raise ImportFormatError("encrypted export: unexpected fields (damaged file)")
    params = Argon2Params.from_json(doc["kdf"])
    try:
        salt = b64d(doc["salt"], "salt")
        nonce = b64d(doc["nonce"], "nonce")
        ciphertext = b64d(doc["ciphertext"], "ciphertext")
    except VaultError as e:
        raise ImportFormatError(f"encrypted export: {e.message}") from None
    if not isinstance(doc["exported_at"], int) or len(salt) != 16:
        raise ImportFormatError("encrypted export: damaged header")
    header = {k: doc[k] for k in doc if k not in ("nonce", "ciphertext")}
    if params.to_json() != header["kdf"]:
        raise ImportFormatError("encrypted export: damaged key derivation parameters")
    key = _derive(password, salt, params)
    try:
        plaintext = crypto.unseal(key, nonce, ciphertext, canonical_json(header))
    except crypto.DecryptionFailed:
        raise WrongPasswordError(
            "wrong password, or the export was damaged or tampered with; nothing was imported"
        ) from None
    try:
        entries = json.loads(plaintext)
    except (ValueError, RecursionError):
        raise ImportFormatError("encrypted export: contents are not JSON") from None
    _refuse_lone_surrogates(entries, "encrypted export: the contents")
    return entries


def _refuse_lone_surrogates(doc: Any, what: str) -> None:
    """JSON escapes like \\ud800 decode to text that cannot be saved as UTF-8: refuse it now."""
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ImportFormatError(f"{what} holds text that is not valid Unicode") from None


def _entries_to_secrets(entries: Any, validate_link: LinkValidator) -> list[Secret]:
    if not isinstance(entries, list):
        raise ImportFormatError("expected a list of secrets")
    out: list[Secret] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        label = f"entry {i}"
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            label = f"entry {i} ({entry['name']!r})"
        try:
            secret = Secret.from_json(entry)
            validate_name(secret.name)  # stricter than a stored name: no leading '-'
        except InvalidSecretError as e:
            raise ImportFormatError(f"{label}: {e.message}; nothing was imported") from None
        if secret.link is not None:
            try:
                validate_link(secret.link.provider, secret.link.params)
            except VaultError as e:
                raise ImportFormatError(f"{label}: {e.message}; nothing was imported") from None
        if secret.name in seen:
            raise ImportFormatError(f"{label}: the name appears twice in the file")
        seen.add(secret.name)
        out.append(secret)
    return out


def _sanitise_postman_key(key: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", key.strip())
    return cleaned[:128]


def _from_postman(doc: dict[str, Any], secrets_only: bool = False) -> ImportFile:
    notes: list[str] = []
    out: list[Secret] = []
    seen: set[str] = set()
    origins: dict[str, int] = {}
    for i, var in enumerate(doc["values"], start=1):
        if secrets_only and not (isinstance(var, dict) and var.get("type") == "secret"):
            continue  # left as it is, in the vault and in a rewritten file
        if not isinstance(var, dict) or not isinstance(var.get("key"), str):
            raise ImportFormatError(f"variable {i}: needs a string 'key'; nothing was imported")
        key = var["key"]
        name = key if NAME_RE.match(key) else _sanitise_postman_key(key)
        if not name or not name.strip("_"):
            raise ImportFormatError(f"variable {i} ({key!r}): empty name; nothing was imported")
        try:
            validate_name(name)
        except InvalidSecretError as e:
            raise ImportFormatError(f"variable {i}: {e.message}; nothing was imported") from None
        if name != key:
            notes.append(f"renamed {key!r} to {name!r}")
        if name in seen:
            raise ImportFormatError(
                f"variable {i} ({key!r}): the name {name!r} appears twice; nothing was imported"
            )
        seen.add(name)
        value = var.get("value", "")
        if value is None:
            value = ""
        if isinstance(value, (dict, list)):
            raise ImportFormatError(f"variable {i} ({key!r}): the value is not text")
        if isinstance(value, bool):
            value = "true" if value else "false"
        enabled = var.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ImportFormatError(f"variable {i} ({key!r}): 'enabled' must be true or false")
        out.append(Secret(name=name, value=str(value), enabled=enabled))
        origins[name] = i - 1
    return ImportFile("postman", out, notes, postman=doc, origins=origins)


def is_postman_environment(text: str) -> bool:
    """True if text is a Postman environment export (as `import --rewrite` writes them)."""
    if "_postman_variable_scope" not in text or not text.lstrip("\ufeff \t\r\n").startswith("{"):
        return False
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and isinstance(doc.get("values"), list)


def json_string_body(value: str) -> str:
    """value escaped for the inside of a JSON string (quotes, backslashes, newlines)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def check_rewrite_target(out: Path, source: Path, vault_file: Path, force: bool) -> None:
    """Refuse OUT when it is the input or an existing file (unless force), or the vault's."""
    import contextlib

    from tui_vault.core.accesslog import LogPaths
    from tui_vault.core.vault import VaultPaths

    paths = VaultPaths(vault_file)
    guarded = {
        paths.vault,
        paths.backup,
        paths.cache,
        paths.lock,
        *LogPaths.beside(vault_file).all(),
    }
    with contextlib.suppress(OSError):
        if any(out.resolve() == p.resolve() for p in guarded):
            raise VaultError(f"refusing to write {out}: it is a file of the vault itself")
    if not out.exists():
        return
    same = False
    with contextlib.suppress(OSError):
        same = out.samefile(source)
    if same and not force:
        raise VaultError(
            f"refusing to write over the input {source}: pass --force to replace it, "
            "or name another file"
        )
    if out.is_file() and not force:
        raise VaultError(f"{out} exists; pass --force to replace it")


def rewrite_postman(incoming: ImportFile, summary: ImportSummary) -> tuple[bytes, list[str]]:
    """The Postman environment with each imported value replaced by its reference.

    A variable skipped as a duplicate refers to the secret already of that name; one kept
    both refers to the new name. Returns the file's bytes and the names referred to.
    """
    if incoming.postman is None:
        raise UsageError("--rewrite works with Postman environment files only")
    renamed = dict(summary.renamed)
    doc = copy.deepcopy(incoming.postman)
    names: list[str] = []
    for name, index in incoming.origins.items():
        final = renamed.get(name, name)
        doc["values"][index]["value"] = reference(final)
        names.append(final)
    text = json.dumps(doc, indent="\t", ensure_ascii=False) + "\n"
    return text.encode("utf-8"), names


# ------------------------------------------------------------------------- merge


@dataclass
class ImportSummary:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"imported {len(self.added) + len(self.renamed)} new, "
            f"replaced {len(self.replaced)}, skipped {len(self.skipped)}"
        ]
        if self.skipped:
            out.append(f"skipped (already in the vault): {', '.join(self.skipped)}")
        if self.replaced:
            out.append(f"replaced: {', '.join(self.replaced)}")
        for old, new in self.renamed:
            out.append(f"kept both: imported {old!r} as {new!r}")
        out.extend(self.notes)
        return out


def duplicates(existing: VaultData, incoming: list[Secret]) -> list[str]:
    return [s.name for s in incoming if s.name in existing.secrets]


def _free_name(name: str, taken: set[str]) -> str:
    n = 1
    while True:
        # Shorten the name, never the suffix: cutting the suffix off a long name looped forever.
        suffix = "-imported" if n == 1 else f"-imported-{n}"
        candidate = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def merge(data: VaultData, incoming: list[Secret], mode: DuplicateMode) -> ImportSummary:
    """Apply incoming secrets to data in place (call inside a vault transaction)."""
    if mode not in DUPLICATE_MODES:
        raise UsageError(f"--on-duplicate must be one of {', '.join(DUPLICATE_MODES)}")
    summary = ImportSummary()
    taken = set(data.secrets) | {s.name for s in incoming}
    for s in incoming:
        if s.name not in data.secrets:
            data.secrets[s.name] = s
            summary.added.append(s.name)
        elif mode == "skip":
            summary.skipped.append(s.name)
        elif mode == "replace":
            data.secrets[s.name] = s
            summary.replaced.append(s.name)
        else:
            new = _free_name(s.name, taken)
            taken.add(new)
            data.secrets[new] = Secret(
                name=new,
                value=s.value,
                enabled=s.enabled,
                allowed_domains=s.allowed_domains,
                link=s.link,
            )
            summary.renamed.append((s.name, new))
    return summary

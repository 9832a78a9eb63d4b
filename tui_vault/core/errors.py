"""Typed errors. Every message names things (files, secrets), never a secret value."""

from __future__ import annotations

from typing import Final


class ExitCode:
    """The exit codes by cause (DESIGN.md §5), as plain ints: nothing needs an enum of them,
    and an IntEnum's class creation was ~0.4 ms of every command."""

    OK: Final = 0
    ERROR: Final = 1
    USAGE: Final = 2
    BAD_KEY: Final = 3
    UNRESOLVED: Final = 4


class VaultError(Exception):
    """Base for every error the user should see as one clear line."""

    exit_code: int = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(VaultError):
    exit_code = ExitCode.USAGE


class InvalidKeyError(VaultError):
    """The text is not a vault key at all (typo, wrong length, bad checksum)."""

    exit_code = ExitCode.BAD_KEY

    def __init__(self, message: str = "not a valid vault key") -> None:
        super().__init__(message)


class WrongKeyError(VaultError):
    """A well-formed key that does not open this vault."""

    exit_code = ExitCode.BAD_KEY

    def __init__(self, message: str = "wrong key for this vault") -> None:
        super().__init__(message)


class NoKeyError(VaultError):
    """No key could be found (no env var, key file, agent, keyring entry, or terminal), or
    the key file cannot be read: a key problem, exit 3 like a wrong key."""

    exit_code = ExitCode.BAD_KEY


class CorruptVaultError(VaultError):
    """The vault file is damaged, truncated, tampered with or not a vault at all."""


class VaultNotFoundError(VaultError):
    pass


class VaultExistsError(VaultError):
    pass


class SecretNotFoundError(VaultError):
    pass


class InvalidSecretError(VaultError):
    """A bad name, domain or link."""


class ImportFormatError(VaultError):
    """An import file that cannot be read; nothing was imported."""


class WrongPasswordError(VaultError):
    pass


class PolicyError(VaultError):
    """The admin policy forbids the action."""


class LockTimeoutError(VaultError):
    pass


class StorageError(VaultError):
    """The disk refused a write (full, read-only, permissions); the previous vault remains."""


class KeyringUnavailableError(VaultError):
    pass


class StdoutError(VaultError):
    """Standard output cannot take what a command prints (closed, a full disk, a device
    error): said once as "cannot write to standard output: REASON", exit 1, instead of an
    unexpected error or, for a closed descriptor, silently printing nothing."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot write to standard output: {reason}")
        self.reason = reason

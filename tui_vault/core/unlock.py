"""Finding the key: TUI_VAULT_KEY, then --key-file, then the session agent, then the keyring,
then (the caller's) prompt. Wherever key text is given, the vault's passphrase works too."""

from __future__ import annotations

from pathlib import Path

from tui_vault.core.errors import InvalidKeyError, NoKeyError, StorageError, VaultError
from tui_vault.core.frozen import Frozen
from tui_vault.core.hygiene import ENV_KEY as ENV_KEY
from tui_vault.core.hygiene import take_env_key
from tui_vault.core.store import atomic_write
from tui_vault.core.vault import Vault, VaultFile, read_vault_file
from tui_vault.core.vaultkey import PREFIX, decode_key, encode_key


class KeySource(Frozen):
    """Key text and where it came from (frozen; equal when text and origin are).

    Not a dataclass (core/frozen.py says why). Its repr never shows the key text.
    """

    _fields = ("text", "origin", "file")
    __slots__ = _fields

    text: str
    origin: str  # "environment", "key file", "agent", "keyring", "prompt"
    # The vault file as read to look the key up by vault id (agent, keyring): open_with
    # opens that one instead of reading and checking the file a second time.
    file: VaultFile | None

    def __init__(self, text: str, origin: str, file: VaultFile | None = None) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "file", file)

    def _values(self) -> tuple[object, ...]:
        return (self.text, self.origin)  # not the file: the same key from anywhere

    def __repr__(self) -> str:
        return f"KeySource(text=<hidden>, origin={self.origin!r})"


def read_key_file(path: Path) -> str:
    from tui_vault.core.store import read_checked

    try:
        # Bounded; a pipe is fine (`--key-file <(pass show vault)`), so not regular-only.
        raw = read_checked(path, "key file", 64 * 1024, regular=False)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise NoKeyError(f"key file {path} does not exist") from None
    except UnicodeDecodeError:
        raise NoKeyError(f"cannot read key file {path}: not readable text") from None
    except VaultError as e:
        raise NoKeyError(f"key file: {e.message}") from None
    return text.strip()


def write_key_file(path: Path, key_text: str) -> None:
    if path.exists():
        raise VaultError(f"{path} already exists; not overwriting it (choose a new path)")
    parent = path.parent if str(path.parent) else Path()
    if not parent.is_dir():
        raise StorageError(f"cannot write {path}: directory {parent} does not exist")
    try:
        atomic_write(path, (key_text + "\n").encode(), exclusive=True)
    except FileExistsError:
        raise VaultError(f"{path} already exists; not overwriting it") from None


def find_key(
    vault_path: Path,
    key_file: Path | None,
    use_keyring: bool = True,
    use_agent: bool = True,
) -> KeySource | None:
    env = take_env_key()  # and out of os.environ, before anything can inherit it
    if env:
        return KeySource(env, "environment")
    if key_file is not None:
        return KeySource(read_key_file(key_file), "key file")
    if not use_keyring and not use_agent:
        return None
    try:
        file = read_vault_file(vault_path)
    except VaultError:
        return None
    vault_id = file.envelope.vault_id
    if use_agent:
        from tui_vault.core import agent

        held = agent.fetch_key(vault_id)
        if held is not None:
            return KeySource(encode_key(held), "agent", file)
    if not use_keyring:
        return None
    from tui_vault.core import keystore  # keyring's lookup: only when nothing else had a key

    saved = keystore.load(vault_id)
    if saved:
        return KeySource(saved, "keyring", file)
    return None


def looks_like_key(text: str) -> bool:
    cleaned = "".join(ch for ch in text.upper() if ch not in "- \t\r\n")
    return cleaned.startswith(PREFIX) and len(cleaned) >= 40


def open_with(vault_path: Path, source: KeySource) -> Vault:
    """Decode (InvalidKeyError on a typo) and open (WrongKeyError for another vault's key).

    Text that is not a vault key is tried as the vault's passphrase, if it has one; a wrong
    one says "wrong passphrase or key".
    """
    from tui_vault.core.hygiene import make_non_dumpable

    make_non_dumpable()  # this process is about to hold a key: no ptrace, no core dump
    # A missing or foreign file is reported before the key.
    file = source.file or read_vault_file(vault_path)
    try:
        key = decode_key(source.text)
    except InvalidKeyError:
        from tui_vault.core import passphrase

        if looks_like_key(source.text) or not passphrase.has_passphrase(vault_path):
            raise
        key = passphrase.unwrap(vault_path, file.envelope.vault_id, source.text)
    return Vault.open(vault_path, key, file)  # read once, not twice


def reset_vault_files(vault_path: Path) -> None:
    """Delete the vault, its backup and cache (lost key), and forget its keyring entry."""
    import contextlib

    from tui_vault.core.accesslog import remove_log_files
    from tui_vault.core.cache import reset_cache_file
    from tui_vault.core.store import file_lock
    from tui_vault.core.vault import VaultPaths

    paths = VaultPaths(vault_path)
    vault_path = paths.vault
    old_id: str | None = None
    if vault_path.exists() or vault_path.is_symlink():
        try:
            # A mistyped --vault must never delete somebody's other file: only a file that
            # parses as a vault envelope is deleted (a package.json mentioning "tui-vault",
            # a FIFO or a device is not).
            old_id = read_vault_file(vault_path).envelope.vault_id
        except VaultError as e:
            if not _damaged_vault(vault_path):
                raise VaultError(
                    f"{vault_path} is not a tui-vault vault file ({e.message}); not deleting it "
                    "(check --vault)"
                ) from None
    if vault_path.parent.is_dir():
        with file_lock(paths.lock):
            for p in (vault_path, paths.backup):
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
            reset_cache_file(paths.cache)
            from tui_vault.core.passphrase import passphrase_path

            with contextlib.suppress(FileNotFoundError):
                passphrase_path(vault_path).unlink()  # it wraps the key being replaced
            remove_log_files(vault_path)  # sealed with the lost key: nothing could read it
    if old_id:
        from tui_vault.core import keystore

        keystore.forget(old_id)
    from tui_vault.core.hygiene import forget_env_key

    forget_env_key()  # the key taken from TUI_VAULT_KEY opened the vault that is gone


# How every vault file tui-vault writes begins (canonical JSON, keys sorted: store.py).
_ENVELOPE_START = b'{\n "cipher": "AES-256-GCM",\n "ciphertext": "'


def _damaged_vault(path: Path) -> bool:
    """A vault that no longer parses (truncated, say) but still begins as only tui-vault's
    own vault files begin: reset may delete it (a lost key and a damaged file go together)."""
    from tui_vault.core.store import read_checked

    try:
        head = read_checked(path, "vault file", 1 << 30, follow=True)[: len(_ENVELOPE_START)]
    except (OSError, VaultError):
        return False
    return head == _ENVELOPE_START

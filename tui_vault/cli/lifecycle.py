"""The vault's life: `init`, `clear`, `reset`, `cache reset`, and the TUI itself."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from tui_vault.cli.common import (
    PROG,
    AddCommand,
    Parser,
    add_globals,
    check_new_key_file,
    confirm_typed,
    needs_action,
    open_session,
    save_key_to_keyring,
    say,
    stdout_closed,
    vault_path,
)
from tui_vault.core.errors import StdoutError, VaultError
from tui_vault.core.words import plural


def _create_with_new_key(
    args: argparse.Namespace, path: Path, before: Callable[[], None] = lambda: None
) -> tuple[str, str, Path | None]:
    """Make a key, write it to --key-file first (a key that cannot be kept creates nothing),
    run `before` (reset deletes the old files here) and create the vault at `path`; returns
    its id, the key's text and the key file. On failure the key file just written is removed
    again."""
    from tui_vault.core.unlock import write_key_file
    from tui_vault.core.vault import Vault
    from tui_vault.core.vaultkey import encode_key, generate_key

    key_file = Path(args.key_file).expanduser() if args.key_file else None
    if key_file is not None:
        check_new_key_file(key_file, args)
    elif stdout_closed():
        # The key would be printed into nothing: the vault made, its only key lost.
        raise StdoutError("it is closed, and the new key would be printed there (pass --key-file)")
    key = generate_key()
    key_text = encode_key(key)
    if key_file is not None:
        write_key_file(key_file, key_text)
    try:
        before()
        vault, _ = Vault.create(path, key)
    except VaultError:
        if key_file is not None:
            with contextlib.suppress(OSError):
                key_file.unlink()
        raise
    return vault.vault_id, key_text, key_file


def cmd_init(args: argparse.Namespace) -> int:
    from tui_vault.core.errors import VaultExistsError

    path = vault_path(args)
    if args.key_file:
        check_new_key_file(Path(args.key_file).expanduser(), args)  # before "already exists"
    if path.is_dir():
        raise VaultError(
            f"{path} is a directory; the vault path names the vault file "
            f"(for example {path / 'vault.json'})"
        )
    if path.exists():
        raise VaultExistsError(f"a vault already exists at {path}")
    vault_id, key_text, key_file = _create_with_new_key(args, path)
    if key_file is None:
        _show_new_key(path, key_text)
    say(f"Created a vault at {path}")
    save_key_to_keyring(vault_id, key_text, args.no_keyring)
    if key_file is not None:
        say(f"The vault key was written to {key_file} (mode 0600). Keep it safe.")
    return 0


def _show_new_key(path: Path, key_text: str) -> None:
    """Print a new vault's key; if stdout cannot take it (a full disk, a device error), the
    vault just made is removed again: its only key would have gone nowhere."""
    label = "Your vault key (shown once; keep it safe, it cannot be recovered):"
    tty = sys.stdout.isatty()
    try:
        if tty:
            say(label)
        print(key_text, flush=True)
    except StdoutError as e:
        from tui_vault.core.unlock import reset_vault_files

        reset_vault_files(path)
        raise StdoutError(f"{e.reason}; no vault was created") from None
    if not tty:
        say(label)  # (after the key: a failure to write it is then the only line said)


def cmd_clear(args: argparse.Namespace) -> int:
    session = open_session(args)
    n = len(session.vault.data.secrets)
    every = "the only secret" if n == 1 else f"all {plural(n, 'secret')}"
    confirm_typed("clear", f"Delete {every} (the key stays)?", args.yes)
    count = session.clear()
    say(f"Deleted {plural(count, 'secret')}; the vault key is unchanged")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from tui_vault.core.errors import VaultNotFoundError
    from tui_vault.core.unlock import reset_vault_files

    path = vault_path(args)
    if not path.exists() and not path.is_symlink():
        raise VaultNotFoundError(
            f"no vault at {path}; nothing to reset (create one with `{PROG} init`)"
        )
    key_file = Path(args.key_file).expanduser() if args.key_file else None
    if key_file is not None:
        check_new_key_file(key_file, args)  # the vault's own files exist: said first
    if key_file is not None and (key_file.exists() or key_file.is_symlink()):
        raise VaultError(f"{key_file} already exists; not overwriting it (choose a new path)")
    confirm_typed(
        "reset",
        f"Permanently delete every secret in {path} and make a new vault key?",
        args.yes,
    )
    vault_id, key_text, key_file = _create_with_new_key(args, path, lambda: reset_vault_files(path))
    say(f"Reset the vault at {path}: every secret was deleted.")
    save_key_to_keyring(vault_id, key_text, args.no_keyring)
    if key_file is not None:
        say(f"The new vault key was written to {key_file} (mode 0600). Keep it safe.")
    else:
        say("Your new vault key (keep it safe):")
        print(key_text)
    return 0


def cmd_cache_reset(args: argparse.Namespace) -> int:
    from tui_vault.core.cache import reset_cache_file
    from tui_vault.core.vault import VaultPaths

    removed = reset_cache_file(VaultPaths(vault_path(args)).cache)
    say("Cleared the cache of fetched values" if removed else "The cache was already empty")
    return 0


def register_init(add: AddCommand) -> None:
    p = add("init", cmd_init, "create a vault and print its key once (or write it to a file)")
    p.add_argument("--no-keyring", action="store_true", help="do not save the key to the keyring")
    p.add_argument(
        "--key-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="write the new key to PATH (created 0600; refused if it exists) instead of printing",
    )


def register(add: AddCommand) -> None:
    p = add("clear", cmd_clear, "delete every secret, keep the key")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    p = add("reset", cmd_reset, "lost key: delete every secret and make a new key")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--no-keyring", action="store_true", help="do not save the new key")
    p.add_argument(
        "--key-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="write the new key to PATH (created 0600; refused if it exists) instead of printing",
    )

    p = add("cache", needs_action("cache"), "the cache of fetched values")
    csub = p.add_subparsers(dest="cache_command", metavar="ACTION", parser_class=Parser)
    cp = csub.add_parser(
        "reset", help="forget every cached value", description="Forget every cached value."
    )
    add_globals(cp, suppress=True)
    cp.set_defaults(func=cmd_cache_reset)

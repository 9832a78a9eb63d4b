"""`unlock`, `lock`, `agent status` (the session agent) and `passphrase set|remove`."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
from pathlib import Path

from tui_vault.cli.common import (
    PROG,
    AddCommand,
    Parser,
    add_globals,
    key_prompt,
    load_settings_or_defaults,
    needs_action,
    open_vault,
    say,
    stdin_is_tty,
    vault_path,
)
from tui_vault.core.errors import NoKeyError, UsageError, VaultError


def describe_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def cmd_unlock(args: argparse.Namespace) -> int:
    from tui_vault.core import agent
    from tui_vault.core.unlock import KeySource, find_key, open_with
    from tui_vault.core.vault import peek_vault_id
    from tui_vault.core.vaultkey import encode_key

    settings = load_settings_or_defaults()
    if args.timeout is not None and not 0 < args.timeout <= settings.agent_max_hours * 60:
        raise UsageError(
            f"--timeout must be more than 0 and at most {settings.agent_max_hours * 60:g} "
            "minutes (agent_max_hours)"
        )
    minutes = args.timeout if args.timeout is not None else settings.idle_lock_minutes
    max_seconds = settings.agent_max_hours * 3600
    idle = min(minutes * 60, max_seconds) if minutes > 0 else None

    path = vault_path(args)
    key_file = Path(args.key_file).expanduser() if args.key_file else None
    source = find_key(path, key_file, use_agent=False)
    if source is None:
        vault_id = peek_vault_id(path)  # "no vault at ..." before asking for anything
        held = agent.fetch_key(vault_id)
        if held is not None:
            source = KeySource(encode_key(held), "agent")  # unlocked: renew its time
        elif stdin_is_tty():
            source = KeySource(getpass.getpass(key_prompt(path)), "prompt")
        else:
            raise NoKeyError(
                "no vault key to unlock with: run this on a terminal to type the key or "
                "passphrase, or set TUI_VAULT_KEY or pass --key-file"
            )
    vault = open_with(path, source)  # the agent is only ever given a key that opens the vault
    agent.put(
        vault.vault_id,
        vault.key,
        idle_seconds=idle,
        max_seconds=max_seconds,
        path=str(vault.path),
    )
    again = "Still unlocked" if source.origin == "agent" else "Unlocked"
    idle_text = f"after {describe_seconds(idle)} without use, " if idle else ""
    say(
        f"{again}: {vault.path}. The session agent forgets the key {idle_text}and at the "
        f"latest in {describe_seconds(max_seconds)}; `{PROG} lock` forgets it now."
    )
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    from tui_vault.core import agent

    try:
        count = agent.lock_all()
    except agent.AgentError:
        # It answers wrongly or not at all: locking must still work, so end it.
        pid = agent.agent_pid()
        if pid is None or pid == os.getpid():
            raise
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError as e:
            raise VaultError(
                f"the session agent (pid {pid}) does not answer: {e.strerror}"
            ) from None
        say(f"The session agent (pid {pid}) did not answer; it was stopped, with every key.")
        return 0
    if count is None:
        say("No session agent is running: no key was held.")
    else:
        say(f"The session agent forgot {count} key{'s' if count != 1 else ''} and stopped.")
    return 0


def cmd_agent_status(args: argparse.Namespace) -> int:
    from tui_vault.core import agent

    st = agent.status()
    if args.json:
        print(json.dumps(st.to_json(), indent=1))
        return 0
    where = agent.socket_path()
    if not st.running:
        print(f"Session agent: not running (socket {where}). Start it with `{PROG} unlock`.")
        return 0
    print(f"Session agent: running, pid {st.pid}, socket {where}")
    if not st.vaults:
        print("  no vault is unlocked")
    for v in st.vaults:
        idle = (
            f"forgets in {describe_seconds(v.idle_left)} without use"
            if v.idle_left is not None
            else "no idle limit"
        )
        print(
            f"  {v.vault_id}  {v.path or '?'}: unlocked, {idle}, at the latest in "
            f"{describe_seconds(v.max_left)}"
        )
    return 0


def read_new_passphrase(args: argparse.Namespace) -> str:
    from tui_vault.core.passphrase import check_passphrase

    if args.password_stdin:
        raw = sys.stdin.buffer.readline() if sys.stdin is not None else b""
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise VaultError("the passphrase on stdin is not UTF-8 text") from None
        check_passphrase(text)
        return text
    if not stdin_is_tty():
        raise UsageError("no terminal to ask for the passphrase: pass --password-stdin")
    text = getpass.getpass("New passphrase (12 characters or more): ")
    check_passphrase(text)
    if getpass.getpass("Repeat the passphrase: ") != text:
        raise UsageError("the two passphrases differ; nothing was changed")
    return text


def cmd_passphrase_set(args: argparse.Namespace) -> int:
    from tui_vault.core.passphrase import set_passphrase
    from tui_vault.core.unlock import looks_like_key

    vault = open_vault(args)
    text = read_new_passphrase(args)
    if looks_like_key(text):
        raise UsageError("a passphrase cannot look like a vault key (TV1-...)")
    set_passphrase(vault.path, vault.vault_id, vault.key, text)
    say(
        f"Set a passphrase for {vault.path}: it is accepted wherever the key is asked for. "
        "The vault key still works and stays the recovery key."
    )
    return 0


def cmd_passphrase_remove(args: argparse.Namespace) -> int:
    from tui_vault.core.passphrase import remove_passphrase

    vault = open_vault(args)
    if remove_passphrase(vault.path):
        say(f"Removed the passphrase of {vault.path}; only the vault key opens it now.")
    else:
        say(f"{vault.path} has no passphrase; nothing was changed.")
    return 0


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text!r}")
    return value


def register(add: AddCommand) -> None:
    p = add(
        "unlock",
        cmd_unlock,
        "give the key (or the passphrase) to the session agent: later commands in any "
        "terminal of yours need no key",
    )
    p.add_argument(
        "--timeout",
        type=_minutes,
        metavar="MINUTES",
        help="forget the key after this many minutes without use (default: idle_lock_minutes)",
    )

    add("lock", cmd_lock, "make the session agent forget every key (it stops)")

    p = add("agent", needs_action("agent"), "the session agent that holds unlocked keys")
    asub = p.add_subparsers(dest="agent_command", metavar="ACTION", parser_class=Parser)
    sp = asub.add_parser(
        "status",
        help="is it running, which vaults are unlocked, time left",
        description="is it running, which vaults are unlocked, time left",
    )
    sp.add_argument("--json", action="store_true", help="one JSON object")
    add_globals(sp, suppress=True)
    sp.set_defaults(func=cmd_agent_status)

    p = add("passphrase", needs_action("passphrase"), "an optional passphrase beside the key")
    psub = p.add_subparsers(dest="passphrase_command", metavar="ACTION", parser_class=Parser)
    sp = psub.add_parser(
        "set",
        help="set or change the passphrase (Argon2id-wrapped key beside the vault)",
        description="Set or change the passphrase (Argon2id-wrapped key beside the vault).",
    )
    sp.add_argument(
        "--password-stdin", action="store_true", help="read the new passphrase from stdin"
    )
    add_globals(sp, suppress=True)
    sp.set_defaults(func=cmd_passphrase_set)
    sp = psub.add_parser(
        "remove",
        help="drop the passphrase; the key still opens the vault",
        description="drop the passphrase; the key still opens the vault",
    )
    add_globals(sp, suppress=True)
    sp.set_defaults(func=cmd_passphrase_remove)

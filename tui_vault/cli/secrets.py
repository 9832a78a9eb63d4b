"""`get`, `set`, `unset`, `list`: one secret at a time, and the names of all."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from tui_vault.cli.common import (
    PROG,
    AddCommand,
    check_arg,
    check_name,
    open_session,
    open_vault,
    read_stdin_secret,
    report_unresolved,
    resolve_names,
    say,
    stdin_is_tty,
    url_arg,
    write_json_texts,
)
from tui_vault.core.errors import ExitCode, UsageError

if TYPE_CHECKING:
    import argparse

    from tui_vault.core.session import Session


def cmd_get(args: argparse.Namespace) -> int:
    check_name(args.name, existing=True)  # a bad name is exit 2, not an unresolved ref (4)
    vault = open_vault(args)
    results = resolve_names(vault, [args.name], args.url, action="get")
    if not report_unresolved(results):
        return ExitCode.UNRESOLVED
    value = results[args.name].value or ""
    sys.stdout.write(value + "\n")
    return 0


def _value_from_stdin(args: argparse.Namespace) -> str | None:
    """The new value, or None to keep the current one.

    `set NAME` alone (or with --value-stdin) always takes a value: from stdin, or a hidden
    prompt on a terminal. With --enable/--disable/--allowed-domains only what they name
    changes: stdin is read only when it is not a terminal, and an empty stdin keeps the value.
    """
    options = args.enabled is not None or args.allowed_domains is not None
    if args.value_stdin or not options:
        return read_stdin_secret(f"Value for {args.name} (hidden): ", "value")
    if stdin_is_tty() or sys.stdin is None:
        return None
    value = read_stdin_secret("", "value")
    return value if value else None


def cmd_set(args: argparse.Namespace) -> int:
    if args.extra:
        raise UsageError(
            "values are never taken from the command line (they would show in `ps` and shell "
            f'history); pipe them in: printf %s "$VALUE" | {PROG} set {args.name}'
        )
    from tui_vault.core.model import parse_domains

    check_name(args.name)
    if args.allowed_domains is not None:
        check_arg(parse_domains, args.allowed_domains)
    vault = open_vault(args)
    value = _value_from_stdin(args)
    existed = args.name in vault.data.secrets
    if value is None and existed:
        vault.update(args.name, enabled=args.enabled, allowed_domains=args.allowed_domains)
    else:
        vault.set_value(
            args.name, value or "", allowed_domains=args.allowed_domains, enabled=args.enabled
        )
    changed = [] if value is None else ["value"]
    if args.enabled is not None:
        changed.append("enabled" if args.enabled else "disabled")
    if args.allowed_domains is not None:
        changed.append("allowed domains")
    what = f" ({', '.join(changed)})" if existed and changed else ""
    say(f"{'Updated' if existed else 'Added'} {args.name}{what}")
    return 0


def cmd_unset(args: argparse.Namespace) -> int:
    check_name(args.name, existing=True)
    vault = open_vault(args)
    vault.delete(args.name)
    say(f"Deleted {args.name}")
    return 0


def describe_status(session: Session, name: str) -> dict[str, Any]:
    """Status of one secret without fetching anything (the row of `list --json`)."""
    return session.status_row(name)


def cmd_list(args: argparse.Namespace) -> int:
    from tui_vault.core.bulk import paused_gc

    # A big vault is a few hundred thousand objects, none in a reference cycle: with the
    # cyclic GC running, each of its first collections after the unlock walks all of them
    # (~0.2 s at 100,000 secrets) and frees nothing. The session (and the vault) is left to
    # the process's exit (keep_until_exit), or, in process, freed by reference counting
    # when _list returns, still inside the pause.
    with paused_gc():
        return _list(args)


def _list(args: argparse.Namespace) -> int:
    from tui_vault.cli import keep_until_exit

    session = open_session(args)
    keep_until_exit(session)
    if args.json:
        write_rows_json(session)
        return 0
    rows = [describe_status(session, n) for n in session.vault.names()]
    if not rows:
        say(f"The vault is empty. Add a secret: printf %s VALUE | {PROG} set NAME")
        return 0
    headers = ("NAME", "ENABLED", "ALLOWED DOMAINS", "SOURCE", "STATUS")
    from tui_vault.core.display import visible

    table = [
        (
            visible(r["name"]),
            "yes" if r["enabled"] else "no",
            visible(", ".join(r["allowed_domains"])) or "any",
            r["source"],
            visible(r["status"]),  # may quote a provider's message
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    for row in (headers, *table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


_ROWS_AT_ONCE = 4096


def write_rows_json(session: Session) -> None:
    """`write_json_texts(session.status_rows_json(session.vault.names()))`: the same bytes
    in the same writes, the rows made a few thousand at a time (all for one `now`) and
    dropped once written.

    At 100,000 secrets all the rows at once were ~20 MB of strings, each page of it new
    memory the kernel had to fault in and zero (~2 µs a page here); made a chunk at a time,
    the next chunk's rows reuse the memory of the last one's. The secrets come in name
    order with their names (`in_name_order`: as they are, for a vault read from its file),
    so no chunk looks its names up."""
    import time

    names, secrets = session.vault.data.in_name_order()
    if not names:
        write_json_texts([])
        return
    now = time.time()
    out = sys.stdout
    lead = "[\n"
    for start in range(0, len(names), _ROWS_AT_ONCE):
        end = start + _ROWS_AT_ONCE
        # `start`: for a vault read back (in name order, as saved) these are its secrets
        # from that position as decoded, whose rows skip their type checks (status.py).
        rows = session.status_rows_json(names[start:end], now, secrets[start:end], start)
        out.write(lead + ",\n".join(rows))
        del rows
        lead = ",\n"
    out.write("\n]\n")


def register(add: AddCommand) -> None:
    import argparse  # a parser is being built: loaded already

    p = add("get", cmd_get, "print a secret's value (fetching a linked one)")
    p.add_argument("name", metavar="NAME", help="the secret")
    p.add_argument(
        "--url",
        type=url_arg,
        help="the URL the value is for (needed for domain-restricted secrets)",
    )

    p = add(
        "set",
        cmd_set,
        "add or change a secret; the value comes from stdin, never argv",
        description="Add or change a secret. The value comes from stdin (one trailing newline "
        "is stripped) or a hidden prompt on a terminal, never from the command line. With "
        "--enable, --disable or --allowed-domains only what they name changes: stdin is read "
        "only when it is not a terminal, and an empty stdin keeps the value (--value-stdin "
        "always reads it).",
    )
    p.add_argument("name", metavar="NAME", help="the secret's name (letters, digits, - _ .)")
    p.add_argument("extra", nargs="*", help=argparse.SUPPRESS)
    p.add_argument(
        "--allowed-domains",
        metavar="LIST",
        help="comma-separated domains the value may be used for (*.example.com for "
        "subdomains; empty: any)",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--enable",
        dest="enabled",
        action="store_const",
        const=True,
        default=None,
        help="turn the secret on (references resolve)",
    )
    g.add_argument(
        "--disable",
        dest="enabled",
        action="store_const",
        const=False,
        help="turn the secret off (references stay unresolved)",
    )
    p.add_argument(
        "--value-stdin",
        action="store_true",
        help="read the value from stdin (or a prompt) even with the options above",
    )

    p = add("unset", cmd_unset, "delete a secret")
    p.add_argument("name", metavar="NAME", help="the secret to delete")

    p = add("list", cmd_list, "list secrets: names, domains, source, status; never values")
    p.add_argument("--json", action="store_true", help="a JSON array, one object per secret")

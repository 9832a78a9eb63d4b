"""`log` and `log clear`: the local access log of which command read which secret, when.

A log whose chain is broken (a record edited or removed, the end cut off) is reported by
printing the records that still verify, then one line on stderr naming where it broke, and
exit code 1: the intact part stays readable, and scripts see the failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from tui_vault.cli.common import (
    PROG,
    AddCommand,
    Parser,
    add_globals,
    confirm_typed,
    load_settings_or_defaults,
    open_vault,
    say,
    write_json_array,
)
from tui_vault.core.errors import UsageError

if TYPE_CHECKING:
    from tui_vault.core.accesslog import Record


def _where(r: Record) -> str:
    parts = [p for p in (r.tty, f"ssh {r.ssh_client}" if r.ssh_client else None) if p]
    return ", ".join(parts) or "-"


def _outcome(r: Record) -> str:
    if r.outcome == "resolved":
        return "resolved"
    bad = [f"{n} ({d})" for n, d in r.details.items() if d not in ("resolved", "empty")]
    return "unresolved: " + ", ".join(bad) if bad else r.outcome


def format_table(records: list[Record]) -> list[str]:
    """Display-safe rows: every field passes through `visible` (names, argv, tty)."""
    from tui_vault.core.accesslog import visible

    headers = ("TIME", "ACTION", "SECRETS", "OUTCOME", "FROM", "PID", "COMMAND")
    rows = [
        tuple(
            visible(c)
            for c in (
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.time)),
                r.action,
                ", ".join(r.names) or "-",
                _outcome(r),
                _where(r),
                str(r.pid),
                " ".join(r.argv) or "-",
            )
        )
        for r in records
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    widths[-1] = 0  # the command is last and not padded
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]


def cmd_log(args: argparse.Namespace) -> int:
    from tui_vault.core.accesslog import for_vault, parse_duration, visible

    since: float | None = None
    if args.since is not None:
        try:
            since = time.time() - parse_duration(args.since)
        except ValueError as e:
            raise UsageError(f"--since: {e}") from None
    vault = open_vault(args)
    reading = for_vault(vault).read()
    records = reading.records
    if since is not None:
        records = [r for r in records if r.time >= since]
    if args.secret:
        records = [r for r in records if args.secret in r.names]
    if args.json:
        write_json_array([r.to_json() for r in records])
    elif records:
        for line in format_table(records):
            print(line)
    elif not reading.problem:
        say("No access recorded" + (" for that filter" if since or args.secret else " yet"))
    if not load_settings_or_defaults().access_log:
        say("note: access_log is off in the settings: nothing new is recorded")
    if reading.problem:
        say(
            f"{PROG}: the access log was tampered with or damaged: {visible(reading.problem)}; "
            f"{len(reading.records)} records before that verify"
        )
        return 1
    sys.stdout.flush()
    return 0


def cmd_log_clear(args: argparse.Namespace) -> int:
    from tui_vault.core.accesslog import for_vault, make_record

    vault = open_vault(args)
    confirm_typed("clear", "Delete every record of the access log?", args.yes)
    for_vault(vault).clear(make_record("clear", outcome="cleared"))
    say("Cleared the access log; its first record now says when it was cleared")
    return 0


def register(add: AddCommand) -> None:
    p = add("log", cmd_log, "show the local access log: which command read which secret, when")
    p.add_argument("--json", action="store_true", help="a JSON array, one object per record")
    p.add_argument(
        "--since", metavar="DURATION", help="only records newer than this (30m, 2h, 7d, 1h30m)"
    )
    p.add_argument("--secret", metavar="NAME", help="only records that name this secret")
    sub = p.add_subparsers(dest="log_command", metavar="ACTION", parser_class=Parser)
    cp = sub.add_parser(
        "clear",
        help="delete every record (asks to type 'clear')",
        description="delete every record (asks to type 'clear')",
    )
    add_globals(cp, suppress=True)
    cp.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    cp.set_defaults(func=cmd_log_clear)

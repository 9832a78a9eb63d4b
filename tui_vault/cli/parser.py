"""The argument parser, assembled from each command module's `register`.

A new command is a new module with `cmd_*` handlers and a `register(add)`, plus one line here.
"""

from __future__ import annotations

import argparse
from typing import Any

from tui_vault import __version__
from tui_vault.cli import (
    agent,
    browse,
    completion,
    generate,
    inject,
    integrations,
    lifecycle,
    log,
    push,
    run,
    secrets,
    transfer,
)
from tui_vault.cli.common import PROG, Command, Parser, add_globals


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description=(
            "A local, encrypted secrets vault. With no command, opens the full-screen app. "
            "The key is taken from $TUI_VAULT_KEY, --key-file, the session agent "
            "(`unlock`), the password manager, or a prompt, in that order."
        ),
        epilog="Exit codes: 0 ok, 1 error, 2 invalid arguments, 3 the key (none, not valid, "
        "wrong), 4 unresolved references; `run` exits with its command's code.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    add_globals(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def add(name: str, func: Command, help_: str, **kw: Any) -> argparse.ArgumentParser:
        if help_ == argparse.SUPPRESS:  # a hidden helper command: not in the command list
            p: argparse.ArgumentParser = sub.add_parser(name, **kw)
        else:
            kw.setdefault("description", help_)
            p = sub.add_parser(name, help=help_, **kw)
        # init and reset take --key-file as where to *write* the new key (see lifecycle.py).
        add_globals(p, suppress=True, key_file=name not in ("init", "reset"))
        p.set_defaults(func=func)
        return p

    # The order here is the order of `tui-vault --help`.
    lifecycle.register_init(add)
    secrets.register(add)
    inject.register(add)
    run.register(add)
    transfer.register(add)
    lifecycle.register(add)
    integrations.register(add)
    agent.register(add)
    browse.register(add)
    push.register(add)
    log.register(add)
    generate.register(add)
    completion.register(add)
    return parser

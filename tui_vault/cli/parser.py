"""The argument parser, assembled from each command module's `register`.

A new command is a new module with `cmd_*` handlers and a `register(add)`, plus one line in
REGISTER below (a test checks that line against what the module registers).

A command line naming its command plainly (`tui-vault [--vault P] get NAME`) gets a parser
with only that command's module: the same parse and the same errors for that command, without
importing the other command modules or building their ~100 subparsers (about a third of a
local `get`'s own start-up). Anything else (no command, --help, an unknown word or option
before the command) gets the whole tree.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from tui_vault import __version__
from tui_vault.cli.common import PROG, Command, PlainNamespace, add_globals

if TYPE_CHECKING:
    import argparse


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (only=COMMAND) the parser with just the module adding COMMAND."""
    import argparse

    from tui_vault.cli.argparser import Parser

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

    for module, function, _names in REGISTER if only is None else _registering(only):
        getattr(importlib.import_module(f"tui_vault.cli.{module}"), function)(add)
    return parser


# (module, its register function, the commands it adds), in the order of `tui-vault --help`.
REGISTER: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("lifecycle", "register_init", ("init",)),
    ("secrets", "register", ("get", "set", "unset", "list")),
    ("inject", "register", ("inject",)),
    ("run", "register", ("run",)),
    ("transfer", "register", ("export", "import")),
    ("lifecycle", "register", ("clear", "reset", "cache")),
    ("integrations", "register", ("integration", "link", "unlink")),
    ("agent", "register", ("unlock", "lock", "agent", "passphrase")),
    ("browse", "register", ("browse",)),
    ("push", "register", ("push",)),
    ("log", "register", ("log",)),
    ("generate", "register", ("generate",)),
    ("completion", "register", ("completion", "__complete-names")),
)

# The main parser's own options (add_globals with suppress=False, and --version).
_VALUE_OPTIONS = ("--vault", "--key-file")
_FLAG_OPTIONS = ("--accept-rollback",)


def _registering(command: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [r for r in REGISTER if command in r[2]]


def command_of(argv: Sequence[str]) -> str | None:
    """The command `argv` names, when it is plainly there: only the main parser's own options,
    spelled in full, before it. None: anything else (the whole parser decides)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _VALUE_OPTIONS:
            i += 2
        elif arg in _FLAG_OPTIONS or (arg.split("=", 1)[0] in _VALUE_OPTIONS and "=" in arg):
            i += 1
        elif arg.startswith("-"):
            return None  # --help, --version, an abbreviation, "--", a typo: the full parser
        else:
            return arg if _registering(arg) else None
    return None


_GET_OPTIONS = ("--vault", "--key-file", "--url")  # what `get` takes after its name


def plain_get(argv: Sequence[str]) -> argparse.Namespace | None:
    """`get NAME` spelled plainly, read without building a parser: the namespace
    `parser_for(argv).parse_args(argv)` gives. None for anything else (the parser decides).

    Plainly: the main parser's own options before `get` (as command_of reads them), then
    one NAME and `--vault`, `--key-file`, `--url` (each with its value, as the next word or
    after "="), `--accept-rollback`, in any order; every option spelled in full and given
    at most once, no value and no NAME empty or starting with "-", a --url that parses.
    Building argparse's parser (gettext, the terminal size, shutil with bz2 and lzma) is
    most of what a local `get` spends on its command line; importing argparse is ~2 ms more.
    """
    values: dict[str, str | bool] = {}
    rest: list[str] = []

    def take(option: str, value: str) -> bool:
        if option in values or not value or value.startswith("-"):
            return False
        values[option] = value
        return True

    i, seen_command = 0, False
    while i < len(argv):
        arg = argv[i]
        option, eq, value = arg.partition("=")
        if arg == "--accept-rollback":
            if arg in values:
                return None
            values[arg] = True
            i += 1
        elif option in (_GET_OPTIONS if seen_command else _VALUE_OPTIONS):
            if not eq:
                if i + 1 == len(argv):
                    return None
                value = argv[i + 1]
                i += 1
            if not take(option, value):
                return None
            i += 1
        elif not arg or arg.startswith("-"):
            return None  # --help, "--", an abbreviation, a negative number: the parser
        elif not seen_command:
            if arg != "get":
                return None
            seen_command = True
            i += 1
        else:
            rest.append(arg)
            i += 1
    if not seen_command or len(rest) != 1:
        return None
    from tui_vault.cli.secrets import cmd_get

    url = values.get("--url")
    if isinstance(url, str):
        from tui_vault.core.errors import VaultError
        from tui_vault.core.model import parse_url

        try:
            parse_url(url)  # what the parser's url_arg checks
        except VaultError:
            return None  # the parser says what is wrong with it
    # No argparse.Namespace (no argparse): one that behaves the same (common.PlainNamespace).
    args = PlainNamespace(
        vault=values.get("--vault"),
        key_file=values.get("--key-file"),
        accept_rollback=bool(values.get("--accept-rollback", False)),
        command="get",
        name=rest[0],
        url=url,
        func=cmd_get,
    )
    return cast("argparse.Namespace", args)


def parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for this command line: only its command's module when argv names one."""
    command = command_of(argv)
    return build_parser() if command is None else build_parser(only=command)

"""The argument parser class every command's parser is made of (cli/parser.py builds them).

Its own module, so that importing the command line (cli/__init__, common, parser) imports no
argparse: a plain `get NAME` is read without a parser (parser.plain_get).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from tui_vault.cli.common import PROG
from tui_vault.core.errors import ExitCode


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 and one clear line.

    Options that need the provider modules (connect and link fields) are added by deferred
    builders, run only when this parser parses or shows help: `get` never imports them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deferred: list[Callable[[Parser], None]] = []

    def defer(self, build: Callable[[Parser], None]) -> None:
        """Run `build(self)` before this parser is first used."""
        self._deferred.append(build)

    def complete(self) -> Parser:
        """Run the deferred builders (and those of every subcommand): the whole tree."""
        self._run_deferred()
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    if isinstance(sub, Parser):
                        sub.complete()
        return self

    def _run_deferred(self) -> None:
        while self._deferred:
            self._deferred.pop(0)(self)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._run_deferred()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._run_deferred()
        return super().format_help()

    def format_usage(self) -> str:
        self._run_deferred()
        return super().format_usage()

    def error(self, message: str) -> NoReturn:
        # One line, like every other failure; the synopsis is one --help away. The message
        # quotes argv, which may hold escape sequences: shown made visible.
        from tui_vault.core.display import visible

        text = visible(f"{PROG}: error: {message} (see `{self.prog} --help`)")
        self.exit(ExitCode.USAGE, text + "\n")

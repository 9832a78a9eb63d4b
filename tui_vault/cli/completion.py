"""`completion bash|zsh|fish`: a completion script generated from the parser (shtab).

Secret names complete through a hidden `__complete-names` command, which prints the names
when the vault opens without a prompt (TUI_VAULT_KEY, the agent, the keyring) and prints
nothing otherwise: a completion never asks for a key.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys

from tui_vault.cli.common import PROG, AddCommand, Parser, open_vault
from tui_vault.core.errors import VaultError

SHELLS = ("bash", "zsh", "fish")
NAMES_COMMAND = "__complete-names"
# Positional NAMEs that are secret names (init's and import's FILE are not).
NAME_COMMANDS = ("get", "set", "unset", "link", "unlink", "generate")


def cmd_completion(args: argparse.Namespace) -> int:
    import shtab

    from tui_vault.cli.parser import build_parser

    parser = build_parser()
    assert isinstance(parser, Parser)
    parser.complete()  # the provider options too
    names = shtab.cmd(f"{PROG} {NAMES_COMMAND} 2>/dev/null")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                if command not in NAME_COMMANDS:
                    continue
                for a in sub._actions:
                    if a.dest == "name" and not a.option_strings:
                        a.complete = names
    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return 0


def cmd_complete_names(args: argparse.Namespace) -> int:
    """Print the secret names, one a line, if the vault opens without asking; else nothing."""
    sys.stdin = None  # never prompt from a completion
    with contextlib.redirect_stderr(io.StringIO()):  # nor warn in the middle of a prompt line
        try:
            vault = open_vault(args)
        except (VaultError, OSError):
            return 0
    sys.stdout.write("".join(f"{n}\n" for n in vault.names() if not n.startswith("-")))
    return 0


def register(add: AddCommand) -> None:
    p = add(
        "completion",
        cmd_completion,
        "print a shell completion script (bash, zsh or fish)",
        description="Print a completion script for your shell, e.g. "
        f"`source <({PROG} completion bash)` or `{PROG} completion fish | source`. Secret names "
        "complete when the vault opens without a prompt (TUI_VAULT_KEY, agent, keyring).",
    )
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    # Hidden (no help= entry in the command list): the names, for the scripts above.
    add(NAMES_COMMAND, cmd_complete_names, argparse.SUPPRESS)

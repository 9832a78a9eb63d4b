"""`run`: a command with the references in its environment resolved and its output masked."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from tui_vault.cli.common import (
    PROG,
    AddCommand,
    open_vault,
    read_text_file,
    report_unresolved,
    resolve_names,
    say,
    url_arg,
)
from tui_vault.core.errors import ExitCode, UsageError, VaultError

if TYPE_CHECKING:
    from tui_vault.core.resolution import Resolution


def parse_env_file(path: Path) -> dict[str, str]:
    from tui_vault.core.envlines import EnvLineError, parse_env_lines

    # Universal newlines, as read_text() gave: a CRLF or CR file reads as LF lines.
    text = read_text_file(path, "env file").replace("\r\n", "\n").replace("\r", "\n")
    try:
        lines = parse_env_lines(text)
    except EnvLineError as e:
        raise UsageError(f"{path}:{e.line}: {e.problem}") from None
    out: dict[str, str] = {}
    for line in lines:
        name = line.name
        if not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise UsageError(f"{path}:{line.line}: expected NAME=value")
        out[name] = line.value
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from tui_vault.cli.runner import ExecFailed, Launch, run_child
    from tui_vault.core.references import find_references, has_references, render
    from tui_vault.core.unlock import ENV_KEY

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError(f"no command to run: {PROG} run [options] -- CMD [ARGS...]")
    argv_refs = [a for a in command if has_references(a)]
    if argv_refs and not args.expose_argv:
        raise UsageError(
            "the command line holds {{vault:...}} references; their values would be visible "
            "to every user in `ps`. Put them in the environment and let the program read "
            f"them from there: TOKEN='{{{{vault:NAME}}}}' {PROG} run -- CMD (CMD reads "
            "$TOKEN), or NAME={{vault:NAME}} lines in --env-file F; or pass --expose-argv "
            "if you accept that"
        )
    env = {k: v for k, v in os.environ.items() if k != ENV_KEY}
    if args.env_file:
        env.update(parse_env_file(Path(args.env_file)))
    templated = {k: v for k, v in env.items() if has_references(v)}
    names: list[str] = []
    for v in templated.values():
        names.extend(find_references(v))
    if args.expose_argv:
        for a in argv_refs:
            names.extend(find_references(a))
    names = list(dict.fromkeys(names))
    results: dict[str, Resolution] = {}
    if names:
        vault = open_vault(args)
        results = resolve_names(vault, names, args.url, action="run")
        if not report_unresolved(results):
            return ExitCode.UNRESOLVED
    values = {n: r.value or "" for n, r in results.items()}
    for k, v in templated.items():
        env[k] = render(v, values)
    shown = list(command)  # messages name the arguments as typed, references unrendered
    if args.expose_argv:
        command = [render(a, values) for a in command]
    secrets = [v for v in values.values() if v]
    # A NUL (from the env file or a value) cannot be passed on: exec would refuse it.
    with_nul = [f"${k}" for k, v in env.items() if "\0" in v]
    with_nul += [f"argument {i}" for i, a in enumerate(command) if "\0" in a]
    if with_nul:
        raise VaultError(f"{with_nul[0]} would hold a NUL character, which no program can receive")
    launch = Launch(
        argv=command,
        env=env,
        shown_argv=shown,
        values=[] if args.no_masking else secrets,
        use_pty=not args.no_pty,
    )
    try:
        return run_child(launch)
    except ExecFailed as e:
        say(f"{PROG}: {e.message}")
        return e.code


RUN_EXAMPLES = """\
examples:
  DATABASE_URL='{{vault:db-url}}' tui-vault run -- ./manage.py migrate
  tui-vault run --env-file app.env.tpl -- npm start
      (app.env.tpl holds lines such as API_KEY={{vault:api-key}})
  TOKEN='{{vault:api-token}}' tui-vault run --url https://api.example.com -- \\
      sh -c 'curl -H "Authorization: Bearer $TOKEN" https://api.example.com/'
      (--url: for a secret allowed only for some domains)

Values printed by the command show as ***** (--no-masking turns that off)."""


def register(add: AddCommand) -> None:
    p = add(
        "run",
        cmd_run,
        "run a command with references in its environment resolved and its output masked",
        epilog=RUN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--env-file", metavar="F", help="NAME=template lines added to the environment")
    p.add_argument("--url", type=url_arg, help="the URL the values are for")
    p.add_argument("--no-masking", action="store_true", help="do not mask values in the output")
    p.add_argument(
        "--no-pty",
        action="store_true",
        help="give the command pipes, not a pseudo-terminal, even when stdout is a terminal",
    )
    p.add_argument(
        "--expose-argv",
        action="store_true",
        help="allow references in CMD's arguments (values become visible in ps)",
    )
    p.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="-- CMD...", help="the command to run"
    )

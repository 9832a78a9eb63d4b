"""Every option of every subcommand is described in `--help`; provider options are grouped by
provider; completion scripts are generated from the same parser and are valid shell."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.helpers import REPO
from tui_vault.cli.common import Parser
from tui_vault.cli.parser import build_parser
from tui_vault.integrations.registry import provider_specs

from .conftest import Made

HIDDEN = {"__complete-names"}


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
    tuple[tuple[str, ...], argparse.ArgumentParser]
]:  # fmt: skip
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {a.dest for a in action._get_subactions()}
            for name, sub in action.choices.items():
                if name in HIDDEN:
                    assert name not in listed  # not in the command list
                    continue
                assert name in listed, f"{' '.join(path)} {name} has no one-line help"
                yield from walk(sub, (*path, name))


def full_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    assert isinstance(parser, Parser)
    return parser.complete()


def undocumented_in_help(text: str) -> list[str]:
    """Option lines of a --help text that carry no description (same or next line)."""
    lines = text.splitlines()
    bad = []
    for i, line in enumerate(lines):
        m = re.match(r"^  (-{1,2}[\w-]+(?:[ ,=][^ ].*?)?)(?:\s{2,}(\S.*))?$", line)
        if not m:
            continue
        description = m.group(2)
        if not description:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            indented = len(nxt) - len(nxt.lstrip()) > 4 and not nxt.strip().startswith("-")
            if not indented:
                bad.append(m.group(1))
    return bad


def test_every_option_of_every_subcommand_has_a_description() -> None:
    commands = list(walk(full_parser()))
    assert len(commands) > 25  # every command and action, the provider subcommands too
    for path, parser in commands:
        assert parser.description, f"`{' '.join(path)}` has no description"
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, f"`{' '.join(path)}` {action.option_strings or action.dest}"
        assert undocumented_in_help(parser.format_help()) == [], path


def test_the_help_checker_finds_an_undocumented_option() -> None:
    p = argparse.ArgumentParser(prog="x")
    p.add_argument("--described", help="yes")
    p.add_argument("--bare", metavar="B")
    assert undocumented_in_help(p.format_help()) == ["--bare B"]


def test_provider_options_are_grouped_by_provider() -> None:
    parser = full_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    link = sub.choices["link"].format_help()
    for spec in provider_specs():
        assert f"--provider {spec.name}: {spec.summary}" in link
    hashicorp = link.index("--provider hashicorp:")
    aws = link.index("--provider aws:")
    assert hashicorp < link.index("  --engine MOUNT") < aws < link.index("  --role-arn ARN")
    assert "also --secret-id URL" in link  # azure names the option it shares with aws

    integration = sub.choices["integration"]
    isub = next(a for a in integration._actions if isinstance(a, argparse._SubParsersAction))
    connect = isub.choices["connect"].format_help()
    assert "hashicorp: HashiCorp Vault / OpenBao. --url URL" in connect
    assert "The token, AppRole secret id or password comes on stdin." in connect
    csub = next(
        a for a in isub.choices["connect"]._actions if isinstance(a, argparse._SubParsersAction)
    )
    aws_help = csub.choices["aws"].format_help()
    assert "aws options:" in aws_help and "--access-key-id ID" in aws_help
    assert "disconnect" in isub.choices and "one of hashicorp, aws, azure, 1password" in (
        isub.choices["disconnect"].format_help()
    )


def test_provider_options_come_from_the_providers_fields() -> None:
    """A field's option, metavar and help are what --help shows: nothing is written twice."""
    parser = full_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    connect = next(
        a for a in sub.choices["integration"]._actions if isinstance(a, argparse._SubParsersAction)
    ).choices["connect"]
    providers = next(a for a in connect._actions if isinstance(a, argparse._SubParsersAction))
    for spec in provider_specs():
        options = {o: a for a in providers.choices[spec.name]._actions for o in a.option_strings}
        for field in spec.connect_fields:
            if field.secret or not field.cli:
                assert field.option not in options
                continue
            assert options[field.option].help == field.description


def test_parser_is_built_without_provider_modules() -> None:
    """`get` must not pay for the providers: their options are added only when needed."""
    code = (
        "import sys; from tui_vault.cli.parser import build_parser; build_parser()\n"
        "print(sorted(m for m in sys.modules if m.startswith('tui_vault.integrations')))"
    )
    python = REPO / ".venv" / "bin" / "python"
    out = subprocess.run(
        [str(python if python.exists() else "python3"), "-c", code],
        capture_output=True, text=True, check=True, cwd=REPO,
    ).stdout  # fmt: skip
    assert out.strip() == "[]"


# ----------------------------------------------------------------------------- completion


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_valid_shell(cli: CliRunner, shell: str, tmp_path: Path) -> None:
    code, out, err = cli(["completion", shell])
    assert code == 0 and err == ""
    assert "__complete-names" in out  # secret names
    assert "--secret-id" in out and "--access-key-id" in out  # provider options too
    script = tmp_path / f"tui-vault.{shell}"
    script.write_text(out)
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed (make system-deps installs it)")
    check = subprocess.run([binary, "-n", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_bash_completes_commands_options_and_secret_names(
    cli: CliRunner, made: Made, tmp_path: Path, home: Path
) -> None:
    made.vault.set_value("alpha", "x")
    made.vault.set_value("beta", "y")
    code, script, _ = cli(["completion", "bash"])
    assert code == 0
    (tmp_path / "c.bash").write_text(script)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = REPO / ".venv" / "bin" / "python"
    launcher = bin_dir / "tui-vault"
    launcher.write_text(f'#!/bin/sh\nexec "{python}" -m tui_vault "$@"\n')
    launcher.chmod(0o755)

    def complete(*words: str, env: dict[str, str]) -> list[str]:
        line = " ".join(("tui-vault", *words))
        quoted = " ".join(shlex.quote(w) for w in words)
        program = (
            f"source {tmp_path / 'c.bash'}\n"
            f"COMP_WORDS=(tui-vault {quoted})\n"
            f"COMP_CWORD={len(words)}\nCOMP_LINE={line!r}\nCOMP_POINT=${{#COMP_LINE}}\n"
            "_shtab_tui_vault\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
        )
        run = subprocess.run(
            ["bash", "-c", program], capture_output=True, text=True, timeout=60,
            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(REPO),
                 "TUI_VAULT_NO_KEYRING": "1", **env},
        )  # fmt: skip
        return sorted(w for w in run.stdout.split() if w)

    assert complete("get", "", env=made.env) == ["alpha", "beta"]
    assert complete("unset", "al", env=made.env) == ["alpha"]
    assert "generate" in complete("ge", env=made.env)
    assert complete("link", "x", "--provider", "", env=made.env) == sorted(
        ["hashicorp", "aws", "azure", "1password"]
    )
    assert complete("integration", "connect", "aws", "--reg", env=made.env) == ["--region"]
    # No key at hand: no names, no prompt, no noise.
    no_key = {"TUI_VAULT_PATH": str(made.path)}
    assert complete("get", "", env=no_key) == []


def test_complete_names_is_quiet_without_a_key(cli: CliRunner, made: Made) -> None:
    made.vault.set_value("alpha", "x")
    assert cli(["__complete-names"], env=made.env) == (0, "alpha\n", "")
    assert cli(["__complete-names"], env={"TUI_VAULT_PATH": str(made.path)}) == (0, "", "")
    assert "__complete-names" not in cli(["--help"]).out


@pytest.mark.parametrize("command", ["run", "inject"])
def test_run_and_inject_help_show_examples_that_parse(cli: CliRunner, command: str) -> None:
    """The examples are printed as written (one per line, not reflowed), and each
    `tui-vault ...` in them is a command line the parser takes."""
    from tui_vault.cli.inject import INJECT_EXAMPLES
    from tui_vault.cli.run import RUN_EXAMPLES

    examples = RUN_EXAMPLES if command == "run" else INJECT_EXAMPLES
    out = cli([command, "--help"]).out
    assert examples in out
    joined = examples.replace("\\\n", " ")  # a line ending in \ goes on below
    lines = [line.strip() for line in joined.splitlines() if "tui-vault " in line]
    assert len(lines) >= 3
    parser = build_parser()
    for line in lines:
        words = shlex.split(line.split("<")[0])
        argv = words[words.index("tui-vault") + 1 :]
        assert argv[0] == command, line
        args = parser.parse_args(argv)
        assert args.func.__name__ == f"cmd_{command}", line
        if command == "run":  # (run's own `command` is the child's argv)
            assert args.command[0] == "--" and len(args.command) > 1, line

"""A command line naming its command gets a parser with only that command's module
(cli/parser.py: parser_for): it must parse, and refuse, exactly like the whole parser."""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.cli.parser import REGISTER, build_parser, command_of, parser_for, plain_get

REPO = Path(__file__).resolve().parents[2]


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_register_table_names_what_each_module_adds() -> None:
    assert _commands(build_parser()) == [n for _m, _f, names in REGISTER for n in names]
    for _module, _function, names in REGISTER:
        for name in names:
            assert set(names) <= set(_commands(build_parser(only=name)))
            assert name in _commands(parser_for([name]))


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["get", "X"], "get"),
        (["--vault", "get", "list"], "list"),
        (["--vault=/v", "--accept-rollback", "set", "A"], "set"),
        (["--key-file", "k", "run", "--", "env"], "run"),
        ([], None),
        (["--help"], None),
        (["-h", "get"], None),
        (["--version"], None),
        (["--vau", "/v", "get", "X"], None),  # an abbreviation: the whole parser decides
        (["--", "get"], None),
        (["nosuch"], None),
        (["--vault"], None),
        (["__complete-names"], "__complete-names"),
    ],
)
def test_command_of(argv: list[str], command: str | None) -> None:
    assert command_of(argv) == command


def _outcome(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[object, ...]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            ns = parser.parse_args(argv)
        except SystemExit as e:
            return ("exit", e.code, out.getvalue(), err.getvalue())
    # A handler made per parser (needs_action's closure) compares by what it is.
    items = {k: (v.__module__, v.__qualname__) if callable(v) else v for k, v in vars(ns).items()}
    return ("ok", sorted(items.items()))


@pytest.mark.parametrize(
    "argv",
    [
        ["get", "NAME"],
        ["get", "NAME", "--url", "https://x.io/"],
        ["get", "NAME", "--url", "http://a\\@b/"],
        ["get"],
        ["get", "A", "B"],
        ["get", "--nosuch", "A"],
        ["get", "--help"],
        ["--vault", "/v", "get", "NAME", "--key-file", "/k"],
        ["--vault=/v", "--accept-rollback", "list", "--json"],
        ["list", "--json", "--vault", "/w"],
        ["set", "A", "--enable", "--disable"],
        ["set", "A", "--allowed-domains", "x.io", "extra"],
        ["unset"],
        ["run", "--", "env"],
        ["inject", "--help"],
        ["init", "--key-file", "/k"],
        ["integration", "connect", "aws", "--help"],
        ["link", "A", "--help"],
        ["export", "-o", "/x", "--format", "nosuch"],
        ["cache"],
        ["completion", "bash"],
        ["__complete-names"],
    ],
)
def test_partial_parser_parses_and_refuses_like_the_whole(argv: list[str]) -> None:
    assert command_of(argv) is not None
    assert _outcome(parser_for(argv), argv) == _outcome(build_parser(), argv)


def test_get_imports_no_other_command_module() -> None:
    code = (
        "import sys; from tui_vault.cli.parser import parser_for\n"
        "parser_for(['get', 'X']).parse_args(['get', 'X'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('tui_vault.cli.')))"
    )
    # cli.argparser is the parser's class (with argparse), no command module.
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert (
        out.strip()
        == "['tui_vault.cli.argparser', 'tui_vault.cli.common', 'tui_vault.cli.parser', "
        "'tui_vault.cli.secrets']"
    )


# ------------------------------------------------------------------ `get` read without a parser


def _plain(argv: list[str]) -> tuple[object, ...] | None:
    ns = plain_get(argv)
    if ns is None:
        return None
    items = {k: (v.__module__, v.__qualname__) if callable(v) else v for k, v in vars(ns).items()}
    return ("ok", sorted(items.items()))


@pytest.mark.parametrize(
    "argv",
    [
        ["get", "NAME"],
        ["--vault", "/v", "get", "NAME"],
        ["--vault=/v", "--key-file", "/k", "--accept-rollback", "get", "NAME"],
        ["get", "NAME", "--url", "https://x.io/a?b"],
        ["get", "--url=https://x.io", "NAME", "--vault", "/w", "--key-file=/k"],
        ["get", "NAME", "--accept-rollback"],
        ["--vault", "get", "get", "get"],  # the vault is a file named "get", and so is NAME
        ["get", "a=b"],
    ],
)
def test_plain_get_reads_like_the_parser(argv: list[str]) -> None:
    assert _plain(argv) == _outcome(build_parser(), argv)
    # Its namespace (no argparse.Namespace: argparse is not loaded for it) equals the
    # parser's, either way round, and differs from one that differs.
    plain, parsed = plain_get(argv), build_parser().parse_args(argv)
    assert plain == parsed and parsed == plain
    assert (plain != parsed) is False and (parsed != plain) is False
    assert repr(plain) == repr(parsed)
    assert ("name" in plain) and ("nosuch" not in plain)
    parsed.name = "other"
    assert plain != parsed and parsed != plain


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["get"],
        ["get", "A", "B"],
        ["get", "--", "A"],
        ["get", "-A"],
        ["get", ""],
        ["get", "A", "--url"],
        ["get", "A", "--url", "http://a\\@b/"],  # the parser's message about the URL
        ["get", "A", "--ur", "https://x.io"],
        ["get", "A", "--help"],
        ["-h", "get", "A"],
        ["--vault", "/v", "--vault", "/w", "get", "A"],
        ["--vault", "/v", "get", "A", "--vault", "/w"],
        ["get", "A", "--vault", "-x"],
        ["get", "A", "--vault="],
        ["get", "A", "--accept-rollback", "--accept-rollback"],
        ["--url", "https://x.io", "get", "A"],  # not an option of the main parser
        ["list"],
        ["set", "A"],
    ],
)
def test_plain_get_leaves_anything_else_to_the_parser(argv: list[str]) -> None:
    assert plain_get(argv) is None


WORDS = [
    "get",
    "NAME",
    "x",
    "--vault",
    "--vault=/v",
    "/v",
    "--key-file",
    "--key-file=k",
    "--accept-rollback",
    "--url",
    "--url=https://y.io",
    "https://x.io/",
    "http://a\\@b/",
    "-x",
    "--",
    "",
    "--va",
    "-h",
    "a=b",
    "-1",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=7))
def test_plain_get_agrees_with_the_parser_on_any_words(argv: list[str]) -> None:
    plain = _plain(argv)
    if plain is not None:
        assert plain == _outcome(build_parser(), argv)

"""Exit codes by cause, for every command (DESIGN.md §5, pinned):

2 any invalid argument (unknown option, bad secret name, a value on argv, options that do not
go together or are missing, an unknown provider); 3 anything about the key (none available,
not a valid key, wrong key); 4 unresolved references in `get`, `inject` and `run`; 1
everything else (files, passwords of exports, servers, policy); `run` passes on its child's
code (127: not found).

One table, run in parallel: (command line, stdin, environment, code, words of the message).
Every failure is one line on stderr, changes nothing, and shows no value.
"""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import CliRunner
from tests.helpers import assert_one_line_error, run_parallel
from tui_vault.core.model import Link
from tui_vault.core.vaultkey import encode_key, generate_key

from .conftest import Made

MARKER = "MARKER-exit-codes-5d1e"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_exit_codes_by_cause(cli: CliRunner, made: Made, home: Path) -> None:
    v = made.vault
    v.set_value("A", MARKER)
    v.set_value("OFF", MARKER, enabled=False)
    v.link("L", Link("aws", {"secret_id": "db"}))
    before = made.path.read_bytes()
    env = made.env
    no_key = {"TUI_VAULT_PATH": str(made.path)}
    wrong_key = {**env, "TUI_VAULT_KEY": encode_key(generate_key())}
    bad_key = {**env, "TUI_VAULT_KEY": "TV1-NOT-A-KEY"}
    nowhere = {**env, "TUI_VAULT_PATH": str(home / "none" / "vault.json")}
    missing = str(home / "missing.json")
    corrupt = home / "corrupt.json"
    corrupt.write_text("{not json")
    template = home / "t.txt"
    template.write_text("x={{vault:NOPE}}\n")
    out_dir_missing = str(home / "no-dir" / "out.json")
    server = f"http://127.0.0.1:{_closed_port()}"
    aws = ["--provider", "aws", "--secret-id", "db"]
    hc = ["integration", "connect", "hashicorp", "--url", server]

    cases: list[tuple[list[str], str | None, dict[str, str], int, str]] = [
        # 2: usage — unknown commands and options, missing or conflicting arguments
        (["nosuch"], None, env, 2, "invalid choice"),
        (["get"], None, env, 2, "required: NAME"),
        (["get", "A", "--bogus"], None, env, 2, "unrecognized arguments"),
        (["set", "A", MARKER], None, env, 2, "never taken from the command line"),
        (["set", "bad/name"], "x", env, 2, "invalid secret name"),
        (["set", "--", "-x"], "x", env, 2, "cannot start with '-'"),
        (["get", "bad/name"], None, env, 2, "invalid secret name"),
        (["get", "n" * 129], None, env, 2, "longer than 128"),
        (["unset", "bad/name"], None, env, 2, "invalid secret name"),
        (["unset", "n" * 129], None, env, 2, "longer than 128"),
        (["unlink", "bad name"], None, env, 2, "invalid secret name"),
        (["unlink", "n" * 129], None, env, 2, "longer than 128"),
        (["push", "bad/name", *aws], None, env, 2, "invalid secret name"),
        (["push", "n" * 129, *aws], None, env, 2, "longer than 128"),
        (["set", "A", "--enable", "--disable"], None, env, 2, "not allowed with"),
        (["set", "A", "--allowed-domains", "*"], "x", env, 2, "invalid allowed domain"),
        (["unset"], None, env, 2, "required: NAME"),
        (["list", "--jsn"], None, env, 2, "unrecognized arguments"),
        (["inject", "--nope"], None, env, 2, "unrecognized arguments"),
        (["run"], None, env, 2, "no command to run"),
        (["run", "--", "echo", "{{vault:A}}"], None, env, 2, "--expose-argv"),
        (["export", "-o", missing], None, env, 2, "required: --format"),
        (["export", "-o", missing, "--format", "zip"], None, env, 2, "invalid choice"),
        (["export", "-o", missing, "--format", "encrypted"], None, env, 2, "--password-stdin"),
        (["import"], None, env, 2, "required: FILE"),
        (["import", missing, "--on-duplicate", "merge"], None, env, 2, "invalid choice"),
        (["clear"], None, env, 2, "--yes"),
        (["reset"], None, env, 2, "--yes"),
        (["cache"], None, env, 2, "needs an action"),
        (["integration"], None, env, 2, "needs an action"),
        (["integration", "connect"], None, env, 2, "required: PROVIDER"),
        (["integration", "connect", "gcp"], None, env, 2, "invalid choice"),
        (["integration", "disconnect", "gcp"], None, env, 2, "invalid choice"),
        ([*hc], "t", env, 2, "required: --auth"),
        ([*hc, "--auth", "approle"], "s", env, 2, "--auth approle needs --role-id"),
        ([*hc, "--auth", "token"], None, env, 2, "the token on stdin is empty"),
        ([*hc, "--auth", "token", "--ca-bundle", missing], "t", env, 2, "not a readable file"),
        (
            ["integration", "connect", "aws", "--region", "us-east-1", "--profile", "p",
             "--access-key-id", "AKIA"],
            "s", env, 2, "not both",
        ),
        (["integration", "connect", "aws", "--region", "nowhere"], None, env, 2, "region"),
        (["integration", "connect", "1password", "--no-verify"], "nope", env, 2, "ops_"),
        (["link", "N"], None, env, 2, "required: --provider"),
        (["link", "N", "--provider", "gcp"], None, env, 2, "invalid choice"),
        (["link", "N", "--provider", "aws"], None, env, 2, "needs secret name or arn"),
        ([*["link", "N"], *aws, "--role-arn", "ARN"], None, env, 2, "role/NAME"),
        ([*["link", "N"], *aws, "--engine", "kv"], None, env, 2, "not an option of"),
        (
            [*["link", "N"], *aws, "--version-id", "1", "--version-stage", "S"],
            None, env, 2, "not both",
        ),
        (["link", "bad name", *aws], None, env, 2, "invalid secret name"),
        (["unlink"], None, env, 2, "required: NAME"),
        (["generate", "G", "--length", "many"], None, env, 2, "not a whole number"),
        (["generate", "G", "--length", "2"], None, env, 2, "between 4 and 4096"),
        (["generate", "G", "--chars", "emoji"], None, env, 2, "unknown character class"),
        (["generate", "-G"], None, env, 2, "required: NAME"),
        (["completion"], None, env, 2, "required: SHELL"),
        (["completion", "tcsh"], None, env, 2, "invalid choice"),
        # 3: the key — none at hand, not a key, the wrong key, an unreadable key file
        (["get", "A"], None, no_key, 3, "no vault key"),
        (["set", "A"], "x", no_key, 3, "no vault key"),
        (["unset", "A"], None, no_key, 3, "no vault key"),
        (["list"], None, no_key, 3, "no vault key"),
        (["inject"], "{{vault:A}}", no_key, 3, "no vault key"),
        (["run", "--", "true"], None, {**no_key, "T": "{{vault:A}}"}, 3, "no vault key"),
        (["generate", "G"], None, no_key, 3, "no vault key"),
        ([*["link", "N"], *aws], None, no_key, 3, "no vault key"),
        (["integration", "status", "--no-check"], None, no_key, 3, "no vault key"),
        (["clear", "--yes"], None, no_key, 3, "no vault key"),
        (["export", "-o", missing, "--format", "plaintext"], None, no_key, 3, "no vault key"),
        (["--key-file", missing, "list"], None, no_key, 3, "does not exist"),
        (["list"], None, wrong_key, 3, "wrong key for this vault"),
        (["get", "A"], None, bad_key, 3, "not a valid vault key"),
        (["unlink", "L"], None, wrong_key, 3, "wrong key"),
        # 4: unresolved references, only where values are resolved
        (["get", "NOPE"], None, env, 4, "{{vault:NOPE}} unresolved (unknown name)"),
        (["get", "OFF"], None, env, 4, "disabled"),
        (["get", "L"], None, env, 4, "integration disconnected"),
        (["inject", "-i", str(template)], None, env, 4, "{{vault:NOPE}}"),
        (["run", "--", "true"], None, {**env, "T": "{{vault:NOPE}}"}, 4, "{{vault:NOPE}}"),
        # 1: everything else — files, servers, state
        (["unset", "NOPE"], None, env, 1, "no secret named 'NOPE'"),
        (["unlink", "A"], None, env, 1, "is not linked"),
        (["set", "L"], "x", env, 1, "linked"),
        (["get", "A"], None, nowhere, 1, "tui-vault init"),
        (["init"], None, env, 1, "already exists"),
        (["reset", "--yes"], None, nowhere, 1, "nothing to reset"),
        (["inject", "-i", missing], None, env, 1, "does not exist"),
        (["import", missing], None, env, 1, "missing.json"),
        (["import", str(corrupt)], None, env, 1, "corrupt.json"),
        (["export", "-o", out_dir_missing, "--format", "plaintext"], None, env, 1, "no-dir"),
        (
            ["export", "-o", missing, "--format", "encrypted", "--password-stdin"],
            "short\n", env, 1, "at least 12 characters",
        ),
        ([*hc, "--auth", "token"], "t", env, 1, "HashiCorp unreachable: cannot reach"),
        # run passes on its child's ending
        (["run", "--", "sh", "-c", "exit 7"], None, env, 7, ""),
        (["run", "--", "no-such-command-here"], None, env, 127, "command not found"),
    ]  # fmt: skip
    results = run_parallel(cli, [(args, stdin, e) for args, stdin, e, *_ in cases])
    wrong = [
        (args, code, got)
        for (args, _, _, code, words), got in zip(cases, results, strict=True)
        if got.code != code or (words and words not in got.err)
    ]
    assert not wrong, "\n".join(f"{a}: want {c}, got {g}" for a, c, g in wrong)
    for (args, *_, words), got in zip(cases, results, strict=True):
        assert MARKER not in got.out + got.err, (args, got)
        if words:
            assert_one_line_error(got.err)
    assert made.path.read_bytes() == before  # no failure changed the vault

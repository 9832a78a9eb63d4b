"""Standard output that cannot be written, `-o -`, files the key must never go to, and the
words of read errors (DESIGN.md §5: one clear line, the pinned exit code).

A closed or full stdout is "cannot write to standard output: REASON", exit 1, for every
command that prints; a command that prints nothing (`set`) works with stdout closed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.helpers import MARKER, PYTHON, CliResult, assert_one_line_error, clean_env

from .conftest import Made


def run_redirected(
    home: Path, args: list[str], redirect: str, env: dict[str, str], stdin: str = ""
) -> CliResult:
    """`python -m tui_vault ARGS REDIRECT` through bash: `>&-` closes fd 1 before the program
    starts (Python's sys.stdout is then None), `>/dev/full` makes every write fail."""
    line = f'"$PY" -m tui_vault "$@" {redirect}'
    done = subprocess.run(
        ["bash", "-c", line, "bash", *args],
        input=stdin.encode(),
        env=clean_env(home, {**env, "PY": PYTHON}),
        capture_output=True,
        cwd=home,
        timeout=60,
        check=False,
    )
    return CliResult(done.returncode, done.stdout.decode(), done.stderr.decode())


PRINTING = [
    (["get", "A"], ""),
    (["list"], ""),
    (["list", "--json"], ""),
    (["inject"], "x={{vault:A}}\n"),
    (["completion", "bash"], ""),
    (["--help"], ""),
    (["export", "-o", "-", "--format", "plaintext"], ""),
    (["run", "--", "sh", "-c", 'echo "$T"; echo done'], ""),
]


@pytest.mark.parametrize("redirect", [">&-", ">/dev/full"])
@pytest.mark.parametrize(("args", "stdin"), PRINTING, ids=lambda a: " ".join(a) or "-")
def test_a_closed_or_full_stdout_is_one_line_and_exit_1(
    made: Made, home: Path, redirect: str, args: list[str], stdin: str
) -> None:
    made.vault.set_value("A", MARKER)
    env = {**made.env, "T": "{{vault:A}}"}
    code, _, err = run_redirected(home, args, redirect, env, stdin)
    line = assert_one_line_error(err)
    reason = "it is closed" if redirect == ">&-" else "no space left on device"
    assert line.startswith(f"tui-vault: cannot write to standard output: {reason}"), line
    assert code == 1
    assert MARKER not in err


def test_set_works_with_stdout_closed(made: Made, home: Path, cli: CliRunner) -> None:
    code, _, err = run_redirected(home, ["set", "B"], ">&-", made.env, stdin=MARKER)
    assert code == 0, err
    assert cli(["get", "B"], env=made.env).out == MARKER + "\n"


def test_init_with_stdout_closed_creates_nothing(home: Path) -> None:
    # The key would be printed into nothing: the vault would exist, its only key lost.
    vault = home / "v" / "vault.json"
    args = ["--vault", str(vault), "init", "--no-keyring"]
    code, _, err = run_redirected(home, args, ">&-", {})
    assert code == 1 and "--key-file" in assert_one_line_error(err)
    assert not vault.exists()


def test_a_new_key_that_cannot_be_printed_leaves_no_vault(home: Path) -> None:
    """stdout full (/dev/full): init removes the vault it made again (its only key went
    nowhere), and says so in one line."""
    vault = home / "v" / "vault.json"
    args = ["--vault", str(vault), "init", "--no-keyring"]
    code, _, err = run_redirected(home, args, ">/dev/full", {})
    line = assert_one_line_error(err)
    assert code == 1 and "no space left" in line and "no vault was created" in line
    assert not vault.exists() and not vault.with_name("vault.json.bak").exists()
    code, out, _ = run_redirected(home, args, "", {})  # and then init works, as ever
    assert code == 0 and out.startswith("TV1-") and vault.exists()


SUFFIXES = ["", ".bak", ".cache", ".lock", ".log", ".log.head", ".passphrase"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_init_refuses_a_key_file_among_the_vault_files(
    cli: CliRunner, home: Path, suffix: str
) -> None:
    vault = home / "v" / "vault.json"
    vault.parent.mkdir(mode=0o700)
    target = vault.with_name(vault.name + suffix)
    code, out, err = cli(["--vault", str(vault), "init", "--no-keyring", "--key-file", str(target)])
    line = assert_one_line_error(err)
    assert code == 2 and "is the vault or one of its files" in line, line
    assert "already exists" not in line
    assert out == "" and list(vault.parent.iterdir()) == []  # nothing created


def test_reset_refuses_a_key_file_among_the_vault_files(
    cli: CliRunner, made: Made, home: Path
) -> None:
    before = made.path.read_bytes()
    target = made.path.with_name(made.path.name + ".bak")
    code, _, err = cli(["reset", "--yes", "--key-file", str(target)], env=made.env)
    assert code == 2 and "is the vault or one of its files" in assert_one_line_error(err)
    assert made.path.read_bytes() == before and not target.exists()


def test_init_on_a_directory_says_so(cli: CliRunner, home: Path) -> None:
    folder = home / "somedir"
    folder.mkdir()
    code, _, err = cli(["--vault", str(folder), "init", "--no-keyring"])
    line = assert_one_line_error(err)
    assert code == 1 and "is a directory" in line and "already exists" not in line
    assert list(folder.iterdir()) == []


def test_export_dash_is_standard_output(cli: CliRunner, made: Made, home: Path) -> None:
    made.vault.set_value("A", MARKER)
    code, out, err = cli(["export", "-o", "-", "--format", "plaintext"], env=made.env)
    assert code == 0, err
    assert [e["value"] for e in json.loads(out)] == [MARKER]
    assert "to standard output" in err and not (home / "-").exists()
    code, out, err = cli(
        ["export", "-o", "-", "--format", "encrypted", "--password-stdin"],
        stdin="a long enough password\n",
        env=made.env,
    )
    assert code == 0, err
    assert MARKER not in out and json.loads(out)
    assert "to standard output" in err and not (home / "-").exists()


def test_export_dash_follows_the_policy(cli: CliRunner, made: Made, home: Path) -> None:
    made.vault.set_value("A", MARKER)
    policy = home / "policy.toml"
    policy.write_text('[export]\nallow = ["encrypted"]\n')
    env = {**made.env, "TUI_VAULT_POLICY": str(policy)}
    code, out, err = cli(["export", "-o", "-", "--format", "plaintext"], env=env)
    assert code == 1 and "admin policy" in assert_one_line_error(err)
    assert out == "" and not (home / "-").exists()


def test_inject_dash_is_standard_output(cli: CliRunner, made: Made, home: Path) -> None:
    made.vault.set_value("A", MARKER)
    code, out, err = cli(["inject", "-o", "-"], stdin="x={{vault:A}}\n", env=made.env)
    assert (code, out) == (0, f"x={MARKER}\n"), err
    assert not (home / "-").exists()


def test_read_errors_are_said_in_words(cli: CliRunner, made: Made, home: Path) -> None:
    binary = home / "t2"
    binary.write_bytes(b"\xff\xfe{{vault:A}}\n")
    folder = home / "folder"
    folder.mkdir()
    cases = [
        (["inject", "-i", str(binary)], "cannot read template", "is not UTF-8 text"),
        (["inject", "-i", str(folder)], "cannot read template", "is a directory"),
        (["run", "--env-file", str(binary), "--", "true"], "cannot read env file", "UTF-8"),
        (["run", "--env-file", str(folder), "--", "true"], "cannot read env file", "directory"),
    ]
    for args, what, why in cases:
        code, _, err = cli(args, env=made.env)
        line = assert_one_line_error(err)
        assert code == 1 and what in line and why in line, (args, line)
        assert "Error" not in line, line  # no exception class name


def test_cache_reset_with_a_directory_in_its_place(cli: CliRunner, made: Made) -> None:
    cache = made.path.with_name(made.path.name + ".cache")
    cache.mkdir()
    code, _, err = cli(["cache", "reset"], env=made.env)
    line = assert_one_line_error(err)
    assert code == 1 and "is a directory" in line and "unexpected" not in line
    assert cache.is_dir()


def test_env_file_with_crlf_lines_still_reads(cli: CliRunner, made: Made, home: Path) -> None:
    made.vault.set_value("A", "value-of-a")
    env_file = home / "app.env"
    env_file.write_bytes(b"T={{vault:A}}\r\nU=plain\r\n")
    code, out, err = cli(
        ["run", "--no-masking", "--env-file", str(env_file), "--", "sh", "-c", 'echo "$T/$U"'],
        env=made.env,
    )
    assert (code, out) == (0, "value-of-a/plain\n"), err

"""`inject` and `run`: templates, environment injection, masking, argv safety, exit codes."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import threading
from pathlib import Path

from tests.conftest import CliRunner
from tests.helpers import MARKER, assert_one_line_error, run_parallel

from .conftest import Made

SHA = hashlib.sha256(MARKER.encode()).hexdigest()
PRINT_CMDLINE_AND_HASH = (
    "import hashlib, os, sys\n"
    "sys.stdout.write(open('/proc/self/cmdline', 'rb').read().decode().replace(chr(0), ' '))\n"
    "print()\n"
    "print(hashlib.sha256(os.environ['TOKEN'].encode()).hexdigest())\n"
)


def fill(made: Made) -> None:
    made.vault.set_value("A", MARKER)
    made.vault.set_value("B", "bee")
    made.vault.set_value("WEB", "web-value", allowed_domains="api.example.com")


# ---------------------------------------------------------------------------- inject


def test_inject_stdin_to_stdout(cli: CliRunner, made: Made) -> None:
    fill(made)
    template = "a={{vault:A}}\nb={{vault:B}} again {{vault:A}}\nkeep={{other}} {{ vault:A }}\n"
    code, out, err = cli(["inject"], stdin=template, env=made.env)
    assert code == 0, err
    assert out == f"a={MARKER}\nb=bee again {MARKER}\nkeep={{{{other}}}} {{{{ vault:A }}}}\n"
    assert MARKER not in err


def test_inject_files(cli: CliRunner, made: Made, home: Path) -> None:
    fill(made)
    src, dst = home / "in.tmpl", home / "out" / "config.env"
    dst.parent.mkdir()
    src.write_text("TOKEN={{vault:A}}\n")
    code, out, err = cli(["inject", "-i", str(src), "-o", str(dst)], env=made.env)
    assert code == 0, err
    assert out == ""
    assert dst.read_text() == f"TOKEN={MARKER}\n"
    assert stat.S_IMODE(dst.stat().st_mode) == 0o600
    code, out, _ = cli(["inject", "-i", "-", "-o", "-"], stdin="{{vault:B}}", env=made.env)
    assert (code, out) == (0, "bee")


def test_inject_unresolved_writes_nothing(cli: CliRunner, made: Made, home: Path) -> None:
    fill(made)
    src, dst = home / "in.tmpl", home / "out.env"
    src.write_text("A={{vault:A}} N={{vault:NOPE}} W={{vault:WEB}}\n")
    code, out, err = cli(["inject", "-i", str(src), "-o", str(dst)], env=made.env)
    assert code == 4 and out == ""
    assert not dst.exists()
    assert "{{vault:NOPE}}" in err and "unknown name" in err
    assert "{{vault:WEB}}" in err and "domain not allowed" in err
    assert "Traceback" not in err and MARKER not in err
    code, out, err = cli(["inject"], stdin="A={{vault:A}} N={{vault:NOPE}}", env=made.env)
    assert code == 4 and out == "" and MARKER not in err


def test_inject_with_url(cli: CliRunner, made: Made) -> None:
    fill(made)
    args = ["inject", "--url", "https://api.example.com/v1"]
    assert cli(args, stdin="{{vault:WEB}}", env=made.env).out == "web-value"


def test_inject_missing_template(cli: CliRunner, made: Made, home: Path) -> None:
    code, _, err = cli(["inject", "-i", str(home / "nope.tmpl")], env=made.env)
    assert code == 1 and "does not exist" in assert_one_line_error(err)


# ---------------------------------------------------------------------------- run


def test_run_injects_the_environment_and_masks_output(cli: CliRunner, made: Made) -> None:
    fill(made)
    script = (
        'printf %s "$TOKEN" | sha256sum; echo "out:$TOKEN"; echo "err:$TOKEN" >&2; '
        'printf %s "${TOKEN%%9c*}"; printf "%s\\n" "${TOKEN#*7f3a}"; '
        'echo "b=$BEE plain=$PLAIN"'
    )
    env = {**made.env, "TOKEN": "{{vault:A}}", "BEE": "{{vault:B}}", "PLAIN": "{{other}}"}
    code, out, err = cli(["run", "--", "sh", "-c", script], env=env)
    assert code == 0, err
    assert MARKER not in out and MARKER not in err
    lines = out.splitlines()
    assert lines[0].startswith(SHA), "the child saw the real value"
    assert lines[1] == "out:*****"
    assert lines[2] == "*****", "a value written in two pieces is still masked"
    assert lines[3] == "b=***** plain={{other}}"
    assert err == "err:*****\n"


def test_a_value_on_stdout_is_masked_when_stderr_is_read_between_its_pieces(
    cli: CliRunner, made: Made
) -> None:
    """The child writes the start of a value to stdout, a line to stderr, then the rest of
    the value: `run` reads the stderr line between the two pieces. One masker over both
    streams' reads decided the held start by the stderr bytes after it and showed it, then
    the rest (found by a loaded CI run of the test above)."""
    fill(made)
    script = (
        'printf %s "${TOKEN%%9c*}"; sleep 0.01; echo "err:line" >&2; sleep 0.02; '
        'printf "%s\\n" "${TOKEN#*7f3a}"'
    )
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    for _ in range(3):
        code, out, err = cli(["run", "--", "sh", "-c", script], env=env)
        assert (code, out, err) == (0, "*****\n", "err:line\n")


def test_run_without_masking(cli: CliRunner, made: Made) -> None:
    fill(made)
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    code, out, err = cli(
        ["run", "--no-masking", "--", "sh", "-c", 'echo "$TOKEN"; echo "$TOKEN" >&2'], env=env
    )
    assert code == 0
    assert out == MARKER + "\n" and err == MARKER + "\n"


def test_run_env_file(cli: CliRunner, made: Made, home: Path) -> None:
    fill(made)
    env_file = home / "app.env"
    env_file.write_text(
        "# comment\n\n"
        "DB_URL=postgres://u:{{vault:A}}@db/app\n"
        'export BEE="{{vault:B}}"\n'
        "LITERAL='no refs here'\n"
    )
    script = 'printf %s "$DB_URL" | sha256sum; echo "b=$BEE"; echo "lit=$LITERAL"; echo "$DB_URL"'
    code, out, err = cli(
        ["run", "--env-file", str(env_file), "--", "sh", "-c", script], env=made.env
    )
    assert code == 0, err
    lines = out.splitlines()
    expected = hashlib.sha256(f"postgres://u:{MARKER}@db/app".encode()).hexdigest()
    assert lines[0].startswith(expected)
    assert lines[1:] == ["b=*****", "lit=no refs here", "postgres://u:*****@db/app"]


def test_run_bad_env_file(cli: CliRunner, made: Made, home: Path) -> None:
    env_file = home / "bad.env"
    env_file.write_text("this is not an assignment\n")
    code, _, err = cli(["run", "--env-file", str(env_file), "--", "true"], env=made.env)
    assert code == 2 and "expected NAME=value" in assert_one_line_error(err)
    code, _, err = cli(["run", "--env-file", str(home / "none.env"), "--", "true"], env=made.env)
    assert code == 1 and "does not exist" in assert_one_line_error(err)


def test_run_masks_large_output(cli: CliRunner, made: Made) -> None:
    fill(made)
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    child = (
        "import os, sys\n"
        "v = os.environ['TOKEN']\n"
        "for i in range(2000): sys.stdout.write('x' * 997 + v + '\\n')\n"
    )
    code, out, _ = cli(["run", "--", sys.executable, "-c", child], env=env)
    assert code == 0
    assert MARKER not in out
    assert out.count("*****") == 2000 and len(out.splitlines()) == 2000


def test_run_refuses_references_in_argv(cli: CliRunner, made: Made, home: Path) -> None:
    fill(made)
    witness = home / "ran"
    code, out, err = cli(
        ["run", "--", "sh", "-c", f"touch {witness}", "x", "{{vault:A}}"], env=made.env
    )
    assert code == 2 and out == ""
    line = assert_one_line_error(err)
    assert "ps" in line and "environment" in line and "--expose-argv" in line
    assert not witness.exists()


def test_run_values_never_reach_the_childs_argv(cli: CliRunner, made: Made) -> None:
    fill(made)
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    code, out, err = cli(
        ["run", "--no-masking", "--", sys.executable, "-c", PRINT_CMDLINE_AND_HASH], env=env
    )
    assert code == 0, err
    *cmdline, digest = out.splitlines()
    assert digest == SHA, "the child got the value (in its environment)"
    assert "import hashlib" in "\n".join(cmdline)
    assert MARKER not in out, "...but not in its argv"


def test_run_expose_argv(cli: CliRunner, made: Made) -> None:
    fill(made)
    show = "import sys; print(' '.join(sys.argv[1:]))"
    args = ["run", "--expose-argv", "--", sys.executable, "-c", show, "tok={{vault:A}}"]
    code, out, err = cli(args, env=made.env)
    assert (code, out) == (0, "tok=*****\n"), err
    code, out, _ = cli(["run", "--expose-argv", "--no-masking", *args[2:]], env=made.env)
    assert out == f"tok={MARKER}\n"


def test_run_unresolved_does_not_start_the_child(cli: CliRunner, made: Made, home: Path) -> None:
    fill(made)
    witness = home / "ran"
    env = {**made.env, "TOKEN": "{{vault:NOPE}}", "OK": "{{vault:A}}"}
    code, out, err = cli(["run", "--", "sh", "-c", f"touch {witness}"], env=env)
    assert code == 4 and out == ""
    assert "{{vault:NOPE}}" in err and "unknown name" in err and MARKER not in err
    assert not witness.exists()


def test_run_exit_codes_stdin_and_environment(cli: CliRunner, made: Made) -> None:
    fill(made)
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    calls: list[tuple[list[str], str | None, dict[str, str]]] = [
        (["run", "--", "sh", "-c", "exit 7"], None, env),
        (["run", "--no-masking", "--", "sh", "-c", "exit 3"], None, env),
        (["run", "--", "sh", "-c", "kill -TERM $$"], None, env),
        (["run", "--", "sh", "-c", "exit 5"], None, {}),  # no references: no key needed
        (["run", "--", "cat"], "piped in\n", env),
        (["run", "--no-masking", "--", "env"], None, env),
        (["run", "--no-masking", "--", "env"], None, made.env),
        (["run", "--", "no-such-command-xyz"], None, env),
        (["run"], None, env),
    ]
    r = run_parallel(cli, calls)
    assert [x.code for x in r[:4]] == [7, 3, 143, 5]
    assert (r[4].code, r[4].out) == (0, "piped in\n")
    for x in r[5:7]:  # the key is never passed on; the rest of the environment is
        assert x.code == 0
        assert "TUI_VAULT_KEY" not in x.out and made.key not in x.out
        assert "TUI_VAULT_PATH=" in x.out
    assert r[7].code == 127 and "command not found" in assert_one_line_error(r[7].err)
    assert r[8].code == 2 and "no command" in assert_one_line_error(r[8].err)


def test_output_through_a_symlink_or_a_fifo_is_written_not_replaced(
    cli: CliRunner, made: Made, home: Path
) -> None:
    """`-o /dev/stdout` is a symlink; a FIFO or a device must stay what it is (the atomic
    rename used for plain files would put a file of secrets in its place)."""
    fill(made)
    target = home / "real.env"
    target.write_text("old\n")
    link = home / "link.env"
    link.symlink_to(target)
    dangling = home / "dangling.env"
    dangling.symlink_to(home / "new.env")
    code, _, err = cli(["inject", "-o", str(link)], stdin="T={{vault:A}}\n", env=made.env)
    assert code == 1 and "--force" in err  # an existing file is never replaced silently
    assert target.read_text() == "old\n"
    code, _, err = cli(
        ["inject", "-o", str(link), "--force"], stdin="T={{vault:A}}\n", env=made.env
    )
    assert code == 0, err
    assert link.is_symlink() and target.read_text() == f"T={MARKER}\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    code, _, err = cli(
        ["export", "-o", str(dangling), "--format", "plaintext"], stdin=None, env=made.env
    )
    assert code == 0, err
    assert dangling.is_symlink() and MARKER in (home / "new.env").read_text()
    assert stat.S_IMODE((home / "new.env").stat().st_mode) == 0o600

    fifo = home / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = cli(["inject", "-o", str(fifo)], stdin="T={{vault:B}}\n", env=made.env)
    reader.join(10)
    assert code == 0, err
    assert got == [b"T=bee\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)

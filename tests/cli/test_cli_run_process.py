"""`run` behaves like the command it wraps: pipes, a pseudo-terminal, signals, exit codes,
and masking of every form of a value. Each test runs the real program as a subprocess."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.helpers import MARKER, PYTHON, assert_one_line_error, clean_env

from .conftest import Made

TV = [PYTHON, "-m", "tui_vault"]
MULTI = (
    "-----BEGIN TEST KEY-----\nQUJDREVGR0hJSktMTU5P\r\nUFFSU1RVVldYWVo0NTY3\n-----END TEST KEY-----"
)
SPACED = 'pa ss/wo+rd&"q\\'  # changes under JSON escaping and every percent-encoding


def fill(made: Made) -> None:
    made.vault.set_value("A", MARKER)
    made.vault.set_value("ML", MULTI)
    made.vault.set_value("SP", SPACED)


def env_of(made: Made, home: Path, **extra: str) -> dict[str, str]:
    return clean_env(home, {**made.env, "TOKEN": "{{vault:A}}", **extra})


def script(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


def read_until(fd: int, needle: bytes, timeout: float = 20.0) -> bytes:
    """Read fd until needle shows up (or EOF/timeout); everything read so far."""
    got = b""
    deadline = time.monotonic() + timeout
    while needle not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got


# ---------------------------------------------------------------------------- pipes


@pytest.mark.parametrize("masking", [True, False])
def test_yes_into_head_ends_at_once_with_sigpipe(made: Made, home: Path, masking: bool) -> None:
    fill(made)
    opts = "" if masking else "--no-masking"
    line = f'"$PY" -m tui_vault run {opts} -- yes | head -1; echo "status=${{PIPESTATUS[0]}}"'
    t0 = time.monotonic()
    done = subprocess.run(
        ["bash", "-c", line],
        env=env_of(made, home, PY=PYTHON),
        capture_output=True,
        timeout=60,
        cwd=home,
    )
    assert done.stdout.decode() == "y\nstatus=141\n", done.stderr
    assert time.monotonic() - t0 < 30
    assert b"Traceback" not in done.stderr


def test_run_widens_a_small_output_pipe_and_never_narrows_one(made: Made, home: Path) -> None:
    # Masked output leaves in 1 MiB writes; a 64 KiB pipe to the reader would cut each into
    # sixteen hand-offs. Only the pipe's capacity changes; the bytes are the same.
    fill(made)
    for start, expected in ((65536, 1 << 20), (1 << 20, 1 << 20)):
        r, w = os.pipe()
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, start)
        proc = subprocess.Popen(
            [*TV, "run", "--", "sh", "-c", 'echo "$TOKEN"'],
            env=env_of(made, home),
            stdout=w,
            stderr=subprocess.PIPE,
            cwd=home,
        )
        os.close(w)
        out = read_until(r, b"\n")
        _, err = proc.communicate(timeout=60)
        assert (proc.returncode, out) == (0, b"*****\n"), err
        assert fcntl.fcntl(r, fcntl.F_GETPIPE_SZ) == expected
        os.close(r)


def test_child_exit_is_not_held_up_by_a_background_grandchild(cli: CliRunner, made: Made) -> None:
    fill(made)
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    t0 = time.monotonic()
    code, out, err = cli(
        ["run", "--", "sh", "-c", 'echo "$TOKEN"; sleep 60 & echo started; exit 5'], env=env
    )
    elapsed = time.monotonic() - t0
    assert (code, out) == (5, "*****\nstarted\n"), err
    assert elapsed < 30, "run waited for the grandchild (sleep 60) that holds its pipes"


def test_stdout_and_stderr_keep_their_order_under_2_to_1(made: Made, home: Path) -> None:
    fill(made)
    child = (
        "import os, sys, time\n"
        "v = os.environ['TOKEN']\n"
        "for i in range(4):\n"
        "    out = sys.stdout if i % 2 == 0 else sys.stderr\n"
        "    out.write(f'line{i} {v}\\n'); out.flush(); time.sleep(0.05)\n"
    )
    done = subprocess.run(
        [*TV, "run", "--", PYTHON, "-c", child],
        env=env_of(made, home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=60,
        cwd=home,
    )
    assert done.stdout.decode() == "".join(f"line{i} *****\n" for i in range(4))


@pytest.mark.parametrize(
    ("prompt", "shown"),
    [
        (f"Enter {MARKER[:2]}", f"Enter {MARKER[:2]}"),  # one or two characters: as they are
        (f"Enter {MARKER[:4]}", "Enter *****"),  # three or more: the mask, never the letters
    ],
)
def test_a_prompt_that_may_start_a_value_is_shown_while_the_child_waits(
    made: Made, home: Path, prompt: str, shown: str
) -> None:
    """The prompt ends with the first letters of the value: it is held back only briefly."""
    fill(made)
    child = (
        "import sys\n"
        f"sys.stdout.write({prompt!r}); sys.stdout.flush()\n"
        "line = sys.stdin.readline()\n"
        "print('|got ' + line.strip())\n"
    )
    proc = subprocess.Popen(
        [*TV, "run", "--", PYTHON, "-c", child],
        env=env_of(made, home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=home,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        got = read_until(proc.stdout.fileno(), shown.encode())
        assert got == shown.encode(), "the prompt never appeared"
        proc.stdin.write(b"fine\n")
        proc.stdin.close()
        rest = read_until(proc.stdout.fileno(), b"|got fine\n")
        assert rest == b"|got fine\n", "what was shown at the pause is not shown twice"
        assert proc.wait(30) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


SLOW_VALUE = (
    "import os, sys, time\n"
    "value, cut = os.environ['TOKEN'], int(sys.argv[1])\n"
    "sys.stdout.write('token=' + value[:cut]); sys.stdout.flush()\n"
    "time.sleep(0.4)\n"  # past run's quiet time (80 ms): what was held back is shown
    "sys.stdout.write(value[cut:] + '\\n'); sys.stdout.flush()\n"
)


@pytest.mark.parametrize("pty_mode", [False, True], ids=["pipes", "pty"])
@pytest.mark.parametrize("cut", [2, 4, len(MARKER) - 1])
def test_a_value_written_in_two_pieces_a_pause_apart_is_masked(
    made: Made, home: Path, cut: int, pty_mode: bool
) -> None:
    """The child pauses inside a value: its first three or more characters are shown as the
    mask and the rest continues that mask; one or two are shown and the rest is masked."""
    fill(made)
    argv = [*TV, "run", "--", PYTHON, "-c", SLOW_VALUE, str(cut)]
    if pty_mode:
        code, out, _, _ = run_on_pty(argv, env_of(made, home), home)
        end = b"\r\n"
    else:
        done = subprocess.run(argv, env=env_of(made, home), capture_output=True, cwd=home)
        code, out, end = done.returncode, done.stdout, b"\n"
        assert done.stderr == b""
    assert code == 0, out
    shown = MARKER[:cut].encode() if cut < 3 else b""
    assert out == b"token=" + shown + b"*****" + end
    assert MARKER[2:].encode() not in out.replace(b"\r", b"")


def test_colours_pass_through_unchanged(cli: CliRunner, made: Made) -> None:
    fill(made)
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    child = "import os; print('\\x1b[1;31mred\\x1b[0m \\x1b]0;title\\x07' + os.environ['TOKEN'])"
    code, out, _ = cli(["run", "--", PYTHON, "-c", child], env=env)
    assert (code, out) == (0, "\x1b[1;31mred\x1b[0m \x1b]0;title\x07*****\n")


# ---------------------------------------------------------------------------- masking forms


def test_every_form_of_a_value_is_masked(cli: CliRunner, made: Made) -> None:
    fill(made)
    env = {**made.env, "TOKEN": "{{vault:A}}", "KEY": "{{vault:ML}}", "PW": "{{vault:SP}}"}
    child = (
        "import json, os, sys, urllib.parse as u\n"
        "pw, key = os.environ['PW'], os.environ['KEY']\n"
        "print('json=' + json.dumps({'pw': pw}))\n"
        "print('dsn=postgres://app:' + u.quote(pw, safe='') + '@db/x')\n"
        "print('url=' + u.quote(pw) + ' form=' + u.quote_plus(pw))\n"
        "print('jsonkey=' + json.dumps(key))\n"
        "for line in key.replace('\\r\\n', '\\n').split('\\n'):\n"
        "    print('      ' + line)\n"  # indented, as inside YAML
        "sys.stdout.write(key.replace('\\r\\n', '\\n').replace('\\n', '\\r\\n') + '\\r\\n')\n"
    )
    code, out, err = cli(["run", "--", PYTHON, "-c", child], env=env)
    assert code == 0, err
    forms = [
        SPACED,
        json.dumps(SPACED)[1:-1],
        urllib.parse.quote(SPACED),
        urllib.parse.quote(SPACED, safe=""),
        urllib.parse.quote_plus(SPACED),
        json.dumps(MULTI)[1:-1],
        "QUJDREVGR0hJSktMTU5P",
        "UFFSU1RVVldYWVo0NTY3",
        "BEGIN TEST KEY",
    ]
    for form in forms:
        assert form not in out, form
    lines = out.splitlines()
    assert lines[0] == 'json={"pw": "*****"}'
    assert lines[1] == "dsn=postgres://app:*****@db/x"
    assert lines[2] == "url=***** form=*****"
    assert "*****" in lines[3]
    assert lines[4:8] == ["      *****"] * 4


def test_a_value_split_between_stdout_and_stderr_is_masked(cli: CliRunner, made: Made) -> None:
    fill(made)
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    child = (
        "import os, sys, time\n"
        "v = os.environ['TOKEN']\n"
        "sys.stdout.write('half:' + v[:10]); sys.stdout.flush(); time.sleep(0.02)\n"
        "sys.stderr.write(v[10:] + ':end\\n'); sys.stderr.flush()\n"
    )
    code, out, err = cli(["run", "--", PYTHON, "-c", child], env=env)
    assert code == 0
    assert MARKER[:10] not in out and MARKER[10:] not in err
    assert out == "half:*****" and err == "*****:end\n"


# ---------------------------------------------------------------------------- a terminal


def run_on_pty(
    argv: list[str], env: dict[str, str], cwd: Path, send: bytes = b""
) -> tuple[int, bytes, list[object], list[object]]:
    """Run argv with a pseudo-terminal (opened here) as stdin, stdout and stderr."""
    master, slave = pty.openpty()
    name = os.ttyname(slave)
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
    )
    os.close(slave)
    got = b""
    try:
        if send:
            got = read_until(master, b"ready")
            os.write(master, send)
        got += read_until(master, b"\0never\0", timeout=20)
        code = proc.wait(30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
    slave = os.open(name, os.O_RDWR | os.O_NOCTTY)
    after = termios.tcgetattr(slave)
    os.close(slave)
    os.close(master)
    return code, got, before, after


ISATTY = (
    "import os, sys\n"
    "print('tty', *(os.isatty(i) for i in range(3)), os.environ['TOKEN'], flush=True)\n"
    "print('\\x1b[32mgreen\\x1b[0m', flush=True)\n"
    "if os.isatty(1): open('/dev/tty', 'w').write('devtty ' + os.environ['TOKEN'] + '\\n')\n"
)


def test_pty_mode_gives_the_child_a_terminal(made: Made, home: Path) -> None:
    fill(made)
    code, got, before, after = run_on_pty(
        [*TV, "run", "--", PYTHON, "-c", ISATTY], env_of(made, home), home
    )
    text = got.decode(errors="replace")
    assert code == 0, text
    assert "tty True True True *****" in text
    assert "\x1b[32mgreen\x1b[0m" in text
    assert "devtty *****" in text, "writes to /dev/tty go through the masker too"
    assert MARKER not in text
    assert after == before, "the terminal's modes were not restored"


def test_no_pty_gives_pipes(made: Made, home: Path) -> None:
    fill(made)
    code, got, _, _ = run_on_pty(
        [*TV, "run", "--no-pty", "--", PYTHON, "-c", ISATTY], env_of(made, home), home
    )
    text = got.decode(errors="replace")
    assert code == 0, text
    assert "tty True False False *****" in text and MARKER not in text


def test_pty_mode_forwards_typed_input_in_raw_mode(made: Made, home: Path) -> None:
    fill(made)
    child = (
        "import sys\n"
        "print('ready', flush=True)\n"
        "print('read', repr(sys.stdin.readline()), flush=True)\n"
    )
    code, got, _, _ = run_on_pty(
        [*TV, "run", "--", PYTHON, "-c", child], env_of(made, home), home, send=b"hello\r"
    )
    assert code == 0
    assert b"read 'hello\\n'" in got


def test_pty_child_interrupted_by_ctrl_c_byte(made: Made, home: Path) -> None:
    """^C typed on run's terminal is a byte for the child's pty: SIGINT, once, exit 130."""
    fill(made)
    child = "import time\nprint('ready', flush=True)\ntime.sleep(30)\n"
    t0 = time.monotonic()
    code, got, _, _ = run_on_pty(
        [*TV, "run", "--", PYTHON, "-c", child], env_of(made, home), home, send=b"\x03"
    )
    assert code == 130, got
    assert time.monotonic() - t0 < 25


# ---------------------------------------------------------------------------- signals

COUNTER = (
    "import os, signal, sys, time\n"
    "seen = []\n"
    "for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):\n"
    "    signal.signal(s, lambda n, f: seen.append(n))\n"
    "print('ready', os.environ['TOKEN'], flush=True)\n"
    "end = time.monotonic() + 20\n"
    "while not seen and time.monotonic() < end: time.sleep(0.02)\n"
    "time.sleep(0.5)\n"
    "print('count', len(seen), flush=True)\n"
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGINT])
def test_a_signal_sent_to_run_reaches_the_child_once(
    made: Made, home: Path, sig: signal.Signals
) -> None:
    fill(made)
    proc = subprocess.Popen(
        [*TV, "run", "--", PYTHON, "-c", COUNTER],
        env=env_of(made, home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=home,
    )
    assert proc.stdout is not None
    try:
        assert read_until(proc.stdout.fileno(), b"ready *****\n") == b"ready *****\n"
        proc.send_signal(sig)
        assert read_until(proc.stdout.fileno(), b"count") + proc.stdout.read() == b"count 1\n"
        assert proc.wait(30) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


def test_a_signal_sent_to_run_in_pty_mode_reaches_the_child_once(made: Made, home: Path) -> None:
    fill(made)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*TV, "run", "--", PYTHON, "-c", COUNTER],
        env=env_of(made, home),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=home,
        start_new_session=True,
    )
    os.close(slave)
    try:
        assert b"ready *****" in read_until(master, b"ready")
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert b"count 1" in read_until(master, b"count 1")
        assert proc.wait(30) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
        os.close(master)


# ---------------------------------------------------------------------------- exit codes


def test_exit_codes_and_exec_failures(cli: CliRunner, made: Made, home: Path) -> None:
    fill(made)
    made.vault.set_value("HUGE", "h" * 200_000)
    not_exec = home / "not-exec.sh"
    not_exec.write_text("#!/bin/sh\necho hi\n")
    env = {**made.env, "TOKEN": "{{vault:A}}"}
    code, _, err = cli(["run", "--", "sh", "-c", "kill -KILL $$"], env=env)
    assert code == 137, err
    code, _, err = cli(["run", "--", str(not_exec)], env=env)
    assert code == 126 and "permission denied" in assert_one_line_error(err)
    code, _, err = cli(["run", "--", str(home)], env=env)
    assert code == 126 and str(home) in assert_one_line_error(err)
    code, _, err = cli(["run", "--expose-argv", "--", "{{vault:A}}", "x"], env=env)
    line = assert_one_line_error(err)
    assert code == 127 and "command not found: {{vault:A}}" in line and MARKER not in line
    code, out, err = cli(["run", "--", "true"], env={**env, "BIG": "{{vault:HUGE}}"})
    line = assert_one_line_error(err)
    assert code == 126 and "$BIG" in line and "unexpected" not in line, line
    assert "hhhh" not in err + out


def test_hint_keeps_the_value_out_of_every_argv(cli: CliRunner, made: Made) -> None:
    fill(made)
    code, _, err = cli(["run", "--", "curl", "-H", "{{vault:A}}"], env=made.env)
    line = assert_one_line_error(err)
    assert code == 2 and "--env-file" in line and "sh -c" not in line


@pytest.mark.parametrize("flag", [[], ["--no-pty"]])
def test_stdin_that_is_not_a_terminal_is_passed_on(made: Made, home: Path, flag: list[str]) -> None:
    """On a terminal stdout with piped stdin, the child reads the pipe itself."""
    fill(made)
    master, slave = pty.openpty()
    child = "import sys; print('stdin', sys.stdin.isatty(), sys.stdin.read().strip())"
    proc = subprocess.Popen(
        [*TV, "run", *flag, "--", PYTHON, "-c", child],
        env=env_of(made, home),
        stdin=subprocess.PIPE,
        stdout=slave,
        stderr=slave,
        cwd=home,
    )
    os.close(slave)
    assert proc.stdin is not None
    proc.stdin.write(b"piped\n")
    proc.stdin.close()
    try:
        got = read_until(master, b"piped")
        assert b"stdin False piped" in got, got
        assert proc.wait(30) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
        os.close(master)


def test_pty_window_size_at_start_and_on_sigwinch(made: Made, home: Path) -> None:
    fill(made)
    child = (
        "import os, signal, sys, time\n"
        "changed = []\n"
        "signal.signal(signal.SIGWINCH, lambda n, f: changed.append(os.get_terminal_size()))\n"
        "print('start', *os.get_terminal_size(), 'ready', flush=True)\n"
        "end = time.monotonic() + 20\n"
        "while not changed and time.monotonic() < end: time.sleep(0.02)\n"
        "print('now', *os.get_terminal_size(), flush=True)\n"
    )
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [*TV, "run", "--", PYTHON, "-c", child],
        env=env_of(made, home),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=home,
        start_new_session=True,
    )
    os.close(slave)
    try:
        assert b"start 80 24 ready" in read_until(master, b"ready")
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        proc.send_signal(signal.SIGWINCH)  # what the terminal does when it is resized
        assert b"now 120 40" in read_until(master, b"now 120 40")
        assert proc.wait(30) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
        os.close(master)

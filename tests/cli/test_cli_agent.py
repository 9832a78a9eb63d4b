"""The session agent end to end: real `tui-vault` processes and the real detached agent.

Every test has its own socket in tmp_path (TUI_VAULT_AGENT_SOCK) and kills its agent at
teardown, so they run in parallel under xdist.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Made
from tests.conftest import CliRunner
from tests.helpers import REPO, assert_one_line_error, clean_env
from tui_vault.core import agent
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key

VALUE = "MARKER-agent-4b2e-VALUE"


def pid_alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in text


def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


class AgentSocket:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def env(self) -> dict[str, str]:
        return {"TUI_VAULT_AGENT_SOCK": str(self.path)}

    def pid(self) -> int | None:
        try:
            text = (self.path.parent / (self.path.name + ".lock")).read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def kill(self) -> None:
        pid = self.pid()
        if pid is not None and pid_alive(pid):
            with_cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"tui_vault.core.agent_server" in with_cmd:
                os.kill(pid, signal.SIGKILL)
                wait_gone(pid)


@pytest.fixture
def agent_sock(tmp_path: Path) -> Iterator[AgentSocket]:
    sock = AgentSocket(tmp_path / "agent" / "agent.sock")
    yield sock
    sock.kill()


@pytest.fixture
def made_value(made: Made) -> Made:
    made.vault.set_value("A", VALUE)
    return made


def no_key(made: Made, sock: AgentSocket) -> dict[str, str | None]:
    return {"TUI_VAULT_PATH": str(made.path), "TUI_VAULT_KEY": None, **sock.env}


def with_key(made: Made, sock: AgentSocket) -> dict[str, str | None]:
    return {**made.env, **sock.env}


def test_unlock_get_elsewhere_lock_exits_3(
    cli: CliRunner, made_value: Made, agent_sock: AgentSocket
) -> None:
    made = made_value
    code, _, err = cli(["get", "A"], env=no_key(made, agent_sock))
    assert code == 3 and "tui-vault unlock" in err  # no key anywhere yet

    code, out, err = cli(["unlock"], env=with_key(made, agent_sock))
    assert code == 0, err
    assert "Unlocked" in err and "15 min" in err and "8 h" in err
    assert made.key not in err + out
    pid = agent_sock.pid()
    assert pid is not None and pid_alive(pid)

    # Another process, no key in its environment: the agent serves it.
    code, out, err = cli(["get", "A"], env=no_key(made, agent_sock))
    assert (code, out, err) == (0, VALUE + "\n", "")
    # --key-file and TUI_VAULT_KEY still win over the agent (a wrong one is reported).
    other = encode_key(os.urandom(32))
    code, _, err = cli(["get", "A"], env={**no_key(made, agent_sock), "TUI_VAULT_KEY": other})
    assert code == 3 and "wrong key" in err

    code, _, err = cli(["lock"], env=no_key(made, agent_sock))
    assert code == 0 and "forgot 1 key" in err
    assert wait_gone(pid), "the agent must exit once it holds no key"
    code, out, err = cli(["get", "A"], env=no_key(made, agent_sock))
    assert code == 3 and out == ""
    assert "no vault key" in assert_one_line_error(err)

    code, _, err = cli(["lock"], env=no_key(made, agent_sock))
    assert code == 0 and "No session agent is running" in err


# The process's own command line, as the installed script runs it; the modules loaded are
# printed at exit (as in test_get_startup.py).
MODULES_AT_EXIT = """
import atexit, json, sys
atexit.register(lambda: sys.stderr.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
sys.argv = ["tui-vault", *sys.argv[1:]]
from tui_vault.cli import main
sys.exit(main())
"""


def _get_modules(home: Path, env: dict[str, str | None]) -> tuple[str, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", MODULES_AT_EXIT, "get", "A"],
        capture_output=True,
        env=clean_env(home, env),
        cwd=home,
        timeout=60,
        check=False,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    return proc.stdout, set(json.loads(line.removeprefix("MODULES ")))


def test_a_get_through_the_agent_loads_only_the_client_on_top(
    cli: CliRunner, home: Path, made_value: Made, agent_sock: AgentSocket
) -> None:
    """Next to the same `get` with TUI_VAULT_KEY, a `get` through the agent loads the agent
    client and `_socket`, nothing else: not `socket` (its enums and selectors, ~5 ms), not
    the status types (agent_status.py)."""
    made = made_value
    assert cli(["unlock"], env=with_key(made, agent_sock)).code == 0
    out, through_agent = _get_modules(home, no_key(made, agent_sock))
    assert out == VALUE + "\n"
    out, with_env_key = _get_modules(home, with_key(made, agent_sock))
    assert out == VALUE + "\n"
    assert through_agent - with_env_key == {"_socket", "tui_vault.core.agent"}
    assert "socket" not in through_agent and "selectors" not in through_agent


def test_idle_timeout_resets_on_use_then_forgets(
    cli: CliRunner, made_value: Made, agent_sock: AgentSocket
) -> None:
    made = made_value
    code, _, err = cli(["unlock", "--timeout", "0.04"], env=with_key(made, agent_sock))  # 2.4 s
    assert code == 0, err
    pid = agent_sock.pid()
    assert pid is not None
    # Used twice a second for longer than the idle time: each use resets it. (Asked from
    # here: a command's start-up on a loaded machine could take longer than the idle time.)
    started = time.monotonic()
    while time.monotonic() - started < 4:
        held = agent.fetch_key(made.vault.vault_id, agent_sock.path)
        assert held == made.vault.key, (
            f"forgot while in use after {time.monotonic() - started:.1f} s"
        )
        time.sleep(0.5)
    time.sleep(3.0)
    code, _, err = cli(["get", "A"], env=no_key(made, agent_sock))
    assert code == 3, "the key must be forgotten after the idle time"
    assert wait_gone(pid)


def test_maximum_lifetime_even_when_in_use(
    cli: CliRunner, made_value: Made, agent_sock: AgentSocket, home: Path
) -> None:
    made = made_value
    settings = home / "settings.toml"
    settings.write_text("agent_max_hours = 0.002\n")  # 7.2 s
    env = {**with_key(made, agent_sock), "TUI_VAULT_SETTINGS": str(settings)}
    code, _, err = cli(["unlock", "--timeout", "0.05"], env=env)  # idle 3 s, reset by use
    assert code == 0 and "at the latest in 7 s" in err, err
    unlocked = time.monotonic()
    results: list[tuple[float, bool]] = []
    while time.monotonic() - unlocked < 10:
        held = agent.fetch_key(made.vault.vault_id, agent_sock.path)
        results.append((round(time.monotonic() - unlocked, 1), held is not None))
        time.sleep(0.3)
    assert results[0][1] and not results[-1][1], results
    forgot_at = next(t for t, ok in results if not ok)
    assert forgot_at <= 7.5, results  # in use all along: only the maximum ended it
    code, _, err = cli(["unlock", "--timeout", "60"], env=env)
    assert code == 2 and "at most 0.12 minutes" in err  # --timeout cannot outlive the maximum


def test_status_json_and_several_vaults(
    cli: CliRunner, made_value: Made, agent_sock: AgentSocket, home: Path
) -> None:
    made = made_value
    code, out, _ = cli(["agent", "status", "--json"], env=no_key(made, agent_sock))
    assert code == 0 and json.loads(out)["running"] is False

    second_path = home / "second" / "vault.json"
    second, key2 = Vault.create(second_path)
    second.set_value("B", "second-value")
    assert cli(["unlock"], env=with_key(made, agent_sock)).code == 0
    code, _, err = cli(
        ["--vault", str(second_path), "unlock", "--timeout", "5"],
        env={**agent_sock.env, "TUI_VAULT_KEY": encode_key(key2)},
    )
    assert code == 0, err

    code, out, _ = cli(["agent", "status", "--json"], env=no_key(made, agent_sock))
    doc = json.loads(out)
    assert doc["running"] is True and doc["pid"] == agent_sock.pid()
    by_id = {v["vault_id"]: v for v in doc["vaults"]}
    assert set(by_id) == {made.vault.vault_id, second.vault_id}
    assert 880 <= by_id[made.vault.vault_id]["idle_seconds_left"] <= 900
    assert 280 <= by_id[second.vault_id]["idle_seconds_left"] <= 300
    assert 28700 <= by_id[second.vault_id]["max_seconds_left"] <= 28800
    assert by_id[second.vault_id]["path"] == str(second_path)
    assert made.key not in out and encode_key(key2) not in out

    code, out, _ = cli(["agent", "status"], env=no_key(made, agent_sock))
    assert code == 0 and "running" in out and made.vault.vault_id in out and "5 min" in out

    b = cli(["--vault", str(second_path), "get", "B"], env=agent_sock.env)
    assert b.out == "second-value\n"
    assert cli(["get", "A"], env=no_key(made, agent_sock)).out == VALUE + "\n"
    code, _, err = cli(["lock"], env=agent_sock.env)
    assert code == 0 and "forgot 2 keys" in err


def test_socket_and_directory_modes(
    cli: CliRunner, made_value: Made, agent_sock: AgentSocket
) -> None:
    assert cli(["unlock"], env=with_key(made_value, agent_sock)).code == 0
    d = os.lstat(agent_sock.path.parent)
    s = os.lstat(agent_sock.path)
    assert stat.S_IMODE(d.st_mode) == 0o700 and d.st_uid == os.getuid()
    assert stat.S_ISSOCK(s.st_mode) and stat.S_IMODE(s.st_mode) == 0o600
    assert s.st_uid == os.getuid()


def test_refuses_a_directory_others_can_write(
    cli: CliRunner, made_value: Made, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    env = {**made_value.env, "TUI_VAULT_AGENT_SOCK": str(shared / "agent.sock")}
    code, _, err = cli(["unlock"], env=env)
    assert code == 1 and "writable by other users" in assert_one_line_error(err)
    assert not (shared / "agent.sock").exists()


def test_stale_socket_and_kill_9_are_recovered(
    cli: CliRunner, made_value: Made, agent_sock: AgentSocket
) -> None:
    made = made_value
    # A socket file nobody listens on (as left by a crash).
    agent_sock.path.parent.mkdir(mode=0o700)
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(agent_sock.path))
    dead.close()
    code, _, err = cli(["get", "A"], env=no_key(made, agent_sock))
    assert code == 3 and "no vault key" in assert_one_line_error(err)  # quietly: no key
    assert cli(["unlock"], env=with_key(made, agent_sock)).code == 0
    assert cli(["get", "A"], env=no_key(made, agent_sock)).out == VALUE + "\n"

    pid = agent_sock.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    assert agent_sock.path.exists()  # the dead agent's socket is still there
    code, _, err = cli(["get", "A"], env=no_key(made, agent_sock))
    assert code == 3 and "no vault key" in assert_one_line_error(err)
    code, out, _ = cli(["agent", "status", "--json"], env=agent_sock.env)
    assert json.loads(out)["running"] is False
    assert cli(["unlock"], env=with_key(made, agent_sock)).code == 0
    assert agent_sock.pid() != pid
    assert cli(["get", "A"], env=no_key(made, agent_sock)).out == VALUE + "\n"


def test_a_hung_agent_is_passed_over_and_lock_still_ends_it(
    cli: CliRunner, made_value: Made, agent_sock: AgentSocket
) -> None:
    made = made_value
    assert cli(["unlock"], env=with_key(made, agent_sock)).code == 0
    pid = agent_sock.pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # accepts connections (the backlog), never answers
    try:
        started = time.monotonic()
        code, _, err = cli(["get", "A"], env=no_key(made, agent_sock))
        assert code == 3 and "no vault key" in assert_one_line_error(err)
        assert time.monotonic() - started < 20  # bounded by the client's timeout
        code, _, err = cli(["lock"], env=agent_sock.env)
        assert code == 0 and "did not answer" in err and "stopped" in err
        assert wait_gone(pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_unlock_checks_the_key_first(
    cli: CliRunner, made_value: Made, agent_sock: AgentSocket
) -> None:
    env = {**with_key(made_value, agent_sock), "TUI_VAULT_KEY": encode_key(os.urandom(32))}
    code, _, err = cli(["unlock"], env=env)
    assert code == 3 and "wrong key" in err
    assert not agent_sock.path.exists()  # no agent was started for a key that does not work
    code, _, err = cli(["unlock"], env=no_key(made_value, agent_sock))
    assert code == 3 and "run this on a terminal" in assert_one_line_error(err)


def test_agent_environment_and_argv_hold_no_key(
    cli: CliRunner, made_value: Made, agent_sock: AgentSocket
) -> None:
    assert cli(["unlock"], env=with_key(made_value, agent_sock)).code == 0
    pid = agent_sock.pid()
    assert pid is not None
    raw = made_value.key.encode()
    assert raw not in Path(f"/proc/{pid}/environ").read_bytes()  # readable: we are root here
    assert raw not in Path(f"/proc/{pid}/cmdline").read_bytes()
    # Detached: its own session, not the test's process group.
    assert os.getsid(pid) != os.getsid(0)


# ----------------------------------------------------------------------- other users

NOBODY = 65534
RAW_CLIENT = r"""
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(json.dumps({"connect_error": e.errno})); sys.exit(0)
body = json.dumps({"op": "get", "vault_id": sys.argv[2]}).encode()
try:
    s.sendall(struct.pack(">I", len(body)) + body)
except BrokenPipeError:
    pass  # refused before the request was read: the reply is still there to read
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data[4:].decode() if data else json.dumps({"closed": True}))
"""


def _as_nobody(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        **kw,  # type: ignore[call-overload]
    )


# The test venv's interpreter may live under a directory only root can reach (pyenv in
# /root): the other user runs the system's Python, which is enough for the agent's modules.
SYSTEM_PYTHON = "/usr/bin/python3"
needs_root_setpriv = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None or not Path(SYSTEM_PYTHON).exists(),
    reason="needs root, setpriv and /usr/bin/python3 to act as another user",
)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory another uid can reach (tmp_path's parents are private to root)."""
    d = Path(tempfile.mkdtemp(prefix="tvag-", dir="/tmp"))
    d.chmod(0o711)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@needs_root_setpriv
def test_another_uid_is_refused_even_with_socket_access(
    cli: CliRunner, made_value: Made, open_dir: Path
) -> None:
    sock = AgentSocket(open_dir / "agent.sock")
    try:
        assert cli(["unlock"], env={**made_value.env, **sock.env}).code == 0
        # Simulate a mistake that opens the socket to everybody: the uid check still holds.
        sock.path.chmod(0o666)
        vault_id = made_value.vault.vault_id
        theirs = _as_nobody([SYSTEM_PYTHON, "-c", RAW_CLIENT, str(sock.path), vault_id])
        assert theirs.returncode == 0, theirs.stderr
        reply = json.loads(theirs.stdout)
        assert reply == {"ok": False, "error": "refused: another user"}, theirs
        # The same client as the owner gets the key: the check above can fail.
        ours = subprocess.run(
            [sys.executable, "-c", RAW_CLIENT, str(sock.path), vault_id],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert json.loads(ours.stdout)["ok"] is True
    finally:
        sock.kill()


@needs_root_setpriv
def test_agent_is_not_dumpable_for_its_own_user(open_dir: Path) -> None:
    """Run as an ordinary user: the agent's /proc/<pid>/environ is closed even to the same
    uid (PR_SET_DUMPABLE 0), while a plain process of that uid stays readable (control)."""
    os.chown(open_dir, NOBODY, NOBODY)
    open_dir.chmod(0o700)
    sock = open_dir / "agent.sock"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "HOME": str(open_dir),
        "TUI_VAULT_AGENT_SOCK": str(sock),
    }
    put = (
        "from tui_vault.core import agent; "
        f"agent.put('{'ab' * 16}', bytes(32), idle_seconds=60, max_seconds=60, path='x')"
    )
    done = _as_nobody([SYSTEM_PYTHON, "-c", put], env=env, cwd=str(open_dir))
    assert done.returncode == 0, done.stderr
    pid = int((open_dir / "agent.sock.lock").read_text())
    try:
        probe = f"cat /proc/{pid}/environ > /dev/null && echo readable || echo closed"
        control = _as_nobody(["sh", "-c", "cat /proc/$$/environ > /dev/null && echo readable"])
        assert control.stdout.strip() == "readable"
        assert _as_nobody(["sh", "-c", probe]).stdout.strip() == "closed"
    finally:
        os.kill(pid, signal.SIGKILL)
        wait_gone(pid)


# ----------------------------------------------------------------------- TUI_VAULT_KEY


def test_run_child_cannot_read_the_key_from_its_parent(cli: CliRunner, made_value: Made) -> None:
    """/proc/<pid>/environ shows the environment as it was at exec; tui-vault overwrites the
    entry there, so a child reading its parent's block finds nothing (even as root)."""
    made = made_value
    out = made.path.parent / "parent-environ"
    script = f"tr '\\0' '\\n' < /proc/$PPID/environ > {out}; echo $API"
    for refs in ({}, {"API": "{{vault:A}}"}):  # with and without a vault opened
        code, stdout, err = cli(
            ["run", "--", "sh", "-c", script],
            env={**made.env, "PROBE_MARKER": "probe-visible", **refs},
        )
        assert code == 0, err
        seen = out.read_text()
        assert "PROBE_MARKER=probe-visible" in seen  # the read works...
        assert made.key not in seen and "TUI_VAULT_KEY" not in seen  # ...the key is gone
        assert made.key not in stdout + err


def test_hygiene_scrubs_the_initial_environment_block(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from tui_vault.core.hygiene import take_env_key\n"
        "before = open('/proc/self/environ', 'rb').read()\n"
        "assert b'TUI_VAULT_KEY=k-4411' in before\n"
        "assert take_env_key() == 'k-4411'\n"
        "assert 'TUI_VAULT_KEY' not in os.environ\n"
        "after = open('/proc/self/environ', 'rb').read()\n"
        "assert b'k-4411' not in after and b'OTHER=stays' in after, after\n"
        "assert take_env_key() == 'k-4411'  # kept for later lookups\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    env |= {"TUI_VAULT_KEY": "k-4411", "OTHER": "stays"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr

"""Row: `tui-vault get NAME` with the key from the session agent, against the same `get` with
the key in TUI_VAULT_KEY (what the agent costs a command: one socket round trip).

The two are run alternately on the same 100-secret vault, so machine load hits both alike.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from bench.core import TUI_VAULT, Row, Sizes, check, isolated_env, run_process
from bench.fixtures import local_secrets, make_vault

SECRETS = 100
TARGET = "secret-000042"


def run(sizes: Sizes, work: Path) -> Row:
    row = Row(
        "get_agent",
        "`tui-vault get NAME`, key from the session agent (100-secret vault)",
        baseline_title="the same `get` with the key in `TUI_VAULT_KEY`",
    )
    secrets = local_secrets(SECRETS)
    bv = make_vault(work / "agent-get", secrets)
    # A short socket path of its own (not the user's agent).
    sock = work / "a" / "agent.sock"
    home = work / "home-agent"
    home.mkdir()
    base_env = isolated_env(home, TUI_VAULT_AGENT_SOCK=str(sock))
    with_key = dict(base_env, TUI_VAULT_KEY=bv.key_text)
    argv = [TUI_VAULT, "--vault", str(bv.path), "get", TARGET]
    expected = next(s.value for s in secrets if s.name == TARGET)
    check(run_process([TUI_VAULT, "--vault", str(bv.path), "unlock"], with_key), "unlock")

    def one(env: dict[str, str], what: str) -> float:
        r = check(run_process(argv, env), what)
        assert r.stdout.decode().rstrip("\n") == expected
        return r.seconds

    try:
        one(base_env, "get via agent")  # warm-up: bytecode and page cache
        one(with_key, "get with TUI_VAULT_KEY")
        mine: list[float] = []
        base: list[float] = []
        for _ in range(sizes.runs * 4):  # the two differ by ~1 ms: many pairs
            mine.append(one(base_env, "get via agent"))
            base.append(one(with_key, "get with TUI_VAULT_KEY"))
    finally:
        run_process([TUI_VAULT, "lock"], base_env)
        _kill_leftover(sock)
    row.measured(mine, base)
    row.note = "alternating runs; the agent was unlocked once before"
    return row


def _kill_leftover(sock: Path) -> None:
    lock = sock.with_name(sock.name + ".lock")
    with contextlib.suppress(OSError, ValueError):
        pid = int(lock.read_text().strip())
        if b"agent_server" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)

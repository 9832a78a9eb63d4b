"""Subprocess writers for the crash and race proofs (run as scripts, not collected by pytest).

    _writer.py loop-core  VAULT START COUNT PREFIX MOD   saves via Vault.set_value, in a loop
    _writer.py loop-cli   VAULT START COUNT PREFIX MOD   saves via `python -m tui_vault set`
    _writer.py killpoint-core VAULT NAME N               one save; SIGKILL before syscall N
    _writer.py killpoint-cli  VAULT NAME N               same, through tui_vault.cli.main

The key comes from TUI_VAULT_KEY; REL_PAUSE_MS slows the core loop writer down. Loop writers
print "ready" once, then the number of committed saves after each save returns (so the
parent knows what must be on disk).
Save i stores secret f"{PREFIX}{i % MOD}" = value_for(i) (MOD=0: no modulo).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PAUSE = float(os.environ.get("REL_PAUSE_MS", "0")) / 1000  # between saves of a loop writer


def value_for(prefix: str, i: int) -> str:
    return f"{prefix}value-{i}-" + "x" * (37 * (i % 9))


def name_for(prefix: str, i: int, mod: int) -> str:
    return f"{prefix}{i % mod if mod else i}"


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def loop_core(vault_path: Path, start: int, count: int, prefix: str, mod: int) -> None:
    from tui_vault.core.vault import Vault
    from tui_vault.core.vaultkey import decode_key

    vault = Vault.open(vault_path, decode_key(os.environ["TUI_VAULT_KEY"]))
    # Whatever a first save loads lazily is loaded before "ready" (encoding writes nothing):
    # the parent's kill delays are scaled to warm saves, so a slow first one (imports without
    # bytecode on a fresh CI checkout) would take most kills before any save began.
    vault.data.to_json_bytes()
    say("ready")
    for i in range(start, start + count):
        vault.set_value(name_for(prefix, i, mod), value_for(prefix, i))
        say(str(i + 1))
        if PAUSE:
            time.sleep(PAUSE)


def loop_cli(vault_path: Path, start: int, count: int, prefix: str, mod: int) -> None:
    say("ready")
    for i in range(start, start + count):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui_vault",
                "--vault",
                str(vault_path),
                "set",
                name_for(prefix, i, mod),
            ],
            input=value_for(prefix, i).encode(),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            say(f"error {done.returncode} {done.stderr.decode().strip()}")
            sys.exit(1)
        say(str(i + 1))


HOOKED = ("open", "write", "fsync", "link", "replace", "rename", "unlink", "close")


def arm_kill(n: int) -> None:
    """SIGKILL this process just before the n-th hooked os call (counted from now)."""
    calls = [0]

    def wrap(fn):  # type: ignore[no-untyped-def]
        def inner(*a, **k):  # type: ignore[no-untyped-def]
            calls[0] += 1
            if calls[0] == n:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*a, **k)

        return inner

    for name in HOOKED:
        setattr(os, name, wrap(getattr(os, name)))


def killpoint(mode: str, vault_path: Path, name: str, n: int) -> None:
    value = value_for(name, n)
    if mode == "killpoint-core":
        from tui_vault.core.vault import Vault
        from tui_vault.core.vaultkey import decode_key

        vault = Vault.open(vault_path, decode_key(os.environ["TUI_VAULT_KEY"]))
        arm_kill(n)
        vault.set_value(name, value)
    else:
        import io

        from tui_vault.cli import main

        sys.stdin = io.TextIOWrapper(io.BytesIO(value.encode()))
        arm_kill(n)
        code = main(["--vault", str(vault_path), "set", name])
        if code != 0:
            sys.exit(code)
    say("done")


def main() -> None:
    mode, vault = sys.argv[1], Path(sys.argv[2])
    if mode.startswith("loop-"):
        start, count, prefix, mod = (
            int(sys.argv[3]),
            int(sys.argv[4]),
            sys.argv[5],
            int(sys.argv[6]),
        )
        (loop_core if mode == "loop-core" else loop_cli)(vault, start, count, prefix, mod)
    else:
        killpoint(mode, vault, sys.argv[3], int(sys.argv[4]))


if __name__ == "__main__":
    main()

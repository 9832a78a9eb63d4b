"""Run inside `unshare -r -m` (a private user + mount namespace, no real privileges needed):
mount a tiny tmpfs, fill it, remount it read-only, and drive the real CLI against it.
Prints one JSON object with what happened at each step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

mnt = Path(sys.argv[1])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k,mode=0700", "tmpfs", str(mnt)], check=True)
vault = mnt / "v" / "vault.json"
key_file = mnt / "vault.key"
env = dict(os.environ)
steps: dict[str, dict[str, object]] = {}


def cli(step: str, *args: str, stdin: str = "") -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui_vault",
            "--vault",
            str(vault),
            "--key-file",
            str(key_file),
            *args,
        ],
        input=stdin.encode(),
        capture_output=True,
        env=env,
        check=False,
    )
    steps[step] = {
        "code": done.returncode,
        "stdout": done.stdout.decode(errors="replace"),
        "stderr": done.stderr.decode(errors="replace"),
        "vault": vault.read_bytes().hex() if vault.exists() else None,
        "temps": sorted(p.name for p in vault.parent.glob(".*tmp-*"))
        if vault.parent.exists()
        else [],
    }


subprocess.run(
    [sys.executable, "-m", "tui_vault", "--vault", str(vault), "init", "--key-file", str(key_file)],
    capture_output=True,
    env=env,
    check=True,
)
cli("set before", "set", "KEPT", stdin="kept value")
# Fill the file system to the last byte.
fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
try:
    while os.write(fd, b"\0" * 512):
        pass
except OSError:
    pass
finally:
    os.close(fd)
cli("set disk full", "set", "NEW", stdin="x" * 3000)
cli("import disk full", "import", str(mnt / "missing.json"))
cli("get disk full", "get", "KEPT")
(mnt / "filler").unlink()
cli("set after space freed", "set", "NEW", stdin="x" * 3000)
subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
cli("set read-only", "set", "NEW2", stdin="y")
cli("get read-only", "get", "KEPT")
cli("unset read-only", "unset", "KEPT")
print(json.dumps(steps))

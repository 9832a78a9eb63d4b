"""The command `tui-vault run` starts in the leak scan: it echoes its secret to stdout and
stderr (in two pieces, to test masking across reads) and reports what a local user could
see in /proc: its own command line, its parent's command line and environment."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        return f"<{e.strerror}>".encode()


value = os.environ.get("TOKEN", "")
linked = os.environ.get("LINKED_TOKEN", "")
for stream in (sys.stdout, sys.stderr):
    half = len(value) // 2
    stream.write("token=" + value[:half])
    stream.flush()
    time.sleep(0.05)
    stream.write(value[half:] + f" linked={linked}\n")
    stream.flush()
ppid = os.getppid()
seen = {
    "self_cmdline": read("/proc/self/cmdline").decode(errors="replace"),
    "parent_cmdline": read(f"/proc/{ppid}/cmdline").decode(errors="replace"),
    "parent_environ_has_value": bool(value) and value.encode() in read(f"/proc/{ppid}/environ"),
    "self_environ_has_vault_key": "TUI_VAULT_KEY" in os.environ,
    "value_length": len(value),
}
Path(sys.argv[1]).write_text(json.dumps(seen))

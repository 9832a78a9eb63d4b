"""The floor of any relay: run a command with its stdout on a pipe and copy that pipe to our
stdout in 1 MiB reads, nothing else (no masking, no select, no signals). Both pipes get the
same 1 MiB capacity `tui-vault run` gives them.

    python relay.py cat FILE
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys

CHUNK = 1 << 20


def main(argv: list[str]) -> int:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    for pipe in (fd, 1):
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, CHUNK)
    while data := os.read(fd, CHUNK):
        view = memoryview(data)
        while view:
            view = view[os.write(1, view) :]
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

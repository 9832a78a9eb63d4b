"""Run a command and report its own peak memory and wall time.

    python rss.py REPORT_FILE CMD [ARGS...]

stdin, stdout and stderr pass straight through. REPORT_FILE receives
`<maxrss bytes> <seconds>` for CMD alone. A small process like this one is the parent so
that the peak RSS is the command's own: a child forked straight from a big benchmark
process would start with that process's resident pages counted as its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def main() -> int:
    report, argv = sys.argv[1], sys.argv[2:]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(report, "w") as f:
        f.write(f"{usage.ru_maxrss * 1024} {seconds}\n")  # Linux: ru_maxrss is in KiB
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())

"""The unlocked TUI at rest: its peak memory with the table of a 100,000-secret vault shown,
and the CPU it uses over 30 s while nobody touches it (busy timers would show here).

Each measurement is a fresh process (`drivers/idle.py`). Memory: maxrss once the table is
drawn (decrypting and parsing included), against the same on a 100-secret vault. Idle CPU:
CPU seconds of the whole process (every thread) over the idle window, against a bare
Textual app with one focused Input over the same window (its cursor blinks). In smoke mode
the window is one second.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from bench.core import PYTHON, ROOT, Row, Sizes, driver_failure, fmt_value, isolated_env
from bench.fixtures import local_secrets, make_vault
from bench.startup import tui_available

DRIVER = str(ROOT / "bench" / "drivers" / "idle.py")
SMALL = 100
IDLE_SECONDS = 30.0
SMOKE_IDLE_SECONDS = 1.0


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, int, int, int]:
    """(CPU seconds, wall seconds, maxrss bytes, secrets, rows drawn) of one run."""
    # Through drivers/rss.py, a small parent: a child forked straight from this process
    # (which built the 100,000-secret vault) would count this process's peak RSS as its own.
    rss_parent = str(ROOT / "bench" / "drivers" / "rss.py")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        done = subprocess.run(
            [PYTHON, rss_parent, report.name, PYTHON, DRIVER, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    line = next((x for x in done.stdout.splitlines() if x.startswith("IDLE")), "")
    if not line:
        raise RuntimeError(f"idle driver failed: {driver_failure(done.stderr)}")
    _, cpu, wall, rss, secrets, rows = line.split()
    return float(cpu), float(wall), int(rss), int(secrets), int(rows)


def run(sizes: Sizes, work: Path) -> list[Row]:
    n = sizes.scale_secrets
    window = SMOKE_IDLE_SECONDS if sizes.smoke else IDLE_SECONDS
    mem_row = Row(
        "tui_memory",
        f"Peak memory (maxrss) of the TUI, {n:,} secrets unlocked, table shown",
        baseline_title=f"the same on a {SMALL}-secret vault",
        unit="bytes",
    )
    idle_row = Row(
        "tui_idle",
        f"CPU time of the unlocked TUI ({n:,} secrets) over {window:g} s of idling",
        baseline_title="a bare Textual app with one focused Input, same window",
    )
    reason = tui_available()
    if reason:
        mem_row.na = idle_row.na = reason
        return [mem_row, idle_row]
    big = make_vault(work / "idle", local_secrets(n))
    small = make_vault(work / "idle-small", local_secrets(SMALL))
    env = isolated_env(work / "home-idle")
    measure([str(small.path), str(small.key_file), "0"], env)  # warm-up: bytecode, page cache
    # One long run of each: a 30 s window is itself an average over time.
    cpu, wall, rss, secrets, rows = measure([str(big.path), str(big.key_file), str(window)], env)
    base_cpu, _, _, _, _ = measure(["minimal", str(window)], env)
    small_rss = [float(measure([str(small.path), str(small.key_file), "0"], env)[2])]
    for _ in range(max(0, sizes.runs - 1)):  # memory: cheap to repeat without the window
        small_rss.append(float(measure([str(small.path), str(small.key_file), "0"], env)[2]))
    mem_row.measured([float(rss)], small_rss)
    mem_row.note = f"{secrets:,} secrets, {rows:,} rows drawn; goal ≤ 300 MiB"
    idle_row.measured([cpu], [base_cpu])
    idle_row.note = (
        f"{fmt_value(cpu, 's')} of CPU over {wall:.1f} s "
        f"({100 * cpu / wall:.2f}% of one core); goal ≈ 0"
    )
    return [mem_row, idle_row]

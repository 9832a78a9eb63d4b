"""Row 1: cold start to an interactive unlock screen, against a bare Textual app.

Each run is a fresh process (`drivers/startup.py`); the clock runs from spawning it to the
moment it reports that the first frame with a focused input was rendered (headless).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.core import PYTHON, ROOT, Row, Sizes, isolated_env, say, spawn_until_ready
from bench.fixtures import make_vault

DRIVER = str(ROOT / "bench" / "drivers" / "startup.py")
TIMEOUT = 60.0


def time_to_ready(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds from spawn to the first frame with a focused Input, and what was focused."""
    elapsed, line = spawn_until_ready([PYTHON, DRIVER, *args], env, timeout=TIMEOUT)
    return elapsed, " #".join(line.split()[1:])


def tui_available() -> str:
    """Empty if tui-vault's app can be built; else why not."""
    if not (ROOT / "tui_vault" / "ui" / "app.py").exists():
        return "n/a (TUI not built)"
    return ""


def run(sizes: Sizes, work: Path) -> Row:
    row = Row(
        "cold_start",
        "Cold start to an interactive unlock screen (headless)",
        baseline_title="bare Textual app with one Input",
    )
    home = work / "home-startup"
    env = isolated_env(home)
    bv = make_vault(work / "startup")
    minimal = ["minimal"]
    ours = ["tui-vault", str(bv.path)]
    reason = tui_available()
    shown = ""
    # One unmeasured run each fills the bytecode cache and the OS page cache.
    time_to_ready(minimal, env)
    if not reason:
        try:
            _, shown = time_to_ready(ours, env)
        except RuntimeError as e:
            reason = f"n/a (TUI does not start: {e})"
    base: list[float] = []
    mine: list[float] = []
    # Three times the usual runs: one start is ~0.3 s, and five of each gave medians whose
    # ratio moved by up to 0.1 between back-to-back runs of this section on a quiet machine.
    for _ in range(3 * sizes.runs):  # interleaved, so drift hits both alike
        base.append(time_to_ready(minimal, env)[0])
        if not reason:
            mine.append(time_to_ready(ours, env)[0])
    if reason:
        say(f"  cold start: {reason}")
        row.na = reason
        row.baseline, row.baseline_samples = statistics.median(base), base
        row.baseline_runs = len(base)
        return row
    row.note = f"first focused input: {shown} (keyring: none, as on a headless machine)"
    return row.measured(mine, base)

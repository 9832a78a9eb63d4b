"""Row 5 (TUI part): one filter keystroke in the secrets table of a 100,000-secret vault.

Each run is a fresh process (`drivers/filter.py`) that unlocks with a key file, waits for
the full table, then times one key press in the filter until the filtered table is on
screen. The baseline is the same keystroke on a 100-secret vault. A run at full size takes
about a minute on two CPUs, so this row repeats only while the bench's time budget allows.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bench.core import (
    PYTHON,
    ROOT,
    Row,
    Sizes,
    budget_left,
    driver_failure,
    fmt_value,
    isolated_env,
    say,
)
from bench.fixtures import local_secrets, make_vault
from bench.startup import tui_available

DRIVER = str(ROOT / "bench" / "drivers" / "filter.py")
SMALL = 100
CHAR = "4"  # in 41% of the names secret-000000 … secret-099999


def keystroke(vault: Path, key_file: Path, env: dict[str, str]) -> tuple[float, str]:
    line, why = "", ""
    for _attempt in range(2):  # one retry: the UI is a live tree others may be editing
        done = subprocess.run(
            [PYTHON, DRIVER, str(vault), str(key_file), CHAR],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("KEYSTROKE")), "")
        if line:
            break
        why = driver_failure(done.stderr)
        say(f"  filter driver failed ({why}); retrying once")
    if not line:
        raise RuntimeError(f"filter driver failed: {why}")
    _, seconds, total, matches, before, after, loaded = line.split()
    return float(seconds), (
        f"the keystroke narrows {int(total):,} secrets to {int(matches):,} matches; the table "
        f"holds {int(before):,} rows before and {int(after):,} after (it draws the rows on "
        f"screen); from start to the first full table: {fmt_value(float(loaded), 's')}"
    )


def run(sizes: Sizes, work: Path) -> Row:
    n = sizes.scale_secrets
    row = Row(
        "scale_filter",
        f"One filter keystroke in the TUI's secrets table, {n:,} secrets",
        baseline_title=f"the same keystroke on a {SMALL}-secret vault",
    )
    reason = tui_available()
    if reason:
        row.na = reason
        return row
    big = make_vault(work / "filter", local_secrets(n))
    small = make_vault(work / "filter-small", local_secrets(SMALL))
    env = isolated_env(work / "home-filter")
    keystroke(small.path, small.key_file, env)  # warm-up
    mine: list[float] = []
    base: list[float] = []
    detail = ""
    # 15 pairs in a full run (as for the cold start): one keystroke's wall time moved by
    # ±30 % between back-to-back runs of the same code (bench/PROFILING.md, round 6), and
    # the median of 5 with it.
    pairs = 3 * sizes.slow_runs
    for i in range(pairs):
        t0 = time.perf_counter()
        seconds, detail = keystroke(big.path, big.key_file, env)
        mine.append(seconds)
        base.append(keystroke(small.path, small.key_file, env)[0])
        per_run = time.perf_counter() - t0
        if i + 1 < pairs and budget_left() < per_run * 1.2:
            say(f"  filter: stopping after {i + 1} run(s) to stay within the time budget")
            break
    row.measured(mine, base)
    row.note = detail
    return row

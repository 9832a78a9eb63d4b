"""The benchmark code itself runs: `python -m bench --smoke` (tiny sizes, one run each).

No timing is asserted anywhere: only that every row of the table is produced, that no row's
code failed, and that a row without a number says why (a tool that is not installed here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.mark.timeout(180)
def test_smoke_run_produces_every_row(tmp_path: Path) -> None:
    from bench.__main__ import ROW_KEYS

    out, rows_json = tmp_path / "results.md", tmp_path / "rows.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_VAULT_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out), "--json", str(rows_json)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    rows = json.loads(rows_json.read_text())
    assert [r["key"] for r in rows] == ROW_KEYS
    for r in rows:
        assert not r["error"], f"{r['key']}: {r['error']}"
        if r["value"] is None:
            assert r["na"].startswith("n/a ("), f"{r['key']} has no number and no reason"
        else:
            assert r["value"] > 0 and r["runs"] >= 1
            assert r["baseline"] is None or r["baseline"] > 0

    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(ROW_KEYS)  # header + one line per row
    text = out.read_text()
    for heading in ("## Headline figures", "## Results", "## Machine", "## Method"):
        assert heading in text
    assert all(r["title"] in text for r in rows)


def test_readme_figures_are_replaced_between_the_markers_only(tmp_path: Path) -> None:
    import datetime as dt

    from bench import report
    from bench.core import Row, Sizes

    readme = tmp_path / "README.md"
    before, after = "# Title\n\nintro\n\n", "\n\n## Next\nkept\n"
    readme.write_text(before + report.README_START + "\nold figures\n" + report.README_END + after)
    rows = [
        Row("get", "get", value=0.05, baseline=0.04, runs=5, goal=report.GOALS["get"]),
        Row(
            "cold_start", "start", value=0.5, baseline=0.3, runs=5, goal=report.GOALS["cold_start"]
        ),
    ]
    started = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    assert report.update_readme(rows, Sizes.full(), started, readme)
    text = readme.read_text()
    assert text.startswith(before) and text.endswith(after)
    assert "old figures" not in text
    assert "50 ms, against 40 ms for `pass show NAME` (1.25x)" in text
    assert "goals met: 1 of 2" in text  # get 1.25x <= 2.0 met; start 1.67x > 1.2 not met
    readme.write_text("no markers here\n")
    assert not report.update_readme(rows, Sizes.full(), started, readme)
    assert readme.read_text() == "no markers here\n"


def test_a_ratio_rounded_onto_its_goal_shows_which_side_it_is_on() -> None:
    """1.2019 against ≤ 1.2 is not met: two decimals ("1.20x") would read as met."""
    from bench.core import Goal, fmt_ratio

    assert fmt_ratio(1.2019, Goal(1.2)) == "1.202x"
    assert fmt_ratio(1.1988, Goal(1.2)) == "1.199x"
    assert fmt_ratio(1.2019) == "1.20x" and fmt_ratio(1.34, Goal(1.5)) == "1.34x"
    assert fmt_ratio(0.5004, Goal(0.5, at_most=False)) == "0.500x"
    assert fmt_ratio(23.1, Goal(3)) == "23x" and fmt_ratio(None, Goal(1)) == "—"

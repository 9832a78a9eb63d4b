"""`python -m bench`: run every benchmark row, print one table, write bench/results.md.

python -m bench                 the full run (`make bench`), under ten minutes
python -m bench --smoke         tiny sizes, one run each: proves the code works
python -m bench --only get,warm run some sections only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bench import (
    agent_get,
    cli_get,
    peers,
    remote,
    report,
    run_throughput,
    scale,
    startup,
    transfer_rows,
    tui_filter,
    tui_idle,
    warm,
)
from bench.core import ROOT, WORK, Row, Sizes, say, start_clock

SectionFn = Callable[[Sizes, Path], "Row | list[Row]"]

SECTIONS: list[tuple[str, SectionFn, list[str]]] = [
    ("startup", startup.run, ["cold_start"]),
    ("get", cli_get.run, ["get"]),
    ("agent", agent_get.run, ["get_agent"]),
    ("remote", remote.run, ["remote_concurrent", "remote_floor", "remote_bare"]),
    ("warm", warm.run, ["warm_cache"]),
    ("scale", scale.run, ["scale_unlock", "scale_list", "scale_edit", "scale_memory"]),
    ("transfer", transfer_rows.run, ["export_plain", "export_enc", "import_plain", "import_enc"]),
    ("run", run_throughput.run, ["run_mask_ten", "run_mask_big"]),
    (
        "peers",
        peers.run,
        ["peer_dotenvx_get", "peer_dotenvx_run", "peer_harlequin", "first_make_run"],
    ),
    ("tui_idle", tui_idle.run, ["tui_memory", "tui_idle"]),
    # Last: its repetitions adapt to the time left.
    ("tui_filter", tui_filter.run, ["scale_filter"]),
]
# The table's order: the TUI filter row sits with the other scale rows.
ROW_KEYS = [
    "cold_start",
    "get",
    "get_agent",
    "remote_concurrent",
    "remote_floor",
    "remote_bare",
    "warm_cache",
    "scale_unlock",
    "scale_list",
    "scale_edit",
    "scale_filter",
    "scale_memory",
    "tui_memory",
    "tui_idle",
    "export_plain",
    "export_enc",
    "import_plain",
    "import_enc",
    "run_mask_ten",
    "run_mask_big",
    "peer_dotenvx_get",
    "peer_dotenvx_run",
    "peer_harlequin",
    "first_make_run",
]
assert sorted(ROW_KEYS) == sorted(key for _, _, keys in SECTIONS for key in keys)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run each")
    parser.add_argument(
        "--only", help="comma-separated sections: " + ", ".join(name for name, _, _ in SECTIONS)
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write the markdown (default: bench/results.md; none in smoke mode)",
    )
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    sizes = Sizes.tiny() if args.smoke else Sizes.full()
    wanted = set(args.only.split(",")) if args.only else None
    out = args.out or (None if args.smoke else ROOT / "bench" / "results.md")

    WORK.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tui-vault-bench-"))
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    start_clock()
    rows: list[Row] = []
    try:
        for name, fn, keys in SECTIONS:
            if wanted and name not in wanted:
                continue
            say(f"[{time.perf_counter() - t0:5.0f} s] {name} ...")
            section_dir = work / name
            section_dir.mkdir()
            try:
                got = fn(sizes, section_dir)
                rows.extend(got if isinstance(got, list) else [got])
            except Exception as e:  # one broken row must not lose the others
                traceback.print_exc()
                for key in keys:
                    rows.append(Row(key, f"{name}: {key}", error=f"{type(e).__name__}: {e}"))
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - t0
    say(f"[{seconds:5.0f} s] done")
    rows.sort(key=lambda r: ROW_KEYS.index(r.key))
    for r in rows:
        r.goal = report.GOALS.get(r.key)

    print()
    print("\n".join(report.table(rows)))
    print()
    print("\n".join(report.headlines(rows, sizes)) if not wanted else "")
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) | {"ratio": r.ratio} for r in rows], indent=1))
    if out is not None:
        report.write_markdown(out, rows, sizes, started, seconds, (load_before, os.getloadavg()))
        say(f"wrote {out}")
    if (
        not sizes.smoke
        and not wanted
        and args.out is None
        and report.update_readme(rows, sizes, started)
    ):
        say("updated README.md's performance figures")
    return 1 if any(r.error for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

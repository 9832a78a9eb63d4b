"""The results table (printed and written to bench/results.md) and the machine it ran on."""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from bench.core import BIN, ROOT, Goal, Row, Sizes, first_line, fmt_ratio, fmt_value

NOTES = ROOT / "bench" / "PROFILING.md"

# Issue 15's goals, by row. A time ratio of at most 2 is a throughput of at least half.
GOALS: dict[str, Goal] = {
    "cold_start": Goal(1.2),
    "get": Goal(2.0),
    "get_agent": Goal(1.1),
    "remote_floor": Goal(3.0),
    "warm_cache": Goal(1.5),
    "scale_unlock": Goal(1.0),
    "scale_list": Goal(5.0),
    "scale_edit": Goal(3.0),
    "scale_filter": Goal(1.5),
    "run_mask_ten": Goal(2.0),
    "run_mask_big": Goal(2.0),  # the same goal: masked output at half of cat's rate or better
    "tui_memory": Goal(300 * 1024 * 1024, on="value"),
    "tui_idle": Goal(0.1, on="value"),  # "≈ 0": at most 0.1 s of CPU over the idle window
}


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> list[tuple[str, str]]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / (1024 * 1024):.1f} GiB"
                break
    except OSError:
        pass
    system = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = f"{line.split('=', 1)[1].strip(chr(34))}, Linux {platform.release()}"
    except OSError:
        pass
    pass_version = first_line(["dpkg-query", "-W", "-f=${Version}", "pass"])
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} logical CPUs"),
        ("Memory", mem),
        ("System", system),
        ("Python", platform.python_version()),
        (
            "Packages",
            f"textual {_version('textual')}, cryptography {_version('cryptography')}, "
            f"hvac {_version('hvac')}, boto3 {_version('boto3')}, moto {_version('moto')}",
        ),
        ("OpenBao", first_line([str(BIN / "bao"), "version"])),
        ("pass / gpg", f"pass {pass_version}; {first_line(['gpg', '--version'])}"),
    ]


def table(rows: Sequence[Row]) -> list[str]:
    head = "| # | Measurement | tui-vault (median) | Baseline | Baseline (median) | Ratio | Goal |"
    out = [head, "|---|---|---:|---|---:|---:|---|"]
    for i, r in enumerate(rows, start=1):
        value = fmt_value(r.value, r.unit)
        if r.error:
            value = f"error: {r.error}"
        elif r.na and r.value is None:
            value = r.na
        elif r.runs:
            value += f" ({r.runs})"
        base = fmt_value(r.baseline, r.unit)
        if r.baseline is not None and r.baseline_runs:
            base += f" ({r.baseline_runs})"
        elif r.na and r.value is not None:
            base = r.na
        goal = ""
        if r.goal is not None:
            met = r.goal_met
            goal = r.goal.describe(r.unit) + {True: " met", False: " **not met**", None: ""}[met]
        out.append(
            f"| {i} | {r.title} | {value} | {r.baseline_title} | {base} "
            f"| {fmt_ratio(r.ratio, r.goal)} | {goal} |"
        )
    return out


def _by_key(rows: Sequence[Row]) -> dict[str, Row]:
    return {r.key: r for r in rows}


def headlines(rows: Sequence[Row], sizes: Sizes) -> list[str]:
    k = _by_key(rows)

    def v(key: str) -> str:
        r = k.get(key)
        return fmt_value(r.value, r.unit) if r and r.value is not None else "n/a"

    def b(key: str) -> str:
        r = k.get(key)
        return fmt_value(r.baseline, r.unit) if r and r.baseline is not None else "n/a"

    def x(key: str) -> str:
        r = k.get(key)
        return fmt_ratio(r.ratio, r.goal) if r and r.ratio is not None else "n/a"

    out = []
    start = k.get("cold_start")
    if start and start.value is not None:
        out.append(
            f"- **Start to unlock screen:** {v('cold_start')} "
            f"(a bare Textual app with one input: {b('cold_start')}; {x('cold_start')})."
        )
    else:
        na = start.na if start else "n/a"
        out.append(f"- **Start to unlock screen:** {na}; a bare Textual app: {b('cold_start')}.")
    out.append(
        f"- **`tui-vault get NAME`:** {v('get')}, against {b('get')} for `pass show NAME` "
        f"({x('get')})."
    )
    out.append(
        f"- **`get` through the session agent:** {v('get_agent')}, against {b('get_agent')} "
        f"with the key in `TUI_VAULT_KEY` ({x('get_agent')})."
    )
    total = 2 * sizes.remote_per_provider
    conc = k.get("remote_concurrent")
    speedup = (
        f"{conc.baseline / conc.value:.1f}x faster"
        if conc and conc.value and conc.baseline
        else "n/a"
    )
    out.append(
        f"- **{total} linked secrets from OpenBao + AWS, {sizes.latency_ms:g} ms per request, "
        f"cold:** {v('remote_concurrent')} concurrently, against {b('remote_concurrent')} "
        f"one after another ({speedup}); one fetch alone: {b('remote_floor')}."
    )
    out.append(
        f"- **{sizes.warm_refs:,} references from the warm cache:** {v('warm_cache')} "
        f"(as many local secrets: {b('warm_cache')})."
    )
    filter_part = ""
    if k.get("scale_filter") and k["scale_filter"].value is not None:
        filter_part = f", one filter keystroke in the TUI {v('scale_filter')}"
    out.append(
        f"- **{sizes.scale_secrets:,} secrets:** unlock {v('scale_unlock')}, "
        f"`list --json` {v('scale_list')}, one edit saved {v('scale_edit')}{filter_part}; "
        f"peak memory {v('scale_memory')}."
    )
    if k.get("tui_memory") and k["tui_memory"].value is not None and k.get("tui_idle"):
        out.append(
            f"- **The TUI at rest, {sizes.scale_secrets:,} secrets unlocked:** peak memory "
            f"{v('tui_memory')}; CPU over its idle window {v('tui_idle')}."
        )
    out.append(
        f"- **Export / import of {sizes.transfer_secrets:,} secrets:** encrypted "
        f"{v('export_enc')} / {v('import_enc')}, plaintext {v('export_plain')} / "
        f"{v('import_plain')}; the Argon2id key derivation alone is {b('export_enc')}."
    )
    if any(key in k for key in ("peer_dotenvx_get", "peer_harlequin")):
        out.append(
            f"- **Peers:** `get` {v('peer_dotenvx_get')} against dotenvx's "
            f"{b('peer_dotenvx_get')}; `run` with ten references {v('peer_dotenvx_run')} against "
            f"{b('peer_dotenvx_run')}; start to a focused input {v('peer_harlequin')} against "
            f"harlequin's {b('peer_harlequin')}."
        )
    if "first_make_run" in k:
        out.append(
            f"- **A newcomer's first `make run`** (clean clone, empty package caches): "
            f"{v('first_make_run')} to the first screen; the second: {b('first_make_run')}."
        )
    return out


def write_markdown(
    path: Path,
    rows: Sequence[Row],
    sizes: Sizes,
    started: dt.datetime,
    seconds: float,
    load: tuple[tuple[float, ...], tuple[float, ...]],
) -> None:
    lines = ["# tui-vault benchmarks", ""]
    lines += [
        "Generated by `make bench` (`python -m bench`); every figure is the median of several",
        "runs, and every ratio compares it with a baseline measured in the same run.",
        "",
        "## Headline figures",
        "",
        *headlines(rows, sizes),
        "",
        "## Results",
        "",
        f"Run on {started:%Y-%m-%d %H:%M} UTC in {seconds / 60:.1f} minutes"
        + (" (smoke mode: tiny sizes, numbers meaningless)" if sizes.smoke else "")
        + ". Runs per figure in parentheses.",
        "",
        *table(rows),
        "",
    ]
    notes = [f"- {r.title.strip(' …')}: {r.note}" for r in rows if r.note]
    if notes:
        lines += ["Notes:", "", *notes, ""]
    lines += ["## Machine", ""]
    lines += [f"- **{name}:** {value}" for name, value in machine()]
    before, after = load
    lines.append(
        f"- **Load average** (1/5/15 min) before: {' '.join(f'{x:.2f}' for x in before)}, "
        f"after: {' '.join(f'{x:.2f}' for x in after)}"
        + (
            # "after" includes the bench's own load; "before" tells whether others were busy.
            " — other work was running; treat absolute times with care" if before[0] > 1.0 else ""
        )
    )
    lines += ["", METHOD]
    if NOTES.exists():
        lines += ["", NOTES.read_text().rstrip()]
    path.write_text("\n".join(lines) + "\n")


METHOD = """## Method

- Every process-level figure is a fresh process (spawn to exit, or spawn to the first frame),
  with its own temporary HOME, no password manager (`keyring`'s fail backend, as on a
  headless or SSH machine) and a bytecode cache, as after any `pip install`. One unmeasured
  warm-up run comes first; measured runs of a row and its baseline are interleaved.
- **Cold start:** `bench/drivers/startup.py` builds the app and runs it headless
  (`App.run_test`, 100x30); the clock stops when the child reports that an `Input` has focus
  and the frame showing it was rendered (`call_after_refresh`). Imports are included.
- **get vs pass:** the same 100 secrets in both; `pass` uses a throwaway GnuPG home with a
  passphrase-less key and a running gpg-agent (loopback pinentry); `tui-vault` reads its key
  from `TUI_VAULT_KEY`.
- **Linked secrets:** `bao server -dev` (KV v2) and `moto_server`, seeded with 50 secrets
  each, behind `bench/proxy.py`, which forwards every request 50 ms after it arrived. Each run
  builds a fresh `Resolver` (new SDK clients, a new empty cache file). The servers run on the
  same two CPUs as the client.
- **Scale:** unlock and the edit are timed in-process through `tui_vault.core` (as the TUI
  does them); `list --json` and its peak RSS come from a fresh process (`wait4` on a small
  parent, `bench/drivers/rss.py`).
- **Export/import:** the real CLI commands; Argon2id is timed alone in-process with the
  product's parameters.
- **Peers** (`bench/peers.py`, installed into `bench/.work/peers` on the first full run):
  dotenvx from the npm registry on an encrypted `.env` (`dotenvx set`) of the same ten values
  as a ten-secret vault; harlequin from PyPI in its own virtualenv, started headless by
  `bench/drivers/harlequin_start.py` exactly as row 1 starts tui-vault (clock stops at the
  frame that shows its first focused widget).
- **First `make run`:** a `git clone` of this checkout, `make run` in a fresh tmux pane with
  pip's cache off and an empty `UV_CACHE_DIR`, a new HOME (so the first screen is the new
  vault's key); the clock stops when the pane shows it. Downloads come from PyPI, so the
  figure depends on the network as much as on the project."""


README = ROOT / "README.md"
README_START = "<!-- bench:start (written by `make bench` from its own run: do not edit) -->"
README_END = "<!-- bench:end -->"


def update_readme(
    rows: Sequence[Row], sizes: Sizes, started: dt.datetime, path: Path = README
) -> bool:
    """Replace the README's performance figures with this run's headlines (between the two
    markers). False when the README has no markers (nothing written)."""
    text = path.read_text()
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    met = [r for r in rows if r.goal_met is not None]
    goals = (
        f"Issue 15's goals met: {sum(1 for r in met if r.goal_met)} of {len(met)} "
        f"(the table in bench/results.md says which)."
    )
    body = [
        f"Run on {started:%Y-%m-%d} on the 2-core machine; each figure against its baseline "
        "in the same run.",
        "",
        *headlines(rows, sizes),
        "",
        goals,
    ]
    path.write_text(head + README_START + "\n" + "\n".join(body) + "\n" + README_END + tail)
    return True

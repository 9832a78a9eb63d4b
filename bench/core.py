"""What every benchmark row shares: sizes, timing, isolated environments, the row record."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
TUI_VAULT = str(BIN / "tui-vault")
WORK = ROOT / "bench" / ".work"  # git-ignored: bytecode cache, profiles
BUDGET_SECONDS = 540.0  # `make bench` must finish within ten minutes
_started = time.monotonic()


def start_clock() -> None:
    global _started
    _started = time.monotonic()


def budget_left() -> float:
    return BUDGET_SECONDS - (time.monotonic() - _started)


@dataclass(frozen=True)
class Sizes:
    """How big and how often. `full` is `make bench`; `smoke` only proves the code runs."""

    smoke: bool
    runs: int  # repetitions of fast rows
    slow_runs: int  # repetitions of slow rows
    remote_per_provider: int  # linked secrets per server (row 3)
    latency_ms: float
    sequential_runs: int
    warm_refs: int  # row 4
    scale_secrets: int  # row 5
    transfer_secrets: int  # row 6

    @classmethod
    def full(cls) -> Sizes:
        return cls(
            smoke=False,
            runs=5,
            slow_runs=5,
            remote_per_provider=50,
            latency_ms=50.0,
            sequential_runs=3,
            warm_refs=10_000,
            scale_secrets=100_000,
            transfer_secrets=10_000,
        )

    @classmethod
    def tiny(cls) -> Sizes:
        return cls(
            smoke=True,
            runs=1,
            slow_runs=1,
            remote_per_provider=3,
            latency_ms=5.0,
            sequential_runs=1,
            warm_refs=200,
            scale_secrets=500,
            transfer_secrets=100,
        )


@dataclass(frozen=True)
class Goal:
    """A target: the ratio (or the figure itself) at most / at least `limit`."""

    limit: float
    at_most: bool = True
    on: str = "ratio"  # or "value" (seconds, bytes)

    def describe(self, unit: str) -> str:
        sign = "≤" if self.at_most else "≥"
        if self.on == "ratio":
            return f"{sign} {self.limit:g}x"
        return f"{sign} {fmt_value(self.limit, unit)}"


@dataclass
class Row:
    """One line of the table: a measured median and its baseline from the same run."""

    key: str
    title: str
    value: float | None = None  # seconds, or bytes when unit == "bytes"
    baseline_title: str = ""
    baseline: float | None = None
    unit: str = "s"
    runs: int = 0
    baseline_runs: int = 0
    note: str = ""
    na: str = ""  # why there is no number (a tool or the TUI is missing)
    error: str = ""  # the row's code failed: a bug, not a missing tool
    samples: list[float] = field(default_factory=list)
    baseline_samples: list[float] = field(default_factory=list)
    goal: Goal | None = None  # issue 15's goal for this row, if it has one

    @property
    def goal_met(self) -> bool | None:
        """True/False against the goal; None without a goal or a figure."""
        if self.goal is None:
            return None
        got = self.ratio if self.goal.on == "ratio" else self.value
        if got is None:
            return None
        return got <= self.goal.limit if self.goal.at_most else got >= self.goal.limit

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def measured(
        self,
        samples: Sequence[float],
        baseline_samples: Sequence[float] | None = None,
    ) -> Row:
        self.samples = list(samples)
        self.value = statistics.median(samples)
        self.runs = len(samples)
        if baseline_samples:
            self.baseline_samples = list(baseline_samples)
            self.baseline = statistics.median(baseline_samples)
            self.baseline_runs = len(baseline_samples)
        return self


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "bytes":
        mib = value / (1024 * 1024)
        return f"{mib:,.0f} MiB" if mib >= 10 else f"{mib:,.1f} MiB"
    if value >= 10:
        return f"{value:,.1f} s"
    if value >= 1:
        return f"{value:.2f} s"
    ms = value * 1000
    if ms >= 10:
        return f"{ms:.0f} ms"
    if ms >= 1:
        return f"{ms:.1f} ms"
    return f"{ms * 1000:.0f} µs"


def fmt_ratio(ratio: float | None, goal: Goal | None = None) -> str:
    """The ratio with two decimals; three when two would round it onto its goal's line
    (1.202x, not 1.20x, for a row that misses ≤ 1.2x)."""
    if ratio is None:
        return "—"
    if ratio >= 10:
        return f"{ratio:.0f}x"
    if goal is not None and goal.on == "ratio" and round(ratio, 2) == round(goal.limit, 2):
        return f"{ratio:.3f}x"
    return f"{ratio:.2f}x"


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment that cannot touch the user's own vault, settings or keyring."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TUI_VAULT_", "XDG_", "PYTHON_KEYRING", "GNUPGHOME"))
        and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPROFILEIMPORTTIME")
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        # No password manager here: the key comes from the environment or a key file.
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        # Bytecode is cached, as after any pip/pipx install (kept out of the source tree).
        PYTHONPYCACHEPREFIX=str(WORK / "pycache"),
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class ProcResult:
    seconds: float
    maxrss_bytes: int
    returncode: int
    stdout: bytes
    stderr: bytes


def run_process(
    argv: Sequence[str],
    env: dict[str, str],
    stdin: bytes | None = None,
    cwd: Path | None = None,
    timeout: float = 300.0,
) -> ProcResult:
    """Run a command to completion: wall time from spawn to exit, and its own peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        env=env,
        cwd=cwd,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    seconds = time.perf_counter() - t0
    return ProcResult(seconds, 0, proc.returncode, out, err)


def run_for_rss(argv: Sequence[str], env: dict[str, str], stdin: bytes | None = None) -> ProcResult:
    """Like run_process, but through drivers/rss.py: the command's own peak RSS and time."""
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
        driver = str(ROOT / "bench" / "drivers" / "rss.py")
        r = run_process([PYTHON, driver, report.name, *argv], env, stdin=stdin)
        text = report.read().split()
    if len(text) != 2:
        return r
    return ProcResult(float(text[1]), int(text[0]), r.returncode, r.stdout, r.stderr)


def spawn_until_ready(
    argv: Sequence[str], env: dict[str, str], timeout: float = 60.0
) -> tuple[float, str]:
    """Seconds from spawning a start-up driver to its READY line, and that line.

    Raises RuntimeError with the driver's own error when it prints something else."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if not line.startswith(b"READY"):
        raise RuntimeError(f"{Path(argv[1]).name} failed: {driver_failure(err.decode())}")
    return elapsed, line.decode()


def first_line(argv: list[str], timeout: float = 30) -> str:
    """The first line a tool prints (a version, say): stdout, else stderr; or why not."""
    try:
        out = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    text = (out.stdout or out.stderr).decode(errors="replace").strip().splitlines()
    return text[0] if text else "unknown"


def check(result: ProcResult, what: str) -> ProcResult:
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{what} exited {result.returncode}: {' | '.join(tail)}")
    return result


def driver_failure(stderr: str) -> str:
    """The exception a driver process died of (not the warnings printed after it)."""
    lines = [x for x in stderr.strip().splitlines() if x.strip()]
    errors = [x.strip() for x in lines if ("Error" in x or "Exception" in x) and ":" in x]
    return (errors or lines or ["no output"])[-1][:300]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)

"""Rows: masked output through `tui-vault run -- cat FILE` against `cat FILE`, same bytes.

The file is log lines with the values in it (10 values of 40 characters, one every 100
lines; or one 100 KB value, a few times); the bench reads the output from a pipe in 1 MiB
reads and checks that exactly the expected bytes came out (every value masked). Issue 15's
goal is masked throughput at least half of cat's, so the figure is a rate: the bytes after
the first read over the time from the first read to the last byte, given as the time that
rate needs for the whole file (a time ratio of at most 2). Fixed costs are not throughput
and are in the note instead: spawn to the last byte (start-up included) and the last byte
to end of file (the process's exit, which a reader waits for too).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.core import PYTHON, ROOT, TUI_VAULT, Row, Sizes, isolated_env
from bench.fixtures import make_vault
from tui_vault.core.masking import MASK
from tui_vault.core.model import Secret

WORDS = [
    "GET",
    "POST",
    "/api/v1/items",
    "200",
    "404",
    "OK",
    "latency=12ms",
    "user=alice",
    "request",
    "id",
    "trace",
]


def _values(kind: str, rng: random.Random) -> list[str]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    if kind == "ten":
        return ["".join(rng.choice(alphabet) for _ in range(40)) for _ in range(10)]
    return ["".join(rng.choice(alphabet) for _ in range(100_000))]


def _data(values: list[str], size: int, rng: random.Random) -> tuple[bytes, int]:
    """About `size` bytes of log lines holding the values; the size once masked."""
    lines: list[str] = []
    total = masked = 0
    every = 100 if len(values[0]) < 1000 else 20000
    i = 0
    while total < size:
        line = " ".join(rng.choice(WORDS) for _ in range(10))
        if i % every == every - 1:
            v = rng.choice(values)
            line += " token=" + v
            masked += len(v) - len(MASK)
        line += "\n"
        lines.append(line)
        total += len(line)
        i += 1
    data = "".join(lines).encode()
    return data, len(data) - masked


@dataclass(frozen=True)
class _Stream:
    total: float  # spawn to the last byte
    streaming: float  # seconds the rate from the first read to the last byte needs for all
    eof: float  # the last byte to end of file
    size: int  # bytes read


def _read_all(argv: list[str], env: dict[str, str]) -> _Stream:
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    first = os.read(fd, 1 << 20)
    t_first = t_last = time.perf_counter()
    n = len(first)
    while chunk := os.read(fd, 1 << 20):
        t_last = time.perf_counter()
        n += len(chunk)
    t_eof = time.perf_counter()
    code = proc.wait()
    if code != 0:
        raise RuntimeError(f"{argv[0]} exited {code}")
    if n == len(first):
        raise RuntimeError(f"{argv[0]} wrote everything in one read: no rate to measure")
    rate = (n - len(first)) / (t_last - t_first)  # bytes per second after the first read
    return _Stream(t_last - t0, n / rate, t_eof - t_last, n)


def _row(kind: str, sizes: Sizes, work: Path) -> Row:
    rng = random.Random(15)
    size = (2 if sizes.smoke else 128) << 20
    values = _values(kind, rng)
    data, expected = _data(values, size, rng)
    mib = len(data) / (1 << 20)
    what = "10 values of 40 characters" if kind == "ten" else "one 100 KB value"
    row = Row(
        f"run_mask_{kind}",
        f"`run -- cat` streaming {mib:.0f} MiB of output, masking {what}",
        baseline_title="`cat` of the same bytes",
    )
    secrets = [Secret(name=f"v{i}", value=v) for i, v in enumerate(values)]
    bv = make_vault(work / f"run-{kind}", secrets)
    refs = {f"V{i}": f"{{{{vault:v{i}}}}}" for i in range(len(values))}
    env = isolated_env(work / f"home-run-{kind}", TUI_VAULT_KEY=bv.key_text, **refs)
    path = work / f"output-{kind}.log"
    path.write_bytes(data)
    ours_argv = [TUI_VAULT, "--vault", str(bv.path), "run", "--", "cat", str(path)]
    relay_argv = [PYTHON, str(ROOT / "bench" / "drivers" / "relay.py"), "cat", str(path)]
    ours: list[_Stream] = []
    cats: list[_Stream] = []
    relays: list[_Stream] = []
    runs = 1 if sizes.smoke else 5
    _read_all(ours_argv, env)  # warm caches
    for _ in range(runs):
        got = _read_all(ours_argv, env)
        if got.size != expected:
            raise RuntimeError(f"run passed {got.size} bytes on, expected {expected} once masked")
        ours.append(got)
        got = _read_all(["cat", str(path)], env)
        if got.size != len(data):
            raise RuntimeError("cat lost bytes")
        cats.append(got)
        got = _read_all(relay_argv, env)
        if got.size != len(data):
            raise RuntimeError("the relay lost bytes")
        relays.append(got)
    row.measured([r.streaming for r in ours], [r.streaming for r in cats])
    assert row.value and row.baseline

    def ms(streams: list[_Stream], field: str) -> str:
        return f"{statistics.median(getattr(r, field) for r in streams) * 1000:.0f} ms"

    row.note = (
        f"throughput while streaming (first read to last byte): "
        f"{len(data) / row.value / 1e6:,.0f} MB/s through run, "
        f"{len(data) / row.baseline / 1e6:,.0f} MB/s for cat, {row.baseline / row.value:.2f}x "
        f"cat's; the floor of any relay (`bench/drivers/relay.py`: read, write, no masking) "
        f"{len(data) / statistics.median(r.streaming for r in relays) / 1e6:,.0f} MB/s; "
        f"from spawn to the last byte (start-up included): {ms(ours, 'total')} against "
        f"{ms(cats, 'total')}; from the last byte to end of file (exit): {ms(ours, 'eof')} "
        f"against {ms(cats, 'eof')}"
    )
    return row


def run(sizes: Sizes, work: Path) -> list[Row]:
    return [_row("ten", sizes, work), _row("big", sizes, work)]

"""Peers measured in the same run, and the newcomer's first `make run`.

- dotenvx (`@dotenvx/dotenvx` from the npm registry): `dotenvx get NAME` and `dotenvx run`
  on an encrypted `.env` of the same ten values, against `tui-vault get` / `tui-vault run`.
- harlequin (PyPI, in a virtualenv of its own, its SQLite adapter on `:memory:`): a second
  Textual program's cold start to its first focused input, timed exactly like row 1.
- The first `make run` from a clean clone of this repository with empty package caches
  (pip's and uv's), in tmux, to the app's first screen; against the second `make run`.

Peers are installed into bench/.work/peers (git-ignored) on the first full run; smoke mode
never installs anything and reports the rows as n/a when a peer is missing.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from bench.core import (
    ROOT,
    TUI_VAULT,
    WORK,
    Row,
    Sizes,
    check,
    first_line,
    isolated_env,
    run_process,
    say,
    spawn_until_ready,
)
from bench.fixtures import local_secrets, make_vault
from bench.startup import time_to_ready, tui_available

PEERS = WORK / "peers"
NODE_DIR = PEERS / "node"
DOTENVX = NODE_DIR / "node_modules" / ".bin" / "dotenvx"
HARLEQUIN_VENV = PEERS / "harlequin"
HARLEQUIN_PY = HARLEQUIN_VENV / "bin" / "python"
HARLEQUIN_VERSION = "from importlib.metadata import version; print(version('harlequin'))"
HARLEQUIN_DRIVER = str(ROOT / "bench" / "drivers" / "harlequin_start.py")
UV = ROOT / ".uv" / "bin" / "uv"
COUNT = 10
TARGET = "secret-000004"
FIRST_SCREEN = "Your new vault key"  # what `make run` shows on a machine with no vault yet


def _install(what: str, argv: list[str], cwd: Path | None = None) -> str:
    """Run an installer; empty on success, else the reason (its last line)."""
    say(f"  peers: installing {what}")
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"n/a ({what} could not be installed: {e})"
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        return f"n/a ({what} could not be installed: {' '.join(tail)})"
    return ""


def ensure_dotenvx(allow_install: bool) -> str:
    if DOTENVX.exists():
        return ""
    if not allow_install:
        return "n/a (dotenvx is not installed; smoke mode does not install it)"
    if not shutil.which("npm"):
        return "n/a (npm is not on this machine)"
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    argv = ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR)]
    reason = _install("dotenvx (npm)", [*argv, "@dotenvx/dotenvx"])
    if not reason and not DOTENVX.exists():
        reason = "n/a (npm installed @dotenvx/dotenvx but no dotenvx command)"
    return reason


def ensure_harlequin(allow_install: bool) -> str:
    if HARLEQUIN_PY.exists():
        return ""
    if not allow_install:
        return "n/a (harlequin is not installed; smoke mode does not install it)"
    if not UV.exists():
        return "n/a (uv is missing: run `make venv` first)"
    reason = _install("a venv for harlequin", [str(UV), "venv", "-q", str(HARLEQUIN_VENV)])
    if not reason:
        env_argv = [str(UV), "pip", "install", "-q", "--python", str(HARLEQUIN_PY), "harlequin"]
        reason = _install("harlequin (PyPI)", env_argv)
    if reason:
        shutil.rmtree(HARLEQUIN_VENV, ignore_errors=True)
    return reason


def dotenvx_rows(sizes: Sizes, work: Path) -> list[Row]:
    get_row = Row(
        "peer_dotenvx_get",
        f"`tui-vault get NAME` ({COUNT}-secret vault), against a peer",
        baseline_title=f"`dotenvx get NAME` (encrypted .env of the same {COUNT} values)",
    )
    run_row = Row(
        "peer_dotenvx_run",
        f"`tui-vault run -- true` with {COUNT} references, against a peer",
        baseline_title=f"`dotenvx run -- true` (the same {COUNT} values, encrypted .env)",
    )
    # No allowed domains: dotenvx has none, and `run` passes no --url.
    secrets = [replace(s, allowed_domains=[]) for s in local_secrets(COUNT)]
    bv = make_vault(work / "peer-vault", secrets)
    env = isolated_env(work / "home-peers", TUI_VAULT_KEY=bv.key_text)
    run_env = dict(env, **{f"V{i}": f"{{{{vault:{s.name}}}}}" for i, s in enumerate(secrets)})
    expected = next(s.value for s in secrets if s.name == TARGET)

    def our_get() -> float:
        r = check(run_process([TUI_VAULT, "--vault", str(bv.path), "get", TARGET], env), "get")
        assert r.stdout.decode().rstrip("\n") == expected
        return r.seconds

    def our_run() -> float:
        argv = [TUI_VAULT, "--vault", str(bv.path), "run", "--no-pty", "--", "true"]
        return check(run_process(argv, run_env), "tui-vault run").seconds

    reason = ensure_dotenvx(allow_install=not sizes.smoke)
    project = work / "dotenvx-project"
    if not reason:
        project.mkdir()
        denv = isolated_env(work / "home-dotenvx")
        try:
            for s in secrets:  # `set` encrypts by default, keeping the key in .env.keys
                check(
                    run_process([str(DOTENVX), "set", s.name, s.value], denv, cwd=project),
                    "dotenvx set",
                )
        except RuntimeError as e:
            reason = f"n/a (could not set up dotenvx: {e})"
        if not reason and b"encrypted:" not in (project / ".env").read_bytes():
            reason = "n/a (dotenvx did not encrypt the .env)"

    def their_get() -> float:
        r = check(run_process([str(DOTENVX), "get", TARGET], denv, cwd=project), "dotenvx get")
        assert r.stdout.decode().rstrip("\n") == expected, r.stdout[:80]
        return r.seconds

    def their_run() -> float:
        argv = [str(DOTENVX), "run", "--quiet", "--", "true"]
        return check(run_process(argv, denv, cwd=project), "dotenvx run").seconds

    our_get()
    our_run()
    if not reason:
        their_get()
        their_run()
    samples: dict[str, list[float]] = {"og": [], "tg": [], "or": [], "tr": []}
    for _ in range(sizes.runs):  # interleaved
        samples["og"].append(our_get())
        samples["or"].append(our_run())
        if not reason:
            samples["tg"].append(their_get())
            samples["tr"].append(their_run())
    get_row.measured(samples["og"], samples["tg"] or None)
    run_row.measured(samples["or"], samples["tr"] or None)
    versions = (
        ""
        if reason
        else (
            f"dotenvx {first_line([str(DOTENVX), '--version'], 60)} on Node.js "
            f"{first_line(['node', '--version'])}"
        )
    )
    for row in (get_row, run_row):
        if reason:
            row.na = reason
            row.baseline_title += f" — {reason}"
        else:
            row.note = versions
    return [get_row, run_row]


def harlequin_start(env: dict[str, str]) -> float:
    return spawn_until_ready([str(HARLEQUIN_PY), HARLEQUIN_DRIVER], env)[0]


def harlequin_row(sizes: Sizes, work: Path) -> Row:
    row = Row(
        "peer_harlequin",
        "Cold start to a focused input (headless), against another Textual program",
        baseline_title="harlequin (SQLite adapter on `:memory:`, its own venv)",
    )
    reason = ensure_harlequin(allow_install=not sizes.smoke) or tui_available()
    home = work / "home-harlequin"
    home.mkdir()
    env = isolated_env(home)
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache-harlequin")
    ours_env = isolated_env(work / "home-peer-start")
    bv = make_vault(work / "peer-start")
    ours = ["tui-vault", str(bv.path)]
    time_to_ready(ours, ours_env)
    mine: list[float] = []
    base: list[float] = []
    if not reason:
        try:
            harlequin_start(env)  # warm-up: bytecode and page cache
        except RuntimeError as e:
            reason = f"n/a ({e})"
    for _ in range(sizes.runs):
        mine.append(time_to_ready(ours, ours_env)[0])
        if not reason:
            base.append(harlequin_start(env))
    row.measured(mine, base or None)
    if reason:
        row.na = reason
        row.baseline_title += f" — {reason}"
    else:
        version = first_line([str(HARLEQUIN_PY), "-c", HARLEQUIN_VERSION], 60)
        row.note = f"harlequin {version}, first focus: its query editor"
    return row


def _du(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_size
    return total


def _make_run_in_tmux(clone: Path, env: dict[str, str], socket: str) -> float:
    """Seconds from starting `make run` in a fresh tmux pane to the app's first screen."""
    tmux = ["tmux", "-L", socket]
    shell_env = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    cmd = f"cd {shlex.quote(str(clone))} && env -i {shell_env} make run; sleep 600"
    t0 = time.perf_counter()
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "100", "-y", "30", "-s", "first", cmd], check=True
    )
    try:
        deadline = t0 + 900
        while time.perf_counter() < deadline:
            pane = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", "first"], capture_output=True, timeout=30
            ).stdout.decode(errors="replace")
            if FIRST_SCREEN in pane:
                return time.perf_counter() - t0
            time.sleep(0.05)
        raise RuntimeError(f"`make run` showed no first screen in 15 min: {pane[-300:]!r}")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def first_make_run_row(sizes: Sizes, work: Path) -> Row:
    row = Row(
        "first_make_run",
        "First `make run` from a clean clone, empty package caches, to the first screen (tmux)",
        baseline_title="the second `make run` (virtualenv in place)",
    )
    if sizes.smoke:
        row.na = "n/a (smoke mode: no downloads)"
        return row
    if not shutil.which("tmux") or not shutil.which("git"):
        row.na = "n/a (needs tmux and git)"
        return row
    clone = work / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=300)
    homes = iter(range(100))

    def fresh_env() -> dict[str, str]:
        # A home of its own each time: no vault yet, so the first screen is the same.
        home = work / f"home-first-run-{next(homes)}"
        home.mkdir()
        env = isolated_env(home)
        env.pop("PYTHONPYCACHEPREFIX", None)  # a newcomer's Python writes its own bytecode
        env.pop("VIRTUAL_ENV", None)
        env["PATH"] = os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep) if ".venv" not in p
        )
        env.update(
            TERM="xterm-256color",
            PIP_NO_CACHE_DIR="1",  # pip fetching uv: no cached wheel
            UV_CACHE_DIR=str(work / "empty-uv-cache"),  # uv fetching every package: none cached
        )
        return env

    # A tmux server of its own for each run: a new session on the socket of a server still
    # shutting down from the last kill-server fails ("server exited unexpectedly").
    sockets = (f"tvb-first-{os.getpid()}-{i}" for i in range(100))
    first = _make_run_in_tmux(clone, fresh_env(), next(sockets))
    size = _du(clone / ".venv")
    second = [
        _make_run_in_tmux(clone, fresh_env(), next(sockets)) for _ in range(min(sizes.runs, 3))
    ]
    row.measured([first], second)
    row.note = (
        f"one cold run (downloads uv from PyPI, then the app's packages with uv); the app's "
        f"virtualenv is {size / 1e6:.0f} MB (no test servers, linters or type checker)"
    )
    return row


def run(sizes: Sizes, work: Path) -> list[Row]:
    return [*dotenvx_rows(sizes, work), harlequin_row(sizes, work), first_make_run_row(sizes, work)]

"""Shared helpers for the reliability proofs: isolated CLI runs, cheap KDF, result figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tui_vault.core.transfer import Argon2Params

PY = sys.executable
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RESULTS = HERE / ".results"

# Argon2id at its cheapest legal setting, so sweeps over every byte of an export stay fast.
CHEAP_KDF = Argon2Params(iterations=1, lanes=1, memory_cost=8)
PASSWORD = "correct horse battery"


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment where the CLI only sees HOME (and TMPDIR, XDG dirs) under `home`."""
    for sub in ("tmp", "config", "data", "cache", "state", "runtime"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "runtime").chmod(0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_RUNTIME_DIR": str(home / "runtime"),
        "TUI_VAULT_NO_KEYRING": "1",
        "TUI_VAULT_SETTINGS": str(home / "config" / "settings.toml"),
        "TUI_VAULT_POLICY": str(home / "config" / "no-policy.toml"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


def run_cli(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    input: bytes | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PY, "-m", "tui_vault", *args],
        input=input if input is not None else b"",
        capture_output=True,
        env=dict(env),
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


def one_clean_line(stderr: bytes | str) -> str:
    """The error output is exactly one line and carries no traceback."""
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    assert "Traceback" not in text, text
    lines = text.strip("\n").splitlines()
    assert len(lines) == 1, text
    assert "unexpected error" not in text, text
    return lines[0]


def record(check: str, test: str, **figures: Any) -> None:
    """Write one test's figures for RELIABILITY.md (tests/reliability/report.py reads them)."""
    RESULTS.mkdir(exist_ok=True)
    doc = {
        "check": check,
        "test": test,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "uid": os.geteuid(),
    }
    doc.update(figures)
    (RESULTS / f"{check}__{test}.json").write_text(json.dumps(doc, indent=1, sort_keys=True))

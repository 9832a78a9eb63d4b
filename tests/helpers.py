"""Small, generic helpers shared by the test suites.

`run_cli` runs the real program (`python -m tui_vault`) as a subprocess with a clean
environment: HOME points at a temp directory, the keyring is turned off, and no key, vault
path, settings or policy leaks in from the machine running the tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from tui_vault.core.transfer import ImportFile

PYTHON = sys.executable
REPO = Path(__file__).resolve().parent.parent

# A value that must never show up where it does not belong (stderr, errors, files, argv).
MARKER = "MARKER-7f3a9c-SECRET"


class CliResult(NamedTuple):
    code: int
    out: str
    err: str


def clean_env(home: Path, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """A minimal environment for the program: HOME=home, no keyring, nothing else of ours.

    Entries of `env` are added on top; a value of None removes that variable.
    """
    base: dict[str, str] = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO),
        "TUI_VAULT_NO_KEYRING": "1",
        # Never read the machine's /etc/tui-vault/policy.toml.
        "TUI_VAULT_POLICY": str(home / "no-policy.toml"),
        # Never ask (or start) the user's session agent; tests that want one set their own.
        "TUI_VAULT_AGENT_SOCK": str(home / "agent" / "agent.sock"),
    }
    for k, v in (env or {}).items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return base


def run_cli(
    args: Sequence[str],
    stdin: str | bytes | None = None,
    env: Mapping[str, str | None] | None = None,
    *,
    home: Path | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> CliResult:
    """Run `python -m tui_vault ARGS`; return (exit code, stdout, stderr).

    stdin is never a terminal (no input means /dev/null). HOME is `home`, or env["HOME"].
    """
    if home is None:
        if not env or not env.get("HOME"):
            raise ValueError("run_cli needs home= or env['HOME']")
        home = Path(str(env["HOME"]))
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [PYTHON, "-m", "tui_vault", *args],
        input=data,
        stdin=subprocess.DEVNULL if data is None else None,
        capture_output=True,
        env=clean_env(home, env),
        cwd=cwd or home,
        timeout=timeout,
        check=False,
    )
    return CliResult(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def run_parallel(
    runner: Callable[..., CliResult],
    calls: Iterable[tuple[Sequence[str], str | bytes | None, Mapping[str, str | None] | None]],
    workers: int = 4,
) -> list[CliResult]:
    """Run independent invocations (args, stdin, env) at once; results in the same order."""
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda c: runner(c[0], stdin=c[1], env=c[2]), calls))


def files_under(root: Path) -> list[Path]:
    """Every regular file below root (for leak scans)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def assert_one_line_error(err: str) -> str:
    """A failure is one clear line on stderr: no traceback, no usage block. Returns the line."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    return lines[0]


def read_import(raw: bytes, password: str | None = None) -> ImportFile:
    """`core.transfer.read_import` with the real link validator (what the CLI and app pass)."""
    from tui_vault.core import transfer
    from tui_vault.integrations.registry import validate_link

    return transfer.read_import(raw, password, validate_link=validate_link)

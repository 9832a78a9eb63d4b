"""Shared fixtures, kept small and generic: a temp HOME, a vault path, a CLI runner."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # plain `pytest` runs too
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import CliResult, run_cli

CliRunner = Callable[..., CliResult]


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test, with or without `home`, keeps rollback generation records (and anything
    else under the user state directory) in its own temp dir, never in the real
    ~/.local/state: a test's vault must not leave records behind or meet another's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp HOME, also for in-process code: no key, vault path, settings or policy of ours
    leaks in from the environment, and the keyring is off unless a test turns it on."""
    from tui_vault.core import keystore
    from tui_vault.core.hygiene import forget_env_key

    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var in ("TUI_VAULT_KEY", "TUI_VAULT_PATH", "TUI_VAULT_SETTINGS", "TUI_VAULT_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TUI_VAULT_NO_KEYRING", "1")
    monkeypatch.setenv("TUI_VAULT_POLICY", str(h / "no-policy.toml"))
    monkeypatch.setenv("TUI_VAULT_AGENT_SOCK", str(h / "agent" / "agent.sock"))
    keystore.status.cache_clear()
    forget_env_key()
    yield h
    forget_env_key()
    keystore.status.cache_clear()
    _stop_agent(h / "agent" / "agent.sock")


def _stop_agent(sock: Path) -> None:
    """A test that unlocked the TUI (or ran `unlock`) left a session agent behind: it would
    live on after the test, up to its idle limit. Told to forget every key, it exits."""
    if not sock.exists():
        return
    from tui_vault.core import agent

    with contextlib.suppress(Exception):  # an agent the test stopped or broke on purpose
        agent.lock_all(sock)


@pytest.fixture
def vault_file(home: Path) -> Path:
    """Where the test's vault lives (not created)."""
    return home / "vaults" / "vault.json"


@pytest.fixture
def cli(home: Path) -> CliRunner:
    """run_cli bound to the temp HOME: cli(args, stdin=None, env=None) -> (code, out, err)."""

    def runner(
        args: Sequence[str],
        stdin: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        **kw: object,
    ) -> CliResult:
        return run_cli(args, stdin=stdin, env=env, home=home, **kw)  # type: ignore[arg-type]

    return runner

"""TUI_VAULT_KEY leaves the environment on the first lookup and is kept for the later ones
(core/hygiene.py: take_env_key), also when two lookups run at once: the TUI's unlock screen
probes for a key in two threads, and the one that came second used to find it in neither
place (the first had taken it out of os.environ and not yet kept it), so the vault stayed
locked on the unlock screen."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tui_vault.core import hygiene


@pytest.fixture(autouse=True)
def _forget() -> object:
    hygiene.forget_env_key()
    yield
    hygiene.forget_env_key()


def test_the_key_leaves_the_environment_and_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hygiene.ENV_KEY, "k-1")
    assert hygiene.take_env_key() == "k-1"
    assert hygiene.ENV_KEY not in os.environ
    assert hygiene.take_env_key() == "k-1"


def test_two_lookups_at_once_both_find_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    scrub = hygiene.scrub_initial_environment

    def slow_scrub(name: str) -> bool:
        time.sleep(0.05)  # the window between the environment and the kept copy, widened
        return scrub(name)

    monkeypatch.setattr(hygiene, "scrub_initial_environment", slow_scrub)
    for _ in range(5):
        hygiene.forget_env_key()
        monkeypatch.setenv(hygiene.ENV_KEY, "k-2")
        found: list[str | None] = []
        start = threading.Barrier(2)
        threads = [threading.Thread(target=_look, args=(start, found)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert found == ["k-2", "k-2"]


def _look(start: threading.Barrier, found: list[str | None]) -> None:
    start.wait()
    found.append(hygiene.take_env_key())

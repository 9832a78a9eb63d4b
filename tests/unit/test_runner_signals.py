"""`run`'s signal thread: stopping it does not sit out the rest of its wait, it still forwards
what it is sent before that, and it leaves the signal mask and handlers as it found them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tui_vault.cli.runner import Signals


@pytest.fixture
def child() -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    yield proc  # type: ignore[misc]
    proc.kill()
    proc.wait()


def test_stop_wakes_the_thread_at_once(
    child: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Signals, "WAIT", 30.0)  # before: stop waited for the wait to end
    winch_before = signal.getsignal(signal.SIGWINCH)
    signals = Signals(child.pid, from_terminal_too=False, on_winch=None)
    signals.start()
    time.sleep(0.2)  # the thread is in its 30 s wait
    started = time.monotonic()
    signals.stop()
    assert time.monotonic() - started < 5
    assert signals._thread is not None and not signals._thread.is_alive()
    assert not signal.pthread_sigmask(signal.SIG_BLOCK, []) & signals.waited
    assert signal.getsignal(signal.SIGWINCH) == winch_before
    assert child.poll() is None, "the wake-up signal is not forwarded to the child"


def test_a_signal_before_stop_is_forwarded_once(
    child: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Signals, "WAIT", 30.0)
    signals = Signals(child.pid, from_terminal_too=False, on_winch=None)
    signals.start()
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # from a process: forwarded
        assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        signals.stop()


def test_window_size_changes_reach_the_callback_and_stop_still_wakes(
    child: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Signals, "WAIT", 30.0)
    seen: list[float] = []
    signals = Signals(child.pid, from_terminal_too=True, on_winch=lambda: seen.append(1.0))
    signals.start()
    os.kill(os.getpid(), signal.SIGWINCH)
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    signals.stop()
    assert seen == [1.0], "one SIGWINCH, one call; stop's own wake-up calls nothing"
    assert time.monotonic() - started < 5

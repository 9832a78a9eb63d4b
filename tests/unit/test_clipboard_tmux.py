"""The tmux route of the clipboard: a named buffer filled over stdin, deleted on clear, and a
message that says where the value went. Runs a private tmux server (its own socket)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui_vault.core.clipboard import ClipboardManager, TmuxClipboard, TmuxCopy

MARKER = "MARKER-tmux-41c9-SECRET"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture
def tmux_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A tmux server of the test's own; $TMUX points at it as inside a pane."""
    socket = tmp_path / f"tmux-{uuid.uuid4().hex[:6]}"
    subprocess.run(
        ["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-s", "t"],
        check=True,
        timeout=20,
    )
    monkeypatch.setenv("TMUX", f"{socket},1,0")
    yield socket
    subprocess.run(["tmux", "-S", str(socket), "kill-server"], check=False, timeout=20)


def tmux(socket: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["tmux", "-S", str(socket), *args], capture_output=True, text=True, timeout=20
    )


def test_from_env_only_inside_tmux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    assert TmuxClipboard.from_env() is None
    assert TmuxClipboard.from_env({"TMUX": "/tmp/x,1,0"}) is not None


@pytest.mark.parametrize("option", ["on", "external", "off"])
def test_copy_into_a_named_buffer_and_clear_deletes_it(tmux_server: Path, option: str) -> None:
    tmux(tmux_server, "set-option", "-s", "set-clipboard", option)
    written: list[str] = []
    manager = ClipboardManager(terminal_writer=written.append, tmux=TmuxClipboard.from_env())
    result = manager.copy(MARKER)
    assert tmux(tmux_server, "show-buffer", "-b", "tui-vault").stdout == MARKER
    assert written == []  # no OSC 52 from the app inside tmux: tmux carries it
    text = result.describe()
    assert "tmux buffer 'tui-vault'" in text and MARKER not in text
    if option == "off":
        assert "only" in text and "set-clipboard is off" in text
    else:
        assert "outer terminal" in text
    assert result.clearable
    assert manager.clear_if_ours()
    assert tmux(tmux_server, "show-buffer", "-b", "tui-vault").returncode != 0
    assert MARKER not in tmux(tmux_server, "list-buffers").stdout


def test_clear_leaves_a_newer_tmux_copy_alone(tmux_server: Path) -> None:
    tmux(tmux_server, "set-option", "-s", "set-clipboard", "on")
    manager = ClipboardManager(terminal_writer=None, tmux=TmuxClipboard.from_env())
    manager.copy(MARKER)
    subprocess.run(
        ["tmux", "-S", str(tmux_server), "load-buffer", "-"],
        input="the user's own copy",
        text=True,
        check=True,
        timeout=20,
    )
    assert manager.clear_if_ours()
    listing = tmux(tmux_server, "list-buffers", "-F", "#{buffer_name}:#{buffer_sample}").stdout
    assert "tui-vault" not in listing
    assert "the user's own copy" in listing  # untouched, and nothing overwrote it


def test_the_value_never_goes_on_argv(tmux_server: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    real_run = subprocess.run

    def spy(args: list[str], **kwargs: Any) -> Any:
        seen.append(list(args))
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    manager = ClipboardManager(terminal_writer=None, tmux=TmuxClipboard.from_env())
    manager.copy(MARKER)
    manager.clear_if_ours()
    assert seen and all(MARKER not in " ".join(argv) for argv in seen)


def test_a_missing_server_says_nowhere_and_promises_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", f"{tmp_path / 'no-such-socket'},1,0")
    result = ClipboardManager(terminal_writer=None, tmux=TmuxClipboard.from_env()).copy(MARKER)
    assert not result.clearable
    assert result.describe().startswith("nowhere")


def test_describe_wording() -> None:
    assert (
        TmuxCopy("b", True, "external").describe().endswith("outer terminal's clipboard via tmux")
    )
    assert "set-clipboard is off" in TmuxCopy("b", True, "off").describe()

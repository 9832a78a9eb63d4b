"""`tui-vault run` in a real terminal (tmux): one Ctrl-C reaches the child once, in pty mode
and with --no-pty; the child sees a terminal (size, colours) and the terminal is restored."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_tmux import BIN, Tmux
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key

pytestmark = pytest.mark.e2e
MARKER = "MARKER-7f3a9c-SECRET"

CHILD = """\
import os, signal, sys, time
count = 0
def on_int(signum, frame):
    global count
    count += 1
signal.signal(signal.SIGINT, on_int)
print("isatty", sys.stdout.isatty(), os.environ["TOKEN"], flush=True)
if sys.stdout.isatty():
    print("size", *os.get_terminal_size(), flush=True)
sys.stdout.write("Name? "); sys.stdout.flush()
print("hello", sys.stdin.readline().strip(), flush=True)
end = time.monotonic() + 10
while count == 0 and time.monotonic() < end:
    time.sleep(0.05)
time.sleep(1.0)  # a second, forwarded SIGINT would arrive in this time
print("SIGINT count", count, flush=True)
"""


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: `make test` installs it (apt-get install tmux)")
    home = tmp_path / "home"
    home.mkdir()
    t = Tmux(home)
    yield t
    t.kill()


@pytest.mark.parametrize("flag", ["", "--no-pty"])
def test_ctrl_c_reaches_the_child_once(tmux: Tmux, tmp_path: Path, flag: str) -> None:
    path = tmux.home / "vault.json"
    vault, key = Vault.create(path)
    vault.set_value("A", MARKER)
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    stty = tmp_path / "stty"
    wrapper = tmp_path / "session.sh"
    wrapper.write_text(
        "set -m\n"  # job control, as in an interactive shell: Ctrl-C goes to run's job only
        f"stty -g > {stty}.before\n"
        f"TUI_VAULT_PATH={path} TUI_VAULT_KEY={encode_key(key)} TOKEN='{{{{vault:A}}}}' "
        f"TUI_VAULT_POLICY={tmux.home / 'none.toml'} {BIN} run {flag} -- {sys.executable} {child}\n"
        'echo "EXIT=$?"\n'
        f"stty -g > {stty}.after\n"
        "sleep 30\n"
    )
    command = f"bash --norc {wrapper}"
    tmux.start(command)
    tmux.wait_for("Name?")
    tmux.keys("bob", literal=True)
    tmux.keys("Enter")
    tmux.wait_for("hello bob")
    tmux.keys("C-c")
    screen = tmux.wait_for("EXIT=", timeout=20)
    assert "SIGINT count 1" in screen, screen
    assert "EXIT=0" in screen
    assert MARKER not in screen and "isatty" in screen
    if flag:
        assert "isatty False *****" in screen
    else:
        assert "isatty True *****" in screen
        assert "size 100 30" in screen
    files = [Path(f"{stty}.before"), Path(f"{stty}.after")]
    deadline = time.monotonic() + 10
    while not all(p.exists() and p.read_text() for p in files) and time.monotonic() < deadline:
        time.sleep(0.1)
    before, after = (p.read_text() for p in files)
    assert before == after, "the terminal's modes were not restored"

"""End to end: the installed `tui-vault` in a real terminal (tmux), driven by keys.

Creates a vault, reads the key off the screen, adds a secret, copies it (OSC 52 lands in
tmux's paste buffer), locks, unlocks by typing the key, and checks the CLI sees the secret.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent / "tui-vault"
VALUE = "e2e-Value-9c41"


class Tmux:
    def __init__(self, home: Path) -> None:
        self.socket = f"tv-e2e-{uuid.uuid4().hex[:8]}"
        self.session = "tv"
        self.home = home

    def run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return out.stdout

    @property
    def agent_sock(self) -> Path:
        return self.home / "agent" / "agent.sock"

    def _env(self) -> str:
        env = f"env -i HOME={self.home} PATH={os.environ.get('PATH', '/usr/bin:/bin')} "
        env += "TERM=xterm-256color LANG=C.UTF-8 TUI_VAULT_NO_KEYRING=1 "
        # This test's own session agent, never the user's.
        return env + f"TUI_VAULT_AGENT_SOCK={self.agent_sock} "

    def start(
        self,
        command: str,
        size: tuple[int, int] = (100, 30),
        inside_tmux: bool = False,
        extra_env: str = "",
    ) -> None:
        """Run command in a fresh pane; inside_tmux keeps $TMUX (the app then copies through
        tmux buffers), otherwise the app does not know it runs in tmux (OSC 52 only)."""
        env = self._env()
        if inside_tmux:
            env += 'TMUX="$TMUX" '
        env += extra_env + " "
        dims = ["-x", str(size[0]), "-y", str(size[1])]
        self.run("-f", "/dev/null", "new-session", "-d", "-s", self.session, *dims, env + command)
        self.run("set-option", "-g", "set-clipboard", "on")

    def new_window(self, command: str) -> None:
        """A second terminal of the same user (it becomes the current window)."""
        self.run("new-window", "-t", self.session, self._env() + command)

    def kill_agent(self) -> None:
        import contextlib
        import signal

        with contextlib.suppress(OSError, ValueError):
            pid = int(self.agent_sock.with_name("agent.sock.lock").read_text().strip())
            if b"agent_server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)

    def keys(self, *keys: str, literal: bool = False) -> None:
        args = ["send-keys", "-t", self.session]
        if literal:
            args.append("-l")
        self.run(*args, *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text: str | re.Pattern[str], timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            found = text.search(screen) if isinstance(text, re.Pattern) else text in screen
            if found:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: `make test` installs it (apt-get install tmux)")
    home = tmp_path / "home"
    home.mkdir()
    t = Tmux(home)
    yield t
    t.kill()
    t.kill_agent()


def key_from_screen(screen: str) -> str:
    """The three lines of the key display, borders and spaces removed (case/spacing is free)."""
    pattern = re.compile(r"T V 1|(?:[0-9A-Z] ){4}[0-9A-Z]")
    lines = [ln for ln in screen.splitlines() if pattern.search(ln)]
    return "".join(re.sub(r"[│\s]", "", line) for line in lines[:3])


def test_create_add_copy_lock_unlock(tmux: Tmux) -> None:
    vault = tmux.home / ".local/share/tui-vault/vault.json"
    tmux.start(f"{BIN}; sleep 5")
    screen = tmux.wait_for("Your new vault key")
    key_text = key_from_screen(screen)
    assert key_text.startswith("TV1") and len(key_text) == 57, screen

    tmux.keys("o")
    tmux.wait_for("Your vault is empty")
    assert vault.exists()

    tmux.keys("a")
    tmux.wait_for("Add secret")
    tmux.keys("e2e-token", literal=True)
    tmux.keys("Tab")
    time.sleep(0.3)
    tmux.keys(VALUE, literal=True)
    time.sleep(0.3)
    tmux.keys("C-s")
    screen = tmux.wait_for("Added e2e-token")
    assert VALUE not in screen  # masked in the table, absent from the notification

    tmux.keys("c")
    tmux.wait_for("Copied the value of e2e-token")
    deadline = time.monotonic() + 5
    while tmux.run("show-buffer").strip() != VALUE and time.monotonic() < deadline:
        time.sleep(0.2)
    assert tmux.run("show-buffer").strip() == VALUE  # OSC 52 reached the terminal

    tmux.keys("C-l")
    tmux.wait_for("Unlock your vault")
    tmux.keys(key_text.lower(), literal=True)
    tmux.keys("Enter")
    screen = tmux.wait_for(re.compile(r"1 secret\b"))
    assert re.search(r"e2e-token\s+•+", screen), screen

    tmux.keys("C-q")
    time.sleep(0.5)
    env = {"HOME": str(tmux.home), "TUI_VAULT_KEY": key_text, "PATH": os.environ["PATH"]}
    got = subprocess.run(
        [str(BIN), "get", "e2e-token"], capture_output=True, text=True, env=env, timeout=60
    )
    assert got.returncode == 0, got.stderr
    assert got.stdout == VALUE + "\n"


def test_unlock_once_use_in_another_window_then_lock(tmux: Tmux) -> None:
    """Over SSH, no password manager: unlock once by typing the passphrase, use the vault from
    a second terminal (CLI and TUI) with no key in its environment, lock, and it is gone."""
    from tui_vault.core.passphrase import set_passphrase
    from tui_vault.core.vault import Vault

    passphrase = "tmux passphrase 7781"
    vault, key = Vault.create(tmux.home / ".local/share/tui-vault/vault.json")
    vault.set_value("e2e-token", VALUE)
    set_passphrase(vault.path, vault.vault_id, key, passphrase)

    shell = "PS1='tv> ' sh"
    tmux.start(shell)
    tmux.keys(f"{BIN} unlock", "Enter")
    tmux.wait_for("Vault key or passphrase:")
    tmux.keys(passphrase, literal=True)
    tmux.keys("Enter")
    screen = tmux.wait_for("Unlocked:", timeout=30)
    assert passphrase not in screen  # typed hidden

    tmux.new_window(shell)
    tmux.keys(f"env | grep -c TUI_VAULT_KEY; {BIN} get e2e-token; echo rc=$?", "Enter")
    screen = tmux.wait_for(re.compile(r"rc=\d"), timeout=30)
    assert VALUE in screen and re.search(r"^(tv> )?0$", screen, re.MULTILINE), screen

    tmux.keys("clear", "Enter")
    tmux.keys(f"{BIN}; echo tui-exited=$?", "Enter")  # the TUI opens from the agent
    screen = tmux.wait_for(re.compile(r"1 secret\b"), timeout=30)
    assert "Unlock your vault" not in screen
    tmux.keys("C-q")
    tmux.wait_for("tui-exited=0", timeout=30)

    tmux.keys("clear", "Enter")
    # (On a terminal `get` would now ask for the key; without one it exits 3.)
    tmux.keys(f"{BIN} lock; {BIN} get e2e-token </dev/null; echo rc=$?", "Enter")
    screen = tmux.wait_for(re.compile(r"rc=\d"), timeout=30)
    assert "forgot 1 key" in screen and "rc=3" in screen, screen


def cli(home: Path, key_text: str, *args: str, stdin: str = "") -> str:
    env = {"HOME": str(home), "TUI_VAULT_KEY": key_text, "PATH": os.environ["PATH"]}
    env["TUI_VAULT_NO_KEYRING"] = "1"
    done = subprocess.run(
        [str(BIN), *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_daily_use_at_80x24_inside_tmux(tmux: Tmux) -> None:
    """Reveal-all keeps Status visible at 80x24; a duplicate Add keeps the dialog and what
    was typed; copy goes to a tmux buffer that is deleted when the time is up."""
    key_file = tmux.home / "key.txt"
    cli(tmux.home, "", "init", "--no-keyring", "--key-file", str(key_file))
    key_text = key_file.read_text().strip()
    long_name = "payments-team-production-signing-key-for-the-api"
    cli(tmux.home, key_text, "set", long_name, stdin="eyJhbGciOiJIUzI1NiJ9." + "x" * 600)
    cli(tmux.home, key_text, "set", "taken", stdin=VALUE)
    settings = tmux.home / ".config" / "tui-vault" / "settings.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("clipboard_clear_seconds = 3\n")
    tmux.start(
        f"{BIN}; sleep 5", size=(80, 24), inside_tmux=True, extra_env=f"TUI_VAULT_KEY={key_text}"
    )
    tmux.wait_for("2 secrets")

    tmux.keys("R")  # reveal all: a 600-character value and a long name
    screen = tmux.wait_for("eyJhbG")
    lines = screen.splitlines()
    header = next(line for line in lines if "Key" in line and "Value" in line)
    assert "Status" in header, screen
    assert sum(1 for line in lines if re.search(r"\bok\s*$", line.rstrip("▁▇ "))) >= 2, screen
    assert all(len(line) <= 80 for line in lines)
    tmux.keys("R")

    tmux.keys("a")
    tmux.wait_for("Add secret")
    tmux.keys("taken", literal=True)
    tmux.keys("Tab")
    tmux.keys("typed-and-kept", literal=True)
    time.sleep(0.3)
    tmux.keys("C-s")
    screen = tmux.wait_for("already exists")
    assert "Add secret" in screen  # the dialog is still open
    tmux.keys("C-t")  # show the value: what was typed is still there
    tmux.wait_for("typed-and-kept")
    tmux.keys("Escape")  # what was typed is not dropped without a question
    tmux.wait_for("Discard what you typed?")
    tmux.keys("Tab")
    time.sleep(0.2)
    tmux.keys("Enter")
    tmux.wait_for("2 secrets")

    tmux.keys("Down")  # "taken" sorts after "payments-…"
    time.sleep(0.3)
    tmux.keys("c")
    screen = tmux.wait_for("Copied the value of taken")
    assert "buffer 'tui-vault'" in screen, screen
    assert tmux.run("show-buffer", "-b", "tui-vault") == VALUE
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        names = tmux.run("list-buffers", "-F", "#{buffer_name}").split()
        if "tui-vault" not in names:
            break
        time.sleep(0.3)
    names = tmux.run("list-buffers", "-F", "#{buffer_name}").split()
    assert "tui-vault" not in names  # cleared: the named buffer was deleted
    contents = [tmux.run("show-buffer", "-b", n) for n in names]
    assert VALUE not in contents
    tmux.keys("C-q")


def test_a_form_typed_in_one_burst_keeps_every_correction(tmux: Tmux) -> None:
    """Keys that arrive together (typing over a slow SSH link): each backspace applies in
    the field and at the place it was typed, before the letters after it and the Tab."""
    key_file = tmux.home / "key.txt"
    cli(tmux.home, "", "init", "--no-keyring", "--key-file", str(key_file))
    key_text = key_file.read_text().strip()
    tmux.start(f"{BIN}; sleep 5", size=(80, 24), extra_env=f"TUI_VAULT_KEY={key_text}")
    tmux.wait_for("0 secrets")
    tmux.keys("a")
    tmux.wait_for("Add secret")
    # name, Tab, value, Tab past Show / Generate / Multi-line, domains, Enter: one send-keys
    tmux.keys(
        "stripe-kex", "BSpace", "y", "Tab", "sk_live_123", "BSpace", "4",
        *["Tab"] * 4, "api.stripe.con", "BSpace", "m", "Enter",
    )  # fmt: skip
    screen = tmux.wait_for(re.compile(r"stripe-key .* api\.stripe\.com "))
    assert "1 secret" in screen, screen
    tmux.keys("C-q")
    got = cli(tmux.home, key_text, "get", "stripe-key", "--url", "https://api.stripe.com/v1")
    assert got.rstrip("\n") == "sk_live_124"

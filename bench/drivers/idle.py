"""Peak memory of the unlocked TUI, then its CPU use while nobody touches it, headless.

    python idle.py VAULT_PATH KEY_FILE SECONDS   tui-vault unlocked with the key file
    python idle.py minimal SECONDS               a bare Textual app with one Input (the floor)

tui-vault: unlocks with the key file and waits until the secrets table is drawn (every
secret, or the window of rows the table draws at most) and that frame is rendered. Then it
lets SETTLE_SECONDS pass (one-time start-up work still running in threads: the unlock
screen's probes import the keyring), reads the process's peak resident memory so far
(maxrss: decrypting and parsing included), and measures the CPU time of the whole process
(every thread) over SECONDS of idling: no key, no mouse, the app's own timers only. Prints
`IDLE <cpu seconds> <wall seconds> <maxrss bytes> <secrets> <rows drawn>`.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from table_ready import wait_for_full_table  # beside this script

SETTLE_SECONDS = 2.0


async def settle(app: Any) -> None:
    painted = asyncio.Event()
    app.call_after_refresh(painted.set)
    await painted.wait()


async def idle(seconds: float) -> tuple[float, float]:
    """CPU time of this process (all threads) and wall time over `seconds` of idling."""
    c0, t0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return time.process_time() - c0, time.perf_counter() - t0


def maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


async def minimal(seconds: float) -> str:
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(placeholder="Vault key", password=True)

    app = Minimal()
    async with app.run_test(size=(100, 30)):
        while not isinstance(app.focused, Input):
            await asyncio.sleep(0.01)
        await settle(app)
        await asyncio.sleep(SETTLE_SECONDS)
        rss = maxrss()
        cpu, wall = await idle(seconds)
    return f"IDLE {cpu} {wall} {rss} 0 0"


async def tui_vault(vault_path: str, key_file: str, seconds: float) -> str:
    from tui_vault.ui.app import make_app

    app = make_app(vault_path=Path(vault_path), key_file=Path(key_file))
    async with app.run_test(size=(100, 30)):
        vault, _screen, table = await wait_for_full_table(app)
        await settle(app)
        await asyncio.sleep(SETTLE_SECONDS)
        rss = maxrss()
        cpu, wall = await idle(seconds)
        if type(app.screen).__name__ != "SecretsScreen":  # locked or crashed meanwhile
            raise RuntimeError(f"the app left the secrets table ({type(app.screen).__name__})")
    return f"IDLE {cpu} {wall} {rss} {len(vault.data.secrets)} {table.row_count}"


def main(argv: list[str]) -> None:
    if argv[0] == "minimal":
        line = asyncio.run(minimal(float(argv[1])))
    else:
        line = asyncio.run(tui_vault(argv[0], argv[1], float(argv[2])))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    os._exit(0)  # shutting down is not part of what is measured


if __name__ == "__main__":
    main(sys.argv[1:])

"""Time one keystroke in the secrets table's filter, headless.

    python filter.py VAULT_PATH KEY_FILE CHAR

Unlocks with the key file, waits until the table shows every secret, focuses the filter,
then sends one key press as the terminal driver would and stops the clock when the table
holds the filtered rows and the frame showing them has been rendered. Prints
`KEYSTROKE <seconds> <rows before> <rows after> <seconds to first full table>`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path


async def main(vault_path: str, key_file: str, char: str) -> None:
    from textual import events
    from textual.widgets import DataTable, Input

    from tui_vault.ui.app import make_app
    from tui_vault.ui.screens.secrets import MAX_ROWS  # the table draws at most this many

    t_start = time.perf_counter()
    app = make_app(vault_path=Path(vault_path), key_file=Path(key_file))
    async with app.run_test(size=(100, 30)):
        deadline = time.monotonic() + 600
        while True:
            vault = getattr(app, "vault", None)
            screen = app.screen
            if vault is not None and type(screen).__name__ == "SecretsScreen":
                table = screen.query_one("#table", DataTable)
                if table.row_count == min(len(vault.data.secrets), MAX_ROWS):
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("the secrets table never filled")
            await asyncio.sleep(0.01)
        loaded = time.perf_counter() - t_start
        needle = screen.query_one("#filter", Input)
        needle.focus()
        settled = asyncio.Event()
        app.call_after_refresh(settled.set)
        await settled.wait()
        before = table.row_count
        matches = sum(1 for s in vault.data.secrets.values() if char in s.name.lower())
        expected = min(matches, MAX_ROWS)

        profiler = None
        if os.environ.get("TVB_PROFILE"):  # bench --profile: where the keystroke's time goes
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        t0 = time.perf_counter()
        assert app._driver is not None
        app._driver.send_message(events.Key(char, char))
        while not (needle.value == char and table.row_count == expected):
            await asyncio.sleep(0)
        painted = asyncio.Event()
        app.call_after_refresh(painted.set)
        await painted.wait()
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.stop()
            Path(os.environ["TVB_PROFILE"]).write_text(profiler.output_text(color=False))
        sys.stdout.write(f"KEYSTROKE {elapsed} {before} {table.row_count} {loaded}\n")
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))

"""Time one keystroke in the secrets table's filter, headless.

    python filter.py VAULT_PATH KEY_FILE CHAR

Unlocks with the key file, waits until the table is drawn (every secret; in older code, the
window of rows its DataTable held at most), focuses the filter, then sends one key press as
the terminal driver would and stops the clock when the table holds filtered rows only and
the frame showing them has been rendered. Prints
`KEYSTROKE <seconds> <secrets> <matches> <rows drawn before> <rows drawn after>
<seconds until the table was first drawn>`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from table_ready import row_keys, wait_for_full_table  # beside this script


async def main(vault_path: str, key_file: str, char: str) -> None:
    from textual import events
    from textual.widgets import Input

    from tui_vault.ui.app import make_app
    from tui_vault.ui.screens import secrets as secrets_screen

    # The table may draw only a window of the matching rows (filtering still covers all).
    max_rows = getattr(secrets_screen, "MAX_ROWS", sys.maxsize)

    def shows_only_matches(table: Any) -> bool:
        """The table's first rows are filtered ones (a name without CHAR means: not yet)."""
        keys = row_keys(table, 50)
        return bool(keys) and all(char in k.lower() for k in keys)

    t_start = time.perf_counter()
    app = make_app(vault_path=Path(vault_path), key_file=Path(key_file))
    async with app.run_test(size=(100, 30)):
        vault, screen, table = await wait_for_full_table(app)
        deadline = time.monotonic() + 600
        loaded = time.perf_counter() - t_start
        needle = screen.query_one("#filter", Input)
        # The screen moves the focus to the table when it is shown (on_screen_resume), which
        # can come after this focus() on a fast start: focus until it stays.
        while True:
            needle.focus()
            settled = asyncio.Event()
            app.call_after_refresh(settled.set)
            await settled.wait()
            if app.focused is needle:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the filter never kept the focus")
        # The screen finishes what its first frames deferred (the table is refreshed again
        # once its size is known, ~50 ms after it shows): a keystroke sent before that found
        # a layout and render of the whole table pending and waited for it (~20 ms at
        # 100,000 secrets, on some runs and not others). Timed on a settled screen.
        await asyncio.sleep(0.25)
        settled = asyncio.Event()
        app.call_after_refresh(settled.set)
        await settled.wait()
        before = table.row_count
        matches = sum(1 for s in vault.data.secrets.values() if char in s.name.lower())
        expected = min(matches, max_rows)

        profiler = None
        if os.environ.get("TVB_PROFILE"):  # bench --profile: where the keystroke's time goes
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        t0 = time.perf_counter()
        assert app._driver is not None
        app._driver.send_message(events.Key(char, char))
        while not (
            needle.value == char and table.row_count == expected and shows_only_matches(table)
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the filtered table never showed")
            await asyncio.sleep(0)
        painted = asyncio.Event()
        app.call_after_refresh(painted.set)
        await painted.wait()
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.stop()
            Path(os.environ["TVB_PROFILE"]).write_text(profiler.output_text(color=False))
        rows = f"{len(vault.data.secrets)} {matches} {before} {table.row_count}"
        sys.stdout.write(f"KEYSTROKE {elapsed} {rows} {loaded}\n")
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))

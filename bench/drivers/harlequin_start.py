"""Start harlequin headless (SQLite adapter, `:memory:`) and print READY once a widget has
focus and that frame was drawn: the same measure as startup.py, for a second Textual program.

Run with harlequin's own virtualenv's Python (bench/peers.py installs it there).
"""

from __future__ import annotations

import asyncio
import os
import sys


async def main() -> None:
    from harlequin.app import Harlequin
    from harlequin_sqlite.adapter import HarlequinSqliteAdapter

    adapter = HarlequinSqliteAdapter(conn_str=(":memory:",))
    app = Harlequin(adapter=adapter, record_history=False, no_download_tzdata=True)
    async with app.run_test(size=(100, 30)):
        while app.focused is None:
            await asyncio.sleep(0.001)
        painted = asyncio.Event()
        app.call_after_refresh(painted.set)
        await painted.wait()
        sys.stdout.write(f"READY {type(app.screen).__name__} {type(app.focused).__name__}\n")
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())

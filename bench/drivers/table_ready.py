"""What the TUI drivers share: wait until the unlocked app shows its full secrets table.

The table is the secrets screen's virtual table (every match is a row; only the rows on
screen are drawn) or, in older code, a DataTable that held a window of at most MAX_ROWS
rows: `row_keys` reads the first keys of either."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any


async def wait_for_full_table(app: Any, timeout: float = 600) -> tuple[Any, Any, Any]:
    """(vault, secrets screen, table) once the table holds every secret, or the window of
    rows it draws at most; TimeoutError if that never happens."""
    from textual.css.query import NoMatches

    from tui_vault.ui.screens import secrets as secrets_screen

    # The table may draw only a window of the matching rows (filtering still covers all).
    max_rows = getattr(secrets_screen, "MAX_ROWS", sys.maxsize)
    deadline = time.monotonic() + timeout
    while True:
        vault = getattr(app, "vault", None)
        screen = app.screen
        if vault is not None and type(screen).__name__ == "SecretsScreen":
            try:
                table = screen.query_one("#table")
            except NoMatches:  # the screen is switched to but not composed yet
                table = None
            if table is not None and table.row_count == min(len(vault.data.secrets), max_rows):
                return vault, screen, table
        if time.monotonic() > deadline:
            raise TimeoutError("the secrets table never filled")
        await asyncio.sleep(0.01)


def row_keys(table: Any, count: int) -> list[str]:
    """The keys of the table's first `count` rows."""
    if hasattr(table, "row_key"):  # the virtual table
        return [table.row_key(i) for i in range(min(count, table.row_count))]
    return [str(k.value) for k in list(table.rows)[:count]]  # a DataTable

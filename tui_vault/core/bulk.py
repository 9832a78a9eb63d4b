"""Many secrets at once: pasted `NAME=value` lines, and building or serialising many objects
without the cyclic GC getting in the way.

Parsing a vault of 100,000 secrets allocates a few hundred thousand dicts, lists and
objects in one go. None of them form reference cycles, yet every 700 allocations Python's
cyclic garbage collector runs, and its older generations rescan everything built so far:
about a third of the time of `json.loads` plus `VaultData.from_json` at that size. Pausing
the collector around such bulk work (and only there) removes that cost.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_vault.core.model import Secret


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic GC for the block; re-enable it only if it was enabled before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_bulk(text: str) -> list[Secret]:
    """Pasted NAME=value lines (the .env grammar of core/envlines.py: blank lines and #
    comments skipped, `export`, quotes). Raises InvalidSecretError naming the bad line."""
    from tui_vault.core.envlines import parse_env_lines
    from tui_vault.core.errors import InvalidSecretError
    from tui_vault.core.model import Secret, validate_name

    out: list[Secret] = []
    seen: set[str] = set()
    for line in parse_env_lines(text):
        name = line.name
        try:
            validate_name(name)
        except InvalidSecretError as e:
            raise InvalidSecretError(f"line {line.line}: {e.message}") from None
        if name in seen:
            raise InvalidSecretError(f"line {line.line}: {name!r} appears twice")
        seen.add(name)
        out.append(Secret(name=name, value=line.value))
    return out

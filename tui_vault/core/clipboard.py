"""One clipboard helper: OSC 52 through the terminal (works over SSH and in tmux) plus the
local clipboard via pyperclip where one exists; cleared later if it still holds our value.

The caller schedules `clear_if_ours()` after `clear_after` seconds (the TUI uses a timer).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass


def osc52(text: str) -> str:
    """The escape sequence that asks the terminal to set its clipboard."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{payload}\a"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass
class CopyResult:
    terminal: bool
    local: bool

    def describe(self) -> str:
        ways = [
            w for w, ok in (("terminal", self.terminal), ("system clipboard", self.local)) if ok
        ]
        return " and ".join(ways) if ways else "nowhere (no clipboard available)"


class LocalClipboard:
    """pyperclip, if this machine has a clipboard program; otherwise unavailable."""

    def __init__(self) -> None:
        self._ok: bool | None = None

    def available(self) -> bool:
        if self._ok is None:
            try:
                import pyperclip

                pyperclip.paste()
                self._ok = True
            except Exception:
                self._ok = False
        return self._ok

    def copy(self, text: str) -> bool:
        if not self.available():
            return False
        try:
            import pyperclip

            pyperclip.copy(text)
            return True
        except Exception:
            self._ok = False
            return False

    def paste(self) -> str | None:
        if not self.available():
            return None
        try:
            import pyperclip

            return str(pyperclip.paste())
        except Exception:
            return None


class ClipboardManager:
    def __init__(
        self,
        terminal_writer: Callable[[str], None] | None,
        local: LocalClipboard | None = None,
        clear_after: float = 30.0,
    ) -> None:
        self.terminal_writer = terminal_writer
        self.local = local
        self.clear_after = clear_after
        self._ours: bytes | None = None  # digest only: we never keep the value itself
        self._generation = 0

    def copy(self, text: str) -> CopyResult:
        terminal = False
        if self.terminal_writer is not None:
            try:
                self.terminal_writer(text)
                terminal = True
            except Exception:
                terminal = False
        local = self.local.copy(text) if self.local else False
        self._ours = _digest(text)
        self._generation += 1
        return CopyResult(terminal, local)

    @property
    def generation(self) -> int:
        return self._generation

    def holds_ours(self) -> bool:
        return self._ours is not None

    def clear_if_ours(self, generation: int | None = None) -> bool:
        """Clear the clipboard if nothing else was copied since (by us or, locally, anyone)."""
        if self._ours is None:
            return False
        if generation is not None and generation != self._generation:
            return False  # a newer copy owns the clipboard and its own timer
        local_now = self.local.paste() if self.local else None
        if local_now is not None and _digest(local_now) != self._ours:
            self._ours = None  # someone copied something else: leave it alone
            return False
        if self.terminal_writer is not None:
            with contextlib.suppress(Exception):
                self.terminal_writer("")
        if self.local is not None and local_now is not None:
            self.local.copy("")
        self._ours = None
        return True

"""One clipboard helper: OSC 52 through the terminal (works over SSH) plus the local
clipboard via pyperclip where one exists; cleared later if it still holds our value.

Inside tmux ($TMUX set) the terminal route is a named tmux buffer instead (`tmux load-buffer
-b NAME -w -`, the value on stdin, never on argv): an OSC 52 written by the app is dropped by
tmux's default `set-clipboard external`, and one that tmux accepts lands in an automatic
buffer the app cannot find again. A named buffer can be deleted when the time is up; `-w`
also hands it to the outer terminal where tmux's set-clipboard allows.

The caller schedules `clear_if_ours()` after `clear_after` seconds (the TUI uses a timer).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping

from tui_vault.core.frozen import Frozen


def osc52(text: str) -> str:
    """The escape sequence that asks the terminal to set its clipboard."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{payload}\a"


def _digest(text: str) -> bytes:
    import hashlib  # at the first copy: not loaded (OpenSSL) before the TUI's first frame

    return hashlib.sha256(text.encode("utf-8")).digest()


class CopyResult(Frozen):
    """Where a copy went (frozen; not a dataclass, which compiles its methods at import)."""

    _fields = ("terminal", "local", "tmux")
    __slots__ = _fields

    terminal: bool
    local: bool
    tmux: TmuxCopy | None

    def __init__(self, terminal: bool, local: bool, tmux: TmuxCopy | None = None) -> None:
        object.__setattr__(self, "terminal", terminal)
        object.__setattr__(self, "local", local)
        object.__setattr__(self, "tmux", tmux)

    def describe(self) -> str:
        ways = []
        if self.tmux is not None:
            ways.append(self.tmux.describe())
        elif self.terminal:
            ways.append("the terminal (OSC 52)")
        if self.local:
            ways.append("the system clipboard")
        return " and ".join(ways) if ways else "nowhere (no clipboard available)"

    @property
    def clearable(self) -> bool:
        """Whether clearing later can reach every place the value went."""
        if self.tmux is not None:
            return self.tmux.buffer_set
        return self.terminal or self.local


# ---------------------------------------------------------------------------- tmux

TMUX_BUFFER = "tui-vault"
_TMUX_TIMEOUT = 3.0


class TmuxCopy(Frozen):
    """Where a copy through tmux went: our named buffer, and the outer terminal or not."""

    _fields = ("buffer", "buffer_set", "set_clipboard")
    __slots__ = _fields

    buffer: str
    buffer_set: bool
    set_clipboard: str  # tmux's option: "on", "external" or "off" ("" if unknown)

    def __init__(self, buffer: str, buffer_set: bool, set_clipboard: str) -> None:
        object.__setattr__(self, "buffer", buffer)
        object.__setattr__(self, "buffer_set", buffer_set)
        object.__setattr__(self, "set_clipboard", set_clipboard)

    @property
    def outer_terminal(self) -> bool:
        return self.buffer_set and self.set_clipboard in ("on", "external")

    def describe(self) -> str:
        if not self.buffer_set:
            return "nowhere (tmux refused the buffer)"
        where = f"tmux buffer {self.buffer!r}"
        if self.outer_terminal:
            return f"{where} and the outer terminal's clipboard via tmux"
        option = self.set_clipboard or "unknown"
        return f"{where} only (tmux set-clipboard is {option}: paste with prefix + ])"


class TmuxClipboard:
    """Copy into, and delete again, one named tmux buffer. Values go over stdin only."""

    def __init__(self, tmux: str = "tmux", buffer: str = TMUX_BUFFER) -> None:
        self.tmux = tmux
        self.buffer = buffer

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TmuxClipboard | None:
        """A tmux clipboard when running inside tmux with the tmux program at hand."""
        env = os.environ if environ is None else environ
        if not env.get("TMUX"):
            return None
        path = shutil.which("tmux")
        return cls(path) if path else None

    def _run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.tmux, *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=_TMUX_TIMEOUT,
            check=False,
        )

    def set_clipboard_option(self) -> str:
        try:
            out = self._run("show-options", "-sv", "set-clipboard")
        except (OSError, subprocess.SubprocessError):
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    def copy(self, text: str) -> TmuxCopy:
        option = self.set_clipboard_option()
        try:
            done = self._run("load-buffer", "-b", self.buffer, "-w", "-", stdin=text)
            ok = done.returncode == 0 and self.holds(text)
        except (OSError, subprocess.SubprocessError):
            ok = False
        return TmuxCopy(self.buffer, ok, option)

    def holds(self, text: str) -> bool:
        try:
            out = self._run("show-buffer", "-b", self.buffer)
        except (OSError, subprocess.SubprocessError):
            return False
        return out.returncode == 0 and _digest(out.stdout) == _digest(text)

    def newest_is_ours(self) -> bool:
        """Whether our buffer is tmux's most recent one (nothing copied in tmux since)."""
        try:
            out = self._run("list-buffers", "-F", "#{buffer_name}")
        except (OSError, subprocess.SubprocessError):
            return False
        names = out.stdout.split("\n")
        return out.returncode == 0 and bool(names) and names[0] == self.buffer

    def clear(self, outer_terminal: bool) -> bool:
        """Delete our buffer; blank the outer clipboard too if nothing newer was copied."""
        try:
            if outer_terminal and self.newest_is_ours():
                # An empty load is ignored by tmux: one space replaces the outer clipboard.
                self._run("load-buffer", "-b", self.buffer, "-w", "-", stdin=" ")
            done = self._run("delete-buffer", "-b", self.buffer)
        except (OSError, subprocess.SubprocessError):
            return False
        return done.returncode == 0


# pyperclip backends that hand the text over without a child's argv (stdin, an API, a
# device). Anything else is refused: pyperclip's Klipper backend runs
# `qdbus ... setClipboardContents TEXT`, readable by every user in `ps` (DESIGN.md §7).
SAFE_BACKENDS = frozenset(
    {
        "copy_xclip",  # xclip -selection c, text on stdin
        "copy_xsel",  # xsel -b -i, text on stdin
        "copy_wl",  # wl-copy, text on stdin
        "copy_osx_pbcopy",  # pbcopy, text on stdin
        "copy_osx_pyobjc",  # AppKit API
        "copy_windows",  # Win32 API
        "copy_wsl",  # clip.exe, text on stdin
        "copy_qt",  # Qt API
    }
)


class LocalClipboard:
    """pyperclip, if this machine has a clipboard program that takes the text on stdin or
    through an API; otherwise unavailable (`reason` says why)."""

    def __init__(self) -> None:
        self._ok: bool | None = None
        self._copy: Callable[[str], object] | None = None
        self._paste: Callable[[], object] | None = None
        self.reason = ""

    def available(self) -> bool:
        if self._ok is None:
            self._ok = False
            try:
                import pyperclip

                copy, paste = pyperclip.determine_clipboard()
                name = getattr(copy, "__name__", type(copy).__name__)
                if name not in SAFE_BACKENDS:
                    self.reason = (
                        f"the local clipboard backend ({name}) would put the value on a "
                        "command line; not used"
                    )
                    return False
                paste()
                self._copy, self._paste = copy, paste
                self._ok = True
            except Exception:
                self.reason = "no local clipboard program"
                self._ok = False
        return self._ok

    def copy(self, text: str) -> bool:
        if not self.available() or self._copy is None:
            return False
        try:
            self._copy(text)
            return True
        except Exception:
            self._ok = False
            return False

    def paste(self) -> str | None:
        if not self.available() or self._paste is None:
            return None
        try:
            return str(self._paste())
        except Exception:
            return None


class ClipboardManager:
    def __init__(
        self,
        terminal_writer: Callable[[str], None] | None,
        local: LocalClipboard | None = None,
        clear_after: float = 30.0,
        tmux: TmuxClipboard | None = None,
    ) -> None:
        self.terminal_writer = terminal_writer
        self.tmux = tmux
        self._tmux_copy: TmuxCopy | None = None
        self.local = local
        self.clear_after = clear_after
        self._ours: bytes | None = None  # digest only: we never keep the value itself
        self._generation = 0

    def copy(self, text: str) -> CopyResult:
        terminal = False
        self._tmux_copy = None
        if self.tmux is not None:
            self._tmux_copy = self.tmux.copy(text)
        elif self.terminal_writer is not None:
            try:
                self.terminal_writer(text)
                terminal = True
            except Exception:
                terminal = False
        local = self.local.copy(text) if self.local else False
        self._ours = _digest(text)
        self._generation += 1
        return CopyResult(terminal, local, self._tmux_copy)

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
        if self._tmux_copy is not None and self.tmux is not None:
            self.tmux.clear(self._tmux_copy.outer_terminal)
            self._tmux_copy = None
        elif self.terminal_writer is not None:
            with contextlib.suppress(Exception):
                self.terminal_writer("")
        if self.local is not None and local_now is not None:
            self.local.copy("")
        self._ours = None
        return True

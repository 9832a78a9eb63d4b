"""App-wide messages and signal payloads (past tense: they report what happened).

`VaultChanged` and `ResolveProgressed` travel on the app's signals (`app.vault_changed`,
`app.resolve_progress`) to every screen that subscribed with `subscribe_changes`
(ui/base.py), a table under a modal too; `VaultLocked` is a message to the app.
"""

from __future__ import annotations

from textual.message import Message

from tui_vault.core.frozen import Frozen

# Frozen value classes, not dataclasses: each @dataclass compiles its methods with exec()
# at import, on the way to the unlock screen's first frame.


class VaultChanged(Frozen):
    """The vault's contents or the session's knowledge changed (by us, a fetch, or a reload
    that found another process's change). `focus_name`: the secret to put the cursor on."""

    _fields = ("focus_name",)
    __slots__ = _fields

    focus_name: str | None

    def __init__(self, focus_name: str | None = None) -> None:
        object.__setattr__(self, "focus_name", focus_name)


class VaultLocked(Message):
    def __init__(self, reason: str = "") -> None:
        super().__init__()
        self.reason = reason


class ResolveProgressed(Frozen):
    """Progress of a batch of external fetches."""

    _fields = ("done", "total")
    __slots__ = _fields

    done: int
    total: int

    def __init__(self, done: int, total: int) -> None:
        object.__setattr__(self, "done", done)
        object.__setattr__(self, "total", total)

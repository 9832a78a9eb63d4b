"""App-wide messages and signal payloads (past tense: they report what happened).

`VaultChanged` and `ResolveProgressed` travel on the app's signals (`app.vault_changed`,
`app.resolve_progress`) to every screen that subscribed with `subscribe_changes`
(ui/base.py), a table under a modal too; `VaultLocked` is a message to the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass(frozen=True)
class VaultChanged:
    """The vault's contents or the session's knowledge changed (by us, a fetch, or a reload
    that found another process's change). `focus_name`: the secret to put the cursor on."""

    focus_name: str | None = None


@dataclass
class VaultLocked(Message):
    reason: str = ""


@dataclass(frozen=True)
class ResolveProgressed:
    """Progress of a batch of external fetches."""

    done: int
    total: int

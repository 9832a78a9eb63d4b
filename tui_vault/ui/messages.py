"""App-wide messages (past tense: they report what happened)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class VaultChanged(Message):
    """The vault's contents changed (by us, or a reload found another process's change)."""

    focus_name: str | None = None


@dataclass
class VaultLocked(Message):
    reason: str = ""


@dataclass
class ResolveProgressed(Message):
    """Progress of a batch of external fetches; replaces older ones in the queue."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ResolveProgressed)

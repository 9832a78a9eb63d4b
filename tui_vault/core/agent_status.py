"""What `tui-vault agent status` shows: the agent's status reply, checked and typed.

Apart from agent.py so that a `get` through the agent does not define these two dataclasses
(~2 ms of its start-up); `agent.status()` loads this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_vault.core.agent import socket_path, valid_vault_id


@dataclass(frozen=True)
class Unlocked:
    vault_id: str
    path: str
    idle_left: float | None  # seconds until it forgets without use; None: no idle limit
    max_left: float  # seconds until it forgets at the latest
    idle_seconds: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "vault_id": self.vault_id,
            "path": self.path,
            "idle_seconds_left": None if self.idle_left is None else round(self.idle_left),
            "max_seconds_left": round(self.max_left),
            "idle_timeout_seconds": None if self.idle_seconds is None else self.idle_seconds,
        }


@dataclass(frozen=True)
class AgentStatus:
    running: bool
    pid: int | None = None
    vaults: tuple[Unlocked, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "pid": self.pid,
            "socket": str(socket_path()),
            "vaults": [v.to_json() for v in self.vaults],
        }


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def from_reply(reply: dict[str, Any]) -> AgentStatus:
    """A running agent's status from its (accepted) reply; malformed entries are left out."""
    vaults: list[Unlocked] = []
    for item in reply.get("vaults") or []:
        if not isinstance(item, dict) or not valid_vault_id(item.get("vault_id")):
            continue
        max_left = _number(item.get("max_left"))
        vaults.append(
            Unlocked(
                vault_id=item["vault_id"],
                path=str(item.get("path") or ""),
                idle_left=_number(item.get("idle_left")),
                max_left=max_left if max_left is not None else 0.0,
                idle_seconds=_number(item.get("idle_seconds")),
            )
        )
    pid = reply.get("pid")
    return AgentStatus(True, pid if isinstance(pid, int) else None, tuple(vaults))

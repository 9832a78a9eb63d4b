"""What to show for a secret without fetching anything: for `list`, `list --json` and the table."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tui_vault.core.cache import Cache
from tui_vault.core.model import PROVIDERS, Reason

if TYPE_CHECKING:
    from tui_vault.core.vault import Vault


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def secret_status(
    vault: Vault, cache: Cache | None, ttl_seconds: float, name: str, now: float | None = None
) -> dict[str, Any]:
    """A JSON-able description of one secret (never its value)."""
    s = vault.get(name)
    now = now or time.time()
    row: dict[str, Any] = {
        "name": s.name,
        "enabled": s.enabled,
        "allowed_domains": list(s.allowed_domains),
        "source": s.source,
        "created": s.created,
        "updated": s.updated,
    }
    if not s.enabled:
        row["state"], row["status"] = "disabled", f"unresolved: {Reason.DISABLED.value}"
    elif s.link is None:
        if s.value == "":
            row["state"], row["status"] = "empty", "empty"
        else:
            row["state"], row["status"] = "ok", "ok"
    if s.link is None:
        return row
    row["link"] = s.link.describe()
    row["link_params"] = dict(s.link.params)
    entry = cache.peek(s.link.fingerprint) if cache else None
    row["cache_age_seconds"] = round(entry.age(now), 1) if entry else None
    row["cache_expires_in_seconds"] = (
        round(max(0.0, entry.expires_in(ttl_seconds, now)), 1) if entry else None
    )
    if not s.enabled:
        return row
    if s.link.provider not in vault.data.integrations:
        row["state"] = "disconnected"
        row["status"] = f"unresolved: {Reason.DISCONNECTED.value}"
    elif entry is not None and entry.expires_in(ttl_seconds, now) > 0:
        row["state"] = "cached"
        row["status"] = f"cached · {_minutes(entry.expires_in(ttl_seconds, now))} left"
    elif entry is not None:
        row["state"] = "expired"
        row["status"] = f"cache expired · fetched on next use from {PROVIDERS[s.link.provider]}"
    else:
        row["state"] = "not-fetched"
        row["status"] = f"not fetched yet · from {PROVIDERS[s.link.provider]}"
    return row

"""What a reference resolves to, and the checks that need no network (kept light: `get` of
a local secret imports only this, not asyncio or the resolver)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from tui_vault.core.model import Reason, Secret, domain_allowed

Status = Literal["resolved", "empty", "unresolved"]


@dataclass(frozen=True)
class Resolution:
    name: str
    status: Status
    value: str | None = field(default=None, repr=False)
    reason: Reason | None = None
    detail: str = ""
    # "stale": an expired cached value, served because the provider could not be reached
    # (serve_stale_hours); `detail` then says how old it is and why.
    origin: Literal["local", "cache", "fetched", "stale", "none"] = "none"

    @property
    def stale(self) -> bool:
        return self.origin == "stale"

    @property
    def ok(self) -> bool:
        return self.status != "unresolved"

    def explain(self) -> str:
        if self.status == "unresolved" and self.reason:
            text = f"{self.name}: unresolved ({self.reason.value})"
            return f"{text}: {self.detail}" if self.detail else text
        return f"{self.name}: {self.status}"


def check_local(
    name: str, secret: Secret | None, url: str | None, owner: bool = False
) -> Resolution | None:
    """The resolution decided without fetching, or None when a linked value must be fetched.

    owner: the vault's owner asks (reveal, copy), so domain and enabled checks do not apply.
    """
    if secret is None:
        return Resolution(name, "unresolved", reason=Reason.UNKNOWN_NAME)
    if not secret.enabled and not owner:
        return Resolution(name, "unresolved", reason=Reason.DISABLED)
    if not owner and not domain_allowed(secret.allowed_domains, url):
        detail = (
            f"allowed only for {', '.join(secret.allowed_domains)}; pass --url"
            if not url
            else f"{url} is not in {', '.join(secret.allowed_domains)}"
        )
        return Resolution(name, "unresolved", reason=Reason.DOMAIN_NOT_ALLOWED, detail=detail)
    if secret.link is None:
        return value_result(name, secret.value, "local")
    return None


def resolve_local(
    secrets: Mapping[str, Secret], names: Iterable[str], url: str | None
) -> dict[str, Resolution] | None:
    """Each name (once, in order) resolved without fetching, or None if one of them is a
    linked secret whose value must be fetched (then the resolver does them all)."""
    done: dict[str, Resolution] = {}
    for name in names:
        if name not in done:
            r = check_local(name, secrets.get(name), url)
            if r is None:
                return None
            done[name] = r
    return done


def age_text(seconds: float) -> str:
    """A short age: 40 s, 12 min, 3 h, 2 d."""
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def stale_allowed(age_seconds: float, ttl_seconds: float, stale_seconds: float) -> bool:
    """Whether an expired entry of this age may still be served stale (never past the limit)."""
    return stale_seconds > 0 and age_seconds <= ttl_seconds + stale_seconds


def stale_note(age_seconds: float, why: str) -> str:
    """`fetched 3 h ago (HashiCorp unreachable)`."""
    return f"fetched {age_text(age_seconds)} ago ({why})"


def value_result(
    name: str, value: str, origin: Literal["local", "cache", "fetched", "stale"]
) -> Resolution:
    if value == "":
        return Resolution(name, "empty", value="", origin=origin)
    return Resolution(name, "resolved", value=value, origin=origin)

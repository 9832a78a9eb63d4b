"""What a reference resolves to, and the checks that need no network (kept light: `get` of
a local secret imports only this, not asyncio or the resolver)."""

from __future__ import annotations

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
    origin: Literal["local", "cache", "fetched", "none"] = "none"

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


def value_result(name: str, value: str, origin: Literal["local", "cache", "fetched"]) -> Resolution:
    if value == "":
        return Resolution(name, "empty", value="", origin=origin)
    return Resolution(name, "resolved", value=value, origin=origin)

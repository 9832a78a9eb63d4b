"""What a reference resolves to, and the checks that need no network (kept light: `get` of
a local secret imports only this, not asyncio or the resolver)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from tui_vault.core.model import Reason, Secret, domain_allowed

Status = Literal["resolved", "empty", "unresolved"]
Origin = Literal["local", "cache", "fetched", "stale", "none"]

_FIELDS = ("name", "status", "value", "reason", "detail", "origin")


class Resolution:
    """What one name resolved to. Immutable, compared and hashed by its six fields (as the
    frozen dataclass it was), and its repr never shows the value.

    A plain slotted class, not a dataclass: `get` imports this module, and the dataclasses
    module alone costs it ~13 ms of imports. Not a tuple either: a tuple would let
    `json.dumps`, msgspec or unpacking carry the value out silently.

    The fields are written through the slots' own descriptors (`_set_*`), which skip the
    refusing `__setattr__`: about half the cost of the dataclass's `object.__setattr__`s.
    """

    __slots__ = _FIELDS
    __match_args__ = ("name", "status", "value", "reason", "detail", "origin")

    name: str
    status: Status
    value: str | None
    reason: Reason | None
    detail: str
    # "stale": an expired cached value, served because the provider could not be reached
    # (serve_stale_hours); `detail` then says how old it is and why.
    origin: Origin

    def __init__(
        self,
        name: str,
        status: Status,
        value: str | None = None,
        reason: Reason | None = None,
        detail: str = "",
        origin: Origin = "none",
    ) -> None:
        _set_name(self, name)
        _set_status(self, status)
        _set_value(self, value)
        _set_reason(self, reason)
        _set_detail(self, detail)
        _set_origin(self, origin)

    def __setattr__(self, attr: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {attr!r}: a Resolution is immutable")

    def __delattr__(self, attr: str) -> None:
        raise AttributeError(f"cannot delete field {attr!r}: a Resolution is immutable")

    def _values(self) -> tuple[Any, ...]:
        return (self.name, self.status, self.value, self.reason, self.detail, self.origin)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            assert isinstance(other, Resolution)
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        # The dataclass's repr, without the value (it was `field(repr=False)`).
        return (
            f"{type(self).__qualname__}(name={self.name!r}, status={self.status!r}, "
            f"reason={self.reason!r}, detail={self.detail!r}, origin={self.origin!r})"
        )

    def __reduce__(self) -> tuple[type[Resolution], tuple[Any, ...]]:
        # copy and pickle rebuild it through __init__ (the default would setattr the slots).
        return (type(self), self._values())

    def replace(self, **changes: Any) -> Resolution:
        """A copy with some fields changed (what `dataclasses.replace` did)."""
        values = dict(zip(_FIELDS, self._values(), strict=True))
        for k in changes:
            if k not in values:
                raise TypeError(f"Resolution has no field {k!r}")
        values.update(changes)
        return Resolution(**values)

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


# Each field's slot descriptor's own setter (they skip the refusing __setattr__).
_SLOTS: Any = vars(Resolution)
_set_name, _set_status, _set_value, _set_reason, _set_detail, _set_origin = (
    _SLOTS[f].__set__ for f in _FIELDS
)
_new = object.__new__


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
    # Built without the call to __init__ (one per reference resolved: 10,000 in a big run).
    r: Resolution = _new(Resolution)
    _set_name(r, name)
    _set_status(r, "empty" if value == "" else "resolved")
    _set_value(r, value)
    _set_reason(r, None)
    _set_detail(r, "")
    _set_origin(r, origin)
    return r

"""Secrets, links and vault contents: plain data, validated on the way in."""

from __future__ import annotations

import itertools
import operator
import re
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from tui_vault.core.display import visible
from tui_vault.core.errors import InvalidSecretError, UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

NAME_RE = re.compile(r"\A[A-Za-z0-9._-]+\Z")  # \Z: "$" would allow a trailing newline
_HOSTNAME_RE = re.compile(r"\A[a-z0-9.-]+\Z")
_MISSING: Any = object()  # a key absent from a JSON object (unlike an explicit null)
_FACTORY: Any = object()  # an __init__ default made per object: [], {}, now()
MAX_NAME_LENGTH = 128
# Every name of a vault, joined with newlines (which no name may hold), checked at once.
# Possessive (`+`): no name can match otherwise (its class holds no newline), and without
# backtracking points the matcher keeps no state per name (~12 MB at 100,000 names, each
# page faulted in, and 3x the time); a test compares it with the plain pattern.
_NAMES_RE = re.compile(r"\A[A-Za-z0-9._-]{1,128}+(?:\n[A-Za-z0-9._-]{1,128}+)*+\Z")

PROVIDERS: dict[str, str] = {
    "hashicorp": "HashiCorp",
    "aws": "AWS",
    "azure": "Azure",
    "1password": "1Password",
}


class Reason(StrEnum):
    """Why a reference did not resolve (DESIGN.md §3)."""

    UNKNOWN_NAME = "unknown name"
    DISABLED = "disabled"
    DOMAIN_NOT_ALLOWED = "domain not allowed"
    DISCONNECTED = "integration disconnected"
    NEEDS_REAUTH = "needs re-authentication"
    PROVIDER_ERROR = "provider error"
    TIMED_OUT = "timed out"


def validate_name(name: str, *, stored: bool = False) -> str:
    """Refuse a bad secret name. `stored`: a name read back from a vault file, where a name
    starting with '-' (allowed by older versions) is still accepted, so the vault opens."""
    if not name:
        raise InvalidSecretError("a secret name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidSecretError(f"secret name is longer than {MAX_NAME_LENGTH} characters")
    if name.startswith("-") and not stored:
        raise InvalidSecretError(
            f"invalid secret name {name!r}: it cannot start with '-' (it would read as an option)"
        )
    if not NAME_RE.match(name):
        raise InvalidSecretError(
            f"invalid secret name {name!r}: use letters, digits, '-', '_' and '.' only"
        )
    return name


def now() -> float:
    return time.time()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen model object (what dataclasses raises: an
    AttributeError)."""


def _frozen(self: object, name: str, value: object = None) -> NoReturn:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


_set = object.__setattr__
_T = TypeVar("_T")


# The model's classes are written out by hand, not made by @dataclass: `get` of a small
# vault then never imports the dataclasses module (with inspect, ast and dis: ~12 ms of a
# ~80 ms command). Each behaves as the dataclass it replaces did (same __init__ signature
# and defaults, __eq__ comparing the fields in order and only with the same class, __hash__
# of the fields when frozen, __repr__, __match_args__, assignment refused when frozen) and
# has `replace(**changes)` for `dataclasses.replace`. msgspec (big vaults, every save)
# reads and writes Secret and Link through the dataclass protocol, which `_msgspec_ready()`
# gives them on first use (see there).


class Link:
    """Where a linked secret's value lives: a provider and its identifying parameters.

    Slotted, with nothing but its two fields: the vault is written by serialising these
    objects directly (msgspec), so any other attribute would end up in the file.
    """

    __match_args__ = ("provider", "params")
    __slots__ = __match_args__  # the fields, in order
    provider: str
    params: dict[str, str]

    def __init__(self, provider: str, params: dict[str, str]) -> None:
        _set(self, "provider", provider)
        _set(self, "params", params)
        self.__post_init__()

    def __post_init__(self) -> None:  # msgspec calls it after decoding a Link, as before
        if self.provider not in PROVIDERS:
            raise InvalidSecretError(
                f"unknown provider {self.provider!r}: choose one of {', '.join(PROVIDERS)}"
            )

    __setattr__ = _frozen
    __delattr__ = _frozen

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Link)
        return (self.provider, self.params) == (other.provider, other.params)

    def __hash__(self) -> int:
        return hash((self.provider, self.params))  # a TypeError (params is a dict), as before

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(provider={self.provider!r}, params={self.params!r})"

    def __reduce__(self) -> tuple[type[Link], tuple[str, dict[str, str]]]:
        return (self.__class__, (self.provider, self.params))

    def replace(self, **changes: Any) -> Link:
        """A copy with the named fields changed (`dataclasses.replace`)."""
        return _replace(self, changes)

    @property
    def fingerprint(self) -> str:
        """Identity of the external value: equal links share one fetch and one cache entry.

        Computed on each call (about a microsecond: a sorted join of a few short strings);
        caching it on the instance would put it in the vault file (see above).
        """
        return link_fingerprint(self.provider, self.params)

    def describe(self) -> str:
        p = self.params
        if self.provider == "hashicorp":
            return f"{p.get('engine', '')}/{p.get('path', '')}#{p.get('key', '')}"
        if self.provider in ("aws", "azure"):
            extra = f"#{p['json_key']}" if p.get("json_key") else ""
            return f"{p.get('secret_id', '')}{extra}"
        return p.get("ref", "")

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Any) -> Link:
        if not isinstance(data, dict):
            raise InvalidSecretError("link must be an object")
        provider = data.get("provider")
        params = data.get("params", {})
        if not isinstance(provider, str) or not isinstance(params, dict):
            raise InvalidSecretError("link needs a provider and params")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
            raise InvalidSecretError("link params must be strings")
        return cls(provider=provider, params=dict(params))


def _replace(obj: _T, changes: dict[str, Any]) -> _T:
    """dataclasses.replace for the model's slotted classes: every field from obj, the
    changes over them, through __init__ (so an unknown name is a TypeError and a Link's
    provider is checked again)."""
    kwargs = {name: getattr(obj, name) for name in obj.__match_args__}  # type: ignore[attr-defined]
    kwargs.update(changes)
    return obj.__class__(**kwargs)


_msgspec_protocol = False


def _msgspec_ready() -> None:
    """Give Link and Secret the dataclass protocol, which msgspec reads and writes them by.

    msgspec decodes into a class that has `__dataclass_fields__` (a dict of
    dataclasses.Field: each field's name and default), setting the slots directly and then
    calling `__post_init__`, and encodes one by reading those fields in order: what it did
    for the dataclasses these classes were, at the same speed. The fields come from a
    dataclass of the same shape, made here, so the dataclasses module is imported only by
    who decodes or encodes with msgspec (a big vault, a save), never by `get` of a small
    one. A test checks the two shapes agree (names, order, defaults)."""
    global _msgspec_protocol
    if _msgspec_protocol:
        return
    import dataclasses

    @dataclasses.dataclass
    class LinkShape:
        provider: str
        params: dict[str, str]

    @dataclasses.dataclass
    class SecretShape:
        name: str
        value: str = ""
        enabled: bool = True
        allowed_domains: list[str] = dataclasses.field(default_factory=list)
        link: Link | None = None
        created: float = dataclasses.field(default_factory=now)
        updated: float = dataclasses.field(default_factory=now)

    type.__setattr__(Link, "__dataclass_fields__", LinkShape.__dataclass_fields__)
    type.__setattr__(Secret, "__dataclass_fields__", SecretShape.__dataclass_fields__)
    # msgspec reads the field types from Secret's own annotations (before it first builds a
    # decoder of Secret, which it keeps): the times' range is checked in its C decoder, as
    # from_json checks it (-1e12 < t < 1e12, so no infinity either), instead of four passes
    # over every secret in _wire_is_canonical (~20 ms at 100,000 secrets). A time out of
    # range fails the decode, and the general path then says which secret, as before.
    from typing import Annotated

    import msgspec

    unix_time = Annotated[float, msgspec.Meta(gt=-_TIME_LIMIT, lt=_TIME_LIMIT)]
    Secret.__annotations__.update(created=unix_time, updated=unix_time)
    _msgspec_protocol = True


def link_fingerprint(provider: str, params: dict[str, str]) -> str:
    """`provider:k=v,...` over the non-empty params in key order: `Link.fingerprint`, the
    cache's key. Computed for every linked reference resolved, so the resolver calls it
    directly (no property hop) and the usual shapes skip the sort and the join."""
    n = len(params)
    if n == 1:  # AWS, Azure, 1Password: nothing to sort or join
        ((k, v),) = params.items()  # (unpacked: quicker than a loop's iterator)
        return f"{provider}:{k}={v}" if v else f"{provider}:"
    if n == 3 and provider == "hashicorp":
        # HashiCorp's usual shape (engine, path, key, none empty), in sorted key order: the
        # string the general rule below builds, without the sort, the list and the join.
        try:
            engine, key, path = params["engine"], params["key"], params["path"]
        except KeyError:
            pass
        else:
            if engine and key and path:
                return f"hashicorp:engine={engine},key={key},path={path}"
    return provider + ":" + ",".join([f"{k}={v}" for k in sorted(params) if (v := params[k])])


_LABEL_RE = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
# Compiled on first use (_strict_url_re): compiling it was ~1 ms of every import of this
# module (every `get`), and only a --url or a URL to check needs it.
_STRICT_URL = (
    r"\A(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?"
    r"(?P<host>[a-z0-9.-]+|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<rest>[/?#][\x21-\x5b\x5d-\x7e]*)?\Z"  # printable ASCII without "\\"
)
_strict_url_compiled: re.Pattern[str] | None = None


def _strict_url_re() -> re.Pattern[str]:
    global _strict_url_compiled
    if _strict_url_compiled is None:
        _strict_url_compiled = re.compile(_STRICT_URL, re.IGNORECASE)
    return _strict_url_compiled


def valid_hostname(host: str) -> bool:
    """DNS-shaped: dot-separated labels of letters, digits and inner hyphens (no `.`, `..`,
    `-a.com`, empty labels or trailing dots)."""
    return 0 < len(host) <= 253 and all(_LABEL_RE.match(label) for label in host.split("."))


def _plain_numeric_host(host: str) -> bool:
    """A host whose last label is a number is an IPv4 address to WHATWG parsers, which also
    read `443`, `0x7f.1` or `010.0.0.1` as addresses: only the plain dotted quad is allowed."""
    last = host.rsplit(".", 1)[-1]
    if not (last.isdigit() or last.startswith("0x")):
        return True
    parts = host.split(".")
    return len(parts) == 4 and all(
        p.isdigit() and int(p) <= 255 and (p == "0" or not p.startswith("0")) for p in parts
    )


class StrictUrl:
    """A `--url` as parse_url read it."""

    __match_args__ = ("scheme", "host", "port")
    __slots__ = __match_args__  # the fields, in order
    scheme: str
    host: str
    port: int | None

    def __init__(self, scheme: str, host: str, port: int | None) -> None:
        _set(self, "scheme", scheme)
        _set(self, "host", host)
        _set(self, "port", port)

    __setattr__ = _frozen
    __delattr__ = _frozen

    def _fields(self) -> tuple[str, str, int | None]:
        return (self.scheme, self.host, self.port)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, StrictUrl)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__qualname__}(scheme={self.scheme!r}, host={self.host!r}, "
            f"port={self.port!r})"
        )

    def __reduce__(self) -> tuple[type[StrictUrl], tuple[str, str, int | None]]:
        return (self.__class__, self._fields())


def parse_url(url: str) -> StrictUrl:
    """Parse a `--url` strictly (DESIGN.md §7), or raise UsageError.

    Refused: userinfo (`user@`), backslashes, white space, control and non-ASCII characters,
    percent-encoded or malformed hosts, bad ports. What is left is read the same way by every
    URL parser (WHATWG's `fetch`, curl, urllib), so the host we check is the host that gets
    the value: `http://B\\@A/` is A for urllib and B for a browser, and is refused here.
    """
    shown = visible(url)
    if not url or not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
        raise UsageError(f"invalid --url {shown!r}: white space or control characters")
    if "\\" in url:
        raise UsageError(f"invalid --url {shown!r}: backslashes are not allowed")
    authority = url.split("://", 1)[-1]
    authority = re.split(r"[/?#]", authority, maxsplit=1)[0]
    if "@" in authority:
        raise UsageError(f"invalid --url {shown!r}: user names or passwords are not allowed")
    m = _strict_url_re().match(url)
    if m is None:
        raise UsageError(f"invalid --url {shown!r}: not a plain scheme://host[:port]/path URL")
    host = m["host"].lower()
    if host.startswith("["):
        import ipaddress

        try:
            host = "[" + ipaddress.IPv6Address(host[1:-1]).compressed + "]"
        except ValueError:
            raise UsageError(f"invalid --url {shown!r}: not a valid IPv6 address") from None
    elif not valid_hostname(host) or not _plain_numeric_host(host):
        raise UsageError(f"invalid --url {shown!r}: {host!r} is not a valid host name")
    port = int(m["port"]) if m["port"] else None
    if port is not None and not 0 < port < 65536:
        raise UsageError(f"invalid --url {shown!r}: bad port")
    scheme = (m["scheme"] or "https").lower()
    return StrictUrl(scheme, host.strip("[]"), port)


def parse_domains(text: str | list[str] | None) -> list[str]:
    """Normalise a comma-separated (or list) domain allow-list; empty means any domain."""
    if text is None:
        return []
    parts = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for raw in parts:
        entry = raw.strip().lower()
        if not entry:
            continue
        scheme = ""
        if "://" in entry:
            scheme, _, entry = entry.partition("://")
        host = entry.split("/", 1)[0]
        wildcard = host.startswith("*.")
        bare = host[2:] if wildcard else host
        hostname, port = bare.rsplit(":", 1) if bare.count(":") == 1 else (bare, None)
        bad_port = port is not None and not (
            port.isascii() and port.isdigit() and 0 < int(port) < 65536
        )
        if (
            not hostname
            or not _HOSTNAME_RE.match(hostname)
            or not valid_hostname(hostname)
            or "*" in bare
            or bad_port
        ):
            raise InvalidSecretError(f"invalid allowed domain {raw.strip()!r}")
        out.append(f"{scheme}://{host}" if scheme else host)
    return list(dict.fromkeys(out))


_DEFAULT_PORTS = {"https": 443, "http": 80}


def domain_allowed(allowed: list[str], url: str | None) -> bool:
    """True if URL's host matches the allow-list. Empty list: any URL (or none)."""
    if not allowed:
        return True
    if not url:
        return False
    try:
        parts = parse_url(url)  # strict: what we check is the host every parser would see
    except UsageError:
        return False
    host = parts.host
    scheme = parts.scheme
    port = parts.port or _DEFAULT_PORTS.get(scheme)
    for entry in allowed:
        want_scheme = ""
        if "://" in entry:
            want_scheme, _, entry = entry.partition("://")
        if want_scheme and want_scheme != scheme:
            continue
        pattern = entry
        want_port: int | None = None
        if pattern.count(":") == 1:
            pattern, _, p = pattern.partition(":")
            want_port = int(p) if p.isdigit() else None
        if want_port is not None and want_port != port:
            continue
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


_WIRE_KEYS = ("name", "value", "enabled", "allowed_domains", "link", "created", "updated")


class Secret:
    """One secret. Frozen: every change builds a new one (`touched`, `replace`), which
    EncodedBlocks and a transaction's shallow-copied draft rely on.

    Slotted, with nothing but its seven fields (written to the file by msgspec). Its repr
    never shows the value.
    """

    __match_args__ = ("name", "value", "enabled", "allowed_domains", "link", "created", "updated")
    __slots__ = __match_args__  # the fields, in order
    name: str
    value: str
    enabled: bool
    allowed_domains: list[str]
    link: Link | None
    created: float
    updated: float

    def __init__(
        self,
        name: str,
        value: str = "",
        enabled: bool = True,
        allowed_domains: list[str] = _FACTORY,
        link: Link | None = None,
        created: float = _FACTORY,
        updated: float = _FACTORY,
    ) -> None:
        _set(self, "name", name)
        _set(self, "value", value)
        _set(self, "enabled", enabled)
        _set(self, "allowed_domains", [] if allowed_domains is _FACTORY else allowed_domains)
        _set(self, "link", link)
        _set(self, "created", now() if created is _FACTORY else created)
        _set(self, "updated", now() if updated is _FACTORY else updated)

    __setattr__ = _frozen
    __delattr__ = _frozen

    def _fields(self) -> tuple[str, str, bool, list[str], Link | None, float, float]:
        return (
            self.name,
            self.value,
            self.enabled,
            self.allowed_domains,
            self.link,
            self.created,
            self.updated,
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Secret)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())  # a TypeError (allowed_domains is a list), as before

    def __repr__(self) -> str:
        # The value is never shown (a dataclass's repr showed it).
        hidden = "''" if self.value == "" else "<hidden>"
        return (
            f"{self.__class__.__qualname__}(name={self.name!r}, value={hidden}, "
            f"enabled={self.enabled!r}, allowed_domains={self.allowed_domains!r}, "
            f"link={self.link!r}, created={self.created!r}, updated={self.updated!r})"
        )

    def __reduce__(
        self,
    ) -> tuple[type[Secret], tuple[str, str, bool, list[str], Link | None, float, float]]:
        return (self.__class__, self._fields())

    def replace(self, **changes: Any) -> Secret:
        """A copy with the named fields changed (`dataclasses.replace`: unknown names are
        a TypeError)."""
        return _replace(self, changes)

    @property
    def source(self) -> str:
        return self.link.provider if self.link else "local"

    def touched(self, **changes: Any) -> Secret:
        return _replace(self, {"updated": now(), **changes})

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "enabled": self.enabled,
            "allowed_domains": list(self.allowed_domains),
            "link": self.link.to_json() if self.link else None,
            "created": self.created,
            "updated": self.updated,
        }

    @classmethod
    def from_json(cls, data: Any) -> Secret:
        # The shape this program writes for a local secret with no domain list, checked
        # exactly (same rules as below) without the general path's lookups.
        if type(data) is dict and tuple(data) == _WIRE_KEYS:
            name, value, enabled, wire_domains, wire_link, created, updated = data.values()
            if (
                type(name) is str
                and 0 < len(name) <= MAX_NAME_LENGTH
                and NAME_RE.match(name) is not None
                and type(value) is str
                and type(enabled) is bool
                and wire_domains == []
                and wire_link is None
                and type(created) is float
                and type(updated) is float
                and -1e12 < created < 1e12
                and -1e12 < updated < 1e12
            ):
                return cls(name, value, enabled, wire_domains, None, created, updated)
        if not isinstance(data, dict):
            raise InvalidSecretError("a secret must be an object")
        name = data.get("name")
        if not isinstance(name, str):
            raise InvalidSecretError("a secret needs a name")
        validate_name(name, stored=True)
        value = data.get("value", "")
        if not isinstance(value, str):
            raise InvalidSecretError(f"secret {name!r}: value must be a string")
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            raise InvalidSecretError(f"secret {name!r}: enabled must be true or false")
        domains_raw = data.get("allowed_domains", _MISSING)
        if domains_raw is _MISSING or domains_raw == []:
            domains: list[str] = []  # the common case, and the cheapest: a vault may hold 100,000
        else:
            if not isinstance(domains_raw, (list, str)) or (
                isinstance(domains_raw, list) and not all(isinstance(d, str) for d in domains_raw)
            ):
                raise InvalidSecretError(f"secret {name!r}: allowed_domains must be a list")
            try:
                domains = parse_domains(domains_raw)
            except InvalidSecretError as e:
                raise InvalidSecretError(f"secret {name!r}: {e.message}") from None
        link_raw = data.get("link")
        try:
            link = Link.from_json(link_raw) if link_raw is not None else None
        except InvalidSecretError as e:
            raise InvalidSecretError(f"secret {name!r}: {e.message}") from None
        created = data.get("created", _MISSING)
        if created is _MISSING:
            created = now()
        updated = data.get("updated", created)
        if not isinstance(created, (int, float)) or not isinstance(updated, (int, float)):
            raise InvalidSecretError(f"secret {name!r}: times must be numbers")
        # NaN, infinities and 4000-digit integers would break float() or `list --json`.
        if not (abs(created) < 1e12 and abs(updated) < 1e12):
            raise InvalidSecretError(f"secret {name!r}: times must be Unix times in seconds")
        return cls(
            name=name,
            value="" if link else value,
            enabled=enabled,
            allowed_domains=domains,
            link=link,
            created=float(created),
            updated=float(updated),
        )


_TIME_LIMIT = 1e12  # |created|, |updated| below this (from_json's rule; spelled out there)
SMALL_CONTENTS = 128 * 1024
"""Vault contents (decrypted JSON) below this size are parsed by the general path alone."""
SMALL_SECRETS = 256
"""Vaults with fewer secrets than this are encoded by json.dumps (see to_json_bytes)."""
_decoder: Any = None  # built on first use: msgspec is imported only by who opens a vault


def _wire_decoder() -> Any:
    """A decoder of {"secrets": [Secret...], "integrations": {...}} into those types."""
    global _decoder
    if _decoder is None:
        import msgspec

        _msgspec_ready()
        doc = msgspec.defstruct(
            "WireDoc",
            [("secrets", list[Secret]), ("integrations", dict[str, dict[str, str]])],
        )
        _decoder = msgspec.json.Decoder(doc)
    return _decoder


_get = operator.attrgetter
_NAME, _DOMAINS, _LINK = _get("name"), _get("allowed_domains"), _get("link")


def _wire_is_canonical(wire: Any) -> list[str] | None:
    """What Secret.from_json checks beyond types, for secrets decoded by msgspec: their names
    (in order) when each one is exactly what from_json would have built, else None.

    Checked a column at a time, each column read once (one regex over all names, each
    distinct allow-list parsed once; the times' range the decoder checked), not secret by
    secret: every pass over 100,000 objects costs a few ms however it is spelled, so the
    names are read once and reused for the vault's dict."""
    secrets: list[Secret] = wire.secrets
    if not secrets:
        return []
    names = list(map(_NAME, secrets))
    if not _NAMES_RE.match("\n".join(names)):
        return None
    # The times' range was checked by the decoder itself (see _msgspec_ready).
    # Many secrets share one allow-list: each distinct list is parsed once (parse_domains
    # depends on nothing but the list).
    for domains in set(map(tuple, filter(None, map(_DOMAINS, secrets)))):
        try:
            if parse_domains(list(domains)) != list(domains):
                return None
        except InvalidSecretError:
            return None  # the general path says which secret, as it always does
    links = list(map(_LINK, secrets))
    if links.count(None) != len(links):  # (the list's memory is reused by the dict's)
        for i in itertools.compress(range(len(links)), map(operator.is_not, links, _NONES)):
            if secrets[i].value:
                return None  # from_json drops a linked secret's stored value
    return names


_NONES = itertools.repeat(None)


class VaultData:
    """Everything inside the encrypted envelope (not frozen; unhashable, as before)."""

    __match_args__ = ("secrets", "integrations")
    __slots__ = (*__match_args__, "_decoded")  # the fields, in order; then not a field
    secrets: dict[str, Secret]
    integrations: dict[str, dict[str, str]]
    _decoded: list[Secret] | None

    def __init__(
        self,
        secrets: dict[str, Secret] = _FACTORY,
        integrations: dict[str, dict[str, str]] = _FACTORY,
    ) -> None:
        self.secrets = {} if secrets is _FACTORY else secrets
        self.integrations = {} if integrations is _FACTORY else integrations
        # The secrets as from_json_bytes's decoder built them, in the dict's order (see
        # decoded_as_read); None for contents made any other way.
        self._decoded = None

    def decoded_as_read(self, secrets: Sequence[Secret], first: int) -> bool:
        """`secrets` are, one for one, this vault's secrets from position `first` (in the
        dict's order) as the decoder built them from the file: every field of each has the
        type its annotation says (checked by msgspec, in C) and every name matched NAME_RE
        (_wire_is_canonical). False if the dict has changed there since (a secret replaced,
        added or removed: another object, or another position) or the contents were not
        decoded. A list of them needs no per-field type checks (core/status.py, rows)."""
        decoded = self._decoded
        if decoded is None or not secrets:
            return False
        part = decoded[first : first + len(secrets)]
        return len(part) == len(secrets) and all(map(operator.is_, part, secrets))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, VaultData)
        return (self.secrets, self.integrations) == (other.secrets, other.integrations)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        # Integration settings may hold credentials: only the providers are named.
        return (
            f"{self.__class__.__qualname__}(secrets={self.secrets!r}, "
            f"integrations=<settings of {sorted(self.integrations)!r}>)"
        )

    def in_name_order(
        self, known: tuple[list[str], list[str]] | None = None
    ) -> tuple[list[str], list[Secret]]:
        """The names in name order (`str.lower`: `Vault.names()`; names equal but for case
        keep their order) and their secrets in the same order: the order a save writes.

        A vault read back is then in that order already, so each later sort of its names
        (`list`, the table) is one pass over sorted data, and its secrets are taken as they
        are instead of looked up one name at a time. At 100,000 secrets added in no order:
        ~55 ms of sort and ~10 ms of lookups, against ~10 ms in all for a vault in name
        order (bench/PROFILING.md, round 7). known: see name_order."""
        return self._in_order(self.name_order(known))

    def _in_order(self, order: tuple[list[str], list[str]]) -> tuple[list[str], list[Secret]]:
        """in_name_order, given this vault's name_order."""
        keys, names = order
        secrets = self.secrets
        if names is keys:
            return names, list(secrets.values())
        if len(names) < 2:
            return names, [secrets[name] for name in names]
        return names, list(operator.itemgetter(*names)(secrets))

    def name_order(
        self, known: tuple[list[str], list[str]] | None = None
    ) -> tuple[list[str], list[str]]:
        """(the names in the dict's order, the names in name order): the very same list
        twice when the dict is in name order already.

        known: what this returned for an earlier vault (EncodedBlocks keeps the last save's):
        when its names are this vault's, in the same dict order (an edit, a domain change),
        their name order is the same and is not worked out again: at 100,000 secrets the
        sort's `lower()` of every name was ~10 ms of each save; the comparison is ~1 ms."""
        keys = list(self.secrets)
        if known is not None and known[0] == keys:
            return known
        names = sorted(keys, key=str.lower)
        if names == keys:  # (compares the very same strings: ~1 ms)
            return keys, keys
        return keys, names

    def ordered_secrets(self) -> list[Secret]:
        """The secrets in name order (in_name_order)."""
        return self.in_name_order()[1]

    def to_json(self) -> dict[str, Any]:
        return {
            "secrets": [s.to_json() for s in self.ordered_secrets()],
            "integrations": {k: dict(v) for k, v in self.integrations.items()},
        }

    def to_json_bytes(self, blocks: EncodedBlocks | None = None) -> bytes:
        """`to_json()` as compact UTF-8 JSON, byte for byte what `json.dumps(..., separators=
        (",", ":"), ensure_ascii=False)` writes, ~10x faster: msgspec walks the dataclasses
        itself instead of building 100,000 dicts first (a test compares the two).

        blocks: the encoding of the previous save, reused for the secrets that did not
        change (the same bytes as without it).

        Fewer than SMALL_SECRETS secrets (and msgspec not loaded yet) are written by
        json.dumps itself: importing msgspec costs ~28 ms, json.dumps 0.6 ms for 256 secrets,
        so a process that saves once (`set`, `import`, a script) does not wait for it. The
        bytes decode to the same document (floats in exponent form are spelled "1e+300"
        there, "1e300" by msgspec; vault times never are)."""
        import sys

        if len(self.secrets) < SMALL_SECRETS and "msgspec" not in sys.modules:
            import json

            plain = json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False)
            return plain.encode()
        import msgspec

        _msgspec_ready()
        if blocks is not None:
            return blocks.encode(self)
        return msgspec.json.encode(
            {"secrets": self.ordered_secrets(), "integrations": self.integrations}
        )

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> VaultData:
        """Parse what `to_json_bytes` wrote. Same result and the same checks as
        `from_json(json.loads(raw))`, which remains the rule: the fast path decodes straight
        into Secret objects (msgspec checks every type in C), checks what types cannot say
        (names, domains, times, linked values) and hands anything unusual to the general
        path, so it can only be faster, never more lenient.

        Contents smaller than SMALL_CONTENTS (a few hundred secrets) go the general way
        directly, unless msgspec is loaded already: importing it costs more (~20 ms) than
        the general path spends on them."""
        import json
        import sys

        if len(raw) < SMALL_CONTENTS and "msgspec" not in sys.modules:
            return cls.from_json(json.loads(raw))
        import msgspec

        try:
            wire = _wire_decoder().decode(raw)
        except (msgspec.MsgspecError, InvalidSecretError, ValueError, TypeError):
            wire = None
        names = _wire_is_canonical(wire) if wire is not None else None
        if names is not None:
            # A name given twice keeps its first place and its last secret, as from_json's
            # loop does.
            data = cls(
                secrets=dict(zip(names, wire.secrets, strict=True)), integrations=wire.integrations
            )
            if len(data.secrets) == len(wire.secrets):  # no name twice: one for one, in order
                data._decoded = wire.secrets
            return data
        return cls.from_json(json.loads(raw))

    @classmethod
    def from_json(cls, data: Any) -> VaultData:
        if not isinstance(data, dict) or not isinstance(data.get("secrets"), list):
            raise InvalidSecretError("vault contents are not in the expected shape")
        secrets: dict[str, Secret] = {}
        for raw in data["secrets"]:
            s = Secret.from_json(raw)
            secrets[s.name] = s
        integ = data.get("integrations", {})
        if not isinstance(integ, dict) or not all(
            isinstance(c, dict) and all(isinstance(v, str) for v in c.values())
            for c in integ.values()
        ):
            raise InvalidSecretError("integrations must be an object of string settings")
        return cls(secrets=secrets, integrations={str(k): dict(v) for k, v in integ.items()})


class EncodedBlocks:
    """A vault's JSON in blocks of secrets, kept from one save to the next (one per open
    vault): a save re-encodes only the blocks whose secrets changed (one edit: one block of
    1,024 instead of 100,000 secrets) and joins the rest as they were.

    A block is reused only if it holds the very same Secret objects, in the same order, as
    when it was encoded (the cache holds them, so no id can be reused meanwhile). Secrets
    are frozen and never changed in place (every change builds a new one: `touched`, or a
    new Secret), which a transaction relies on already: its draft is a shallow copy of the
    vault, so a secret changed in place would change the vault itself even if the change
    failed. The output is what `msgspec.json.encode` writes for the whole document (a test
    compares the two on edits, inserts, renames, deletes and every kind of secret).

    The blocks follow the save's name order (`VaultData.in_name_order`), kept from one save
    to the next while the names stay the same (`name_order`): an edit keeps its block, a
    new or renamed secret lands in its place and the blocks after it are encoded anew (at
    100,000 secrets, a new name in the middle re-encodes half the vault, ~25 ms).
    """

    BLOCK = 1024

    def __init__(self) -> None:
        self._blocks: list[tuple[list[Secret], bytes]] = []
        self._order: tuple[list[str], list[str]] | None = None  # the last save's name_order

    def encode(self, data: VaultData) -> bytes:
        import msgspec

        _msgspec_ready()
        self._order = order = data.name_order(self._order)  # (known: the last save's)
        secrets = data._in_order(order)[1]
        old = self._blocks
        new: list[tuple[list[Secret], bytes]] = []
        for i, start in enumerate(range(0, len(secrets), self.BLOCK)):
            block = secrets[start : start + self.BLOCK]
            if (
                i < len(old)
                and len(old[i][0]) == len(block)
                and all(map(operator.is_, old[i][0], block))
            ):
                encoded = old[i][1]
            else:
                encoded = msgspec.json.encode(block)[1:-1]  # the objects, without [ ]
            new.append((block, encoded))
        self._blocks = new
        pieces = [b'{"secrets":[']
        for i, (_, encoded) in enumerate(new):
            if i:
                pieces.append(b",")
            pieces.append(encoded)
        pieces += (b'],"integrations":', msgspec.json.encode(data.integrations), b"}")
        return b"".join(pieces)  # one copy of the document, as msgspec's own encode makes

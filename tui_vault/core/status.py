"""Secret health, in one place: what to show for a secret without fetching anything.

`secret_status` is the row of `list` / `list --json`; `secret_health` adds what a session
learned (a refused credential, a failed fetch) and says what is wrong and how to fix it, for
the table, its attention counter and troubleshoot; `integration_health` is one provider's row.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import time
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tui_vault.core.cache import Cache
from tui_vault.core.model import PROVIDERS, Reason, Secret
from tui_vault.core.resolution import stale_allowed, stale_note

if TYPE_CHECKING:
    from tui_vault.core.resolution import Resolution
    from tui_vault.core.vault import Vault


def _minutes(seconds: float) -> str:
    if seconds < 60:  # not "0 min left" for the last minute
        return f"{max(1, int(seconds))} s"
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def secret_status(
    vault: Vault,
    cache: Cache | None,
    ttl_seconds: float,
    name: str,
    now: float | None = None,
    stale_seconds: float = 0,
) -> dict[str, Any]:
    """A JSON-able description of one secret (never its value).

    stale_seconds: serve_stale_hours in seconds; an expired entry last served stale (its
    provider was down) and still within that limit is shown as stale."""
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
    row["stale"] = False
    if not s.enabled:
        return row
    if s.link.provider not in vault.data.integrations:
        row["state"] = "disconnected"
        row["status"] = f"unresolved: {Reason.DISCONNECTED.value}"
    elif entry is not None and entry.expires_in(ttl_seconds, now) > 0:
        row["state"] = "cached"
        row["status"] = f"cached · {_minutes(entry.expires_in(ttl_seconds, now))} left"
    elif (
        entry is not None
        and entry.stale
        and stale_allowed(entry.age(now), ttl_seconds, stale_seconds)
    ):
        row["state"], row["stale"] = "stale", True
        row["status"] = f"stale · {stale_note(entry.age(now), entry.stale)}"
    elif entry is not None:
        row["state"] = "expired"
        row["status"] = f"cache expired · fetched on next use from {PROVIDERS[s.link.provider]}"
    else:
        row["state"] = "not-fetched"
        row["status"] = f"not fetched yet · from {PROVIDERS[s.link.provider]}"
    return row


def status_rows_json(
    vault: Vault,
    cache: Cache | None,
    ttl_seconds: float,
    names: Iterable[str],
    now: float | None = None,
    stale_seconds: float = 0,
    secrets: list[Secret] | None = None,
    first: int | None = None,
) -> list[str]:
    """`json.dumps(secret_status(...))` for each name: the same text, for a whole vault.
    secrets: those names' secrets in the same order, when the caller has them
    (`VaultData.in_name_order`): then no name is looked up. first: where they start in the
    vault's dict order, when they are its values in that order (a chunk of a vault read in
    name order): rows of secrets still as the decoder built them skip the per-field type
    checks (`VaultData.decoded_as_read`).

    Local secrets (most of a big vault) are written from a template with the encoder's own
    string escaper (`encode_basestring_ascii`, what json.dumps calls) and `float.__repr__`
    (what it calls for a finite float), without building a dict per secret; anything else
    (a link, a time that is not a finite float, unexpected types) goes through
    secret_status and json.dumps. A test compares the two on hostile input.

    A whole vault is first tried a column at a time (`_rows_by_column`: every per-secret
    step a C loop, no Python code per row); anything it does not take goes row by row.
    """
    now = now or time.time()
    names = list(names)
    checked: Callable[[Sequence[Secret], int], bool] | None = None
    if secrets is not None and first is not None:
        data, start = vault.data, first
        checked = lambda block, at: data.decoded_as_read(block, start + at)  # noqa: E731
    fast = _rows_by_column(vault.data.secrets, names, secrets, checked)
    if fast is not None:
        rows, linked = fast
        for i in linked:
            rows[i] = json.dumps(
                secret_status(vault, cache, ttl_seconds, names[i], now, stale_seconds)
            )
        return rows
    return _rows_one_by_one(vault, cache, ttl_seconds, names, now, stale_seconds)


def _rows_one_by_one(
    vault: Vault,
    cache: Cache | None,
    ttl_seconds: float,
    names: list[str],
    now: float,
    stale_seconds: float,
) -> list[str]:
    """status_rows_json row by row: a template for plain local secrets, else json.dumps."""
    secrets = vault.data.secrets
    out: list[str] = []
    append = out.append
    for name in names:
        s = secrets.get(name)
        text = _local_row_json(s) if s is not None else None
        if text is None:
            text = json.dumps(secret_status(vault, cache, ttl_seconds, name, now, stale_seconds))
        append(text)
    return out


_quote = json.encoder.encode_basestring_ascii
_float_repr = float.__repr__
_INF = math.inf
_DISABLED = f'"disabled", "status": {_quote(f"unresolved: {Reason.DISABLED.value}")}'
_LOCAL_ROW = (
    '{{"name": {}, "enabled": {}, "allowed_domains": {}, "source": "local", '
    '"created": {}, "updated": {}, "state": {}}}'
).format


def _local_row_json(s: Secret) -> str | None:
    """The row of a local secret as json.dumps writes it, or None to take the general path."""
    name, enabled, domains = s.name, s.enabled, s.allowed_domains
    created, updated = s.created, s.updated
    if (
        s.link is not None
        or type(name) is not str
        or type(enabled) is not bool
        or type(domains) is not list
        or type(created) is not float
        or type(updated) is not float
        or not -_INF < created < _INF  # finite (NaN fails too): no call per secret
        or not -_INF < updated < _INF
    ):
        return None
    if domains:
        if not all(type(d) is str for d in domains):
            return None
        listed = "[" + ", ".join([_quote(d) for d in domains]) + "]"
    else:
        listed = "[]"
    if not enabled:
        state = _DISABLED
    elif s.value == "":
        state = '"empty", "status": "empty"'
    else:
        state = '"ok", "status": "ok"'
    return _LOCAL_ROW(
        _quote(name),
        "true" if enabled else "false",
        listed,
        _float_repr(created),
        _float_repr(updated),
        state,
    )


_get = operator.attrgetter
_NAME, _ENABLED, _DOMAINS = _get("name"), _get("enabled"), _get("allowed_domains")
_LINK, _CREATED, _UPDATED, _VALUE = _get("link"), _get("created"), _get("updated"), _get("value")
_ROW_START = '{"name": "'
_AFTER_NAME = {
    True: '", "enabled": true, "allowed_domains": ',
    False: '", "enabled": false, "allowed_domains": ',
}
_AFTER_DOMAINS = ', "source": "local", "created": '
_MIDDLE = {enabled: _AFTER_NAME[enabled] + "[]" + _AFTER_DOMAINS for enabled in (True, False)}
_AFTER_CREATED = ', "updated": '
_ROW_END = {  # (enabled, value == "") -> the rest of the row
    (True, False): ', "state": "ok", "status": "ok"}',
    (True, True): ', "state": "empty", "status": "empty"}',
    (False, False): ', "state": ' + _DISABLED + "}",
    (False, True): ', "state": ' + _DISABLED + "}",
}
_ROW_END_FILLED = {enabled: _ROW_END[enabled, False] for enabled in (True, False)}
_float_encoder: Any = None


def _rows_by_column(
    secrets: dict[str, Secret],
    names: list[str],
    ordered: list[Secret] | None = None,
    checked: Callable[[Sequence[Secret], int], bool] | None = None,
) -> tuple[list[str], list[int]] | None:
    """Every name's row as _local_row_json writes it, built a column at a time, and the
    positions of linked secrets (whose rows the caller replaces); None when any value is of
    a kind this path does not write exactly as json.dumps would (then: row by row).

    What each column must be: names and domains strings that need no JSON escaping (checked
    on all of them at once: the escaper returns a joined text unchanged), `enabled` bools,
    values strings, domain lists lists of strings, times floats. Finite times from 1e-4 up
    to 1e16 are spelled by msgspec in one call: in that range it writes, like float.__repr__,
    the shortest digits that read back as the same float, in positional notation (a test
    compares the two on ~900,000 floats); other finite times get float.__repr__ itself.
    Done in blocks of rows, so the columns of only one block are held at a time.

    ordered: the names' secrets in the same order, if the caller has them (no lookups).
    checked(block, at): the block (from position `at` of ordered) is as the decoder built
    it, its field types and names checked already: then its rows skip those checks.
    """
    if ordered is None:
        try:
            # One C call for all the lookups (itemgetter of one name returns the item).
            ordered = (
                list(operator.itemgetter(*names)(secrets))
                if len(names) > 1
                else [secrets[name] for name in names]
            )
        except (KeyError, TypeError):
            return None  # an unknown name: secret_status raises its own error
    rows: list[str] = []
    linked: list[int] = []
    # Each distinct (enabled, *domain list): the row's text from the name to the created time.
    spelled: dict[tuple[bool | str, ...], str] = {}
    for first in range(0, len(ordered), _BLOCK):
        block = ordered[first : first + _BLOCK]
        block_rows = _block_rows(block, spelled, checked is not None and checked(block, first))
        if block_rows is None:
            return None
        rows += block_rows
        links = list(map(_LINK, block))
        if links.count(None) != len(links):
            linked += [first + i for i, link in enumerate(links) if link is not None]
    return rows, linked


_BLOCK = 8192


def _block_rows(
    block: list[Secret], spelled: dict[tuple[bool | str, ...], str], checked: bool = False
) -> list[str] | None:
    """The block's rows; None for a value this path does not write as json.dumps would.
    checked: the block is as the decoder built it (VaultData.decoded_as_read): each field
    of the type it is annotated with, each name of NAME_RE's characters (nothing to
    escape), so those checks are not made again."""
    names = list(map(_NAME, block))
    enabled = list(map(_ENABLED, block))
    domains = list(map(_DOMAINS, block))
    values = list(map(_VALUE, block))
    created = list(map(_CREATED, block))
    updated = list(map(_UPDATED, block))
    if not checked:
        if (
            set(map(type, names)) != {str}
            or set(map(type, enabled)) != {bool}
            or set(map(type, domains)) != {list}
            or set(map(type, values)) != {str}
            or set(map(type, created)) != {float}
            or set(map(type, updated)) != {float}
        ):
            return None
        joined = "".join(names)
        if _quote(joined) != '"' + joined + '"':
            return None  # some name needs escaping: row by row
    created_text = _spell_times(created)
    updated_text = _spell_times(updated)
    if created_text is None or updated_text is None:
        return None
    if "" in values:
        ends: Iterable[str] = map(
            _ROW_END.__getitem__, zip(enabled, map(operator.not_, values), strict=True)
        )
    else:  # no empty value (values are all strings): the end depends on `enabled` alone
        ends = map(_ROW_END_FILLED.__getitem__, enabled)
    # From the name's closing quote to the created time: one piece per row (most rows have
    # no domain list: one of two texts), fewer pieces for each row's join.
    middle = list(map(_MIDDLE.__getitem__, enabled))
    for i in itertools.compress(range(len(block)), domains):  # the non-empty lists only
        key = (enabled[i], *domains[i])
        text = spelled.get(key)
        if text is None:
            if not all(type(d) is str for d in key[1:]):
                return None
            listed = "[" + ", ".join([_quote(d) for d in key[1:]]) + "]"
            text = spelled[key] = _AFTER_NAME[key[0]] + listed + _AFTER_DOMAINS
        middle[i] = text
    return list(
        map(
            "".join,
            zip(
                itertools.repeat(_ROW_START),
                names,
                middle,
                created_text,
                itertools.repeat(_AFTER_CREATED),
                updated_text,
                ends,
            ),
        )
    )


def _spell_times(times: list[float]) -> list[str] | None:
    """float.__repr__ of each time (all floats), or None if one is not finite."""
    global _float_encoder
    if _float_encoder is None:
        import msgspec

        _float_encoder = msgspec.json.Encoder()
    encoded: bytes = _float_encoder.encode(times)
    if b"n" in encoded:
        return None  # msgspec writes NaN and the infinities as null: json.dumps does not
    if min(times) >= 1e-4 and max(times) < 1e16:
        return encoded[1:-1].decode("ascii").split(",")
    return list(map(_float_repr, times))


# ---------------------------------------------------------------------------- health

Fix = Literal["edit", "enable", "integrations", "retry"]

FIX_LABELS: dict[Fix, str] = {
    "edit": "e  edit",
    "enable": "n  enable",
    "integrations": "s  Integrations",
    "retry": "r  retry",
}


@dataclass(frozen=True)
class SecretHealth:
    """What is wrong with one secret, if anything: the one answer the table, its attention
    counter and troubleshoot show.

    `status`: the table's status cell (as `list` words it, with what this session learned:
    re-authentication, a failed fetch). `reason`, `fix`, `fix_text`, `detail`: troubleshoot's
    row, empty when nothing needs doing. `blocking`: references to it do not resolve (False
    for a domain restriction, which is only worth knowing).
    """

    name: str
    status: str
    reason: str = ""
    fix: Fix | None = None
    fix_text: str = ""
    detail: str = ""
    blocking: bool = False

    @property
    def is_problem(self) -> bool:
        """Listed by troubleshoot (a blocking problem or a domain restriction)."""
        return bool(self.reason)


def secret_health(
    vault: Vault,
    secret: Secret,
    cache: Cache | None,
    ttl_seconds: float,
    *,
    resolution: Resolution | None = None,
    needs_reauth: AbstractSet[str] = frozenset(),
    now: float | None = None,
    with_status: bool = True,
    stale_seconds: float = 0,
) -> SecretHealth:
    """One secret's health from what is known without fetching: the vault, the cache, the
    latest resolution of it and the providers that refused their credentials.
    `with_status=False` skips the status cell (and its cache lookup)."""
    status = ""
    if with_status:
        if secret.link and secret.link.provider in needs_reauth:
            status = f"unresolved: {Reason.NEEDS_REAUTH.value}"
        elif resolution is not None and resolution.status == "unresolved" and resolution.reason:
            status = f"unresolved: {resolution.reason.value}"
        else:
            row = secret_status(vault, cache, ttl_seconds, secret.name, now, stale_seconds)
            status = str(row["status"])
    return _problem(vault, secret, status, resolution, needs_reauth)


def _problem(
    vault: Vault,
    secret: Secret,
    status: str,
    resolution: Resolution | None,
    needs_reauth: AbstractSet[str],
) -> SecretHealth:
    name = secret.name
    domains = (
        f"Allowed only for: {', '.join(secret.allowed_domains)}." if secret.allowed_domains else ""
    )

    def problem(reason: str, fix: Fix, fix_text: str, detail: str = "") -> SecretHealth:
        return SecretHealth(name, status, reason, fix, fix_text, detail, blocking=True)

    if not secret.enabled:
        detail = f"Disabled secrets never resolve. {domains}".strip()
        return problem(Reason.DISABLED.value, "enable", FIX_LABELS["enable"], detail)
    if secret.link is not None:
        provider = secret.link.provider
        label = PROVIDERS[provider]
        if provider not in vault.data.integrations:
            return problem(
                f"{Reason.DISCONNECTED.value} ({label})",
                "integrations",
                FIX_LABELS["integrations"],
                f"Connect {label} to resolve it: tui-vault integration connect {provider} …",
            )
        if provider in needs_reauth or (
            resolution is not None and resolution.reason == Reason.NEEDS_REAUTH
        ):
            return problem(
                f"{Reason.NEEDS_REAUTH.value} ({label})",
                "integrations",
                FIX_LABELS["integrations"],
                resolution.detail if resolution is not None and resolution.detail else "",
            )
        if resolution is not None and resolution.status == "unresolved":
            reason = resolution.reason.value if resolution.reason else "unresolved"
            return problem(f"{reason} ({label})", "retry", FIX_LABELS["retry"], resolution.detail)
        if resolution is not None and resolution.status == "empty":
            return problem(
                f"empty in {label}",
                "retry",
                FIX_LABELS["retry"],
                f"The value lives in {label}: set it there ({secret.link.describe()}), then retry.",
            )
    elif secret.value == "":
        return problem(
            "empty", "edit", "e  enter a value", "References resolve to an empty string."
        )
    if secret.allowed_domains:
        return SecretHealth(
            name,
            status,
            f"only for {', '.join(secret.allowed_domains)}",
            "edit",
            "e  edit domains",
            f"{domains} References from other domains (or with no --url) stay unresolved "
            "(domain not allowed).",
            blocking=False,
        )
    return SecretHealth(name, status)


@dataclass(frozen=True)
class IntegrationHealth:
    """One provider's connection as this session knows it (no server is asked)."""

    provider: str
    label: str
    connected: bool
    needs_reauth: bool
    linked_secrets: int
    settings: dict[str, str]  # the public ones only (never a credential)

    @property
    def state(self) -> str:
        if not self.connected:
            return "not connected"
        return Reason.NEEDS_REAUTH.value if self.needs_reauth else "connected"

    @property
    def where(self) -> str:
        """The server, region or tenant, for a one-line summary."""
        s = self.settings
        return s.get("url") or s.get("region") or s.get("tenant_id") or ""


def integration_health(
    vault: Vault, provider: str, needs_reauth: AbstractSet[str] = frozenset()
) -> IntegrationHealth:
    # integrations_status imports asyncio: not at module level (`list` never needs it).
    from tui_vault.core.integrations_status import public_settings

    config = vault.data.integrations.get(provider)
    linked = sum(1 for s in vault.data.secrets.values() if s.link and s.link.provider == provider)
    return IntegrationHealth(
        provider,
        PROVIDERS[provider],
        config is not None,
        config is not None and provider in needs_reauth,
        linked,
        public_settings(config or {}),
    )

"""1Password secret references through `onepassword-sdk` (service-account token).

The SDK is async and talks only to 1Password's service, so the client is created lazily by
an injectable async factory (tests pass a fake with the SDK's `secrets.resolve` /
`secrets.resolve_all` shape). `fetch_many` resolves every reference in one `resolve_all`
call: one round trip however many references a request has.

The SDK signals everything with plain `Exception`s whose text is the only clue, so errors
are classified by keywords and then replaced by our own message: its text never reaches
the user verbatim.
"""

from __future__ import annotations

import asyncio
import importlib
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

from tui_vault import __version__
from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.fields import Field, InvalidConfigError, ProviderSpec
from tui_vault.core.model import Link, Reason
from tui_vault.core.providers import (
    FetchError,
    NeedsReauth,
    Provider,
    ProviderFailure,
    ProviderUnreachable,
)
from tui_vault.integrations.browse import Entry, Listing

ClientFactory = Callable[[str], Awaitable[Any]]

INTEGRATION_NAME = "tui-vault"
_REF_RE = re.compile(r"\Aop://[^/?]+/[^/?]+/(?:[^/?]+/)?[^/?]+(?:\?.*)?\Z")
_AUTH_HINTS = (
    "token",
    "unauthor",
    "authenticat",
    "forbidden",
    "401",
    "403",
    "expired",
    "revoked",
    "signature",
    "access denied",
    "permission",
)
_ERROR_TYPES = {
    "parsing": "the reference could not be parsed",
    "fieldNotFound": "field not found",
    "vaultNotFound": "vault not found",
    "tooManyVaults": "more than one vault matches",
    "itemNotFound": "item not found",
    "tooManyItems": "more than one item matches",
    "tooManyMatchingFields": "more than one field matches",
    "noMatchingSections": "section not found",
}


def validate_ref(ref: str) -> str:
    """Check `op://vault/item[/section]/field` offline with the SDK's own parser.

    Also requires non-empty vault and item (the SDK accepts `op://v//f`).
    Raises InvalidSecretError with the parser's explanation.
    """
    bad = f"invalid 1Password reference {ref!r}"
    try:
        from onepassword.secrets import Secrets
    except (ImportError, OSError):  # native core unavailable on this platform: syntax only
        Secrets = None
    if Secrets is not None:
        try:
            Secrets.validate_secret_reference(ref)
        except Exception as e:
            reason = str(e).split(": ", 1)[-1] if str(e) else "not a secret reference"
            problem = f"{bad}: {reason}"
        else:
            problem = ""
        if problem:
            raise InvalidSecretError(problem)
    if not _REF_RE.match(ref):
        raise InvalidSecretError(f"{bad}: expected op://vault/item[/section]/field")
    return ref


def _check_config(c: dict[str, str]) -> dict[str, str]:
    if not c["token"].startswith("ops_"):
        raise InvalidConfigError("1Password needs a service account token (it starts with 'ops_')")
    return c


def _check_link(p: dict[str, str]) -> dict[str, str]:
    validate_ref(p["ref"])
    return p


SPEC = ProviderSpec(
    name="1password",
    label="1Password",
    summary="1Password (service account)",
    stdin_note="the service-account token comes on stdin",
    connect_fields=(Field("token", "Service account token", required=True, secret=True),),
    link_fields=(
        Field(
            "ref",
            "Secret reference",
            required=True,
            metavar="op://VAULT/ITEM/FIELD",
            help="op://vault/item[/section]/field",
        ),
    ),
    check_config=_check_config,
    check_link=_check_link,
)


async def default_client_factory(token: str) -> Any:
    """Sign in to 1Password with a service-account token (the real SDK)."""
    # The first import loads pydantic models and a native library: keep it off the loop.
    module = await asyncio.to_thread(importlib.import_module, "onepassword.client")
    return await module.Client.authenticate(
        auth=token, integration_name=INTEGRATION_NAME, integration_version=__version__
    )


def _classify(exc: BaseException, what: str) -> FetchError:
    """Turn an SDK exception into our error, keeping none of its text."""
    if isinstance(exc, FetchError):
        return exc
    if isinstance(exc, TimeoutError):
        return FetchError(Reason.TIMED_OUT, f"1Password did not answer in time for {what}")
    if type(exc).__name__ == "RateLimitExceededException":
        return ProviderFailure(f"1Password is rate limiting requests ({what})")
    # The reference itself may contain words like "token": match on the rest of the text.
    text = str(exc).lower().replace(what.lower(), "")
    if any(hint in text for hint in _AUTH_HINTS):
        return NeedsReauth(f"1Password rejected the service account token ({what})")
    if "not found" in text or "no item" in text or "no vault" in text or "no match" in text:
        return ProviderFailure(f"1Password could not find {what}")
    if "network" in text or "connect" in text or "dns" in text or "timed out" in text:
        return ProviderUnreachable(f"cannot reach 1Password for {what}")
    return ProviderFailure(f"1Password could not resolve {what}")


def _segment(ident: str, title: str, siblings: list[tuple[str, str]]) -> str:
    """A title where it names one thing and fits a reference, otherwise the id."""
    usable = title and title.strip() == title and not set(title) & set("/?\\")
    unique = sum(1 for _, t in siblings if t == title) == 1
    return title if usable and unique else ident


def _find(segment: str, choices: list[tuple[str, str]], what: str) -> tuple[str, str]:
    """(id, segment) of the vault or item a path segment names, by id or by title."""
    for ident, _title in choices:
        if ident == segment:
            return ident, segment
    matches = [ident for ident, title in choices if title == segment]
    if len(matches) == 1:
        return matches[0], segment
    if matches:
        raise ProviderFailure(f"more than one 1Password {what} is called {segment!r}")
    raise ProviderFailure(f"1Password could not find {what} {segment!r}")


class OnePasswordProvider(Provider):
    name = "1password"
    label = "1Password"
    spec = SPEC

    def __init__(
        self,
        config: Mapping[str, str],
        executor: Executor | None = None,
        timeout: float = 10.0,
        *,
        client_factory: ClientFactory | None = None,
    ) -> None:
        super().__init__(config, executor, timeout)
        self._factory: ClientFactory = client_factory or default_client_factory
        self._client: Any = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"OnePasswordProvider(connected={self._client is not None})"

    # ------------------------------------------------------------------ client

    def _loop_lock(self) -> asyncio.Lock:
        """An asyncio.Lock for the running loop (the CLI and tests may use several loops)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock = asyncio.Lock()
            self._lock_loop = loop
        return self._lock

    async def _get_client(self) -> Any:
        if self._client is not None:
            return self._client
        async with self._loop_lock():
            if self._client is None:
                token = self.config.get("token", "")
                if not token:
                    raise NeedsReauth("1Password has no service account token")
                error: FetchError | None = None
                try:
                    self._client = await asyncio.wait_for(self._factory(token), self.timeout)
                except Exception as exc:
                    error = _classify(exc, "sign-in")
                if error is not None:
                    raise error from None
            return self._client

    def close(self) -> None:
        self._client = None

    def _forget_client_if(self, error: FetchError) -> None:
        if isinstance(error, NeedsReauth):
            self._client = None

    # ------------------------------------------------------------------ public API

    async def verify(self) -> None:
        """Signing in checks the token with 1Password's service."""
        self._client = None
        await self._get_client()

    async def fetch(self, link: Link) -> str:
        ref = link.params.get("ref", "")
        if not ref:
            raise ProviderFailure("1Password link needs a secret reference")
        client = await self._get_client()
        try:
            value = await asyncio.wait_for(client.secrets.resolve(ref), self.timeout)
        except Exception as exc:
            error = _classify(exc, ref)
        else:
            if isinstance(value, str):
                return value
            error = ProviderFailure(f"1Password returned no text for {ref}")
        self._forget_client_if(error)
        raise error from None

    async def fetch_many(self, links: Sequence[Link]) -> dict[str, str | FetchError]:
        """Resolve all references with a single `resolve_all` call."""
        out: dict[str, str | FetchError] = {}
        refs: dict[str, list[str]] = {}  # ref -> fingerprints
        for link in links:
            ref = link.params.get("ref", "")
            if ref:
                refs.setdefault(ref, []).append(link.fingerprint)
            else:
                out[link.fingerprint] = ProviderFailure("1Password link needs a secret reference")
        if not refs:
            return out
        try:
            client = await self._get_client()
            answer = await asyncio.wait_for(client.secrets.resolve_all(list(refs)), self.timeout)
            responses = answer.individual_responses
            if not isinstance(responses, Mapping):
                raise TypeError
        except Exception as exc:
            first = next(iter(refs))
            what = first if len(refs) == 1 else f"{len(refs)} references"
            shared = _classify(exc, what) if not isinstance(exc, TypeError) else None
            if shared is None:
                shared = ProviderFailure(f"malformed answer from 1Password for {what}")
            self._forget_client_if(shared)
            for fingerprints in refs.values():
                for fp in fingerprints:
                    out[fp] = shared
            return out
        for ref, fingerprints in refs.items():
            result = self._one(ref, responses.get(ref))
            for fp in fingerprints:
                out[fp] = result
        return out

    async def browse(self, path: str, *, page: str | None = None, name_filter: str = "") -> Listing:
        """Vaults (""), the items of a vault ("op://VAULT"), the fields of an item
        ("op://VAULT/ITEM") through the SDK's list/get calls; field values are never kept."""
        text = path.strip()
        if text and not text.startswith("op://"):
            raise ProviderFailure(f"browse 1Password with op://VAULT[/ITEM], not {text!r}")
        segments = [s for s in text.removeprefix("op://").split("/") if s]
        if len(segments) > 2:
            raise ProviderFailure(f"browse 1Password with op://VAULT[/ITEM], not {text!r}")
        client = await self._get_client()
        what = text or "the vaults"
        try:
            listing = await asyncio.wait_for(self._browse(client, segments), self.timeout)
        except FetchError:
            raise
        except Exception as exc:
            error = _classify(exc, what)
            self._forget_client_if(error)
            raise error from None
        return listing.filtered(name_filter)

    async def _browse(self, client: Any, segments: list[str]) -> Listing:
        vaults = [(str(v.id), str(v.title)) for v in await client.vaults.list()]
        if not segments:
            entries = [
                Entry(title, "vault", path=f"op://{_segment(vid, title, vaults)}")
                for vid, title in sorted(vaults, key=lambda v: v[1].lower())
            ]
            return Listing("", tuple(entries))
        vault_id, vault_seg = _find(segments[0], vaults, "vault")
        items = [(str(i.id), str(i.title)) for i in await client.items.list(vault_id)]
        if len(segments) == 1:
            entries = [
                Entry(title, "item", path=f"op://{vault_seg}/{_segment(iid, title, items)}")
                for iid, title in sorted(items, key=lambda i: i[1].lower())
            ]
            return Listing(f"op://{vault_seg}", tuple(entries))
        item_id, item_seg = _find(segments[1], items, "item")
        item = await client.items.get(vault_id, item_id)
        sections = [(str(s.id), str(s.title)) for s in (getattr(item, "sections", None) or [])]
        fields = [
            (str(f.id), str(f.title), getattr(f, "section_id", None))
            for f in (getattr(item, "fields", None) or [])
        ]
        del item  # it carries field values: keep only ids and titles
        entries = []
        base = f"op://{vault_seg}/{item_seg}"
        section_titles = dict(sections)
        for fid, title, section_id in fields:
            section = section_titles.get(str(section_id), "") if section_id else ""
            ref = base
            if section_id:
                ref += f"/{_segment(str(section_id), section, sections)}"
            # A title names the field when no other field of its section has it.
            siblings = [(i, t) for i, t, sid in fields if sid == section_id]
            ref += f"/{_segment(fid, title, siblings)}"
            try:
                validate_ref(ref)
            except InvalidSecretError:
                ref = f"op://{vault_id}/{item_id}/" + (f"{section_id}/" if section_id else "") + fid
            entries.append(Entry(title or fid, "field", link={"ref": ref}, detail=section))
        return Listing(base, tuple(entries))

    @staticmethod
    def _one(ref: str, response: Any) -> str | FetchError:
        if response is None:
            return ProviderFailure(f"1Password gave no answer for {ref}")
        error = getattr(response, "error", None)
        if error is not None:
            kind = getattr(error, "type", "other")
            kind = str(getattr(kind, "value", kind))
            return ProviderFailure(
                f"1Password could not resolve {ref}: {_ERROR_TYPES.get(kind, 'resolution failed')}"
            )
        content = getattr(response, "content", None)
        secret = getattr(content, "secret", None)
        if not isinstance(secret, str):
            return ProviderFailure(f"malformed answer from 1Password for {ref}")
        return secret

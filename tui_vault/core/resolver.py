"""Resolve `{{vault:NAME}}` references: local values at once, linked ones concurrently.

All references of one request are resolved together: external fetches run concurrently,
identical links are fetched once (single flight, also across overlapping calls), each fetch
has a timeout, one provider's failure never blocks another's, and progress is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, NamedTuple

from tui_vault.core.bulk import paused_gc
from tui_vault.core.cache import Cache, CacheEntry
from tui_vault.core.errors import VaultError
from tui_vault.core.model import PROVIDERS, Link, Reason, link_fingerprint
from tui_vault.core.providers import FetchError, Provider, ProviderFactory
from tui_vault.core.references import find_references, render
from tui_vault.core.resolution import (
    Resolution,
    Status,
    check_local,
    stale_allowed,
    stale_note,
    value_result,
)

if TYPE_CHECKING:
    from tui_vault.core.model import VaultData
    from tui_vault.core.vault import Vault

__all__ = ["ProviderFactory", "Resolution", "ResolveProgress", "Resolver", "Status"]


class ResolveProgress(NamedTuple):
    """How far a request's fetches are (a NamedTuple: no dataclasses import)."""

    done: int
    total: int
    name: str


class Resolver:
    """Resolves names with the providers `provider_factory` builds (core never picks one:
    the CLI and the app pass the registry's `make_provider`)."""

    def __init__(
        self,
        vault: Vault,
        cache: Cache | None = None,
        *,
        ttl_minutes: float = 60,
        timeout: float = 10.0,
        provider_factory: ProviderFactory,
        on_progress: Callable[[ResolveProgress], None] | None = None,
        max_workers: int = 64,
        serve_stale_hours: float = 0,
    ) -> None:
        self.vault = vault
        self.cache = cache
        self.ttl_seconds = ttl_minutes * 60
        # An expired cached value is served (marked stale) when the provider is unreachable
        # or times out, for at most this long past its expiry; 0 turns it off.
        self.stale_seconds = serve_stale_hours * 3600
        self.timeout = timeout
        self.on_progress = on_progress
        self._factory = provider_factory
        self._executor: ThreadPoolExecutor | None = None
        self._max_workers = max_workers
        self._providers: dict[str, Provider] = {}
        self._inflight: dict[str, asyncio.Future[str | FetchError]] = {}
        # Providers whose credentials were refused: shown as "needs re-authentication".
        self.needs_reauth: set[str] = set()

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._max_workers, thread_name_prefix="fetch")
        return self._executor

    def close(self) -> None:
        for p in self._providers.values():
            p.close()
        self._providers.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def forget_provider(self, provider: str) -> None:
        """Drop a provider instance (after connect/disconnect/re-auth changed its settings)."""
        p = self._providers.pop(provider, None)
        if p is not None:
            p.close()
        self.needs_reauth.discard(provider)

    # ------------------------------------------------------------------ public API

    async def resolve_text(
        self, text: str, url: str | None = None
    ) -> tuple[str, dict[str, Resolution]]:
        results = await self.resolve(find_references(text), url)
        values = {n: r.value or "" for n, r in results.items() if r.ok}
        return render(text, values), results

    async def resolve_unrestricted(self, names: Iterable[str]) -> dict[str, Resolution]:
        """Resolve for the vault's owner (reveal, copy): no domain or enabled checks."""
        return await self.resolve(names, None, owner=True)

    async def resolve(
        self, names: Iterable[str], url: str | None = None, *, owner: bool = False
    ) -> dict[str, Resolution]:
        names = list(dict.fromkeys(names))
        results: dict[str, Resolution] = {}
        to_fetch: dict[str, list[tuple[str, Link]]] = defaultdict(list)
        data, tag = self.vault.tagged  # the contents and their file's tag, as one pair
        secrets = data.secrets
        integrations = data.integrations
        # The cache read once for the whole request, and only when a linked reference needs
        # it (local ones never read the cache file); the clock read once too (Cache.get per
        # reference would re-check the file's stamp and the time 10,000 times). First the
        # cache's name index for this very vault file: a name in it is a usual secret
        # (enabled, no domain list), linked, its provider connected, in the contents now
        # resolved (same tag, same contents), and its entry is fresh; answered before any
        # other check, with no fingerprint to compute (Cache.named, cache._Head). Any other
        # name, by the rule below, its cached value looked up by fingerprint.
        named: Callable[[str], str | None] | None = None
        lookup: Callable[[str], CacheEntry | None] | None = None
        ttl, now = self.ttl_seconds, time.time()
        with paused_gc():  # thousands of results built at once, none in a cycle
            for name in names:
                if named is not None and (value := named(name)) is not None:
                    results[name] = value_result(name, value, "cache")
                    continue
                secret = secrets.get(name)
                # The usual secret (enabled, no domain list; or any, when the owner asks)
                # passes all of check_local's checks: served as check_local would serve it,
                # without its two calls. Every other secret goes through check_local.
                if secret is not None and (
                    owner or (secret.enabled and not secret.allowed_domains)
                ):
                    link = secret.link
                    if link is None:
                        results[name] = value_result(name, secret.value, "local")
                        continue
                else:
                    early = check_local(name, secret, url, owner)
                    if early is not None:
                        results[name] = early
                        continue
                    assert secret is not None and secret.link is not None
                    link = secret.link
                if named is None:  # the first linked reference: the index, then this name
                    named = (self.cache.named(tag, ttl, now) if self.cache is not None else {}).get
                    if (value := named(name)) is not None:
                        results[name] = value_result(name, value, "cache")
                        continue
                provider = link.provider
                if provider not in integrations:
                    # Checked before the cache: disconnecting must stop references resolving.
                    results[name] = Resolution(
                        name,
                        "unresolved",
                        reason=Reason.DISCONNECTED,
                        detail=f"connect {PROVIDERS[provider]} to resolve it",
                    )
                    continue
                if lookup is None:
                    lookup = (self.cache.entries() if self.cache is not None else {}).get
                cached = lookup(link_fingerprint(provider, link.params))
                # cached.expires_in(ttl, now) > 0, without two calls per reference
                if cached is not None and ttl > 0 and now - cached.fetched < ttl:
                    results[name] = value_result(name, cached.value, "cache")
                else:
                    to_fetch[provider].append((name, link))
        if not to_fetch:
            return results  # each name once, in order: already the order asked for
        results.update(await self._fetch_all(to_fetch, data, tag))
        return {n: results[n] for n in names}

    # ------------------------------------------------------------------ internals

    async def _fetch_all(
        self, groups: dict[str, list[tuple[str, Link]]], data: VaultData, tag: str
    ) -> dict[str, Resolution]:
        total = sum(len(v) for v in groups.values())
        done = 0
        waits: list[tuple[str, Link, asyncio.Future[str | FetchError]]] = []
        for provider, items in groups.items():
            fresh: list[Link] = []
            for name, link in items:
                fut = self._inflight.get(link.fingerprint)
                if fut is None:
                    fut = asyncio.get_running_loop().create_future()
                    self._inflight[link.fingerprint] = fut
                    fresh.append(link)
                waits.append((name, link, fut))
            if fresh:
                asyncio.create_task(self._fetch_group(provider, fresh))  # noqa: RUF006

        results: dict[str, Resolution] = {}
        fetched: dict[str, str] = {}
        went_stale: dict[str, str] = {}

        async def wait_one(name: str, link: Link, fut: asyncio.Future[str | FetchError]) -> None:
            nonlocal done
            outcome = await asyncio.shield(fut)
            if isinstance(outcome, str):
                results[name] = value_result(name, outcome, "fetched")
                fetched[link.fingerprint] = outcome
            elif (stale := self._serve_stale(name, link, outcome)) is not None:
                results[name], went_stale[link.fingerprint] = stale
            else:
                results[name] = Resolution(
                    name, "unresolved", reason=outcome.reason, detail=outcome.message
                )
            done += 1
            if self.on_progress:
                self.on_progress(ResolveProgress(done, total, name))

        await asyncio.gather(*(wait_one(*w) for w in waits))
        if fetched and self.cache is not None:
            cache = self.cache
            # Disk full, read-only, lock timeout: the values are good, they just stay uncached.
            with contextlib.suppress(VaultError, OSError):
                await asyncio.get_running_loop().run_in_executor(
                    None, lambda: cache.put_many(fetched, tag=tag, index=linked(data))
                )
        if went_stale and self.cache is not None:
            cache = self.cache
            with contextlib.suppress(VaultError, OSError):
                await asyncio.get_running_loop().run_in_executor(None, cache.mark_stale, went_stale)
        return results

    def _serve_stale(
        self, name: str, link: Link, error: FetchError
    ) -> tuple[Resolution, str] | None:
        """The expired cached value, if the provider was unreachable or timed out (never for
        a refusal or a missing secret) and the entry is within `serve_stale_hours`."""
        if self.cache is None or self.stale_seconds <= 0:
            return None
        unreachable = error.reason is Reason.TIMED_OUT or getattr(error, "unreachable", False)
        if not unreachable:
            return None
        entry = self.cache.peek(link.fingerprint)
        if entry is None:
            return None
        age = entry.age()
        if not stale_allowed(age, self.ttl_seconds, self.stale_seconds):
            return None
        label = PROVIDERS[link.provider]
        why = f"{label} timed out" if error.reason is Reason.TIMED_OUT else f"{label} unreachable"
        result = value_result(name, entry.value, "stale")
        return result.replace(detail=stale_note(age, why)), why

    def _provider(self, name: str) -> Provider:
        p = self._providers.get(name)
        if p is None:
            config = self.vault.data.integrations[name]
            p = self._factory(name, config, self.executor, self.timeout)
            self._providers[name] = p
        return p

    async def _fetch_group(self, provider_name: str, links: list[Link]) -> None:
        def settle(link: Link, outcome: str | FetchError) -> None:
            if not isinstance(outcome, (str, FetchError)):  # a provider bug: None, bytes, ...
                kind = type(outcome).__name__
                outcome = FetchError(Reason.PROVIDER_ERROR, f"{label}: unexpected answer ({kind})")
            if isinstance(outcome, FetchError) and outcome.reason is Reason.NEEDS_REAUTH:
                self.needs_reauth.add(provider_name)
            fut = self._inflight.pop(link.fingerprint, None)
            if fut is not None and not fut.done():
                fut.set_result(outcome)

        label = PROVIDERS[provider_name]
        try:
            provider = self._provider(provider_name)
        except FetchError as e:
            for link in links:
                settle(link, e)
            return
        except Exception as e:  # a broken SDK install or bad settings: one clear reason
            err = FetchError(Reason.PROVIDER_ERROR, f"{label}: cannot start ({type(e).__name__})")
            for link in links:
                settle(link, err)
            return

        batched = type(provider).fetch_many is not Provider.fetch_many
        if batched and len(links) > 1:
            try:
                out = await asyncio.wait_for(provider.fetch_many(links), self.timeout)
            except TimeoutError:
                late = FetchError(Reason.TIMED_OUT, f"{label}: no answer within {self.timeout:g} s")
                for link in links:
                    settle(link, late)
                return
            except Exception as e:
                for link in links:
                    settle(link, _as_fetch_error(e, label))
                return
            for link in links:
                outcome = out.get(link.fingerprint) if isinstance(out, dict) else None
                if outcome is None:
                    outcome = FetchError(Reason.PROVIDER_ERROR, f"{label}: no answer for link")
                settle(link, outcome)
            return

        async def one(link: Link) -> None:
            try:
                value: str | FetchError = await asyncio.wait_for(provider.fetch(link), self.timeout)
            except TimeoutError:
                value = FetchError(
                    Reason.TIMED_OUT, f"{label}: no answer within {self.timeout:g} s"
                )
            except Exception as e:
                value = _as_fetch_error(e, label)
            settle(link, value)

        await asyncio.gather(*(one(link) for link in links))


def linked(data: VaultData) -> dict[str, str]:
    """{name: fingerprint} of the usual linked secrets (enabled, no domain list) whose
    provider is connected: the cache's name index for these contents (Cache.put_many). A
    name in it passes every check `resolve` makes before the cache."""
    integrations = data.integrations
    return {
        name: link_fingerprint(link.provider, link.params)
        for name, s in data.secrets.items()
        if (link := s.link) is not None
        and link.provider in integrations
        and s.enabled
        and not s.allowed_domains
    }


def _as_fetch_error(e: BaseException, label: str) -> FetchError:
    if isinstance(e, FetchError):
        return e
    # Never repeat an unknown exception's text: it could carry anything.
    return FetchError(Reason.PROVIDER_ERROR, f"{label}: unexpected {type(e).__name__}")

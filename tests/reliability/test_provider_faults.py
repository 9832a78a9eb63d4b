"""Faults from providers: each secret gets the right status, the others still resolve, and
a failed refresh never touches cached values.

A fake provider (a real `Provider` subclass handed to the Resolver through
`provider_factory`) behaves per link: its `key` parameter says what to do.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pytest

from tui_vault.core.cache import Cache
from tui_vault.core.model import Link, Reason
from tui_vault.core.resolver import Resolver
from tui_vault.core.vault import Vault
from tui_vault.integrations.base import FetchError, NeedsReauth, Provider, ProviderFailure

from ._support import record

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(120)]

TIMEOUT = 0.4
MARK = "LEAKMARK-provider-7f3a"


class FakeProvider(Provider):
    name = "hashicorp"
    label = "Fake"
    upstream: dict[str, str] = {}  # path -> value (missing: deleted upstream)
    override: dict[str, str] = {}  # path -> mode, to break a link without changing it
    calls: Counter[str] = Counter()

    async def fetch(self, link: Link) -> str:
        path = link.params["path"]
        mode = self.override.get(path, link.params["key"])
        FakeProvider.calls[path] += 1
        if mode == "ok":
            if path not in self.upstream:
                raise ProviderFailure(f"secret not found: {path}")
            return self.upstream[path]
        if mode == "down":
            raise ProviderFailure("cannot reach the fake server")
        if mode == "slow":
            await asyncio.sleep(30)
        if mode == "slow-blocking":
            return await self.run_blocking(lambda: time.sleep(3) or "late")  # type: ignore[func-returns-value]
        if mode in ("401", "403"):
            raise NeedsReauth(f"fake server said {mode}")
        if mode == "garbage-none":
            return None  # type: ignore[return-value]
        if mode == "garbage-bytes":
            return b"\x00\xff"  # type: ignore[return-value]
        if mode == "raises":
            raise ValueError(f"parser choked on {MARK}")
        if mode == "fetch-error":
            raise FetchError(Reason.PROVIDER_ERROR, "rate limited")
        raise AssertionError(mode)


class BatchedFake(FakeProvider):
    name = "aws"
    answer: Any = None

    async def fetch_many(self, links: Sequence[Link]) -> dict[str, str | FetchError]:
        answer = type(self).answer
        if isinstance(answer, Exception):
            raise answer
        return answer(links) if callable(answer) else answer  # type: ignore[no-any-return]


def factory(
    provider: str, config: Mapping[str, str], executor: Executor, timeout: float
) -> Provider:
    if config.get("broken"):
        raise RuntimeError(f"sdk import failed {MARK}")
    cls = BatchedFake if provider == "aws" else FakeProvider
    return cls(config, executor, timeout)


def link(mode: str, path: str, provider: str = "hashicorp") -> Link:
    return Link(provider, {"engine": "kv", "path": path, "key": mode})


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    v, _key = Vault.create(tmp_path / "vault.json")
    v.set_integration("hashicorp", {"url": "http://fake", "token": "t"})
    v.set_value("LOCAL", "local value")
    FakeProvider.upstream = {"p-ok": "fetched value", "p-ok2": "second value"}
    FakeProvider.calls = Counter()
    FakeProvider.override = {}
    return v


def make_cache(v: Vault) -> Cache:
    return Cache(v.paths.cache, v.paths.lock, v.key, v.vault_id)


def resolve(v: Vault, names: list[str], cache: Cache | None = None, **kw: Any) -> Any:
    resolver = Resolver(v, cache, timeout=TIMEOUT, provider_factory=factory, **kw)
    try:
        started = time.monotonic()
        out = asyncio.run(resolver.resolve(names))
        return out, time.monotonic() - started, resolver
    finally:
        resolver.close()


def test_every_fault_gets_its_own_status_and_the_rest_resolve(vault: Vault) -> None:
    cases = {
        "OK": ("ok", "p-ok", "resolved", None),
        "DOWN": ("down", "p-down", "unresolved", Reason.PROVIDER_ERROR),
        "SLOW": ("slow", "p-slow", "unresolved", Reason.TIMED_OUT),
        "SLOW_THREAD": ("slow-blocking", "p-slowb", "unresolved", Reason.TIMED_OUT),
        "R401": ("401", "p-401", "unresolved", Reason.NEEDS_REAUTH),
        "R403": ("403", "p-403", "unresolved", Reason.NEEDS_REAUTH),
        "GARBAGE_NONE": ("garbage-none", "p-gn", "unresolved", Reason.PROVIDER_ERROR),
        "GARBAGE_BYTES": ("garbage-bytes", "p-gb", "unresolved", Reason.PROVIDER_ERROR),
        "RAISES": ("raises", "p-raises", "unresolved", Reason.PROVIDER_ERROR),
        "RATE": ("fetch-error", "p-rate", "unresolved", Reason.PROVIDER_ERROR),
        "DELETED": ("ok", "p-deleted-upstream", "unresolved", Reason.PROVIDER_ERROR),
        "OK2": ("ok", "p-ok2", "resolved", None),
    }
    for name, (mode, path, _s, _r) in cases.items():
        vault.link(name, link(mode, path))
    names = [*cases, "LOCAL", "MISSING"]
    results, elapsed, resolver = resolve(vault, names, make_cache(vault))
    for name, (_m, _p, status, reason) in cases.items():
        r = results[name]
        assert (r.status, r.reason) == (status, reason), (name, r)
        assert MARK not in r.detail
    assert results["OK"].value == "fetched value" and results["OK2"].value == "second value"
    assert results["LOCAL"].value == "local value"
    assert results["MISSING"].reason is Reason.UNKNOWN_NAME
    assert resolver.needs_reauth == {"hashicorp"}
    # Timeouts are per fetch and concurrent: the whole request takes about one timeout.
    assert elapsed < TIMEOUT + 1.5, elapsed
    # Only what was fetched is cached.
    cached = make_cache(vault).entries()
    assert set(cached) == {link("ok", "p-ok").fingerprint, link("ok", "p-ok2").fingerprint}
    record(
        "faults",
        "fake-provider",
        secrets=len(names),
        faults=len(cases) - 2,
        right_status=len(names),
        seconds=round(elapsed, 2),
    )


def test_a_provider_that_cannot_start_does_not_block_another(vault: Vault) -> None:
    vault.set_integration("hashicorp", {"broken": "yes"})
    vault.set_integration("aws", {"region": "x"})
    vault.link("BROKEN", link("ok", "p-ok"))
    vault.link("AWS_OK", link("ok", "p-ok2", "aws"))
    results, _elapsed, _r = resolve(vault, ["BROKEN", "AWS_OK", "LOCAL"])
    assert results["BROKEN"].reason is Reason.PROVIDER_ERROR
    assert MARK not in results["BROKEN"].detail
    assert results["AWS_OK"].value == "second value"
    assert results["LOCAL"].value == "local value"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda links: [k.fingerprint for k in links], id="list-not-dict"),
        pytest.param(lambda links: {k.fingerprint: None for k in links}, id="none-values"),
        pytest.param(lambda links: {k.fingerprint: 42 for k in links}, id="int-values"),
        pytest.param(lambda links: {}, id="empty"),
        pytest.param(ProviderFailure("down"), id="raises"),
        pytest.param(ValueError(MARK), id="raises-other"),
    ],
)
def test_a_batched_provider_answering_garbage(vault: Vault, answer: Any) -> None:
    vault.set_integration("aws", {"region": "x"})
    vault.link("A1", link("ok", "a1", "aws"))
    vault.link("A2", link("ok", "a2", "aws"))
    vault.link("H", link("ok", "p-ok"))
    BatchedFake.answer = answer
    results, elapsed, _r = resolve(vault, ["A1", "A2", "H", "LOCAL"])
    assert elapsed < TIMEOUT + 1.5
    for name in ("A1", "A2"):
        assert results[name].reason is Reason.PROVIDER_ERROR, results[name]
        assert MARK not in results[name].detail
    assert results["H"].value == "fetched value"
    assert results["LOCAL"].value == "local value"


def _age(cache: Cache, fp: str, seconds: float) -> None:
    """Rewrite one entry as if it had been fetched `seconds` ago."""
    entry = cache.entries()[fp]
    cache.put_many({fp: entry.value}, now=time.time() - seconds)


def test_a_failed_refresh_leaves_the_cache_alone(vault: Vault) -> None:
    cache = make_cache(vault)
    good = link("ok", "p-ok")
    vault.link("S", good)
    results, _e, _r = resolve(vault, ["S"], cache)
    assert results["S"].value == "fetched value"
    _age(make_cache(vault), good.fingerprint, 2 * 3600)  # expired (ttl 60 min)
    before = vault.paths.cache.read_bytes()
    old_entry = make_cache(vault).entries()[good.fingerprint]
    checked = 0
    # The provider is now down, answers garbage, times out, refuses the token, or the
    # secret was deleted upstream.
    modes = ["down", "garbage-none", "slow", "slow-blocking", "401", "raises", "fetch-error"]
    for mode in [*modes, "deleted"]:
        FakeProvider.override = {} if mode == "deleted" else {"p-ok": mode}
        if mode == "deleted":
            FakeProvider.upstream.pop("p-ok")
        results, _e, _r = resolve(vault, ["S"], make_cache(vault))
        assert results["S"].status == "unresolved", mode
        assert vault.paths.cache.read_bytes() == before, f"{mode}: the cache file was rewritten"
        assert make_cache(vault).entries()[good.fingerprint] == old_entry
        checked += 1
    record("faults", "failed-refresh-keeps-cache", refreshes_failed=checked, cache_rewrites=0)


def test_a_failing_fetch_never_overwrites_a_fresh_entry(vault: Vault) -> None:
    """While a refresh fails, another process caches a fresh value: it must survive, and a
    success in the same batch must be merged next to it, not replace the file's contents."""
    failing = link("ok", "p-gone")  # not upstream: the fetch fails
    fresh_elsewhere = link("ok", "p-other")
    succeeding = link("ok", "p-ok")
    vault.link("GONE", failing)
    vault.link("OTHER", fresh_elsewhere)
    vault.link("NEW", succeeding)
    other_process = make_cache(vault)
    other_process.put_many({failing.fingerprint: "old value"}, now=time.time() - 2 * 3600)

    class RacingProvider(FakeProvider):
        async def fetch(self, link: Link) -> str:
            if link.fingerprint == failing.fingerprint:
                # Meanwhile another process caches fresh values for two links.
                make_cache(vault).put_many(
                    {failing.fingerprint: "fresh from elsewhere", fresh_elsewhere.fingerprint: "o"}
                )
                raise ProviderFailure("upstream deleted it")
            return await super().fetch(link)

    def racing_factory(p: str, c: Mapping[str, str], e: Executor, t: float) -> Provider:
        return RacingProvider(c, e, t)

    resolver = Resolver(vault, make_cache(vault), timeout=TIMEOUT, provider_factory=racing_factory)
    try:
        results = asyncio.run(resolver.resolve(["GONE", "NEW"]))
    finally:
        resolver.close()
    assert results["GONE"].reason is Reason.PROVIDER_ERROR
    assert results["NEW"].value == "fetched value"
    entries = make_cache(vault).entries()
    assert entries[failing.fingerprint].value == "fresh from elsewhere"
    assert entries[fresh_elsewhere.fingerprint].value == "o"
    assert entries[succeeding.fingerprint].value == "fetched value"
    # A fresh entry is used as is: no fetch, so a broken provider cannot touch it.
    FakeProvider.calls.clear()
    results, _e, _r = resolve(vault, ["OTHER"], make_cache(vault))
    assert results["OTHER"].value == "o" and results["OTHER"].origin == "cache"
    assert FakeProvider.calls["p-other"] == 0
    record("faults", "fresh-entry-survives", entries_checked=3, overwritten=0)

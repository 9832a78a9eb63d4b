"""The async resolver with a fake provider: every state and reason, cache, single flight,
timeouts, isolation between providers and progress reports."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import pytest

from tui_vault.core.cache import Cache, CacheEntry
from tui_vault.core.model import Link, Reason
from tui_vault.core.resolver import ResolveProgress, Resolver
from tui_vault.core.vault import Vault
from tui_vault.integrations.base import FetchError, NeedsReauth, Provider, ProviderFailure

MARKER = "MARKER-7f3a9c-SECRET"


@dataclass
class World:
    """What the fake providers see and do: values by secret_id, and a record of calls."""

    values: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    calls: list[tuple[str, str]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # providers whose factory raises


class FakeProvider(Provider):
    name = "aws"
    label = "Fake"

    def __init__(
        self,
        world: World,
        provider: str,
        config: Mapping[str, str],
        executor: Executor | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(config, executor, timeout)
        self.world = world
        self.provider = provider

    async def fetch(self, link: Link) -> str:
        sid = link.params["secret_id"]
        self.world.calls.append((self.provider, sid))
        if sid == "hang":
            await asyncio.sleep(3600)
        if sid == "reauth":
            raise NeedsReauth("token expired for the fake server")
        if sid == "fail":
            raise ProviderFailure("fake server said 500")
        if sid == "boom":
            raise RuntimeError(f"leaky SDK message with {MARKER}")
        if sid == "blocking":
            # A blocking SDK call, run in the resolver's executor as real providers do.
            return await self.run_blocking(lambda: (time.sleep(0.05), "from thread")[1])
        await asyncio.sleep(self.world.delay)
        try:
            return self.world.values[sid]
        except KeyError:
            raise ProviderFailure(f"no secret {sid!r} on the fake server") from None

    def close(self) -> None:
        self.world.closed.append(self.provider)


class BatchingProvider(FakeProvider):
    async def fetch_many(self, links: Sequence[Link]) -> dict[str, str | FetchError]:
        self.world.calls.append(
            (self.provider, "batch:" + ",".join(lk.params["secret_id"] for lk in links))
        )
        return {lk.fingerprint: self.world.values[lk.params["secret_id"]] for lk in links}


def factory_for(world: World, cls: type[FakeProvider] = FakeProvider):  # type: ignore[no-untyped-def]
    def factory(
        provider: str, config: Mapping[str, str], executor: Executor, timeout: float
    ) -> Provider:
        if provider in world.broken:
            raise ImportError(f"SDK missing {MARKER}")
        world.created.append(provider)
        return cls(world, provider, config, executor, timeout)

    return factory


def link(provider: str, sid: str) -> Link:
    return Link(provider, {"secret_id": sid})


@pytest.fixture
def world() -> World:
    return World(values={"db": "db-value", "api": "api-value", "empty": "", "m": MARKER})


@pytest.fixture
def filled(vault: Vault) -> Vault:
    vault.set_value("LOCAL", "local-value")
    vault.set_value("EMPTY", "")
    vault.set_value("OFF", "x", enabled=False)
    vault.set_value("RESTRICTED", "r-value", allowed_domains="api.example.com,*.example.org")
    vault.link("DB", link("aws", "db"))
    vault.link("DB2", link("aws", "db"))  # the same external value under another name
    vault.link("API", link("azure", "api"))
    vault.link("GONE", link("hashicorp", "db"))  # hashicorp is not connected
    vault.set_integration("aws", {"region": "r"})
    vault.set_integration("azure", {})
    return vault


def make(vault: Vault, world: World, **kw: object) -> Resolver:
    kw.setdefault("provider_factory", factory_for(world))
    return Resolver(vault, **kw)  # type: ignore[arg-type]


async def test_local_states(filled: Vault, world: World) -> None:
    r = make(filled, world)
    out = await r.resolve(["LOCAL", "EMPTY", "OFF", "NOPE", "RESTRICTED"])
    assert out["LOCAL"].status == "resolved" and out["LOCAL"].value == "local-value"
    assert out["LOCAL"].origin == "local"
    assert out["EMPTY"].status == "empty" and out["EMPTY"].value == "" and out["EMPTY"].ok
    assert out["OFF"].status == "unresolved" and out["OFF"].reason is Reason.DISABLED
    assert out["OFF"].value is None
    assert out["NOPE"].reason is Reason.UNKNOWN_NAME
    assert out["RESTRICTED"].reason is Reason.DOMAIN_NOT_ALLOWED
    assert "pass --url" in out["RESTRICTED"].detail
    assert "domain not allowed" in out["RESTRICTED"].explain()
    assert list(out) == ["LOCAL", "EMPTY", "OFF", "NOPE", "RESTRICTED"]
    assert world.created == []


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.example.com/v1", True),
        ("https://a.b.example.org", True),
        ("https://example.com", False),
        ("https://example.org", False),
    ],
)
async def test_domain_check_with_url(filled: Vault, world: World, url: str, ok: bool) -> None:
    res = (await make(filled, world).resolve(["RESTRICTED"], url))["RESTRICTED"]
    assert res.ok is ok
    if not ok:
        assert res.reason is Reason.DOMAIN_NOT_ALLOWED and url in res.detail


async def test_owner_resolution_skips_domain_and_enabled_checks(
    filled: Vault, world: World
) -> None:
    out = await make(filled, world).resolve_unrestricted(["OFF", "RESTRICTED", "NOPE"])
    assert out["OFF"].value == "x" and out["RESTRICTED"].value == "r-value"
    assert out["NOPE"].reason is Reason.UNKNOWN_NAME


async def test_disconnected_integration(filled: Vault, world: World) -> None:
    out = await make(filled, world).resolve(["GONE"])
    assert out["GONE"].reason is Reason.DISCONNECTED
    assert "HashiCorp" in out["GONE"].detail
    assert world.calls == []


async def test_disconnect_beats_the_cache(filled: Vault, world: World) -> None:
    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    r = make(filled, world, cache=cache)
    assert (await r.resolve(["DB"]))["DB"].value == "db-value"
    filled.remove_integration("aws")
    assert (await r.resolve(["DB"]))["DB"].reason is Reason.DISCONNECTED


async def test_linked_fetch_then_cache_hit(filled: Vault, world: World) -> None:
    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    r = make(filled, world, cache=cache)
    first = await r.resolve(["DB", "API"])
    assert first["DB"].value == "db-value" and first["DB"].origin == "fetched"
    assert first["API"].value == "api-value"
    assert sorted(world.calls) == [("aws", "db"), ("azure", "api")]
    # A new resolver and a new cache object: the values come from the file.
    cache2 = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    second = await make(filled, world, cache=cache2).resolve(["DB", "DB2", "API"])
    assert {n: x.origin for n, x in second.items()} == {
        "DB": "cache",
        "DB2": "cache",
        "API": "cache",
    }
    assert second["DB2"].value == "db-value"
    assert len(world.calls) == 2


async def test_expired_cache_entry_is_fetched_again(filled: Vault, world: World) -> None:
    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    cache.put_many({link("aws", "db").fingerprint: "stale"}, now=time.time() - 3600)
    r = make(filled, world, cache=cache, ttl_minutes=30)
    res = (await r.resolve(["DB"]))["DB"]
    assert res.value == "db-value" and res.origin == "fetched"
    cache.put_many({link("aws", "db").fingerprint: "fresh-cached"}, now=time.time() - 60)
    res = (await make(filled, world, cache=cache, ttl_minutes=30).resolve(["DB"]))["DB"]
    assert res.value == "fresh-cached" and res.origin == "cache"


async def test_single_flight_within_one_call(filled: Vault, world: World) -> None:
    world.delay = 0.05
    out = await make(filled, world).resolve(["DB", "DB2"])
    assert out["DB"].value == out["DB2"].value == "db-value"
    assert world.calls == [("aws", "db")]


async def test_single_flight_across_concurrent_calls(filled: Vault, world: World) -> None:
    world.delay = 0.1
    r = make(filled, world)
    results = await asyncio.gather(
        r.resolve(["DB"]), r.resolve(["DB2"]), r.resolve(["DB", "API"]), r.resolve(["API"])
    )
    assert all(x.ok for res in results for x in res.values())
    assert sorted(world.calls) == [("aws", "db"), ("azure", "api")]
    # Once settled, a later call fetches again (no cache here).
    await r.resolve(["DB"])
    assert world.calls.count(("aws", "db")) == 2


async def test_timeout(filled: Vault, world: World) -> None:
    filled.link("SLOW", link("aws", "hang"))
    r = make(filled, world, timeout=0.05)
    t0 = time.monotonic()
    res = (await r.resolve(["SLOW"]))["SLOW"]
    assert time.monotonic() - t0 < 2
    assert res.status == "unresolved" and res.reason is Reason.TIMED_OUT
    assert "0.05" in res.detail


async def test_one_provider_failing_or_hanging_does_not_block_another(
    filled: Vault, world: World
) -> None:
    filled.link("SLOW", link("aws", "hang"))
    filled.link("BAD", link("hashicorp", "fail"))
    filled.set_integration("hashicorp", {})
    seen: list[tuple[str, float]] = []
    t0 = time.monotonic()

    def progress(p: ResolveProgress) -> None:
        seen.append((p.name, time.monotonic() - t0))

    r = make(filled, world, timeout=0.5, on_progress=progress)
    out = await r.resolve(["SLOW", "BAD", "API"])
    assert out["API"].value == "api-value"
    assert out["BAD"].reason is Reason.PROVIDER_ERROR and "500" in out["BAD"].detail
    assert out["SLOW"].reason is Reason.TIMED_OUT
    times = dict(seen)
    assert times["API"] < 0.4 and times["BAD"] < 0.4, seen
    assert times["SLOW"] >= 0.45


async def test_reauth_and_provider_errors(filled: Vault, world: World) -> None:
    filled.link("R", link("aws", "reauth"))
    filled.link("B", link("azure", "boom"))
    r = make(filled, world)
    out = await r.resolve(["R", "B", "API"])
    assert out["R"].reason is Reason.NEEDS_REAUTH
    assert r.needs_reauth == {"aws"}
    assert out["B"].reason is Reason.PROVIDER_ERROR
    assert MARKER not in out["B"].detail and "RuntimeError" in out["B"].detail
    assert out["API"].ok
    r.forget_provider("aws")
    assert r.needs_reauth == set() and world.closed == ["aws"]


async def test_provider_that_cannot_start(filled: Vault, world: World) -> None:
    world.broken.add("aws")
    out = await make(filled, world).resolve(["DB", "API"])
    assert out["DB"].reason is Reason.PROVIDER_ERROR
    assert "cannot start" in out["DB"].detail and MARKER not in out["DB"].detail
    assert out["API"].ok


async def test_empty_linked_value_and_values_never_in_repr(filled: Vault, world: World) -> None:
    filled.link("E", link("aws", "empty"))
    filled.link("M", link("aws", "m"))
    out = await make(filled, world).resolve(["E", "M"])
    assert out["E"].status == "empty"
    assert out["M"].value == MARKER
    assert MARKER not in repr(out["M"]) and MARKER not in out["M"].explain()


async def test_progress_reports_every_linked_reference(filled: Vault, world: World) -> None:
    seen: list[ResolveProgress] = []
    r = make(filled, world, on_progress=seen.append)
    await r.resolve(["LOCAL", "DB", "DB2", "API", "GONE"])
    assert [p.done for p in seen] == [1, 2, 3]
    assert {p.total for p in seen} == {3}
    assert {p.name for p in seen} == {"DB", "DB2", "API"}


async def test_providers_are_built_once_and_closed(filled: Vault, world: World) -> None:
    r = make(filled, world)
    await r.resolve(["DB"])
    await r.resolve(["DB", "API"])
    assert sorted(world.created) == ["aws", "azure"]
    r.close()
    assert sorted(world.closed) == ["aws", "azure"]


async def test_blocking_sdk_calls_run_in_the_executor(filled: Vault, world: World) -> None:
    filled.link("T1", link("aws", "blocking"))
    filled.link("T2", link("azure", "blocking"))
    r = make(filled, world)
    t0 = time.monotonic()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    out = await r.resolve(["T1", "T2"])
    task.cancel()
    assert out["T1"].value == out["T2"].value == "from thread"
    assert time.monotonic() - t0 < 0.09, "the two blocking calls ran concurrently"
    assert ticks >= 3, "the event loop kept running"
    r.close()


async def test_batched_provider_gets_one_call(filled: Vault, world: World) -> None:
    filled.link("DB3", link("aws", "api"))
    r = make(filled, world, provider_factory=factory_for(world, BatchingProvider))
    out = await r.resolve(["DB", "DB2", "DB3"])
    assert out["DB"].value == "db-value" and out["DB3"].value == "api-value"
    assert world.calls == [("aws", "batch:db,api")]


async def test_resolve_text(filled: Vault, world: World) -> None:
    text = "u={{vault:LOCAL}} d={{vault:DB}} x={{vault:NOPE}} {{other}}"
    rendered, results = await make(filled, world).resolve_text(text)
    assert rendered == "u=local-value d=db-value x={{vault:NOPE}} {{other}}"
    assert results["NOPE"].reason is Reason.UNKNOWN_NAME


async def test_no_names(filled: Vault, world: World) -> None:
    assert await make(filled, world).resolve([]) == {}


class GarbageProvider(FakeProvider):
    """Answers that are not strings: a provider bug must not crash or hang a resolution."""

    async def fetch(self, link: Link) -> str:
        sid = link.params["secret_id"]
        if sid == "none":
            return None  # type: ignore[return-value]
        if sid == "bytes":
            return b"raw"  # type: ignore[return-value]
        return await super().fetch(link)


class GarbageBatch(FakeProvider):
    async def fetch_many(self, links: Sequence[Link]) -> dict[str, str | FetchError]:
        return [1, 2]  # type: ignore[return-value]


async def test_garbage_answers_are_provider_errors(filled: Vault, world: World) -> None:
    filled.link("N", link("aws", "none"))
    filled.link("Y", link("aws", "bytes"))
    r = make(filled, world, provider_factory=factory_for(world, GarbageProvider), timeout=2)
    out = await asyncio.wait_for(r.resolve(["N", "Y", "DB", "API"]), 5)
    assert out["N"].reason is Reason.PROVIDER_ERROR and out["Y"].reason is Reason.PROVIDER_ERROR
    assert out["DB"].value == "db-value" and out["API"].value == "api-value"
    r2 = make(filled, world, provider_factory=factory_for(world, GarbageBatch), timeout=2)
    out = await asyncio.wait_for(r2.resolve(["DB", "N"]), 5)
    assert {x.reason for x in out.values()} == {Reason.PROVIDER_ERROR}


async def test_cache_is_read_once_per_request_and_never_for_local_names(
    filled: Vault, world: World
) -> None:
    """The resolver takes the cache's entries once per request (not per reference), and a
    request of local names only never reads (decrypts) the cache file at all."""
    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    cache.put_many({link("aws", "db").fingerprint: "cached-db"})
    reads: list[int] = []
    real = cache.entries

    def counted() -> dict[str, CacheEntry]:
        reads.append(1)
        return real()

    cache.entries = counted  # type: ignore[method-assign]
    r = make(filled, world, cache=cache)
    out = await r.resolve(["LOCAL", "EMPTY", "RESTRICTED"])
    assert out["LOCAL"].value == "local-value" and reads == []
    out = await r.resolve(["DB", "DB2", "LOCAL"])
    assert (out["DB"].value, out["DB"].origin) == ("cached-db", "cache")
    assert (out["DB2"].value, out["DB2"].origin) == ("cached-db", "cache")
    assert reads == [1] and world.calls == []


async def test_an_expired_entry_is_fetched_again(filled: Vault, world: World) -> None:
    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    cache.put_many({link("aws", "db").fingerprint: "old"}, now=time.time() - 61)
    out = await make(filled, world, cache=cache, ttl_minutes=1).resolve(["DB"])
    assert (out["DB"].value, out["DB"].origin) == ("db-value", "fetched")
    fresh = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    out = await make(filled, world, cache=fresh, ttl_minutes=0).resolve(["DB"])
    assert out["DB"].origin == "fetched"  # a ttl of 0 never serves from the cache

"""The async Resolver against real servers (OpenBao, moto, the Azure emulator), through the
latency- and fault-injecting proxy: concurrency, single flight, fault isolation, the
encrypted cache and disconnection (DESIGN.md §3, §4).

Timing bounds are deliberately loose (a multiple of one round trip); the proof of overlap is
the proxy's own count of requests in flight at the same moment.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tui_vault.core.cache import Cache
from tui_vault.core.model import Link, Reason
from tui_vault.core.resolver import Resolution, ResolveProgress, Resolver
from tui_vault.core.vault import Vault
from tui_vault.integrations.registry import make_provider, validate_link

from .proxy import FaultProxy
from .servers import AzureKeyVaultEmulator, MotoServer, OpenBaoServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

DELAY_MS = 200
N = 32

ProxyFactory = Callable[..., FaultProxy]


# ----------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Seed:
    """Values seeded once per module on every server; `tag` keeps modules apart."""

    tag: str
    bao_paths: list[str]  # secret/<path> with key "value"
    aws_ids: list[str]  # Secrets Manager names
    azure_names: list[str]  # Key Vault secret names

    def bao_value(self, i: int) -> str:
        return f"bao-{self.tag}-{i}"

    def aws_value(self, i: int) -> str:
        return f"aws-{self.tag}-{i}"

    def azure_value(self, i: int) -> str:
        return f"azure-{self.tag}-{i}"


@pytest.fixture(scope="module")
def seed(openbao: OpenBaoServer, moto: MotoServer, azure_kv: AzureKeyVaultEmulator) -> Seed:
    tag = uuid.uuid4().hex[:8]
    s = Seed(
        tag=tag,
        bao_paths=[f"rr-{tag}/s{i}" for i in range(N)],
        aws_ids=[f"rr/{tag}/s{i}" for i in range(N)],
        azure_names=[f"rr-{tag}-s{i}" for i in range(8)],
    )
    for i, path in enumerate(s.bao_paths):
        openbao.put("secret", path, {"value": s.bao_value(i)})
    sm = moto.client("secretsmanager")
    for i, sid in enumerate(s.aws_ids):
        sm.create_secret(Name=sid, SecretString=s.aws_value(i))
    for i, name in enumerate(s.azure_names):
        azure_kv.set_secret(name, s.azure_value(i))
    return s


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    v, _ = Vault.create(tmp_path / "vault" / "vault.json")
    return v


@pytest.fixture
def cache(vault: Vault) -> Cache:
    return new_cache(vault)


def new_cache(vault: Vault) -> Cache:
    """A Cache object that knows nothing yet: everything it returns comes from the file."""
    return Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)


@pytest.fixture
def resolvers() -> Iterator[Callable[..., Resolver]]:
    made: list[Resolver] = []

    def make(vault: Vault, cache: Cache | None, **kw: object) -> Resolver:
        kw.setdefault("timeout", 10.0)
        kw.setdefault("provider_factory", make_provider)
        r = Resolver(vault, cache, **kw)  # type: ignore[arg-type]
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def bao_link(path: str, key: str = "value") -> Link:
    return validate_link("hashicorp", {"engine": "secret", "path": path, "key": key})


def aws_link(sid: str) -> Link:
    return validate_link("aws", {"secret_id": sid})


def azure_link(emu: AzureKeyVaultEmulator, name: str) -> Link:
    return validate_link("azure", {"secret_id": emu.secret_id(name)})


def bao_reads(proxy: FaultProxy, path: str | None = None) -> int:
    """How many KV reads (not mount lookups) went through the proxy, optionally for one path."""
    if path is None:
        return sum(1 for t in proxy.stats.targets if t.startswith("GET /v1/secret/data/"))
    want = f"GET /v1/secret/data/{path}"
    return sum(1 for t in proxy.stats.targets if t == want or t.startswith(want + "?"))


def loose_bound(single: float, n: int) -> float:
    """Upper bound for n concurrent fetches: about one fetch, with room for CPU noise (a
    loaded 2-core CI machine serialises request signing and moto's own work), and always
    far below the n round trips that fetching one after another would take."""
    return max(3 * single, n * DELAY_MS / 1000 / 4)


def report(what: str, text: str) -> None:
    """Measured figures, shown with `pytest -s` (and kept out of assertions' way)."""
    print(f"\n[{what}] {text}")


async def timed(coro: object) -> tuple[dict[str, Resolution], float]:
    start = time.perf_counter()
    result = await coro  # type: ignore[misc]
    return result, time.perf_counter() - start


def assert_all_resolved(results: dict[str, Resolution], expected: dict[str, str]) -> None:
    bad = [r.explain() for r in results.values() if r.status != "resolved"]
    assert not bad, bad
    assert {n: r.value for n, r in results.items()} == expected


# ----------------------------------------------------------------------------- concurrency


async def one_fetch_seconds(
    vault: Vault, resolvers: Callable[..., Resolver], names: list[str]
) -> float:
    """How long one linked secret takes through a fresh resolver (cold client, no cache)."""
    r = resolvers(vault, None)
    results, elapsed = await timed(r.resolve(names[:1]))
    assert results[names[0]].status == "resolved", results[names[0]].explain()
    return elapsed


async def test_openbao_fetches_overlap(
    openbao: OpenBaoServer,
    seed: Seed,
    vault: Vault,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    proxy = make_proxy(openbao.url, delay_ms=DELAY_MS)
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    names = [f"BAO_{i}" for i in range(N)]
    for name, path in zip(names, seed.bao_paths, strict=True):
        vault.link(name, bao_link(path))

    single = await one_fetch_seconds(vault, resolvers, names)
    proxy.stats.max_in_flight = 0
    before = bao_reads(proxy)

    r = resolvers(vault, None)
    results, elapsed = await timed(r.resolve(names))

    assert_all_resolved(results, {n: seed.bao_value(i) for i, n in enumerate(names)})
    assert bao_reads(proxy) - before == N
    # One after another would be N * single (about N * 2 round trips): this is about one.
    assert elapsed < loose_bound(single, N), (elapsed, single)
    assert proxy.stats.max_in_flight > N // 2, proxy.stats

    # A warm resolver (as in the TUI) reuses its connections for the next burst. A cold one
    # would open about N; new ones are fair when this burst has more requests in flight at
    # once than the first had connections (scheduling decides: the first burst opened 27
    # for 32 requests once, and the second then needed 6 more), plus a few.
    connections = proxy.stats.connections
    again, warm = await timed(r.resolve(names))
    assert all(res.ok for res in again.values())
    new = proxy.stats.connections - connections
    assert new <= max(N - connections, 0) + N // 8, (connections, proxy.stats.connections)
    report(
        "openbao",
        f"{N} in {elapsed:.3f}s (warm again: {warm:.3f}s, {new} new connections) vs 1 in "
        f"{single:.3f}s, max_in_flight={proxy.stats.max_in_flight}",
    )


async def test_aws_fetches_overlap(
    moto: MotoServer,
    seed: Seed,
    vault: Vault,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    proxy = make_proxy(moto.endpoint_url, delay_ms=DELAY_MS)
    vault.set_integration("aws", moto.provider_config(endpoint_url=proxy.url))
    names = [f"AWS_{i}" for i in range(N)]
    for name, sid in zip(names, seed.aws_ids, strict=True):
        vault.link(name, aws_link(sid))

    single = await one_fetch_seconds(vault, resolvers, names)
    proxy.stats.max_in_flight = 0
    before = proxy.stats.requests

    r = resolvers(vault, None)
    results, elapsed = await timed(r.resolve(names))

    assert_all_resolved(results, {n: seed.aws_value(i) for i, n in enumerate(names)})
    # BatchGetSecretValue: 20 secret ids a call at most, the calls sent at once.
    calls = -(-N // 20)
    assert proxy.stats.requests - before == calls
    assert elapsed < loose_bound(single, N), (elapsed, single)
    assert proxy.stats.max_in_flight == calls, proxy.stats

    # moto answers "Connection: close", so reuse cannot be watched here; the pool is sized
    # for a whole burst (botocore keeps 10 connections by default).
    client = r._providers["aws"]._base("secretsmanager")  # type: ignore[attr-defined]
    assert client.meta.config.max_pool_connections >= N
    report(
        "aws",
        f"{N} in {elapsed:.3f}s vs 1 in {single:.3f}s, max_in_flight={proxy.stats.max_in_flight}",
    )


async def test_mixed_providers_in_one_call_overlap(
    openbao: OpenBaoServer,
    moto: MotoServer,
    azure_vault: AzureKeyVaultEmulator,
    seed: Seed,
    vault: Vault,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    """HashiCorp and AWS behind 200 ms proxies, Azure answering after 200 ms, plus a local
    secret: one resolve() call takes about as long as the slowest single fetch."""
    bao_proxy = make_proxy(openbao.url, delay_ms=DELAY_MS)
    aws_proxy = make_proxy(moto.endpoint_url, delay_ms=DELAY_MS)
    vault.set_integration("hashicorp", openbao.provider_config(url=bao_proxy.url))
    vault.set_integration("aws", moto.provider_config(endpoint_url=aws_proxy.url))
    vault.set_integration("azure", azure_vault.provider_config())
    vault.set_value("LOCAL", "local-value")
    k = 12
    expected = {"LOCAL": "local-value"}
    for i in range(k):
        vault.link(f"B{i}", bao_link(seed.bao_paths[i]))
        vault.link(f"A{i}", aws_link(seed.aws_ids[i]))
        expected[f"B{i}"] = seed.bao_value(i)
        expected[f"A{i}"] = seed.aws_value(i)
    for i, name in enumerate(seed.azure_names):
        vault.link(f"Z{i}", azure_link(azure_vault, name))
        expected[f"Z{i}"] = seed.azure_value(i)
    azure_vault.set_mode("ok", delay=DELAY_MS / 1000)

    # One cold fetch per provider, in turn: the slowest of them is "one round trip" here.
    singles = {}
    for first in ("B0", "A0", "Z0"):
        r = resolvers(vault, None)
        res, singles[first] = await timed(r.resolve([first]))
        assert res[first].status == "resolved", res[first].explain()
    bao_proxy.stats.max_in_flight = aws_proxy.stats.max_in_flight = 0

    progress: list[ResolveProgress] = []
    r = resolvers(vault, None, on_progress=progress.append)
    results, elapsed = await timed(r.resolve(list(expected)))

    assert_all_resolved(results, expected)
    assert results["LOCAL"].origin == "local"
    assert elapsed < loose_bound(max(singles.values()), len(expected) - 1), (elapsed, singles)
    assert bao_proxy.stats.max_in_flight > k // 2, bao_proxy.stats
    assert aws_proxy.stats.requests == 1 + 1, aws_proxy.stats  # A0 alone, then one batch
    linked = len(expected) - 1
    assert [p.done for p in progress] == list(range(1, linked + 1))
    assert {p.total for p in progress} == {linked}
    assert {p.name for p in progress} == set(expected) - {"LOCAL"}
    report(
        "mixed",
        f"{linked} linked in {elapsed:.3f}s vs singles "
        + ", ".join(f"{n}={s:.3f}s" for n, s in singles.items())
        + f"; in flight bao={bao_proxy.stats.max_in_flight} aws={aws_proxy.stats.max_in_flight}",
    )


# ----------------------------------------------------------------------------- single flight


async def test_identical_links_are_fetched_once_across_overlapping_calls(
    openbao: OpenBaoServer,
    moto: MotoServer,
    seed: Seed,
    vault: Vault,
    cache: Cache,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    bao_proxy = make_proxy(openbao.url, delay_ms=DELAY_MS)
    aws_proxy = make_proxy(moto.endpoint_url, delay_ms=DELAY_MS)
    vault.set_integration("hashicorp", openbao.provider_config(url=bao_proxy.url))
    vault.set_integration("aws", moto.provider_config(endpoint_url=aws_proxy.url))
    bao_names = [f"SAME_BAO_{i}" for i in range(10)]
    aws_names = [f"SAME_AWS_{i}" for i in range(10)]
    for name in bao_names:
        vault.link(name, bao_link(seed.bao_paths[0]))
    for name in aws_names:
        vault.link(name, aws_link(seed.aws_ids[0]))
    r = resolvers(vault, cache)

    first, second = await asyncio.gather(
        r.resolve(bao_names[:7] + aws_names[:7]), r.resolve(bao_names[3:] + aws_names[3:])
    )

    for results in (first, second):
        for name, res in results.items():
            want = seed.bao_value(0) if name.startswith("SAME_BAO") else seed.aws_value(0)
            assert (res.status, res.value) == ("resolved", want), res.explain()
    assert bao_reads(bao_proxy, seed.bao_paths[0]) == 1, bao_proxy.stats.targets
    assert [t for t in aws_proxy.stats.targets if t.startswith("POST")] == ["POST /"]
    assert aws_proxy.stats.requests == 1
    assert r._inflight == {}
    assert len(new_cache(vault).entries()) == 2


# ----------------------------------------------------------------------------- faults

FAULTS = [
    ("drop", {}, Reason.PROVIDER_ERROR),
    ("hang", {}, Reason.TIMED_OUT),
    ("status", {"status": 403}, Reason.NEEDS_REAUTH),
    ("garbage", {}, Reason.PROVIDER_ERROR),
]


@pytest.mark.parametrize("broken", ["hashicorp", "aws"])
@pytest.mark.parametrize(("mode", "kwargs", "reason"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_one_broken_provider_does_not_block_the_other(
    openbao: OpenBaoServer,
    moto: MotoServer,
    seed: Seed,
    vault: Vault,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
    broken: str,
    mode: str,
    kwargs: dict[str, int],
    reason: Reason,
) -> None:
    timeout = 1.5
    proxies = {"hashicorp": make_proxy(openbao.url), "aws": make_proxy(moto.endpoint_url)}
    vault.set_integration("hashicorp", openbao.provider_config(url=proxies["hashicorp"].url))
    vault.set_integration("aws", moto.provider_config(endpoint_url=proxies["aws"].url))
    expected: dict[str, str] = {}
    for i in range(4):
        vault.link(f"hashicorp_{i}", bao_link(seed.bao_paths[i]))
        vault.link(f"aws_{i}", aws_link(seed.aws_ids[i]))
        expected[f"hashicorp_{i}"] = seed.bao_value(i)
        expected[f"aws_{i}"] = seed.aws_value(i)
    healthy = "aws" if broken == "hashicorp" else "hashicorp"
    finished: dict[str, float] = {}
    start = time.perf_counter()
    r = resolvers(
        vault,
        None,
        timeout=timeout,
        on_progress=lambda p: finished.setdefault(p.name, time.perf_counter() - start),
    )
    # Warm the healthy provider's client (building a boto3 client alone can take 0.5 s).
    assert (await r.resolve([f"{healthy}_0"]))[f"{healthy}_0"].ok
    proxies[broken].set(mode, **kwargs)  # type: ignore[arg-type]
    finished.clear()
    start = time.perf_counter()

    results = await r.resolve(list(expected))
    elapsed = time.perf_counter() - start

    for name, res in results.items():
        if name.startswith(healthy):
            assert (res.status, res.value) == ("resolved", expected[name]), res.explain()
        else:
            assert res.status == "unresolved", res
            assert res.reason is reason, res.explain()
            assert res.detail, res
            assert expected[name] not in res.explain()
    # The healthy provider's answers did not wait for the broken one.
    healthy_done = max(t for n, t in finished.items() if n.startswith(healthy))
    broken_done = max(t for n, t in finished.items() if n.startswith(broken))
    if mode == "hang":
        assert healthy_done < timeout / 2, finished
        assert timeout * 0.9 <= broken_done < timeout + 1.0, finished
    assert elapsed < timeout + 1.5, elapsed
    assert (broken in r.needs_reauth) == (reason is Reason.NEEDS_REAUTH)
    assert healthy not in r.needs_reauth


@pytest.mark.parametrize("provider", ["hashicorp", "aws"])
async def test_slow_server_times_out_within_the_timeout(
    openbao: OpenBaoServer,
    moto: MotoServer,
    seed: Seed,
    vault: Vault,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
    provider: str,
) -> None:
    """A server that answers, but after 5 s, with a 1 s resolver timeout: TIMED_OUT in ~1 s."""
    timeout = 1.0
    if provider == "hashicorp":
        proxy = make_proxy(openbao.url, delay_ms=5000)
        vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
        vault.link("SLOW", bao_link(seed.bao_paths[0]))
    else:
        proxy = make_proxy(moto.endpoint_url, delay_ms=5000)
        vault.set_integration("aws", moto.provider_config(endpoint_url=proxy.url))
        vault.link("SLOW", aws_link(seed.aws_ids[0]))
    vault.set_value("LOCAL", "here")
    r = resolvers(vault, None, timeout=timeout)

    results, elapsed = await timed(r.resolve(["SLOW", "LOCAL"]))

    assert results["SLOW"].reason is Reason.TIMED_OUT, results["SLOW"].explain()
    assert results["LOCAL"].value == "here"
    assert timeout * 0.9 <= elapsed < timeout + 0.75, elapsed
    report(f"timeout-{provider}", f"timeout {timeout}s, TIMED_OUT after {elapsed:.3f}s")


# ----------------------------------------------------------------------------- cache


@pytest.fixture
def fresh_bao(openbao: OpenBaoServer) -> tuple[str, str]:
    """A KV path of its own (tests below change its value): (path, first value)."""
    path = f"rr-cache-{uuid.uuid4().hex[:8]}"
    value = f"first-{uuid.uuid4().hex}"
    openbao.put("secret", path, {"value": value, "other": f"other-{uuid.uuid4().hex}"})
    return path, value


async def test_fetched_value_is_cached_encrypted_and_reused(
    openbao: OpenBaoServer,
    fresh_bao: tuple[str, str],
    vault: Vault,
    cache: Cache,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    path, value = fresh_bao
    proxy = make_proxy(openbao.url)
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    vault.link("DB", bao_link(path))

    first = await resolvers(vault, cache).resolve(["DB"])
    assert (first["DB"].value, first["DB"].origin) == (value, "fetched")
    raw = vault.paths.cache.read_bytes()
    assert value.encode() not in raw
    assert path.encode() not in raw  # not even which secret it is
    assert vault.paths.cache.stat().st_mode & 0o777 == 0o600

    # A new resolver with a new Cache object: the value comes from the file, not the server.
    requests = proxy.stats.requests
    second = await resolvers(vault, new_cache(vault)).resolve(["DB"])
    assert (second["DB"].value, second["DB"].origin) == (value, "cache")
    assert proxy.stats.requests == requests


async def test_expired_entry_is_fetched_again(
    openbao: OpenBaoServer,
    fresh_bao: tuple[str, str],
    vault: Vault,
    cache: Cache,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    path, value = fresh_bao
    proxy = make_proxy(openbao.url)
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    link = bao_link(path)
    vault.link("DB", link)
    await resolvers(vault, cache, ttl_minutes=1).resolve(["DB"])
    cache.put_many({link.fingerprint: value}, now=time.time() - 61)  # fetched 61 s ago
    openbao.put("secret", path, {"value": "rotated"})
    reads = bao_reads(proxy, path)

    results = await resolvers(vault, new_cache(vault), ttl_minutes=1).resolve(["DB"])

    assert (results["DB"].value, results["DB"].origin) == ("rotated", "fetched")
    assert bao_reads(proxy, path) == reads + 1
    entry = new_cache(vault).peek(link.fingerprint)
    assert entry is not None and entry.value == "rotated" and entry.age() < 30


@pytest.mark.parametrize("mode", ["drop", "status", "garbage"])
async def test_failed_refresh_leaves_the_old_entry_untouched(
    openbao: OpenBaoServer,
    fresh_bao: tuple[str, str],
    vault: Vault,
    cache: Cache,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
    mode: str,
) -> None:
    path, value = fresh_bao
    proxy = make_proxy(openbao.url)
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    link = bao_link(path)
    vault.link("DB", link)
    stamp = time.time() - 3600
    cache.put_many({link.fingerprint: value}, now=stamp)
    before = vault.paths.cache.read_bytes()
    proxy.set(mode, status=500)  # type: ignore[arg-type]

    results = await resolvers(vault, new_cache(vault), ttl_minutes=1).resolve(["DB"])

    assert results["DB"].status == "unresolved"
    assert results["DB"].reason is Reason.PROVIDER_ERROR, results["DB"].explain()
    assert vault.paths.cache.read_bytes() == before
    entry = new_cache(vault).peek(link.fingerprint)
    assert entry is not None and (entry.value, entry.fetched) == (value, stamp)


async def test_changed_link_is_fetched_again_and_reset_forgets(
    openbao: OpenBaoServer,
    fresh_bao: tuple[str, str],
    vault: Vault,
    cache: Cache,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    path, _ = fresh_bao
    proxy = make_proxy(openbao.url)
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    vault.link("DB", bao_link(path))
    await resolvers(vault, cache).resolve(["DB"])
    other = openbao.client().secrets.kv.v2.read_secret_version(
        path=path, mount_point="secret", raise_on_deleted_version=True
    )["data"]["data"]["other"]

    vault.link("DB", bao_link(path, key="other"))  # same secret, another key: a new fingerprint
    reads = bao_reads(proxy, path)
    results = await resolvers(vault, new_cache(vault)).resolve(["DB"])
    assert (results["DB"].value, results["DB"].origin) == (other, "fetched")
    assert bao_reads(proxy, path) == reads + 1

    again = await resolvers(vault, new_cache(vault)).resolve(["DB"])
    assert again["DB"].origin == "cache"

    new_cache(vault).reset()
    assert not vault.paths.cache.exists()
    after_reset = await resolvers(vault, new_cache(vault)).resolve(["DB"])
    assert (after_reset["DB"].value, after_reset["DB"].origin) == (other, "fetched")
    assert bao_reads(proxy, path) == reads + 2


# ----------------------------------------------------------------------------- disconnect


async def test_disconnect_wins_over_a_fresh_cache_entry(
    openbao: OpenBaoServer,
    fresh_bao: tuple[str, str],
    vault: Vault,
    cache: Cache,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    path, value = fresh_bao
    proxy = make_proxy(openbao.url)
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    link = bao_link(path)
    vault.link("DB", link)
    long_lived = resolvers(vault, cache)  # like the TUI's: it has a provider already
    assert (await long_lived.resolve(["DB"]))["DB"].value == value
    requests = proxy.stats.requests

    assert vault.remove_integration("hashicorp")

    for r in (long_lived, resolvers(vault, new_cache(vault))):
        res = (await r.resolve(["DB"]))["DB"]
        assert res.status == "unresolved"
        assert res.reason is Reason.DISCONNECTED, res.explain()
        assert res.value is None
        assert "integration disconnected" in res.explain()
    assert proxy.stats.requests == requests
    assert vault.get("DB").link == link  # the link stays
    assert new_cache(vault).get(link.fingerprint, 3600) is not None  # so does the entry

    # Reconnecting makes it resolve again.
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    assert (await resolvers(vault, new_cache(vault)).resolve(["DB"]))["DB"].value == value


async def test_values_resolve_even_when_the_cache_cannot_be_written(
    openbao: OpenBaoServer,
    fresh_bao: tuple[str, str],
    vault: Vault,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    """A full disk or read-only directory only costs the caching, never the value."""
    path, value = fresh_bao
    proxy = make_proxy(openbao.url)
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    vault.link("DB", bao_link(path))
    vault.paths.cache.mkdir()  # the cache file cannot be written (works as root, too)

    for _ in range(2):
        results = await resolvers(vault, new_cache(vault)).resolve(["DB"])
        assert (results["DB"].value, results["DB"].origin) == (value, "fetched")
    assert bao_reads(proxy, path) == 2


async def test_mount_is_looked_up_once_for_many_concurrent_fetches(
    openbao: OpenBaoServer,
    seed: Seed,
    vault: Vault,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    proxy = make_proxy(openbao.url, delay_ms=DELAY_MS)
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    names = [f"MNT_{i}" for i in range(N)]
    for name, path in zip(names, seed.bao_paths, strict=True):
        vault.link(name, bao_link(path))
    results = await resolvers(vault, None).resolve(names)
    assert all(r.ok for r in results.values())
    lookups = [t for t in proxy.stats.targets if "/sys/internal/ui/mounts/" in t]
    assert len(lookups) == 1, lookups


async def test_a_failed_mount_lookup_is_shared_not_retried_one_by_one(
    openbao: OpenBaoServer,
    seed: Seed,
    vault: Vault,
    make_proxy: ProxyFactory,
    resolvers: Callable[..., Resolver],
) -> None:
    proxy = make_proxy(openbao.url)
    proxy.set("hang")
    vault.set_integration("hashicorp", openbao.provider_config(url=proxy.url))
    names = [f"HANG_{i}" for i in range(8)]
    for name, path in zip(names, seed.bao_paths, strict=False):
        vault.link(name, bao_link(path))
    results, elapsed = await timed(resolvers(vault, None, timeout=1.0).resolve(names))
    assert all(r.reason is Reason.TIMED_OUT for r in results.values()), results
    assert elapsed < 4.0, elapsed  # about one timeout, not eight in a row

"""Row 3: linked secrets resolved concurrently from OpenBao and moto, 50 ms per request.

Every run builds a fresh Resolver (new SDK clients and connections, a cold cache), as a new
`tui-vault inject` or a freshly unlocked TUI would. Baselines, measured in the same run: the
same fetches made one after another, and one single fetch (the floor).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import servers
from bench.core import Row, Sizes, fmt_value, say
from bench.fixtures import BenchVault, linked_secret, make_vault
from bench.proxy import LatencyProxy
from tui_vault.core.cache import Cache
from tui_vault.core.model import Link
from tui_vault.core.resolver import Resolution, Resolver
from tui_vault.core.vault import Vault
from tui_vault.integrations.registry import make_provider


@dataclass
class Setup:
    vault: Vault
    bench_vault: BenchVault
    names: list[str]
    expected: dict[str, str]
    single_bao: str  # one HashiCorp-linked name (its fetch: mount lookup + read)
    single_aws: str  # one AWS-linked name (its fetch: a new boto3 client + one call)
    work: Path
    proxies: list[LatencyProxy]


@contextlib.contextmanager
def remote_setup(sizes: Sizes, work: Path) -> Iterator[Setup]:
    n = sizes.remote_per_provider
    bao_values = {f"bench/s{i:03d}": f"bao-value-{i:03d}" for i in range(n)}
    aws_values = {f"bench/s{i:03d}": f"aws-value-{i:03d}" for i in range(n)}
    t0 = time.perf_counter()
    with servers.openbao(work) as bao, servers.moto(work) as moto:
        servers.seed_openbao(bao, bao_values)
        servers.seed_moto(moto, aws_values)
        say(f"  servers up and seeded in {time.perf_counter() - t0:.1f} s")
        delay = sizes.latency_ms / 1000
        with (
            LatencyProxy((bao.host, bao.port), delay) as bao_proxy,
            LatencyProxy((moto.host, moto.port), delay) as aws_proxy,
        ):
            integrations = {
                "hashicorp": {
                    "url": bao_proxy.url,
                    "auth": "token",
                    "token": servers.BAO_TOKEN,
                },
                "aws": {
                    "region": servers.AWS_REGION,
                    "access_key_id": servers.AWS_KEY_ID,
                    "secret_access_key": servers.AWS_SECRET,
                    "endpoint_url": aws_proxy.url,
                },
            }
            secrets = []
            expected: dict[str, str] = {}
            # Interleave providers, as a real template would mix them.
            for i, ((bpath, bval), (aid, aval)) in enumerate(
                zip(bao_values.items(), aws_values.items(), strict=True)
            ):
                hname, aname = f"bao-{i:03d}", f"aws-{i:03d}"
                secrets.append(
                    linked_secret(
                        hname,
                        Link("hashicorp", {"engine": "secret", "path": bpath, "key": "value"}),
                    )
                )
                secrets.append(linked_secret(aname, Link("aws", {"secret_id": aid})))
                expected[hname], expected[aname] = bval, aval
            bv = make_vault(work / "remote", secrets, integrations)
            vault = Vault.open(bv.path, bv.key)
            yield Setup(
                vault,
                bv,
                list(expected),
                expected,
                "bao-000",
                "aws-000",
                work,
                [bao_proxy, aws_proxy],
            )


def _fresh_cache(s: Setup, run: int) -> Cache:
    path = s.work / f"remote-cache-{run}-{time.monotonic_ns()}"
    return Cache(path, path.with_suffix(".lock"), s.bench_vault.key, s.vault.vault_id)


def _check(s: Setup, results: dict[str, Resolution], names: list[str]) -> None:
    for name in names:
        r = results[name]
        if r.value != s.expected[name]:
            raise RuntimeError(f"{name} did not resolve: {r.explain()}")


def concurrent(s: Setup, run: int = 0) -> float:
    """All names in one resolve() call: a fresh resolver, a cold cache."""
    resolver = Resolver(s.vault, _fresh_cache(s, run), provider_factory=make_provider)
    try:
        t0 = time.perf_counter()
        results = asyncio.run(resolver.resolve(s.names))
        elapsed = time.perf_counter() - t0
    finally:
        resolver.close()
    _check(s, results, s.names)
    return elapsed


def sequential(s: Setup) -> float:
    """The same fetches one after another (one resolve() per name, no cache)."""
    resolver = Resolver(s.vault, None, provider_factory=make_provider)

    async def go() -> dict[str, Resolution]:
        out: dict[str, Resolution] = {}
        for name in s.names:
            out.update(await resolver.resolve([name]))
        return out

    try:
        t0 = time.perf_counter()
        results = asyncio.run(go())
        elapsed = time.perf_counter() - t0
    finally:
        resolver.close()
    _check(s, results, s.names)
    return elapsed


def single(s: Setup, name: str, run: int = 0) -> float:
    resolver = Resolver(s.vault, _fresh_cache(s, run), provider_factory=make_provider)
    try:
        t0 = time.perf_counter()
        results = asyncio.run(resolver.resolve([name]))
        elapsed = time.perf_counter() - t0
    finally:
        resolver.close()
    _check(s, results, [name])
    return elapsed


def bare_sdk(s: Setup) -> float:
    """The same requests from SDK clients built beforehand, one thread per request: the rig's
    floor (proxy latency plus the servers' own time), with no resolver at all."""
    import boto3.session
    import hvac

    hc = s.vault.data.integrations["hashicorp"]
    ac = s.vault.data.integrations["aws"]
    bao = hvac.Client(url=hc["url"], token=hc["token"])
    session = boto3.session.Session(
        aws_access_key_id=ac["access_key_id"],
        aws_secret_access_key=ac["secret_access_key"],
        region_name=ac["region"],
    )
    aws = session.client("secretsmanager", endpoint_url=ac["endpoint_url"])
    secrets = s.vault.data.secrets

    def one(name: str) -> str:
        link = secrets[name].link
        assert link is not None
        if link.provider == "hashicorp":
            answer = bao.secrets.kv.v2.read_secret_version(
                path=link.params["path"], mount_point="secret", raise_on_deleted_version=True
            )
            return str(answer["data"]["data"]["value"])
        return str(aws.get_secret_value(SecretId=link.params["secret_id"])["SecretString"])

    with ThreadPoolExecutor(len(s.names)) as pool:
        t0 = time.perf_counter()
        values = list(pool.map(one, s.names))
        elapsed = time.perf_counter() - t0
    bao.adapter.close()
    aws.close()
    if values != [s.expected[n] for n in s.names]:
        raise RuntimeError("bare SDK fetches returned unexpected values")
    return elapsed


def run(sizes: Sizes, work: Path) -> list[Row]:
    total = 2 * sizes.remote_per_provider
    ms = f"{sizes.latency_ms:g} ms"
    title = f"Resolve {total} linked secrets (OpenBao + moto, {ms}/request, cold cache)"
    vs_seq = Row("remote_concurrent", title, baseline_title="the same fetches one after another")
    vs_one = Row(
        "remote_floor",
        "  … same, against one single fetch",
        baseline_title="one AWS link alone (fresh resolver: new boto3 client + 1 round trip)",
    )
    vs_bare = Row(
        "remote_bare",
        "  … same, against bare SDK calls",
        baseline_title=f"the {total} requests from pre-built hvac/boto3 clients, 1 thread each",
    )
    rows = [vs_seq, vs_one, vs_bare]
    reason = servers.missing_tools()
    if reason:
        for r in rows:
            r.na = reason
        return rows
    with remote_setup(sizes, work) as s:
        # Warm-up: imports of hvac/boto3 and the servers' own first-request costs.
        concurrent(s)
        single(s, s.single_aws)
        single(s, s.single_bao)
        bare_sdk(s)
        conc, one_aws, one_bao, bare = [], [], [], []
        per_run: list[int] = []
        for i in range(sizes.runs):  # interleaved, so drift hits all alike
            before = sum(p.requests for p in s.proxies)
            conc.append(concurrent(s, i))
            per_run.append(sum(p.requests for p in s.proxies) - before)
            one_aws.append(single(s, s.single_aws, i))
            one_bao.append(single(s, s.single_bao, i))
            bare.append(bare_sdk(s))
        seq = [sequential(s) for _ in range(sizes.sequential_runs)]
    vs_seq.measured(conc, seq)
    vs_one.measured(conc, one_aws)
    vs_bare.measured(conc, bare)
    vs_seq.note = (
        f"{sizes.runs} concurrent runs, {sizes.sequential_runs} sequential runs; "
        f"{statistics.median(per_run):.0f} requests per concurrent run went through the "
        "latency proxies (each HashiCorp link is one read, plus one mount lookup; the AWS "
        "links go up to 20 to a BatchGetSecretValue call)"
    )
    vs_one.note = (
        f"one HashiCorp link alone: {fmt_value(statistics.median(one_bao), 's')} "
        "(mount lookup + read: 2 round trips)"
    )
    return rows

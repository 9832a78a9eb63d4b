"""Row 4: 10,000 references resolved from a filled cache, against 10,000 local secrets.

Each run opens the cache anew (decrypting it, as a new process would) and resolves every
name in one call. The baseline resolves the same number of local secrets, which never
touch the cache: the difference is what reading values from the cache costs.

The cache is filled the way a `run` that fetched fills it: one resolve through the real
fetch path (a provider answering at once stands in for the servers), so the cache file
holds what such a run writes (the entries and, for this vault file, the name index).

Both sides get the same kind of input: secrets decoded from their vault file, and names
parsed from a text of `{{vault:NAME}}` references, as `run` and `inject` get them (strings
of their own, not the vault's dict keys).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.core import Row, Sizes
from bench.fixtures import linked_secret, local_secrets, make_vault
from tui_vault.core.cache import Cache
from tui_vault.core.model import Link
from tui_vault.core.providers import Provider
from tui_vault.core.references import find_references
from tui_vault.core.resolver import Resolver
from tui_vault.core.vault import Vault
from tui_vault.integrations.registry import make_provider

INTEGRATIONS = {
    "hashicorp": {"url": "http://127.0.0.1:9", "auth": "token", "token": "not-used"},
    "aws": {
        "region": "us-east-1",
        "access_key_id": "AKIANOTUSED000000000",
        "secret_access_key": "not-used",
        "endpoint_url": "http://127.0.0.1:9",
    },
}


def _linked(count: int) -> list:  # type: ignore[type-arg]
    out = []
    for i in range(count):
        if i % 2:
            link = Link("aws", {"secret_id": f"app/secret-{i:06d}"})
        else:
            link = Link("hashicorp", {"engine": "secret", "path": f"app/{i:06d}", "key": "value"})
        out.append(linked_secret(f"linked-{i:06d}", link))
    return out


class _Answering(Provider):
    """Answers every link at once with a value of its own (the fill run's servers)."""

    name = "answering"
    label = "Answering"

    async def fetch(self, link: Link) -> str:
        return f"cached-{link.describe()}"


def fill_cache(vault: Vault, cache: Cache, names: list[str]) -> None:
    """Resolve `names` once, fetching every one: the cache as a run that fetched leaves it."""
    resolver = Resolver(vault, cache, provider_factory=lambda *_a, **_k: _Answering({}))
    try:
        results = asyncio.run(resolver.resolve(names))
    finally:
        resolver.close()
    if any(r.origin != "fetched" for r in results.values()):
        raise RuntimeError("warm cache: the fill run did not fetch every reference")


def parsed_names(names: list[str]) -> list[str]:
    """The names as `run` gets them: parsed from a text that references each one."""
    return find_references(" ".join(f"{{{{vault:{n}}}}}" for n in names))


def resolve_all(vault: Vault, key: bytes, names: list[str]) -> float:
    t0 = time.perf_counter()
    cache = Cache(vault.paths.cache, vault.paths.lock, key, vault.vault_id)
    resolver = Resolver(vault, cache, provider_factory=make_provider)
    try:
        results = asyncio.run(resolver.resolve(names))
    finally:
        resolver.close()
    elapsed = time.perf_counter() - t0
    bad = [r for r in results.values() if r.status != "resolved"]
    if bad or len(results) != len(names):
        raise RuntimeError(f"warm cache: {len(bad)} references did not resolve: {bad[:1]}")
    if any(r.origin == "fetched" for r in results.values()):
        raise RuntimeError("warm cache: something was fetched")
    return elapsed


def run(sizes: Sizes, work: Path) -> Row:
    n = sizes.warm_refs
    row = Row(
        "warm_cache",
        f"Resolve {n:,} references from a warm cache (cache file decrypted each run)",
        baseline_title=f"{n:,} local secrets (no cache involved)",
    )
    linked = _linked(n)
    bv = make_vault(work / "warm", linked, INTEGRATIONS)
    vault = Vault.open(bv.path, bv.key)
    cache = Cache(vault.paths.cache, vault.paths.lock, bv.key, vault.vault_id)
    fill_cache(vault, cache, [s.name for s in linked])
    # Unrestricted: a domain-restricted local secret would not resolve without a URL.
    local = make_vault(work / "warm-local", local_secrets(n, prefix="local", restricted=False))
    local_vault = Vault.open(local.path, local.key)
    names = parsed_names([s.name for s in linked])
    local_names = parsed_names(list(local_vault.data.secrets))
    resolve_all(vault, bv.key, names)
    resolve_all(local_vault, local.key, local_names)
    mine, base = [], []
    for _ in range(3 * sizes.runs):  # ~0.1 s a pair: three times the usual, interleaved
        mine.append(resolve_all(vault, bv.key, names))
        base.append(resolve_all(local_vault, local.key, local_names))
    return row.measured(mine, base)

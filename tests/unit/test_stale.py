"""serve_stale_hours: an expired cached value is served, marked stale, only when the
provider is unreachable or times out, only within the limit, and a good fetch replaces it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from tui_vault.core.cache import Cache
from tui_vault.core.model import Link, Reason
from tui_vault.core.resolver import Resolver
from tui_vault.core.settings import SettingsError, settings_from_dict
from tui_vault.core.status import secret_status
from tui_vault.core.vault import Vault
from tui_vault.integrations.base import (
    NeedsReauth,
    Provider,
    ProviderFailure,
    ProviderUnreachable,
)

VALUE = "STALE-MARKER-value-41"
HOUR = 3600.0


class Server:
    """What the fake provider answers: a value, or one kind of failure."""

    def __init__(self) -> None:
        self.mode = "down"
        self.value = "FRESH-value"


class FakeProvider(Provider):
    name = "hashicorp"
    label = "Fake"

    def __init__(self, server: Server, config: Mapping[str, str], timeout: float) -> None:
        super().__init__(config, None, timeout)
        self.server = server

    async def fetch(self, link: Link) -> str:
        mode = self.server.mode
        if mode == "down":
            raise ProviderUnreachable("cannot reach the fake server")
        if mode == "slow":
            await asyncio.sleep(60)
        if mode == "reauth":
            raise NeedsReauth("the fake server rejected the token")
        if mode == "missing":
            raise ProviderFailure("secret not found on the fake server")
        return self.server.value


@pytest.fixture
def world(tmp_path: Path) -> tuple[Vault, Cache, Server, Link]:
    vault, _ = Vault.create(tmp_path / "v" / "vault.json")
    vault.set_integration("hashicorp", {"url": "http://127.0.0.1:1", "token": "t"})
    link = Link("hashicorp", {"engine": "secret", "path": "app", "key": "k"})
    vault.link("db", link)
    cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    # Fetched three hours ago; with a 60 minute lifetime it expired two hours ago.
    cache.put_many({link.fingerprint: VALUE}, now=time.time() - 3 * HOUR)
    return vault, cache, Server(), link


def resolver(
    world: tuple[Vault, Cache, Server, Link], stale_hours: float, timeout: float = 5
) -> Resolver:
    vault, cache, server, _ = world
    return Resolver(
        vault,
        cache,
        ttl_minutes=60,
        timeout=timeout,
        serve_stale_hours=stale_hours,
        provider_factory=lambda n, c, e, t: FakeProvider(server, c, t),
    )


async def test_off_by_default(world: tuple[Vault, Cache, Server, Link]) -> None:
    r = resolver(world, 0)
    result = (await r.resolve(["db"]))["db"]
    assert result.status == "unresolved" and result.reason is Reason.PROVIDER_ERROR
    vault, cache, _, link = world
    assert cache.peek(link.fingerprint) is not None  # kept, just not served
    row = secret_status(vault, cache, 3600, "db", stale_seconds=0)
    assert row["stale"] is False and row["state"] == "expired"


async def test_unreachable_serves_the_expired_value_marked_stale(
    world: tuple[Vault, Cache, Server, Link],
) -> None:
    vault, _, _, _ = world
    r = resolver(world, 4)
    result = (await r.resolve(["db"]))["db"]
    assert result.ok and result.value == VALUE and result.stale
    assert result.detail == "fetched 3 h ago (HashiCorp unreachable)"
    assert VALUE not in result.detail
    # Recorded, so list and the table say so without fetching.
    fresh = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    row = secret_status(vault, fresh, 3600, "db", stale_seconds=4 * HOUR)
    assert row["stale"] is True and row["state"] == "stale"
    assert row["status"] == "stale · fetched 3 h ago (HashiCorp unreachable)"
    assert 3 * HOUR - 5 < row["cache_age_seconds"] < 3 * HOUR + 60
    # The marker alone is not enough: with the setting off again, it is just expired.
    assert secret_status(vault, fresh, 3600, "db", stale_seconds=0)["stale"] is False


async def test_timeout_serves_stale_too(world: tuple[Vault, Cache, Server, Link]) -> None:
    _, _, server, _ = world
    server.mode = "slow"
    r = resolver(world, 4, timeout=0.2)
    result = (await r.resolve(["db"]))["db"]
    assert result.stale and result.value == VALUE
    assert result.detail.endswith("(HashiCorp timed out)")


@pytest.mark.parametrize("mode", ["reauth", "missing"])
async def test_refusals_and_missing_secrets_are_never_served_stale(
    world: tuple[Vault, Cache, Server, Link], mode: str
) -> None:
    _, _, server, _ = world
    server.mode = mode
    result = (await resolver(world, 24).resolve(["db"]))["db"]
    assert result.status == "unresolved"
    assert result.value is None


async def test_never_beyond_the_configured_hours(
    world: tuple[Vault, Cache, Server, Link],
) -> None:
    # Expired two hours ago: a one-hour allowance is used up, a three-hour one is not.
    assert (await resolver(world, 1).resolve(["db"]))["db"].status == "unresolved"
    vault, cache, _, _ = world
    assert secret_status(vault, cache, 3600, "db", stale_seconds=1 * HOUR)["stale"] is False
    assert (await resolver(world, 3).resolve(["db"]))["db"].stale


async def test_a_later_successful_fetch_replaces_it(
    world: tuple[Vault, Cache, Server, Link],
) -> None:
    vault, cache, server, link = world
    assert (await resolver(world, 4).resolve(["db"]))["db"].stale
    server.mode = "up"
    result = (await resolver(world, 4).resolve(["db"]))["db"]
    assert result.value == "FRESH-value" and not result.stale and result.origin == "fetched"
    entry = cache.peek(link.fingerprint)
    assert entry is not None and entry.value == "FRESH-value" and entry.stale == ""
    row = secret_status(vault, cache, 3600, "db", stale_seconds=4 * HOUR)
    assert row["stale"] is False and row["state"] == "cached"


async def test_cache_reset_removes_it(world: tuple[Vault, Cache, Server, Link]) -> None:
    _, cache, _, link = world
    cache.reset()
    assert (await resolver(world, 24).resolve(["db"]))["db"].status == "unresolved"
    assert cache.peek(link.fingerprint) is None


def test_setting_is_checked() -> None:
    assert settings_from_dict({}).serve_stale_hours == 0
    assert settings_from_dict({"serve_stale_hours": 12}).serve_stale_hours == 12
    for bad in (-1, 10**6):
        with pytest.raises(SettingsError, match="serve_stale_hours"):
            settings_from_dict({"serve_stale_hours": bad})
    with pytest.raises(SettingsError):
        settings_from_dict({"serve_stale_hours": "2"})

"""One unlocked vault and everything that hangs off it: the session the CLI and the TUI share.

A `Session` holds the open `Vault`, the encrypted `Cache` of fetched values beside it, the
`Resolver` (built on first use, with the provider factory it was given) and the latest
resolutions the owner asked for (reveal, copy, troubleshoot). Every operation that touches
more than one of them lives here, so the CLI and the app do each thing one way:

    CLI:  open_vault -> Session(vault, factory) -> resolve / connect / ... -> close
    TUI:  unlock     -> app.session = Session(...) -> screens call it -> lock: close

Thread rule (the TUI runs disk work in thread workers): `connect`, `disconnect`,
`forget_fetched_values`, `reset_cache` and `clear` do disk work and may run in a thread;
`connection_changed` and `forget` touch in-memory state only and belong on the event loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tui_vault.core.cache import Cache, reset_cache_file
from tui_vault.core.errors import VaultError
from tui_vault.core.resolution import Resolution, resolve_local

if TYPE_CHECKING:
    from tui_vault.core.model import Secret
    from tui_vault.core.providers import ProviderFactory
    from tui_vault.core.resolver import ResolveProgress, Resolver
    from tui_vault.core.status import IntegrationHealth, SecretHealth
    from tui_vault.core.vault import Vault


class Session:
    """An unlocked vault, its cache, its resolver and the latest resolutions."""

    def __init__(
        self,
        vault: Vault,
        provider_factory: ProviderFactory,
        *,
        expiration_minutes: float = 60,
        fetch_timeout_seconds: float = 10.0,
        serve_stale_hours: float = 0,
        on_progress: Callable[[ResolveProgress], None] | None = None,
    ) -> None:
        self.vault = vault
        self.provider_factory = provider_factory
        self.cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
        self.expiration_minutes = expiration_minutes
        self.fetch_timeout_seconds = fetch_timeout_seconds
        self.serve_stale_hours = serve_stale_hours
        self.on_progress = on_progress
        self.resolutions: dict[str, Resolution] = {}
        self._resolver: Resolver | None = None

    # ------------------------------------------------------------------ configuration

    @property
    def ttl_seconds(self) -> float:
        return self.expiration_minutes * 60

    @property
    def stale_seconds(self) -> float:
        return self.serve_stale_hours * 3600

    def configure(
        self,
        *,
        expiration_minutes: float,
        fetch_timeout_seconds: float,
        serve_stale_hours: float | None = None,
    ) -> None:
        """New settings take effect for the next resolution."""
        self.expiration_minutes = expiration_minutes
        self.fetch_timeout_seconds = fetch_timeout_seconds
        if serve_stale_hours is not None:
            self.serve_stale_hours = serve_stale_hours
        if self._resolver is not None:
            self._resolver.ttl_seconds = self.ttl_seconds
            self._resolver.timeout = fetch_timeout_seconds
            self._resolver.stale_seconds = self.stale_seconds

    @property
    def resolver(self) -> Resolver:
        """Built on first use: a `get` of a local secret never needs one (nor asyncio)."""
        if self._resolver is None:
            from tui_vault.core.resolver import Resolver

            self._resolver = Resolver(
                self.vault,
                self.cache,
                ttl_minutes=self.expiration_minutes,
                timeout=self.fetch_timeout_seconds,
                serve_stale_hours=self.serve_stale_hours,
                provider_factory=self.provider_factory,
                on_progress=self.on_progress,
            )
        return self._resolver

    @property
    def needs_reauth(self) -> set[str]:
        """Providers whose credentials were refused during this session."""
        return self._resolver.needs_reauth if self._resolver is not None else set()

    def close(self) -> None:
        """Release provider clients and the fetch threads (the vault file stays as it is)."""
        if self._resolver is not None:
            self._resolver.close()
            self._resolver = None

    # ------------------------------------------------------------------ resolving

    async def resolve(self, names: Iterable[str], url: str | None = None) -> dict[str, Resolution]:
        """Resolve references as a request for `url` would (domains and enabled flags hold)."""
        return await self.resolver.resolve(names, url)

    def resolve_blocking(
        self, names: Iterable[str], url: str | None = None
    ) -> dict[str, Resolution]:
        """`resolve` for a command line: local secrets need no event loop, executor or cache."""
        names = list(dict.fromkeys(names))
        done = resolve_local(self.vault.data.secrets, names, url)
        if done is not None:
            return done
        import asyncio  # only here: a local `get` never pays for importing it (~25 ms)

        result: dict[str, Resolution] = asyncio.run(self.resolve(names, url))
        return result

    async def resolve_for_owner(self, names: Iterable[str]) -> dict[str, Resolution]:
        """Resolve for the vault's owner (reveal, copy, troubleshoot): no URL, no domain or
        enabled checks. The results are kept in `resolutions`."""
        names = list(names)
        import asyncio

        # The first look at the cache reads its file: do that off the event loop.
        await asyncio.to_thread(self.cache.entries)
        results = await self.resolver.resolve_unrestricted(names)
        self.resolutions.update(results)
        return results

    def forget(self, name: str) -> None:
        """Drop the latest resolution of one secret (its link or value changed)."""
        self.resolutions.pop(name, None)

    # ------------------------------------------------------------------ health

    def health(
        self, secret: Secret, now: float | None = None, *, with_status: bool = True
    ) -> SecretHealth:
        """What is wrong with one secret (if anything), from what is known without fetching.
        `with_status=False` skips the status cell and its cache lookup (counters)."""
        from tui_vault.core.status import secret_health

        return secret_health(
            self.vault,
            secret,
            self.cache,
            self.ttl_seconds,
            resolution=self.resolutions.get(secret.name),
            needs_reauth=self.needs_reauth,
            now=now,
            with_status=with_status,
            stale_seconds=self.stale_seconds,
        )

    def problems(self) -> list[SecretHealth]:
        """Every secret troubleshoot lists, by name (linked ones use the latest resolutions)."""
        secrets = sorted(self.vault.data.secrets.values(), key=lambda s: s.name.lower())
        found = (self.health(s, with_status=False) for s in secrets)
        return [h for h in found if h.is_problem]

    def status_row(self, name: str, now: float | None = None) -> dict[str, Any]:
        """The JSON-able row of `list --json` for one secret (never its value)."""
        from tui_vault.core.status import secret_status

        return secret_status(
            self.vault, self.cache, self.ttl_seconds, name, now, self.stale_seconds
        )

    def status_rows_json(
        self,
        names: Iterable[str],
        now: float | None = None,
        secrets: list[Secret] | None = None,
        first: int | None = None,
    ) -> list[str]:
        """`json.dumps(status_row(name))` for each name, built in one pass (`list --json`);
        secrets: the names' secrets in the same order, if known (no lookups); first: their
        position in the vault's dict order, if they are its values in that order."""
        from tui_vault.core.status import status_rows_json

        return status_rows_json(
            self.vault,
            self.cache,
            self.ttl_seconds,
            names,
            now,
            self.stale_seconds,
            secrets,
            first,
        )

    def integration_health(self, provider: str) -> IntegrationHealth:
        from tui_vault.core.status import integration_health

        return integration_health(self.vault, provider, self.needs_reauth)

    async def integration_statuses(self, check: bool) -> list[dict[str, Any]]:
        """One row per provider; `check` asks each connected server whether it accepts us."""
        from tui_vault.core.integrations_status import integration_statuses

        return await integration_statuses(
            self.vault, check, self.fetch_timeout_seconds, factory=self.provider_factory
        )

    # ------------------------------------------------------------------ integrations

    async def verify(self, provider: str, config: Mapping[str, str]) -> None:
        """Raise a VaultError saying why these settings do not work (nothing is saved)."""
        from tui_vault.core.integrations_status import verify_config

        await verify_config(
            provider, config, self.fetch_timeout_seconds, factory=self.provider_factory
        )

    def connect(self, provider: str, config: Mapping[str, str]) -> None:
        """Save (checked) connection settings; values fetched with the old ones are dropped."""
        self.vault.set_integration(provider, dict(config))
        self.forget_fetched_values(provider)

    def disconnect(self, provider: str) -> bool:
        """Delete a provider's credentials (its links stay). False if it was not connected."""
        removed = self.vault.remove_integration(provider)
        self.forget_fetched_values(provider)
        return removed

    def forget_fetched_values(self, provider: str) -> None:
        """Cached values of a provider whose connection changed may come from another server."""
        try:
            self.cache.forget_provider(provider)
        except (VaultError, OSError):  # cannot rewrite it (disk full...): drop it all instead
            with contextlib.suppress(OSError):
                self.cache.reset()

    def connection_changed(self, provider: str) -> None:
        """After connect/disconnect: a fresh provider client, no stale resolutions."""
        if self._resolver is not None:
            self._resolver.forget_provider(provider)
        for s in self.vault.data.secrets.values():
            if s.link and s.link.provider == provider:
                self.resolutions.pop(s.name, None)

    # ------------------------------------------------------------------ whole vault

    def reset_cache(self) -> bool:
        """Forget every fetched value (file and memory). True if there was a cache file.
        Raises OSError when the file cannot be deleted."""
        existed = reset_cache_file(self.cache.path)
        self.cache.reset()
        return existed

    def clear(self) -> int:
        """Delete every secret (the key and the integrations stay); returns how many."""
        count = self.vault.clear()
        # Cached values belong to links that no longer exist; a cache file that cannot be
        # deleted stays encrypted and unreachable, and Reset cache can try again.
        with contextlib.suppress(OSError):
            self.cache.reset()
        self.resolutions.clear()
        return count

"""The one interface every external vault provider implements, and the types core hands around.

Core is the ground floor: it defines what a provider is (`Provider`, its errors, the field
descriptions of its forms) and what builds one (`ProviderFactory`), but never imports the
integrations package (a lint rule and tests/unit/test_import_hygiene.py check it). The CLI and
the app pass the real factory in from the top (the registry's `make_provider`); tests pass
fakes.

A provider is built from its connection settings (a dict of strings stored inside the
encrypted vault: tokens, keys, URLs) and fetches the values of links. SDKs are synchronous
or heavy, so each module imports its SDK inside functions and runs blocking calls in the
executor it is given; the resolver owns concurrency, timeouts and the cache.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import ClassVar, Protocol, TypeVar
from urllib.parse import urlsplit

from tui_vault.core.errors import VaultError
from tui_vault.core.fields import Field, ProviderSpec
from tui_vault.core.model import Link, Reason

T = TypeVar("T")

# Connections an SDK client keeps open per host: as many as the resolver has worker threads
# (HTTP libraries keep 10 by default and would open, then drop, one per extra fetch).
MAX_CONNECTIONS = 64


class FetchError(VaultError):
    """A link could not be fetched. `reason` is one of the unresolved reasons of DESIGN.md §3.

    The message names the link or the server, never a value or a credential.
    """

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class NeedsReauth(FetchError):
    def __init__(self, message: str = "credentials were rejected") -> None:
        super().__init__(Reason.NEEDS_REAUTH, message)


class ProviderFailure(FetchError):
    def __init__(self, message: str) -> None:
        super().__init__(Reason.PROVIDER_ERROR, message)


class ProviderUnreachable(ProviderFailure):
    """The server could not be reached at all (connection refused, DNS, sealed, outage).

    Still a provider error to the user; the resolver may serve an expired cached value for
    it (and for timeouts) when `serve_stale_hours` allows, never for a refusal or a 404.
    """

    unreachable = True


class Provider(ABC):
    """One connected external vault."""

    name: ClassVar[str]  # "hashicorp" | "aws" | "azure" | "1password"
    label: ClassVar[str]  # shown to people
    spec: ClassVar[ProviderSpec]  # its fields and checks: what the CLI and forms are built from

    def __init__(
        self,
        config: Mapping[str, str],
        executor: Executor | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.config = dict(config)
        self.executor = executor
        # Network timeout for SDK calls, so a blocked worker thread ends too; the resolver
        # also bounds each fetch with asyncio.wait_for.
        self.timeout = timeout

    async def run_blocking(self, fn: Callable[[], T]) -> T:
        """Run a blocking SDK call off the event loop, in the resolver's executor."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn)

    @abstractmethod
    async def fetch(self, link: Link) -> str:
        """Return the value a link points at, or raise FetchError."""

    async def fetch_many(self, links: Sequence[Link]) -> dict[str, str | FetchError]:
        """Fetch several links; keyed by link fingerprint. Default: concurrent `fetch`."""

        async def one(link: Link) -> str | FetchError:
            try:
                return await self.fetch(link)
            except FetchError as e:
                return e

        results = await asyncio.gather(*(one(link) for link in links))
        return {link.fingerprint: r for link, r in zip(links, results, strict=True)}

    async def verify(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Check the connection settings against the server (used by connect/re-auth)."""

    def close(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Release clients and sockets."""


class ProviderFactory(Protocol):
    """Builds a connected-but-lazy provider from its name and settings (nothing sent yet).

    Raises a VaultError (an unknown provider, bad settings) before any network use.
    """

    def __call__(
        self,
        name: str,
        config: Mapping[str, str],
        executor: Executor | None = None,
        timeout: float = 10.0,
    ) -> Provider: ...


# Checks a link's parameters offline and returns the normalised Link (InvalidSecretError).
LinkValidator = Callable[[str, Mapping[str, str]], Link]
# Checks connection settings offline and returns them cleaned (InvalidConfigError).
ConfigValidator = Callable[[str, Mapping[str, str]], dict[str, str]]


# The description of one form field lives in core/fields.py (with the provider's whole
# self-description); the old name stays for the code that imports it from here.
FieldSpec = Field


def safe_url(url: str) -> str:
    """scheme://host[:port] of a URL: enough to name a server, never a credential or path."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the configured server"
    return f"{parts.scheme or 'http'}://{host}{port}"

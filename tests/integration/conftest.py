"""Session-scoped real servers (started once, stopped at the end) and per-test fault tools.

Fixtures:
  openbao       OpenBaoServer (dev mode, root token, KV v2 at secret/)
  moto          MotoServer (IAM auth enforced; use .provider_config() / .client())
  azure_kv      AzureKeyVaultEmulator (session); `azure_vault` resets its faults per test
  make_proxy    factory: make_proxy(upstream_url, delay_ms=0) -> started FaultProxy,
                stopped after the test
  leak_marker   a unique string to plant as a secret value / credential in leak checks
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from .proxy import FaultProxy
from .servers import AzureKeyVaultEmulator, MotoServer, OpenBaoServer


@pytest.fixture(scope="session")
def openbao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        yield server


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="session")
def azure_kv() -> Iterator[AzureKeyVaultEmulator]:
    with AzureKeyVaultEmulator() as emulator:
        yield emulator


@pytest.fixture
def azure_vault(azure_kv: AzureKeyVaultEmulator) -> Iterator[AzureKeyVaultEmulator]:
    """The session emulator, with its fault modes reset after the test."""
    azure_kv.reset_faults()
    yield azure_kv
    azure_kv.reset_faults()


@pytest.fixture
def make_proxy() -> Iterator[Callable[..., FaultProxy]]:
    proxies: list[FaultProxy] = []

    def make(upstream: str, *, delay_ms: float = 0.0) -> FaultProxy:
        proxy = FaultProxy(upstream, delay_ms=delay_ms).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def leak_marker() -> str:
    """Unique text that must never show up in an error message or repr."""
    return f"LEAKMARKER{secrets.token_hex(8)}"

"""External vault providers. Each module imports its SDK lazily, inside functions.

`provider_factory` is what the CLI and the app hand to core (`Session`, `Resolver`): core
never imports this package, it is given the factory from the top.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # concurrent.futures (with logging, threading) costs a local `get` ~8 ms
    from concurrent.futures import Executor

    from tui_vault.core.providers import Provider


def provider_factory(
    name: str,
    config: Mapping[str, str],
    executor: Executor | None = None,
    timeout: float = 10.0,
) -> Provider:
    """A `core.providers.ProviderFactory`: the registry's `make_provider`, looked up per call
    (the registry module loads on first use; tests may replace `registry.make_provider`)."""
    from tui_vault.integrations import registry

    return registry.make_provider(name, config, executor=executor, timeout=timeout)

"""The provider interface, re-exported from core (where it lives: core is the ground floor).

Kept so `from tui_vault.integrations.base import Provider` goes on working; new code imports
`tui_vault.core.providers`.
"""

from __future__ import annotations

from tui_vault.core.providers import (
    MAX_CONNECTIONS,
    FetchError,
    NeedsReauth,
    Provider,
    ProviderFactory,
    ProviderFailure,
    ProviderUnreachable,
)

__all__ = [
    "MAX_CONNECTIONS",
    "FetchError",
    "NeedsReauth",
    "Provider",
    "ProviderFactory",
    "ProviderFailure",
    "ProviderUnreachable",
]

"""Connection state of each integration, checked against its server when asked."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tui_vault.core.errors import VaultError
from tui_vault.core.model import PROVIDERS, Reason
from tui_vault.core.providers import FetchError

if TYPE_CHECKING:
    from tui_vault.core.providers import ProviderFactory
    from tui_vault.core.vault import Vault

# Settings that are safe to show (everything else is treated as a credential).
PUBLIC_SETTINGS = {
    "url",
    "namespace",
    "auth",
    "role_id",
    "username",
    "region",
    "profile",
    "endpoint_url",
    "access_key_id",
    "tenant_id",
    "client_id",
    "ca_bundle",
    "authority",
    "verify_challenge_resource",
    "auth_mount",
}


def public_settings(config: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in config.items() if k in PUBLIC_SETTINGS}


async def verify_config(
    provider: str, config: Mapping[str, str], timeout: float, *, factory: ProviderFactory
) -> None:
    """Raise a VaultError saying why these settings do not work (used by connect)."""
    label = PROVIDERS[provider]
    p = factory(provider, config, timeout=timeout)
    try:
        await asyncio.wait_for(p.verify(), timeout)
    except TimeoutError:
        raise VaultError(f"{label}: no answer within {timeout:g} s; nothing was saved") from None
    except FetchError as e:
        raise VaultError(f"{label}: {e.message} ({e.reason.value}); nothing was saved") from None
    except VaultError:
        raise
    except Exception as e:
        raise VaultError(
            f"{label}: cannot connect ({type(e).__name__}); nothing was saved"
        ) from None
    finally:
        p.close()


async def integration_statuses(
    vault: Vault, check: bool, timeout: float, *, factory: ProviderFactory
) -> list[dict[str, Any]]:
    from tui_vault.core.status import integration_health

    async def one(provider: str) -> dict[str, Any]:
        config = vault.data.integrations.get(provider)
        health = integration_health(vault, provider)
        row: dict[str, Any] = {
            "provider": provider,
            "label": health.label,
            "connected": health.connected,
            "linked_secrets": health.linked_secrets,
            "settings": health.settings,
        }
        if config is None:
            row["status"], row["detail"] = "not connected", ""
            return row
        if not check:
            row["status"], row["detail"] = "connected", "not checked"
            return row
        try:
            await verify_config(provider, config, timeout, factory=factory)
            row["status"], row["detail"] = "connected", "credentials accepted"
        except VaultError as e:
            text = e.message.removesuffix("; nothing was saved")
            reauth = Reason.NEEDS_REAUTH.value in text
            row["status"] = Reason.NEEDS_REAUTH.value if reauth else "error"
            row["detail"] = text
        return row

    return list(await asyncio.gather(*(one(p) for p in PROVIDERS)))

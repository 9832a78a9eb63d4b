"""Connection state of each integration, checked against its server when asked."""

from __future__ import annotations

import asyncio
import re
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


# The states of a provider, in these words everywhere (CLI, JSON, TUI): `not connected`,
# `connected`, `needs re-authentication: <reason>`, `unreachable: <reason>`.
NOT_CONNECTED = "not connected"
CONNECTED = "connected"
NEEDS_REAUTH = Reason.NEEDS_REAUTH.value
UNREACHABLE = "unreachable"


def state_text(status: str, detail: str = "") -> str:
    """A provider's state in one phrase: `needs re-authentication: token rejected`."""
    if not detail or status == NOT_CONNECTED:
        return status
    if status == CONNECTED:
        return f"{status} ({detail})"
    return f"{status}: {detail}"


def without_provider(provider: str, text: str) -> str:
    """A provider's message without its name, for a line that already names it:
    "HashiCorp Vault at http://h rejected the token" -> "rejected the token (at http://h)",
    "cannot reach HashiCorp Vault at http://h" -> "cannot reach http://h"."""
    name = rf"{re.escape(PROVIDERS[provider])}(?: Vault| Secrets Manager| Key Vault)?"
    m = re.match(rf"{name}(?::| at (\S+))? (.+)\Z", text)
    if m is not None:
        where, rest = m.group(1), m.group(2)
        return f"{rest} (at {where})" if where else rest
    return re.sub(rf"\b{name} at ", "", text)


class ConnectionProblem(VaultError):
    """Settings that do not work: the provider's state and why (never a credential)."""

    def __init__(self, provider: str, status: str, detail: str) -> None:
        super().__init__(f"{PROVIDERS[provider]} {state_text(status, detail)}; nothing was saved")
        self.status = status
        self.detail = detail


async def verify_config(
    provider: str, config: Mapping[str, str], timeout: float, *, factory: ProviderFactory
) -> None:
    """Raise a VaultError saying why these settings do not work (used by connect)."""
    p = factory(provider, config, timeout=timeout)
    try:
        await asyncio.wait_for(p.verify(), timeout)
    except TimeoutError:
        raise ConnectionProblem(provider, UNREACHABLE, f"no answer within {timeout:g} s") from None
    except FetchError as e:
        status = NEEDS_REAUTH if e.reason is Reason.NEEDS_REAUTH else UNREACHABLE
        detail = without_provider(provider, e.message)
        raise ConnectionProblem(provider, status, detail) from None
    except VaultError:
        raise
    except Exception as e:
        detail = f"cannot connect ({type(e).__name__})"
        raise ConnectionProblem(provider, UNREACHABLE, detail) from None
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
            row["status"], row["detail"] = NOT_CONNECTED, ""
            return row
        if not check:
            row["status"], row["detail"] = CONNECTED, "not checked"
            return row
        try:
            await verify_config(provider, config, timeout, factory=factory)
            row["status"], row["detail"] = CONNECTED, "credentials accepted"
        except ConnectionProblem as e:
            row["status"], row["detail"] = e.status, e.detail
        except VaultError as e:
            row["status"], row["detail"] = UNREACHABLE, e.message
        return row

    return list(await asyncio.gather(*(one(p) for p in PROVIDERS)))

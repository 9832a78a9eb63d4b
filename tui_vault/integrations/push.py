"""Promoting a local secret to an external vault (`push`, "Move to HashiCorp/AWS…").

A provider that can write implements `Writable.push`: it writes one value where the link
points, keeping whatever else is stored there (other keys at a HashiCorp path, other JSON
keys of an AWS secret), and refuses to replace a different value unless forced. The value
goes to the SDK only: never argv, never a message.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from tui_vault.core.cache import Cache
from tui_vault.core.errors import VaultError
from tui_vault.core.model import Link, Reason
from tui_vault.core.providers import FetchError, ProviderFailure

if TYPE_CHECKING:
    from tui_vault.core.model import VaultData
    from tui_vault.core.vault import Vault

PushOutcome = Literal["created", "updated", "unchanged"]
PUSH_PROVIDERS = ("hashicorp", "aws")


class PushConflict(ProviderFailure):
    """The target already holds a different value (or changed while we wrote)."""


@runtime_checkable
class Writable(Protocol):
    async def push(self, link: Link, value: str, *, force: bool = False) -> PushOutcome: ...


async def push_secret(
    vault: Vault, name: str, link: Link, *, force: bool, timeout: float
) -> PushOutcome:
    """Write NAME's local value where `link` points, then link NAME to it and cache the value.

    Refuses (exit 1) an unknown name, a linked secret (it has no local value), a provider
    that is not connected, and a different value already there unless `force`."""
    from tui_vault.core.model import PROVIDERS
    from tui_vault.integrations.registry import make_provider

    secret = vault.get(name)
    if secret.link is not None:
        raise VaultError(
            f"{name} is linked to {PROVIDERS[secret.link.provider]}: it has no local value to push"
        )
    value = secret.value
    config = vault.data.integrations.get(link.provider)
    if config is None:
        raise VaultError(
            f"{PROVIDERS[link.provider]} is not connected (Settings → Integrations, or "
            f"`tui-vault integration connect {link.provider}`)"
        )
    provider = make_provider(link.provider, config, timeout=timeout)
    try:
        if not isinstance(provider, Writable):  # pragma: no cover - PUSH_PROVIDERS can write
            raise VaultError(f"{provider.label} cannot be written to")
        try:
            # A read, then a write: twice the time one fetch may take.
            outcome = await asyncio.wait_for(provider.push(link, value, force=force), 2 * timeout)
        except TimeoutError:
            raise FetchError(
                Reason.TIMED_OUT,
                f"{provider.label} did not answer in time; check there before retrying",
            ) from None
    finally:
        provider.close()

    def relink(data: VaultData) -> None:
        # Linked only if nothing changed NAME meanwhile (still local, same value).
        current = data.secrets.get(name)
        if current is None or current.link is not None or current.value != value:
            raise VaultError(f"{name} changed while it was pushed; it was not linked")
        data.secrets[name] = current.touched(link=link, value="")

    def save() -> None:
        vault.change(relink)
        with contextlib.suppress(VaultError, OSError):  # the next use would fetch it anyway
            Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id).put_many(
                {link.fingerprint: value}
            )

    await asyncio.to_thread(save)  # file I/O under the vault's lock: off the event loop
    return outcome

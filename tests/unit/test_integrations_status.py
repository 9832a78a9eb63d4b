"""Integration status rows and connect-time checks, with fake providers (no server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import pytest

from tui_vault.core.errors import VaultError
from tui_vault.core.integrations_status import integration_statuses, public_settings, verify_config
from tui_vault.core.model import Link
from tui_vault.core.vault import Vault
from tui_vault.integrations import registry
from tui_vault.integrations.base import NeedsReauth, Provider

MARKER = "MARKER-7f3a9c-SECRET"


class Fake(Provider):
    name = "aws"
    label = "Fake"
    behaviour = "ok"
    closed = 0

    async def fetch(self, link: Link) -> str:
        return "v"

    async def verify(self) -> None:
        if self.behaviour == "reauth":
            raise NeedsReauth("token rejected")
        if self.behaviour == "hang":
            await asyncio.sleep(3600)
        if self.behaviour == "boom":
            raise RuntimeError(MARKER)

    def close(self) -> None:
        Fake.closed += 1


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[Fake]:
    def make(name: str, config: Mapping[str, str], **kw: Any) -> Provider:
        return Fake(config)

    monkeypatch.setattr(registry, "make_provider", make)
    Fake.behaviour, Fake.closed = "ok", 0
    return Fake


async def test_verify_config_outcomes(fake: type[Fake]) -> None:
    await verify_config("aws", {}, 1, factory=registry.make_provider)
    for behaviour, words in (
        ("reauth", "needs re-authentication"),
        ("hang", "no answer within 0.05 s"),
        ("boom", "cannot connect (RuntimeError)"),
    ):
        fake.behaviour = behaviour
        with pytest.raises(VaultError) as info:
            await verify_config("aws", {}, 0.05, factory=registry.make_provider)
        assert words in str(info.value) and "nothing was saved" in str(info.value)
        assert MARKER not in str(info.value)
    assert fake.closed == 4


async def test_statuses_show_public_settings_only(vault: Vault, fake: type[Fake]) -> None:
    vault.set_integration("hashicorp", {"url": "http://h:8200", "auth": "token", "token": MARKER})
    vault.link("L", Link("hashicorp", {"engine": "secret", "path": "p", "key": "k"}))
    rows = await integration_statuses(vault, check=False, timeout=1, factory=registry.make_provider)
    assert MARKER not in json.dumps(rows)
    by = {r["provider"]: r for r in rows}
    assert set(by) == {"hashicorp", "aws", "azure", "1password"}
    assert by["hashicorp"]["connected"] and by["hashicorp"]["linked_secrets"] == 1
    assert by["hashicorp"]["settings"] == {"url": "http://h:8200", "auth": "token"}
    assert by["aws"]["status"] == "not connected"
    fake.behaviour = "reauth"
    rows = await integration_statuses(vault, check=True, timeout=1, factory=registry.make_provider)
    assert {r["provider"]: r["status"] for r in rows}["hashicorp"] == "needs re-authentication"


def test_public_settings() -> None:
    cfg = {"url": "u", "token": "t", "secret_access_key": "s", "client_secret": "c", "region": "r"}
    assert public_settings(cfg) == {"url": "u", "region": "r"}

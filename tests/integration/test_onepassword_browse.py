"""OnePasswordProvider.browse at the SDK boundary: a fake client with the SDK's
`vaults.list`, `items.list` and `items.get` shape, answering the SDK's own pydantic types
(VaultOverview, ItemOverview, Item with fields and sections). Field values are in the fake,
as the service returns them, and must never come out of a listing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from onepassword.types import (
    Item,
    ItemCategory,
    ItemField,
    ItemFieldType,
    ItemOverview,
    ItemSection,
    ItemState,
    VaultOverview,
    VaultType,
)

from tui_vault.core.model import Reason
from tui_vault.integrations.base import FetchError, NeedsReauth, ProviderFailure
from tui_vault.integrations.onepassword import OnePasswordProvider, validate_ref
from tui_vault.integrations.registry import make_provider

pytestmark = pytest.mark.timeout(60)

TOKEN = "ops_fake-service-account-token"
NOW = "2026-01-01T00:00:00Z"  # RFC 3339, as the service sends it
VALUE = "OP-FIELD-VALUE-never-listed"


def vault(vid: str, title: str) -> VaultOverview:
    return VaultOverview(
        id=vid,
        title=title,
        description="",
        vault_type=VaultType.EVERYONE,
        active_item_count=1,
        content_version=1,
        attribute_version=1,
        created_at=NOW,
        updated_at=NOW,
    )


def overview(iid: str, title: str, vid: str) -> ItemOverview:
    return ItemOverview(
        id=iid,
        title=title,
        category=ItemCategory.LOGIN,
        vault_id=vid,
        websites=[],
        tags=[],
        created_at=NOW,
        updated_at=NOW,
        state=ItemState.ACTIVE,
    )


def field(fid: str, title: str, section: str | None = None) -> ItemField:
    return ItemField(
        id=fid, title=title, section_id=section, field_type=ItemFieldType.CONCEALED, value=VALUE
    )


class FakeVaults:
    def __init__(self, owner: FakeClient) -> None:
        self.owner = owner

    async def list(self, params: Any = None) -> list[VaultOverview]:
        self.owner.calls.append("vaults.list")
        if self.owner.fail is not None:
            raise self.owner.fail
        await asyncio.sleep(self.owner.delay)
        return [vault("v1", "Dev"), vault("v2", "Ops"), vault("v3", "Ops")]


class FakeItems:
    def __init__(self, owner: FakeClient) -> None:
        self.owner = owner

    async def list(self, vault_id: str, *filters: Any) -> list[ItemOverview]:
        self.owner.calls.append(f"items.list {vault_id}")
        if vault_id != "v1":
            return []
        return [overview("i1", "Database", "v1"), overview("i2", "a/b item", "v1")]

    async def get(self, vault_id: str, item_id: str) -> Item:
        self.owner.calls.append(f"items.get {vault_id} {item_id}")
        return Item(
            id=item_id,
            title="Database",
            category=ItemCategory.LOGIN,
            vault_id=vault_id,
            fields=[
                field("username", "username"),
                field("password", "password"),
                field("f3", "port", "s1"),
                field("f4", "password", "s1"),  # same title as a top-level field
            ],
            sections=[ItemSection(id="s1", title="Connection")],
            notes="",
            tags=[],
            websites=[],
            version=1,
            files=[],
            created_at=NOW,
            updated_at=NOW,
        )


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail: BaseException | None = None
        self.delay = 0.0
        self.vaults = FakeVaults(self)
        self.items = FakeItems(self)


def provider(client: FakeClient, timeout: float = 5.0) -> OnePasswordProvider:
    async def factory(token: str) -> FakeClient:
        assert token == TOKEN
        return client

    p = make_provider("1password", {"token": TOKEN}, timeout=timeout, client_factory=factory)
    assert isinstance(p, OnePasswordProvider)
    return p


async def test_vaults_items_fields() -> None:
    client = FakeClient()
    p = provider(client)
    vaults = await p.browse("")
    # A title shared by two vaults is not a usable reference segment: its id is used.
    assert [(e.name, e.path) for e in vaults.entries] == [
        ("Dev", "op://Dev"),
        ("Ops", "op://v2"),
        ("Ops", "op://v3"),
    ]
    items = await p.browse("op://Dev")
    assert [(e.name, e.path) for e in items.entries] == [
        ("a/b item", "op://Dev/i2"),  # a '/' cannot stand in a reference: the id is used
        ("Database", "op://Dev/Database"),
    ]
    fields = await p.browse("op://Dev/Database")
    refs = [(e.name, e.detail, e.link["ref"] if e.link else "") for e in fields.entries]
    assert refs == [
        ("username", "", "op://Dev/Database/username"),
        ("password", "", "op://Dev/Database/password"),
        ("port", "Connection", "op://Dev/Database/Connection/port"),
        ("password", "Connection", "op://Dev/Database/Connection/password"),
    ]
    for _, _, ref in refs:
        validate_ref(ref)  # the SDK's own parser accepts every reference a leaf gives
    assert VALUE not in repr(fields)
    assert client.calls[-1] == "items.get v1 i1"


async def test_filter_and_lookup_by_id() -> None:
    p = provider(FakeClient())
    assert [e.name for e in (await p.browse("op://v1", name_filter="data")).entries] == ["Database"]
    assert len((await p.browse("op://v1/i1")).entries) == 4


async def test_unknown_and_ambiguous_vaults_are_clear_errors() -> None:
    p = provider(FakeClient())
    with pytest.raises(ProviderFailure, match="could not find vault 'Nope'"):
        await p.browse("op://Nope")
    with pytest.raises(ProviderFailure, match="more than one 1Password vault"):
        await p.browse("op://Ops")
    with pytest.raises(ProviderFailure, match="op://VAULT"):
        await p.browse("Dev/Database")


async def test_sdk_errors_are_classified_without_their_text() -> None:
    client = FakeClient()
    p = provider(client)
    client.fail = Exception("invalid service account token: secret-detail-123")
    with pytest.raises(NeedsReauth) as info:
        await p.browse("")
    assert "secret-detail-123" not in info.value.message
    client.fail = Exception("network error: connection refused")
    with pytest.raises(FetchError) as unreachable:
        await p.browse("")
    assert getattr(unreachable.value, "unreachable", False)


async def test_slow_service_times_out() -> None:
    client = FakeClient()
    client.delay = 5
    p = provider(client, timeout=0.2)
    with pytest.raises(FetchError) as info:
        await p.browse("")
    assert info.value.reason is Reason.TIMED_OUT

"""Browsing (never values) and pushing, provider by provider, against the real servers:
OpenBao (mounts, nested folders, KV v1 and v2, a token whose policy forbids LIST), moto
(many secrets across pages, a name filter, JSON keys) and the Azure emulator (secrets and
versions, a page at a time)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tui_vault.core.model import Link
from tui_vault.integrations.aws import AwsProvider
from tui_vault.integrations.azure import AzureProvider
from tui_vault.integrations.base import FetchError, ProviderFailure
from tui_vault.integrations.browse import BrowseDenied, Listing
from tui_vault.integrations.hashicorp import HashiCorpProvider
from tui_vault.integrations.push import PushConflict
from tui_vault.integrations.registry import make_provider, validate_link

from .servers import AzureKeyVaultEmulator, MotoServer, OpenBaoServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def names(listing: Listing) -> list[str]:
    return [e.name for e in listing.entries]


def hc(config: dict[str, str]) -> HashiCorpProvider:
    p = make_provider("hashicorp", config, timeout=5)
    assert isinstance(p, HashiCorpProvider)
    return p


# ----------------------------------------------------------------------------- HashiCorp


@pytest.fixture(scope="module")
def tree(openbao: OpenBaoServer) -> dict[str, str]:
    """KV v2 at secret/ and KV v1 at a fresh mount, with nested folders, under a fresh tag."""
    tag = uuid.uuid4().hex[:8]
    v1 = f"old-{tag}"
    openbao.ensure_kv(v1, 1)
    openbao.put("secret", f"b-{tag}/app", {"password": "BROWSE-VALUE-1", "user": "svc"})
    openbao.put("secret", f"b-{tag}/team/db/main", {"dsn": "BROWSE-VALUE-2"})
    openbao.put("secret", f"b-{tag}/team/api", {"token": "BROWSE-VALUE-3"})
    openbao.put(v1, "legacy/cfg", {"k1": "BROWSE-VALUE-4", "k2": "x"})
    return {"tag": tag, "v1": v1}


async def test_hashicorp_mounts_show_kv_versions(
    openbao: OpenBaoServer, tree: dict[str, str]
) -> None:
    p = hc(openbao.provider_config())
    listing = await p.browse("")
    kinds = {e.name: e.detail for e in listing.entries}
    assert kinds["secret/"] == "KV v2"
    assert kinds[f"{tree['v1']}/"] == "KV v1"
    assert "sys/" not in kinds and "cubbyhole/" not in kinds  # only KV engines
    assert all(e.kind == "mount" and e.path == e.name for e in listing.entries)


async def test_hashicorp_nested_folders_and_keys_v2(
    openbao: OpenBaoServer, tree: dict[str, str]
) -> None:
    p = hc(openbao.provider_config())
    top = await p.browse(f"secret/b-{tree['tag']}/")
    assert [(e.name, e.kind) for e in top.entries] == [("app", "secret"), ("team/", "folder")]
    team = await p.browse(next(e.path for e in top.entries if e.name == "team/"))
    assert [(e.name, e.kind) for e in team.entries] == [("api", "secret"), ("db/", "folder")]
    db = await p.browse(team.entries[1].path)
    assert names(db) == ["main"]
    keys = await p.browse(db.entries[0].path)
    assert [(e.name, e.kind) for e in keys.entries] == [("dsn", "key")]
    link = keys.entries[0].link
    assert link == {"engine": "secret", "path": f"b-{tree['tag']}/team/db/main", "key": "dsn"}
    # The link a leaf gives resolves to the value the server holds; the listing holds none.
    assert "BROWSE-VALUE" not in repr(keys)
    assert await p.fetch(validate_link("hashicorp", dict(link))) == "BROWSE-VALUE-2"
    # A folder typed without its slash is listed too.
    assert names(await p.browse(f"secret/b-{tree['tag']}/team")) == ["api", "db/"]


async def test_hashicorp_kv_v1_folders_and_keys(
    openbao: OpenBaoServer, tree: dict[str, str]
) -> None:
    p = hc(openbao.provider_config())
    root = await p.browse(f"{tree['v1']}/")
    assert names(root) == ["legacy/"]
    cfg = await p.browse(f"{tree['v1']}/legacy/cfg")
    assert names(cfg) == ["k1", "k2"]
    assert cfg.entries[0].link == {"engine": tree["v1"], "path": "legacy/cfg", "key": "k1"}
    assert names(await p.browse(f"{tree['v1']}/legacy/cfg", name_filter="K2")) == ["k2"]


async def test_hashicorp_policy_without_list_is_denied_per_node(
    openbao: OpenBaoServer, tree: dict[str, str]
) -> None:
    tag = tree["tag"]
    policy = openbao.policy(
        f"read-only-{tag}", f"secret/data/b-{tag}/*", "sys/internal/ui/mounts/*"
    )
    p = hc(openbao.provider_config(token=openbao.token(policy)))
    with pytest.raises(BrowseDenied) as info:
        await p.browse(f"secret/b-{tag}/")
    assert "not allowed to list" in info.value.message
    assert "type the path" in info.value.message
    # The same token can still read a secret whose path is typed, and see its keys.
    assert names(await p.browse(f"secret/b-{tag}/app")) == ["password", "user"]
    # Mounts: no read on sys/mounts, so the token's visible mounts are listed instead.
    assert "secret/" in names(await p.browse(""))


async def test_hashicorp_push_v2_keeps_other_keys_and_uses_cas(
    openbao: OpenBaoServer, tree: dict[str, str]
) -> None:
    p = hc(openbao.provider_config())
    path = f"b-{tree['tag']}/push/v2"
    link = validate_link("hashicorp", {"engine": "secret", "path": path, "key": "a"})
    assert await p.push(link, "PUSHED-A") == "created"
    other = validate_link("hashicorp", {"engine": "secret", "path": path, "key": "b"})
    assert await p.push(other, "PUSHED-B") == "created"
    stored = openbao.client().secrets.kv.v2.read_secret_version(
        path=path, mount_point="secret", raise_on_deleted_version=True
    )
    assert stored["data"]["data"] == {"a": "PUSHED-A", "b": "PUSHED-B"}
    assert stored["data"]["metadata"]["version"] == 2
    assert await p.push(link, "PUSHED-A") == "unchanged"
    with pytest.raises(PushConflict) as info:
        await p.push(link, "PUSHED-OTHER")
    assert "PUSHED" not in info.value.message and "--force" in info.value.message
    assert await p.push(link, "PUSHED-OTHER", force=True) == "updated"
    stored = openbao.client().secrets.kv.v2.read_secret_version(
        path=path, mount_point="secret", raise_on_deleted_version=True
    )
    assert stored["data"]["data"] == {"a": "PUSHED-OTHER", "b": "PUSHED-B"}


async def test_hashicorp_push_v2_check_and_set_refuses_a_concurrent_write(
    openbao: OpenBaoServer, tree: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = hc(openbao.provider_config())
    path = f"b-{tree['tag']}/push/race"
    openbao.put("secret", path, {"x": "1"})
    client, _ = p._session()
    kv2 = client.secrets.kv.v2
    read = kv2.read_secret_version

    def read_then_someone_writes(**kw: Any) -> Any:
        answer = read(**kw)
        openbao.put("secret", path, {"x": "2"})  # lands between our read and our write
        return answer

    monkeypatch.setattr(kv2, "read_secret_version", read_then_someone_writes)
    link = validate_link("hashicorp", {"engine": "secret", "path": path, "key": "y"})
    with pytest.raises(PushConflict) as info:
        await p.push(link, "PUSHED-RACE")
    assert "changed while writing" in info.value.message
    monkeypatch.undo()
    stored = openbao.client().secrets.kv.v2.read_secret_version(
        path=path, mount_point="secret", raise_on_deleted_version=True
    )
    assert stored["data"]["data"] == {"x": "2"}  # the other writer's version is intact


async def test_hashicorp_push_v1_keeps_other_keys(
    openbao: OpenBaoServer, tree: dict[str, str]
) -> None:
    p = hc(openbao.provider_config())
    link = validate_link("hashicorp", {"engine": tree["v1"], "path": "legacy/cfg", "key": "k3"})
    assert await p.push(link, "PUSHED-V1") == "created"
    stored = openbao.client().secrets.kv.v1.read_secret(path="legacy/cfg", mount_point=tree["v1"])
    assert stored["data"] == {"k1": "BROWSE-VALUE-4", "k2": "x", "k3": "PUSHED-V1"}
    with pytest.raises(PushConflict):
        await p.push(validate_link("hashicorp", {**dict(link.params), "key": "k1"}), "new")


async def test_hashicorp_browse_unreachable_is_a_clear_error() -> None:
    p = hc({"url": "http://127.0.0.1:9", "auth": "token", "token": "t"})
    with pytest.raises(FetchError) as info:
        await p.browse("")
    assert "cannot reach" in info.value.message
    assert getattr(info.value, "unreachable", False)


# ----------------------------------------------------------------------------- AWS


def aws(moto: MotoServer) -> AwsProvider:
    p = make_provider("aws", moto.provider_config(), timeout=10)
    assert isinstance(p, AwsProvider)
    return p


@pytest.fixture(scope="module")
def many(moto: MotoServer) -> str:
    """250 secrets under one fresh prefix (three pages of 100) and one JSON secret."""
    tag = uuid.uuid4().hex[:8]
    sm = moto.client("secretsmanager")
    for i in range(250):
        sm.create_secret(Name=f"pg-{tag}/s{i:03d}", SecretString=f"AWS-VALUE-{i}")
    sm.create_secret(
        Name=f"json-{tag}/db",
        SecretString=json.dumps({"user": "app", "password": "AWS-JSON-VALUE", "port": 5432}),
    )
    return tag


async def test_aws_lists_secrets_page_by_page_with_a_name_filter(
    moto: MotoServer, many: str
) -> None:
    p = aws(moto)
    seen: list[str] = []
    page: str | None = None
    pages = 0
    while True:
        listing = await p.browse("", page=page, name_filter=f"pg-{many}")
        pages += 1
        seen += names(listing)
        page = listing.next_page
        if page is None:
            break
    assert pages == 3
    assert sorted(seen) == [f"pg-{many}/s{i:03d}" for i in range(250)]
    assert all(e.kind == "secret" and e.path == e.name for e in listing.entries)


async def test_aws_json_keys_on_request_never_values(moto: MotoServer, many: str) -> None:
    p = aws(moto)
    listing = await p.browse(f"json-{many}/db")
    assert names(listing) == ["(whole value)", "password", "port", "user"]
    assert listing.entries[1].link == {"secret_id": f"json-{many}/db", "json_key": "password"}
    assert listing.entries[0].link == {"secret_id": f"json-{many}/db"}
    assert "AWS-JSON-VALUE" not in repr(listing)
    plain = await p.browse(f"pg-{many}/s001")
    assert names(plain) == ["(whole value)"]


async def test_aws_list_denied_for_a_user_without_list(moto: MotoServer) -> None:
    key_id, secret = moto.user(f"nolist-{uuid.uuid4().hex[:6]}", ["secretsmanager:GetSecretValue"])
    p = make_provider(
        "aws",
        moto.provider_config(access_key_id=key_id, secret_access_key=secret),
        timeout=10,
    )
    assert isinstance(p, AwsProvider)
    with pytest.raises(BrowseDenied):
        await p.browse("")


async def test_aws_push_creates_updates_and_keeps_other_json_keys(
    moto: MotoServer, many: str
) -> None:
    p = aws(moto)
    sm = moto.client("secretsmanager")
    plain = validate_link("aws", {"secret_id": f"push-{many}/plain"})
    assert await p.push(plain, "AWS-PUSH-1") == "created"
    assert sm.get_secret_value(SecretId=f"push-{many}/plain")["SecretString"] == "AWS-PUSH-1"
    with pytest.raises(PushConflict):
        await p.push(plain, "AWS-PUSH-2")
    assert await p.push(plain, "AWS-PUSH-2", force=True) == "updated"

    keyed = validate_link("aws", {"secret_id": f"json-{many}/db", "json_key": "api"})
    assert await p.push(keyed, "AWS-PUSH-API") == "created"
    doc = json.loads(sm.get_secret_value(SecretId=f"json-{many}/db")["SecretString"])
    assert doc == {"user": "app", "password": "AWS-JSON-VALUE", "port": 5432, "api": "AWS-PUSH-API"}
    with pytest.raises(PushConflict):
        await p.push(validate_link("aws", {**dict(keyed.params), "json_key": "user"}), "x")

    new_json = validate_link("aws", {"secret_id": f"push-{many}/json", "json_key": "k"})
    assert await p.push(new_json, "AWS-PUSH-K") == "created"
    assert json.loads(sm.get_secret_value(SecretId=f"push-{many}/json")["SecretString"]) == {
        "k": "AWS-PUSH-K"
    }


async def test_aws_push_json_key_into_a_plain_secret_is_refused(
    moto: MotoServer, many: str
) -> None:
    p = aws(moto)
    link = validate_link("aws", {"secret_id": f"pg-{many}/s002", "json_key": "k"})
    with pytest.raises(ProviderFailure) as info:
        await p.push(link, "AWS-PUSH-X")
    assert "not a JSON object" in info.value.message and "nothing was changed" in info.value.message
    sm = moto.client("secretsmanager")
    assert sm.get_secret_value(SecretId=f"pg-{many}/s002")["SecretString"] == "AWS-VALUE-2"


# ----------------------------------------------------------------------------- Azure


def az(emu: AzureKeyVaultEmulator) -> AzureProvider:
    p = make_provider("azure", emu.provider_config(), timeout=10)
    assert isinstance(p, AzureProvider)
    return p


async def test_azure_lists_secrets_across_pages_and_versions(
    azure_vault: AzureKeyVaultEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:6]
    for i in range(7):
        azure_vault.set_secret(f"br-{tag}-{i}", f"AZ-VALUE-{i}")
    v1 = azure_vault.set_secret(f"ver-{tag}", "AZ-OLD")
    v2 = azure_vault.set_secret(f"ver-{tag}", "AZ-NEW")
    monkeypatch.setattr(azure_vault, "page_size", 3)
    p = az(azure_vault)
    seen: list[str] = []
    page: str | None = None
    pages = 0
    while True:
        listing = await p.browse(azure_vault.vault_url, page=page, name_filter=f"br-{tag}")
        seen += names(listing)
        pages += 1
        page = listing.next_page
        if page is None:
            break
    assert sorted(seen) == [f"br-{tag}-{i}" for i in range(7)]
    assert pages > 2  # the emulator's nextLink was followed
    versions = await p.browse(azure_vault.secret_id(f"ver-{tag}"))
    assert versions.entries[0].name == "(latest)"
    assert versions.entries[0].link == {"secret_id": azure_vault.secret_id(f"ver-{tag}")}
    assert {e.name for e in versions.entries[1:]} == {v1, v2}
    chosen = next(e for e in versions.entries if e.name == v1)
    assert chosen.link is not None
    assert await p.fetch(Link("azure", dict(chosen.link))) == "AZ-OLD"
    assert "AZ-OLD" not in repr(versions) and "AZ-NEW" not in repr(versions)


async def test_azure_list_forbidden_is_denied_per_node(
    azure_vault: AzureKeyVaultEmulator,
) -> None:
    p = az(azure_vault)
    await p.browse(azure_vault.vault_url)  # signs in
    azure_vault.set_mode("forbidden")
    with pytest.raises(BrowseDenied) as info:
        await p.browse(azure_vault.vault_url)
    assert "type the path" in info.value.message


async def test_azure_browse_needs_a_vault_url(azure_vault: AzureKeyVaultEmulator) -> None:
    p = az(azure_vault)
    for bad in ("", "http://x.vault.azure.net", "https://x.vault.azure.net/keys/a"):
        with pytest.raises(ProviderFailure) as info:
            await p.browse(bad)
        assert "vault URL" in info.value.message

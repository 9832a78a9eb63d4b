"""HashiCorpProvider against a real OpenBao dev server (the Vault API), plus injected faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tui_vault.core.model import Link, Reason
from tui_vault.integrations.base import FetchError, NeedsReauth
from tui_vault.integrations.hashicorp import HashiCorpProvider
from tui_vault.integrations.registry import make_provider, validate_link

from .proxy import FaultProxy, Mode
from .servers import OpenBaoServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
def bao(openbao: OpenBaoServer) -> OpenBaoServer:
    """Seed: KV v2 at secret/, KV v1 at kv1/, a read policy, an AppRole and a userpass user."""
    openbao.ensure_kv("kv1", 1)
    openbao.put("secret", "app", {"password": "v2-pass", "port": 5432, "opts": {"tls": True}})
    openbao.put("secret", "team/db", {"user": "admin"})
    openbao.put("kv1", "app", {"password": "v1-pass"})
    openbao.policy("app-read", "secret/data/app", "kv1/app")
    openbao.userpass("alice", "alice-password", "app-read")
    return openbao


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as pool:
        yield pool


def link(engine: str, path: str, key: str) -> Link:
    return validate_link("hashicorp", {"engine": engine, "path": path, "key": key})


def provider(
    config: dict[str, str], executor: ThreadPoolExecutor | None = None, timeout: float = 5.0
) -> HashiCorpProvider:
    p = make_provider("hashicorp", config, executor=executor, timeout=timeout)
    assert isinstance(p, HashiCorpProvider)
    return p


async def fails(p: HashiCorpProvider, lnk: Link, reason: Reason) -> FetchError:
    with pytest.raises(FetchError) as info:
        await p.fetch(lnk)
    assert info.value.reason == reason, str(info.value)
    return info.value


# ----------------------------------------------------------------------------- happy paths


async def test_token_auth_reads_kv_v2_and_v1(bao: OpenBaoServer) -> None:
    p = provider(bao.provider_config())
    assert await p.fetch(link("secret", "app", "password")) == "v2-pass"
    assert await p.fetch(link("kv1", "app", "password")) == "v1-pass"
    await p.verify()
    p.close()


async def test_non_string_values_come_back_as_json(bao: OpenBaoServer) -> None:
    p = provider(bao.provider_config())
    assert await p.fetch(link("secret", "app", "port")) == "5432"
    assert await p.fetch(link("secret", "app", "opts")) == '{"tls": true}'


async def test_engine_may_name_a_folder_inside_the_mount(bao: OpenBaoServer) -> None:
    p = provider(bao.provider_config())
    assert await p.fetch(link("secret/team", "db", "user")) == "admin"
    assert await p.fetch(link("secret", "team/db", "user")) == "admin"


async def test_approle_login(bao: OpenBaoServer) -> None:
    role_id, secret_id = bao.approle("app", "app-read")
    p = provider(
        bao.provider_config(auth="approle", token="", role_id=role_id, secret_id=secret_id)
    )
    await p.verify()
    assert await p.fetch(link("secret", "app", "password")) == "v2-pass"
    assert await p.fetch(link("kv1", "app", "password")) == "v1-pass"


async def test_userpass_login(bao: OpenBaoServer) -> None:
    p = provider(
        bao.provider_config(auth="userpass", token="", username="alice", password="alice-password")
    )
    assert await p.fetch(link("secret", "app", "password")) == "v2-pass"


async def test_namespace(bao: OpenBaoServer) -> None:
    bao.namespace("team1")
    bao.ensure_kv("nskv", 2, namespace="team1")
    bao.put("nskv", "svc", {"key": "in-namespace"}, namespace="team1")
    inside = provider(bao.provider_config(namespace="team1"))
    assert await inside.fetch(link("nskv", "svc", "key")) == "in-namespace"
    outside = provider(bao.provider_config())
    await fails(outside, link("nskv", "svc", "key"), Reason.PROVIDER_ERROR)


# ----------------------------------------------------------------------------- not found


async def test_missing_path_key_and_engine(bao: OpenBaoServer) -> None:
    p = provider(bao.provider_config())
    e = await fails(p, link("secret", "no/such/path", "password"), Reason.PROVIDER_ERROR)
    assert "not found" in str(e) and "secret/no/such/path" in str(e)
    e = await fails(p, link("kv1", "missing", "password"), Reason.PROVIDER_ERROR)
    assert "not found" in str(e)
    e = await fails(p, link("secret", "app", "nokey"), Reason.PROVIDER_ERROR)
    assert "'nokey'" in str(e)
    e = await fails(p, link("nomount", "app", "k"), Reason.PROVIDER_ERROR)
    assert "nomount" in str(e)


async def test_deleted_kv_v2_version_is_not_found(bao: OpenBaoServer) -> None:
    bao.put("secret", "soon-deleted", {"k": "v"})
    p = provider(bao.provider_config())
    assert await p.fetch(link("secret", "soon-deleted", "k")) == "v"
    bao.client().secrets.kv.v2.delete_latest_version_of_secret("soon-deleted", mount_point="secret")
    e = await fails(p, link("secret", "soon-deleted", "k"), Reason.PROVIDER_ERROR)
    assert "not found" in str(e)


async def test_engine_that_is_not_kv(bao: OpenBaoServer) -> None:
    p = provider(bao.provider_config())
    e = await fails(p, link("sys", "mounts", "x"), Reason.PROVIDER_ERROR)
    assert "not a KV" in str(e)


async def test_policy_denial_is_a_provider_error_not_reauth(bao: OpenBaoServer) -> None:
    """The token is fine (lookup-self works); re-authenticating would not help."""
    p = provider(bao.provider_config(token=bao.token("app-read")))
    assert await p.fetch(link("secret", "app", "password")) == "v2-pass"
    e = await fails(p, link("secret", "team/db", "user"), Reason.PROVIDER_ERROR)
    assert "permission denied" in str(e)


# ----------------------------------------------------------------------------- auth failures


async def test_revoked_token_needs_reauth(bao: OpenBaoServer) -> None:
    token = bao.token("app-read")
    p = provider(bao.provider_config(token=token))
    assert await p.fetch(link("secret", "app", "password")) == "v2-pass"
    bao.client().auth.token.revoke(token)
    e = await fails(p, link("secret", "app", "password"), Reason.NEEDS_REAUTH)
    assert isinstance(e, NeedsReauth)
    with pytest.raises(NeedsReauth):
        await p.verify()


async def test_unknown_token_needs_reauth(bao: OpenBaoServer) -> None:
    p = provider(bao.provider_config(token="hvs.not-a-real-token"))
    await fails(p, link("secret", "app", "password"), Reason.NEEDS_REAUTH)


async def test_bad_approle_and_userpass_logins_need_reauth(bao: OpenBaoServer) -> None:
    role_id, _ = bao.approle("app", "app-read")
    bad_role = provider(
        bao.provider_config(auth="approle", token="", role_id=role_id, secret_id="wrong")
    )
    await fails(bad_role, link("secret", "app", "password"), Reason.NEEDS_REAUTH)
    with pytest.raises(NeedsReauth):
        await bad_role.verify()
    bad_user = provider(
        bao.provider_config(auth="userpass", token="", username="alice", password="nope")
    )
    await fails(bad_user, link("secret", "app", "password"), Reason.NEEDS_REAUTH)


async def test_approle_logs_in_again_when_its_token_dies(
    bao: OpenBaoServer, make_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = make_proxy(bao.url)
    role_id, secret_id = bao.approle("relogin", "app-read")
    p = provider({"url": proxy.url, "auth": "approle", "role_id": role_id, "secret_id": secret_id})
    lnk = link("secret", "app", "password")
    assert await p.fetch(lnk) == "v2-pass"
    # Revoke every token issued so far for this role, as an expiry would.
    bao.client().auth.token.revoke(p._client.token)
    assert await p.fetch(lnk) == "v2-pass"
    logins = [t for t in proxy.stats.targets if t.endswith("/approle/login")]
    assert len(logins) == 2


async def test_concurrent_first_fetches_log_in_once(
    bao: OpenBaoServer, make_proxy: Callable[..., FaultProxy], executor: ThreadPoolExecutor
) -> None:
    proxy = make_proxy(bao.url, delay_ms=20)
    role_id, secret_id = bao.approle("many", "app-read")
    p = provider(
        {"url": proxy.url, "auth": "approle", "role_id": role_id, "secret_id": secret_id},
        executor,
    )
    links = [link("secret", "app", "password"), link("kv1", "app", "password")] * 8
    values = await asyncio.gather(*(p.fetch(lnk) for lnk in links))
    assert values == ["v2-pass", "v1-pass"] * 8
    targets = proxy.stats.targets
    assert sum(t.endswith("/approle/login") for t in targets) == 1
    assert proxy.stats.max_in_flight > 1  # the fetches really overlapped


async def test_kv_version_is_detected_once_per_mount(
    bao: OpenBaoServer, make_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = make_proxy(bao.url)
    p = provider(bao.provider_config(url=proxy.url))
    for _ in range(3):
        assert await p.fetch(link("secret", "app", "password")) == "v2-pass"
    mounts = [t for t in proxy.stats.targets if "/sys/internal/ui/mounts/" in t]
    assert mounts == ["GET /v1/sys/internal/ui/mounts/secret"]


async def test_tls_with_ca_bundle() -> None:
    with OpenBaoServer(tls=True) as server:
        server.put("secret", "x", {"k": "over-tls"})
        p = provider(server.provider_config())
        assert server.url.startswith("https://")
        assert await p.fetch(link("secret", "x", "k")) == "over-tls"
        config = server.provider_config()
        del config["ca_bundle"]
        untrusted = provider(config)
        e = await fails(untrusted, link("secret", "x", "k"), Reason.PROVIDER_ERROR)
        assert "TLS" in str(e)


# ----------------------------------------------------------------------------- faults


async def test_server_stopped_is_a_provider_error() -> None:
    with OpenBaoServer() as server:
        server.put("secret", "x", {"k": "v"})
        p = provider(server.provider_config(), timeout=2)
        assert await p.fetch(link("secret", "x", "k")) == "v"
    started = time.monotonic()
    e = await fails(p, link("secret", "x", "k"), Reason.PROVIDER_ERROR)
    assert "cannot reach" in str(e)
    assert time.monotonic() - started < 3


async def test_slow_server_times_out(
    bao: OpenBaoServer, make_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = make_proxy(bao.url)
    p = provider(bao.provider_config(url=proxy.url), timeout=0.5)
    lnk = link("secret", "app", "password")
    assert await p.fetch(lnk) == "v2-pass"
    proxy.set("forward", delay_ms=1500)
    started = time.monotonic()
    await fails(p, lnk, Reason.TIMED_OUT)
    assert time.monotonic() - started < 1.5
    proxy.reset()
    assert await p.fetch(lnk) == "v2-pass"  # recovers once the server is fast again


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("drop", Reason.PROVIDER_ERROR),
        ("garbage", Reason.PROVIDER_ERROR),
        ("status", Reason.NEEDS_REAUTH),  # 403 everywhere, lookup-self included
    ],
)
async def test_injected_faults(
    bao: OpenBaoServer, make_proxy: Callable[..., FaultProxy], mode: Mode, reason: Reason
) -> None:
    proxy = make_proxy(bao.url)
    p = provider(bao.provider_config(url=proxy.url), timeout=2)
    lnk = link("secret", "app", "password")
    assert await p.fetch(lnk) == "v2-pass"
    with proxy.fault(mode, status=403):
        await fails(p, lnk, reason)
    assert await p.fetch(lnk) == "v2-pass"


async def test_server_errors_are_provider_errors(
    bao: OpenBaoServer, make_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = make_proxy(bao.url)
    p = provider(bao.provider_config(url=proxy.url), timeout=2)
    with proxy.fault("status", status=503, body=b'{"errors":["Vault is sealed"]}'):
        e = await fails(p, link("secret", "app", "password"), Reason.PROVIDER_ERROR)
    assert "sealed or down" in str(e)


# ----------------------------------------------------------------------------- leaks


def assert_clean(marker: str, *things: object) -> None:
    for thing in things:
        assert marker not in str(thing)
        assert marker not in repr(thing)
        if isinstance(thing, BaseException):
            assert thing.__cause__ is None


async def test_no_secret_or_credential_in_errors(
    bao: OpenBaoServer, make_proxy: Callable[..., FaultProxy], leak_marker: str
) -> None:
    bao.put("secret", "leak", {"value": leak_marker, "other": "x"})
    proxy = make_proxy(bao.url)
    errors: list[object] = []
    good = provider(bao.provider_config(url=proxy.url), timeout=1)
    assert await good.fetch(link("secret", "leak", "value")) == leak_marker
    for lnk in (link("secret", "leak", "missing"), link("secret", "nope", "value")):
        with pytest.raises(FetchError) as info:
            await good.fetch(lnk)
        errors.append(info.value)
    for mode in ("garbage", "drop", "status"):
        with proxy.fault(mode, body=f'{{"errors":["{leak_marker}"]}}'.encode()):
            with pytest.raises(FetchError) as info:
                await good.fetch(link("secret", "leak", "value"))
            errors.append(info.value)
    with proxy.fault("forward", delay_ms=1500):
        with pytest.raises(FetchError) as info:
            await good.fetch(link("secret", "leak", "value"))
        errors.append(info.value)
    configs = [
        bao.provider_config(url=proxy.url, token=leak_marker),
        {"url": proxy.url, "auth": "approle", "role_id": "r", "secret_id": leak_marker},
        {"url": proxy.url, "auth": "userpass", "username": "alice", "password": leak_marker},
    ]
    for config in configs:
        p = provider(config, timeout=1)
        with pytest.raises(FetchError) as info:
            await p.fetch(link("secret", "leak", "value"))
        errors.append(info.value)
        errors.append(p)
    assert len(errors) == 12
    assert_clean(leak_marker, *errors, good)

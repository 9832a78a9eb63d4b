"""AwsProvider against a real moto server (IAM auth enforced), plus injected faults."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tui_vault.core.model import Link, Reason
from tui_vault.integrations.aws import AwsProvider
from tui_vault.integrations.base import FetchError, NeedsReauth
from tui_vault.integrations.registry import make_provider, validate_link

from .proxy import FaultProxy, Mode
from .servers import MotoServer, free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@dataclass(frozen=True)
class Seeded:
    plain: str
    plain_arn: str
    json_secret: str
    versioned: str
    first_version: str
    binary: str
    reader_role: str
    useless_role: str


@pytest.fixture(scope="module")
def seeded(moto: MotoServer) -> Seeded:
    sm = moto.client("secretsmanager")
    tag = uuid.uuid4().hex[:8]
    plain = sm.create_secret(Name=f"tv/{tag}/plain", SecretString="plain-value")
    sm.create_secret(
        Name=f"tv/{tag}/json",
        SecretString=json.dumps({"username": "app", "password": "json-pass", "port": 5432}),
    )
    first = sm.create_secret(Name=f"tv/{tag}/versioned", SecretString="one")
    sm.put_secret_value(SecretId=f"tv/{tag}/versioned", SecretString="two")
    sm.create_secret(Name=f"tv/{tag}/binary", SecretBinary=b"binary-text")
    return Seeded(
        plain=f"tv/{tag}/plain",
        plain_arn=plain["ARN"],
        json_secret=f"tv/{tag}/json",
        versioned=f"tv/{tag}/versioned",
        first_version=first["VersionId"],
        binary=f"tv/{tag}/binary",
        reader_role=moto.role(f"tv-reader-{tag}"),
        useless_role=moto.role(f"tv-useless-{tag}", "sqs:ListQueues"),
    )


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as pool:
        yield pool


def link(secret_id: str, **extra: str) -> Link:
    return validate_link("aws", {"secret_id": secret_id, **extra})


def provider(
    config: dict[str, str], executor: ThreadPoolExecutor | None = None, timeout: float = 5.0
) -> AwsProvider:
    p = make_provider("aws", config, executor=executor, timeout=timeout)
    assert isinstance(p, AwsProvider)
    return p


async def fails(p: AwsProvider, lnk: Link, reason: Reason) -> FetchError:
    with pytest.raises(FetchError) as info:
        await p.fetch(lnk)
    assert info.value.reason == reason, str(info.value)
    return info.value


# ----------------------------------------------------------------------------- values


async def test_plain_string_by_name_and_arn(moto: MotoServer, seeded: Seeded) -> None:
    p = provider(moto.provider_config())
    assert await p.fetch(link(seeded.plain)) == "plain-value"
    assert await p.fetch(link(seeded.plain_arn)) == "plain-value"
    await p.verify()
    p.close()


async def test_json_key(moto: MotoServer, seeded: Seeded) -> None:
    p = provider(moto.provider_config())
    assert await p.fetch(link(seeded.json_secret, json_key="password")) == "json-pass"
    assert await p.fetch(link(seeded.json_secret, json_key="port")) == "5432"
    e = await fails(p, link(seeded.json_secret, json_key="nope"), Reason.PROVIDER_ERROR)
    assert "'nope'" in str(e) and seeded.json_secret in str(e)
    e = await fails(p, link(seeded.plain, json_key="password"), Reason.PROVIDER_ERROR)
    assert "not a JSON object" in str(e)


async def test_versions(moto: MotoServer, seeded: Seeded) -> None:
    p = provider(moto.provider_config())
    assert await p.fetch(link(seeded.versioned)) == "two"
    assert await p.fetch(link(seeded.versioned, version_stage="AWSCURRENT")) == "two"
    assert await p.fetch(link(seeded.versioned, version_stage="AWSPREVIOUS")) == "one"
    assert await p.fetch(link(seeded.versioned, version_id=seeded.first_version)) == "one"
    await fails(p, link(seeded.versioned, version_id=str(uuid.uuid4())), Reason.PROVIDER_ERROR)


async def test_binary_secret_decoded_as_text(moto: MotoServer, seeded: Seeded) -> None:
    p = provider(moto.provider_config())
    assert await p.fetch(link(seeded.binary)) == "binary-text"


async def test_not_found(moto: MotoServer) -> None:
    p = provider(moto.provider_config())
    e = await fails(p, link("tv/does-not-exist"), Reason.PROVIDER_ERROR)
    assert str(e) == "secret not found: tv/does-not-exist"


async def test_many_links_at_once(
    moto: MotoServer,
    seeded: Seeded,
    make_proxy: Callable[..., FaultProxy],
    executor: ThreadPoolExecutor,
) -> None:
    proxy = make_proxy(moto.endpoint_url, delay_ms=30)
    p = provider(moto.provider_config(endpoint_url=proxy.url), executor)
    links = [
        link(seeded.plain),
        link(seeded.json_secret, json_key="username"),
        link(seeded.versioned, version_stage="AWSPREVIOUS"),
        link("tv/missing"),
    ]
    results = await p.fetch_many(links)
    assert [results[lnk.fingerprint] for lnk in links[:3]] == ["plain-value", "app", "one"]
    missing = results[links[3].fingerprint]
    assert isinstance(missing, FetchError) and missing.reason == Reason.PROVIDER_ERROR
    assert proxy.stats.max_in_flight > 1


# ----------------------------------------------------------------------------- roles


async def test_assume_role_and_cache_its_credentials(
    moto: MotoServer, seeded: Seeded, make_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = make_proxy(moto.endpoint_url)
    p = provider(moto.provider_config(endpoint_url=proxy.url))
    lnk = link(seeded.plain, role_arn=seeded.reader_role)
    assert await p.fetch(lnk) == "plain-value"
    assert proxy.stats.requests == 2  # AssumeRole + GetSecretValue
    assert await p.fetch(lnk) == "plain-value"
    assert await p.fetch(link(seeded.json_secret, role_arn=seeded.reader_role, json_key="port"))
    assert proxy.stats.requests == 4  # the assumed credentials were reused


async def test_concurrent_fetches_assume_a_role_once(
    moto: MotoServer,
    seeded: Seeded,
    make_proxy: Callable[..., FaultProxy],
    executor: ThreadPoolExecutor,
) -> None:
    proxy = make_proxy(moto.endpoint_url, delay_ms=30)
    p = provider(moto.provider_config(endpoint_url=proxy.url), executor)
    links = [
        link(seeded.plain, role_arn=seeded.reader_role),
        link(seeded.json_secret, role_arn=seeded.reader_role, json_key="username"),
        link(seeded.versioned, role_arn=seeded.reader_role),
        link(seeded.binary, role_arn=seeded.reader_role),
    ]
    results = await p.fetch_many(links)
    assert [results[lnk.fingerprint] for lnk in links] == [
        "plain-value",
        "app",
        "two",
        "binary-text",
    ]
    # One AssumeRole, shared by all. The role may only GetSecretValue, so its one
    # BatchGetSecretValue is refused and each link is read on its own
    # (tests/integration/test_aws_batch.py has the batches that are allowed).
    assert proxy.stats.requests == 1 + 1 + len(links)


async def test_role_without_permission_needs_reauth(moto: MotoServer, seeded: Seeded) -> None:
    p = provider(moto.provider_config())
    e = await fails(p, link(seeded.plain, role_arn=seeded.useless_role), Reason.NEEDS_REAUTH)
    assert seeded.plain in str(e)


# ----------------------------------------------------------------------------- credentials


async def test_unknown_access_key_needs_reauth(moto: MotoServer, seeded: Seeded) -> None:
    p = provider(moto.provider_config(access_key_id="AKIAUNKNOWNKEY000000"))
    await fails(p, link(seeded.plain), Reason.NEEDS_REAUTH)
    with pytest.raises(NeedsReauth):
        await p.verify()


async def test_wrong_secret_key_needs_reauth(moto: MotoServer, seeded: Seeded) -> None:
    p = provider(moto.provider_config(secret_access_key="not-the-right-secret"))
    await fails(p, link(seeded.plain), Reason.NEEDS_REAUTH)
    await fails(p, link(seeded.plain, role_arn=seeded.reader_role), Reason.NEEDS_REAUTH)


async def test_user_without_permission_needs_reauth(moto: MotoServer, seeded: Seeded) -> None:
    key_id, secret = moto.user(f"tv-nobody-{uuid.uuid4().hex[:6]}", "sqs:ListQueues")
    p = provider(moto.provider_config(access_key_id=key_id, secret_access_key=secret))
    await p.verify()  # the keys themselves are valid
    await fails(p, link(seeded.plain), Reason.NEEDS_REAUTH)


async def test_missing_profile_needs_reauth(moto: MotoServer, seeded: Seeded) -> None:
    p = provider(
        {"region": "us-east-1", "profile": "no-such-profile", "endpoint_url": moto.endpoint_url}
    )
    await fails(p, link(seeded.plain), Reason.NEEDS_REAUTH)


# ----------------------------------------------------------------------------- faults


async def test_nothing_listening_is_a_provider_error(seeded: Seeded) -> None:
    config = {
        "region": "us-east-1",
        "access_key_id": "AKIAX",
        "secret_access_key": "x",
        "endpoint_url": f"http://127.0.0.1:{free_port()}",
    }
    p = provider(config, timeout=1)
    e = await fails(p, link(seeded.plain), Reason.PROVIDER_ERROR)
    assert "cannot reach" in str(e)


async def test_slow_server_times_out(
    moto: MotoServer, seeded: Seeded, make_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = make_proxy(moto.endpoint_url)
    p = provider(moto.provider_config(endpoint_url=proxy.url), timeout=0.5)
    assert await p.fetch(link(seeded.plain)) == "plain-value"
    proxy.set("forward", delay_ms=2000)
    started = time.monotonic()
    await fails(p, link(seeded.plain), Reason.TIMED_OUT)
    assert time.monotonic() - started < 1.5  # no retry after a timeout
    proxy.reset()
    assert await p.fetch(link(seeded.plain)) == "plain-value"


@pytest.mark.parametrize(
    ("mode", "status"), [("drop", 0), ("status", 500), ("status", 503), ("status", 429)]
)
async def test_a_quick_transient_failure_is_retried_once(
    moto: MotoServer,
    seeded: Seeded,
    make_proxy: Callable[..., FaultProxy],
    mode: Mode,
    status: int,
) -> None:
    """A stale keep-alive connection or a passing 5xx/throttle gets one more try."""
    proxy = make_proxy(moto.endpoint_url)
    p = provider(moto.provider_config(endpoint_url=proxy.url), timeout=2)
    assert await p.fetch(link(seeded.plain)) == "plain-value"
    before = proxy.stats.requests
    proxy.set(mode, status=status, body=b'{"__type":"ThrottlingException"}', times=1)
    assert await p.fetch(link(seeded.plain)) == "plain-value"
    assert proxy.stats.requests - before == 2
    # Failing twice is an error: one retry at most.
    proxy.set(mode, status=status, body=b'{"__type":"ThrottlingException"}', times=2)
    await fails(p, link(seeded.plain), Reason.PROVIDER_ERROR)
    assert proxy.stats.requests - before == 4


async def test_no_retry_after_a_timeout_or_a_refusal(
    moto: MotoServer, seeded: Seeded, make_proxy: Callable[..., FaultProxy]
) -> None:
    """A retry after a timeout would outlive the fetch; a 403 would only be refused again."""
    proxy = make_proxy(moto.endpoint_url)
    p = provider(moto.provider_config(endpoint_url=proxy.url), timeout=0.5)
    assert await p.fetch(link(seeded.plain)) == "plain-value"
    for mode, reason in (("hang", Reason.TIMED_OUT), ("status", Reason.NEEDS_REAUTH)):
        before = proxy.stats.requests
        with proxy.fault(mode, status=403):  # type: ignore[arg-type]
            started = time.monotonic()
            await fails(p, link(seeded.plain), reason)
            assert time.monotonic() - started < 1.5
        assert proxy.stats.requests - before == 1, mode


@pytest.mark.parametrize(
    ("mode", "status", "body", "reason"),
    [
        ("drop", 0, b"", Reason.PROVIDER_ERROR),
        ("garbage", 200, b"", Reason.PROVIDER_ERROR),
        (
            "status",
            400,
            b'{"__type":"ExpiredTokenException","message":"The security token is expired"}',
            Reason.NEEDS_REAUTH,
        ),
        ("status", 403, b"{}", Reason.NEEDS_REAUTH),
        ("status", 500, b'{"__type":"InternalServiceError"}', Reason.PROVIDER_ERROR),
    ],
)
async def test_injected_faults(
    moto: MotoServer,
    seeded: Seeded,
    make_proxy: Callable[..., FaultProxy],
    mode: Mode,
    status: int,
    body: bytes,
    reason: Reason,
) -> None:
    proxy = make_proxy(moto.endpoint_url)
    p = provider(moto.provider_config(endpoint_url=proxy.url), timeout=2)
    assert await p.fetch(link(seeded.plain)) == "plain-value"
    with proxy.fault(mode, status=status, body=body or None):
        await fails(p, link(seeded.plain), reason)
    assert await p.fetch(link(seeded.plain)) == "plain-value"


# ----------------------------------------------------------------------------- leaks


async def test_no_secret_or_credential_in_errors(
    moto: MotoServer, make_proxy: Callable[..., FaultProxy], leak_marker: str
) -> None:
    sm = moto.client("secretsmanager")
    name_json = f"tv/leak-json-{uuid.uuid4().hex[:6]}"
    name_text = f"tv/leak-text-{uuid.uuid4().hex[:6]}"
    sm.create_secret(Name=name_json, SecretString=json.dumps({"a": leak_marker}))
    sm.create_secret(Name=name_text, SecretString=f"not json {leak_marker}")
    proxy = make_proxy(moto.endpoint_url)
    good = provider(moto.provider_config(endpoint_url=proxy.url), timeout=1)
    errors: list[object] = [good]
    for lnk in (link(name_json, json_key="b"), link(name_text, json_key="a")):
        with pytest.raises(FetchError) as info:
            await good.fetch(lnk)
        errors.append(info.value)
    for mode in ("garbage", "status"):
        with proxy.fault(mode, body=f'{{"__type":"X","message":"{leak_marker}"}}'.encode()):
            with pytest.raises(FetchError) as info:
                await good.fetch(link(name_json))
            errors.append(info.value)
    for creds in (
        {"secret_access_key": leak_marker},
        {"access_key_id": f"AKIA{leak_marker}", "session_token": leak_marker},
    ):
        p = provider(moto.provider_config(endpoint_url=proxy.url, **creds), timeout=1)
        for lnk in (link(name_json), link(name_json, role_arn="arn:aws:iam::123456789012:role/x")):
            with pytest.raises(FetchError) as info:
                await p.fetch(lnk)
            errors.append(info.value)
        errors.append(p)
    assert len(errors) == 11
    for thing in errors:
        assert leak_marker not in str(thing) and leak_marker not in repr(thing)
        if isinstance(thing, BaseException):
            assert thing.__cause__ is None

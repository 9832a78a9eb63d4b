"""AwsProvider.fetch_many reads with BatchGetSecretValue: the same answers as one
GetSecretValue per link (values, JSON keys, errors and their messages), against a real moto
server with IAM enforced; a refused batch falls back to single reads."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tui_vault.core.model import Link, Reason
from tui_vault.integrations.aws import AwsProvider
from tui_vault.integrations.base import FetchError

from .proxy import FaultProxy, Mode
from .servers import MotoServer
from .test_aws import link, provider

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


@dataclass(frozen=True)
class Seeded:
    tag: str
    many: list[str]  # plain secrets "value-<i>"
    json_secret: str
    versioned: str
    binary: str
    plain_arn: str
    partial_arn: str  # the ARN without its random suffix: answered under another id


@pytest.fixture(scope="module")
def seeded(moto: MotoServer) -> Seeded:
    sm = moto.client("secretsmanager")
    tag = uuid.uuid4().hex[:8]
    many = [f"tvb/{tag}/s{i:02d}" for i in range(45)]
    arn = ""
    for i, sid in enumerate(many):
        answer = sm.create_secret(Name=sid, SecretString=f"value-{i}")
        arn = arn or answer["ARN"]
    sm.create_secret(
        Name=f"tvb/{tag}/json",
        SecretString=json.dumps({"username": "app", "port": 5432, "nested": {"a": [1]}}),
    )
    sm.create_secret(Name=f"tvb/{tag}/versioned", SecretString="one")
    sm.put_secret_value(SecretId=f"tvb/{tag}/versioned", SecretString="two")
    sm.create_secret(Name=f"tvb/{tag}/binary", SecretBinary=b"binary-text")
    return Seeded(
        tag=tag,
        many=many,
        json_secret=f"tvb/{tag}/json",
        versioned=f"tvb/{tag}/versioned",
        binary=f"tvb/{tag}/binary",
        plain_arn=arn,
        partial_arn=arn.rsplit("-", 1)[0],
    )


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(32) as pool:
        yield pool


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every AWS operation the providers' clients send, in order."""
    seen: list[str] = []
    real = AwsProvider._make_client

    def make(self: AwsProvider, session: Any, service: str) -> Any:
        client = real(self, session, service)
        client.meta.events.register("before-call", lambda model, **_: seen.append(model.name))
        return client

    monkeypatch.setattr(AwsProvider, "_make_client", make)
    return seen


def outcome(r: str | FetchError) -> object:
    """A value, or what the user is told about an error: its class, reason and message."""
    if isinstance(r, FetchError):
        return (type(r).__name__, r.reason, str(r))
    return r


async def one_by_one(p: AwsProvider, links: list[Link]) -> dict[str, object]:
    out: dict[str, object] = {}
    for lnk in links:
        try:
            out[lnk.fingerprint] = await p.fetch(lnk)
        except FetchError as e:
            out[lnk.fingerprint] = outcome(e)
    return out


def mixed_links(s: Seeded) -> list[Link]:
    return [
        link(s.many[0]),
        link(s.many[1]),
        link(s.plain_arn),  # by ARN: answered under its name and its ARN
        link(s.partial_arn),  # answered under the full ARN: not matched, so read on its own
        link(s.json_secret, json_key="username"),
        link(s.json_secret, json_key="port"),  # a number: JSON text, as `fetch` gives
        link(s.json_secret, json_key="nested"),
        link(s.json_secret, json_key="missing"),  # the same secret id, a missing key
        link(s.many[2], json_key="k"),  # not a JSON object
        link(s.json_secret),  # the whole JSON text
        link(s.binary),
        link(s.versioned),  # current version: "two"
        link(s.versioned, version_stage="AWSPREVIOUS"),  # a stage: always GetSecretValue
        link(f"tvb/{s.tag}/does-not-exist"),
        link(f"tvb/{s.tag}/also-missing", json_key="x"),
    ]


async def test_batch_gives_what_single_reads_give(
    moto: MotoServer, seeded: Seeded, calls: list[str], executor: ThreadPoolExecutor
) -> None:
    links = mixed_links(seeded)
    p = provider(moto.provider_config(), executor)
    batched = await p.fetch_many(links)
    batch_calls = list(calls)
    calls.clear()
    singles = await one_by_one(provider(moto.provider_config()), links)

    assert {fp: outcome(r) for fp, r in batched.items()} == singles
    assert singles[links[0].fingerprint] == "value-0"
    assert singles[links[5].fingerprint] == "5432"
    assert singles[links[12].fingerprint] == "one"
    assert "secret not found" in str(singles[links[13].fingerprint])
    # One batch for the current versions; GetSecretValue only for the stage and for the
    # partial ARN the batch answered under another id.
    assert batch_calls.count("BatchGetSecretValue") == 1, batch_calls
    assert sorted(c for c in batch_calls if c != "BatchGetSecretValue") == [
        "GetSecretValue",
        "GetSecretValue",
    ]


async def test_many_secrets_take_a_few_batches_of_at_most_20(
    moto: MotoServer, seeded: Seeded, calls: list[str], executor: ThreadPoolExecutor
) -> None:
    links = [link(sid) for sid in seeded.many]  # 45 secrets: 3 calls of 15
    p = provider(moto.provider_config(), executor)
    results = await p.fetch_many(links)
    assert [results[lnk.fingerprint] for lnk in links] == [f"value-{i}" for i in range(45)]
    assert calls == ["BatchGetSecretValue"] * 3


async def test_a_refused_batch_falls_back_to_single_reads(
    moto: MotoServer, seeded: Seeded, calls: list[str], executor: ThreadPoolExecutor
) -> None:
    """A policy that allows GetSecretValue but not BatchGetSecretValue: the same answers,
    and the batch is not tried again by this provider."""
    key_id, secret = moto.user(
        f"tvb-single-{uuid.uuid4().hex[:6]}", "secretsmanager:GetSecretValue"
    )
    config = moto.provider_config(access_key_id=key_id, secret_access_key=secret)
    links = mixed_links(seeded)
    p = provider(config, executor)
    batched = await p.fetch_many(links)
    assert calls.count("BatchGetSecretValue") == 1
    assert calls.count("GetSecretValue") == len(links)
    calls.clear()
    singles = await one_by_one(provider(config), links)
    assert {fp: outcome(r) for fp, r in batched.items()} == singles
    assert singles[links[0].fingerprint] == "value-0"
    calls.clear()
    again = await p.fetch_many(links[:4])
    assert [again[lnk.fingerprint] for lnk in links[:3]] == ["value-0", "value-1", "value-0"]
    assert "BatchGetSecretValue" not in calls


async def test_a_refused_batch_with_a_role_falls_back(
    moto: MotoServer, seeded: Seeded, calls: list[str], executor: ThreadPoolExecutor
) -> None:
    reader = moto.role(f"tvb-reader-{uuid.uuid4().hex[:6]}")  # GetSecretValue only
    both = moto.role(
        f"tvb-batch-{uuid.uuid4().hex[:6]}",
        ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"],
    )
    p = provider(moto.provider_config(), executor)
    links = [link(sid, role_arn=reader) for sid in seeded.many[:3]]
    links += [link(sid, role_arn=both) for sid in seeded.many[3:6]]
    results = await p.fetch_many(links)
    assert [results[lnk.fingerprint] for lnk in links] == [f"value-{i}" for i in range(6)]
    # Two AssumeRole; one batch per role; the refused one's three links read one by one.
    assert calls.count("AssumeRole") == 2
    assert calls.count("BatchGetSecretValue") == 2
    assert calls.count("GetSecretValue") == 3


async def test_bad_keys_give_the_messages_single_reads_give(
    moto: MotoServer, seeded: Seeded, executor: ThreadPoolExecutor
) -> None:
    config = moto.provider_config(access_key_id="AKIAUNKNOWNKEY000000")
    links = [link(sid) for sid in seeded.many[:5]]
    batched = await provider(config, executor).fetch_many(links)
    singles = await one_by_one(provider(config), links)
    assert {fp: outcome(r) for fp, r in batched.items()} == singles
    assert all(r[1] is Reason.NEEDS_REAUTH for r in singles.values())  # type: ignore[index]


@pytest.mark.parametrize(
    ("mode", "status", "body", "reason", "message"),
    [
        (
            "status",
            400,
            b'{"__type":"UnrecognizedClientException","message":"bad key"}',
            Reason.NEEDS_REAUTH,
            "AWS rejected the credentials for {} (UnrecognizedClientException)",
        ),
        ("garbage", 200, b"", Reason.PROVIDER_ERROR, "malformed answer from AWS for secret {}"),
        ("status", 200, b"{}", Reason.PROVIDER_ERROR, "malformed answer from AWS for secret {}"),
    ],
)
async def test_answers_every_secret_shares_come_in_one_request(
    moto: MotoServer,
    seeded: Seeded,
    make_proxy: Callable[..., FaultProxy],
    mode: Mode,
    status: int,
    body: bytes,
    reason: Reason,
    message: str,
) -> None:
    """Refused keys (a code real AWS sends; moto's XML errors carry none) and bytes that are
    not an answer are every secret's answer at once: no retry, no single reads."""
    proxy = make_proxy(moto.endpoint_url)
    p = provider(moto.provider_config(endpoint_url=proxy.url), timeout=2)
    links = [link(sid) for sid in seeded.many[:5]]
    assert await p.fetch(links[0]) == "value-0"
    before = proxy.stats.requests
    with proxy.fault(mode, status=status, body=body or None):
        results = await p.fetch_many(links)
    assert proxy.stats.requests - before == 1
    for lnk in links:
        r = results[lnk.fingerprint]
        assert isinstance(r, FetchError) and r.reason is reason, r
        assert str(r) == message.format(lnk.params["secret_id"])


@pytest.mark.parametrize(
    ("mode", "status", "body"),
    [
        ("drop", 0, b""),
        ("garbage", 200, b""),
        ("status", 200, b"{}"),
        ("status", 200, b'{"SecretValues": "no", "Errors": 3}'),
        ("status", 400, b'{"__type":"ExpiredTokenException","message":"expired"}'),
        ("status", 400, b'{"__type":"AccessDeniedException","message":"no"}'),
        ("status", 403, b"{}"),
        ("status", 500, b'{"__type":"InternalServiceError"}'),
        ("status", 429, b'{"__type":"ThrottlingException"}'),
    ],
)
async def test_a_rude_server_gives_the_messages_single_reads_give(
    moto: MotoServer,
    seeded: Seeded,
    make_proxy: Callable[..., FaultProxy],
    executor: ThreadPoolExecutor,
    mode: Mode,
    status: int,
    body: bytes,
) -> None:
    proxy = make_proxy(moto.endpoint_url)
    config = moto.provider_config(endpoint_url=proxy.url)
    links = [link(sid) for sid in seeded.many[:4]] + [link(seeded.json_secret, json_key="port")]
    warm = provider(config, executor, timeout=2)
    assert await warm.fetch(links[0]) == "value-0"  # the client is built before the fault
    single = provider(config, timeout=2)
    assert await single.fetch(links[0]) == "value-0"
    with proxy.fault(mode, status=status, body=body or None):
        batched = await warm.fetch_many(links)
        singles = await one_by_one(single, links)
    assert {fp: outcome(r) for fp, r in batched.items()} == singles
    assert all(isinstance(r, tuple) for r in singles.values()), singles


async def test_a_quick_transient_batch_failure_is_retried_once(
    moto: MotoServer, seeded: Seeded, make_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = make_proxy(moto.endpoint_url)
    p = provider(moto.provider_config(endpoint_url=proxy.url), timeout=2)
    links = [link(sid) for sid in seeded.many[:3]]
    assert (await p.fetch_many(links))[links[0].fingerprint] == "value-0"
    before = proxy.stats.requests
    proxy.set("status", status=503, body=b'{"__type":"ServiceUnavailable"}', times=1)
    results = await p.fetch_many(links)
    assert [results[lnk.fingerprint] for lnk in links] == ["value-0", "value-1", "value-2"]
    assert proxy.stats.requests - before == 2


async def test_a_hung_batch_times_out_without_a_retry(
    moto: MotoServer, seeded: Seeded, make_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = make_proxy(moto.endpoint_url)
    p = provider(moto.provider_config(endpoint_url=proxy.url), timeout=0.5)
    links = [link(sid) for sid in seeded.many[:3]]
    assert (await p.fetch_many(links))[links[0].fingerprint] == "value-0"
    before = proxy.stats.requests
    with proxy.fault("hang"):
        started = time.monotonic()
        results = await p.fetch_many(links)
        assert time.monotonic() - started < 1.5
    assert proxy.stats.requests - before == 1
    for lnk in links:
        r = results[lnk.fingerprint]
        assert isinstance(r, FetchError) and r.reason is Reason.TIMED_OUT, r
        assert lnk.params["secret_id"] in str(r)

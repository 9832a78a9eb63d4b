"""OnePasswordProvider at the SDK boundary.

1Password's SDK only talks to 1Password's service, so the client is a fake with the SDK's
`secrets.resolve` / `secrets.resolve_all` shape that returns the SDK's own pydantic response
types. Reference validation and token checks use the real, offline SDK code.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from onepassword.errors import RateLimitExceededException
from onepassword.types import ResolveAllResponse

from tui_vault import __version__
from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.model import Link, Reason
from tui_vault.integrations.base import FetchError, NeedsReauth
from tui_vault.integrations.onepassword import OnePasswordProvider, default_client_factory
from tui_vault.integrations.registry import make_provider, validate_link

pytestmark = pytest.mark.timeout(60)

TOKEN = "ops_fake-service-account-token"
ERRORS = {"op://vault/gone/password": "itemNotFound", "op://vault/db/nofield": "fieldNotFound"}


class FakeSecrets:
    """The SDK's Secrets API over a dict; unknown refs resolve to errors like the service's."""

    def __init__(self, values: dict[str, str], delay: float = 0.0) -> None:
        self.values = values
        self.delay = delay
        self.fail: BaseException | None = None
        self.resolve_calls: list[str] = []
        self.resolve_all_calls: list[list[str]] = []

    async def resolve(self, secret_reference: str) -> str:
        self.resolve_calls.append(secret_reference)
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        if secret_reference not in self.values:
            raise Exception("error resolving secret reference: no item matched the query")
        return self.values[secret_reference]

    async def resolve_all(self, secret_references: list[str]) -> ResolveAllResponse:
        self.resolve_all_calls.append(list(secret_references))
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        answers: dict[str, Any] = {}
        for ref in secret_references:
            if ref in self.values:
                answers[ref] = {
                    "content": {"secret": self.values[ref], "itemId": "i1", "vaultId": "v1"}
                }
            else:
                answers[ref] = {"error": {"type": ERRORS.get(ref, "other")}}
        return ResolveAllResponse.model_validate({"individualResponses": answers})


class FakeClient:
    def __init__(self, secrets: FakeSecrets) -> None:
        self.secrets = secrets


class FakeFactory:
    """Stands in for Client.authenticate: counts sign-ins, rejects unknown tokens."""

    def __init__(self, secrets: FakeSecrets, delay: float = 0.0) -> None:
        self.secrets = secrets
        self.tokens: list[str] = []
        self.delay = delay

    async def __call__(self, token: str) -> FakeClient:
        self.tokens.append(token)
        await asyncio.sleep(self.delay)
        if token != TOKEN:
            raise Exception(
                "invalid service account token, please make sure you provide a valid token"
            )
        return FakeClient(self.secrets)


VALUES = {
    "op://vault/db/password": "db-pass",
    "op://vault/db/admin/username": "root",
    "op://vault/api/credential": "api-key",
}


def make(
    secrets: FakeSecrets, token: str = TOKEN, timeout: float = 2.0, factory_delay: float = 0.0
) -> tuple[OnePasswordProvider, FakeFactory]:
    factory = FakeFactory(secrets, factory_delay)
    p = make_provider("1password", {"token": token}, timeout=timeout, client_factory=factory)
    assert isinstance(p, OnePasswordProvider)
    return p, factory


def link(ref: str) -> Link:
    return validate_link("1password", {"ref": ref})


async def test_fetch_signs_in_once() -> None:
    secrets = FakeSecrets(VALUES)
    p, factory = make(secrets)
    assert await p.fetch(link("op://vault/db/password")) == "db-pass"
    assert await p.fetch(link("op://vault/db/admin/username")) == "root"
    assert factory.tokens == [TOKEN]


async def test_concurrent_first_fetches_sign_in_once() -> None:
    secrets = FakeSecrets(VALUES)
    p, factory = make(secrets, factory_delay=0.05)
    values = await asyncio.gather(*(p.fetch(link(ref)) for ref in VALUES))
    assert values == list(VALUES.values())
    assert len(factory.tokens) == 1


async def test_fetch_many_uses_one_resolve_all_call() -> None:
    secrets = FakeSecrets(VALUES)
    p, _ = make(secrets)
    links = [link(ref) for ref in VALUES] + [link("op://vault/db/password")]
    results = await p.fetch_many(links)
    assert len(secrets.resolve_all_calls) == 1
    assert sorted(secrets.resolve_all_calls[0]) == sorted(VALUES)  # duplicates sent once
    assert secrets.resolve_calls == []
    assert results == {link(ref).fingerprint: value for ref, value in VALUES.items()}


async def test_fetch_many_isolates_per_reference_errors() -> None:
    secrets = FakeSecrets(VALUES)
    p, _ = make(secrets)
    refs = ["op://vault/db/password", "op://vault/gone/password", "op://vault/db/nofield"]
    results = await p.fetch_many([link(r) for r in refs])
    assert len(secrets.resolve_all_calls) == 1
    assert results[link(refs[0]).fingerprint] == "db-pass"
    gone = results[link(refs[1]).fingerprint]
    nofield = results[link(refs[2]).fingerprint]
    assert isinstance(gone, FetchError) and gone.reason == Reason.PROVIDER_ERROR
    assert "item not found" in str(gone) and refs[1] in str(gone)
    assert isinstance(nofield, FetchError) and "field not found" in str(nofield)


async def test_bad_token_needs_reauth_everywhere() -> None:
    secrets = FakeSecrets(VALUES)
    p, factory = make(secrets, token="ops_revoked")
    with pytest.raises(NeedsReauth):
        await p.fetch(link("op://vault/db/password"))
    results = await p.fetch_many([link(r) for r in VALUES])
    assert all(isinstance(r, NeedsReauth) for r in results.values())
    with pytest.raises(NeedsReauth):
        await p.verify()
    assert len(factory.tokens) == 3  # a failed sign-in is not cached
    assert secrets.resolve_all_calls == []


async def test_token_revoked_mid_session() -> None:
    secrets = FakeSecrets(VALUES)
    p, factory = make(secrets)
    assert await p.fetch(link("op://vault/db/password")) == "db-pass"
    secrets.fail = Exception("Unauthorized: the service account token has been revoked")
    results = await p.fetch_many([link(r) for r in VALUES])
    assert all(isinstance(r, NeedsReauth) for r in results.values())
    with pytest.raises(NeedsReauth):
        await p.fetch(link("op://vault/db/password"))
    secrets.fail = None
    assert await p.fetch(link("op://vault/db/password")) == "db-pass"
    assert len(factory.tokens) == 3  # the rejected client was dropped each time


async def test_other_failures_are_provider_errors() -> None:
    secrets = FakeSecrets(VALUES)
    p, _ = make(secrets)
    with pytest.raises(FetchError) as info:
        await p.fetch(link("op://vault/unknown/field"))
    assert info.value.reason == Reason.PROVIDER_ERROR
    secrets.fail = RateLimitExceededException("rate limit exceeded")
    with pytest.raises(FetchError) as info:
        await p.fetch(link("op://vault/db/password"))
    assert info.value.reason == Reason.PROVIDER_ERROR and "rate limit" in str(info.value)


async def test_reference_naming_a_token_item_is_not_an_auth_error() -> None:
    ref = "op://vault/github-token/credential"
    p, _ = make(FakeSecrets({}))
    with pytest.raises(FetchError) as info:
        await p.fetch(link(ref))
    assert info.value.reason == Reason.PROVIDER_ERROR


async def test_slow_service_times_out() -> None:
    secrets = FakeSecrets(VALUES, delay=1.0)
    p, _ = make(secrets, timeout=0.2)
    with pytest.raises(FetchError) as info:
        await p.fetch(link("op://vault/db/password"))
    assert info.value.reason == Reason.TIMED_OUT
    results = await p.fetch_many([link(r) for r in VALUES])
    assert all(isinstance(r, FetchError) and r.reason == Reason.TIMED_OUT for r in results.values())


async def test_malformed_resolve_all_answer() -> None:
    secrets = FakeSecrets(VALUES)
    p, _ = make(secrets)

    async def broken(refs: list[str]) -> object:
        return object()

    secrets.resolve_all = broken  # type: ignore[method-assign,assignment]
    results = await p.fetch_many([link(r) for r in VALUES])
    assert all(
        isinstance(r, FetchError) and r.reason == Reason.PROVIDER_ERROR for r in results.values()
    )


async def test_default_factory_calls_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    from onepassword.client import Client

    seen: dict[str, Any] = {}

    async def authenticate(**kwargs: Any) -> FakeClient:
        seen.update(kwargs)
        return FakeClient(FakeSecrets(VALUES))

    monkeypatch.setattr(Client, "authenticate", authenticate)
    p = make_provider("1password", {"token": TOKEN})
    assert await p.fetch(link("op://vault/db/password")) == "db-pass"
    assert seen == {
        "auth": TOKEN,
        "integration_name": "tui-vault",
        "integration_version": __version__,
    }


async def test_real_sdk_rejects_a_malformed_token() -> None:
    """The SDK refuses a token it cannot decode before any network call."""
    with pytest.raises(Exception, match="token"):
        await default_client_factory("ops_not-base64!")
    p = make_provider("1password", {"token": "ops_not-base64!"}, timeout=10)
    with pytest.raises(NeedsReauth):
        await p.verify()


@pytest.mark.parametrize(
    "ref",
    [
        "op://vault/item/field",
        "op://vault/item/section/field",
        "op://Private Vault/My Item/password",
        "op://vault/item/one-time password?attribute=otp",
    ],
)
def test_validator_accepts(ref: str) -> None:
    assert validate_link("1password", {"ref": ref}).params == {"ref": ref}


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("op://vault/item", "format"),
        ("vault/item/field", "op://"),
        ("https://vault/item/field", "op://"),
        ("op://vault/item/section/field/extra", "format"),
        ("op://vault//field", "op://vault/item"),
    ],
)
def test_validator_rejects(ref: str, why: str) -> None:
    with pytest.raises(InvalidSecretError, match=why):
        validate_link("1password", {"ref": ref})


def test_validator_requires_a_reference() -> None:
    with pytest.raises(InvalidSecretError, match="reference"):
        validate_link("1password", {"ref": ""})


async def test_no_secret_or_credential_in_errors(leak_marker: str) -> None:
    secrets = FakeSecrets({"op://vault/db/password": leak_marker})
    errors: list[object] = []
    bad, _ = make(secrets, token=f"ops_{leak_marker}")
    errors.append(bad)
    with pytest.raises(FetchError) as info:
        await bad.fetch(link("op://vault/db/password"))
    errors.append(info.value)
    good, _ = make(secrets)
    assert await good.fetch(link("op://vault/db/password")) == leak_marker
    # SDK errors whose text carries something sensitive are not passed on.
    for text in (f"unauthorized {leak_marker}", f"boom {leak_marker}"):
        secrets.fail = Exception(text)
        with pytest.raises(FetchError) as info:
            await good.fetch(link("op://vault/db/password"))
        errors.append(info.value)
        results = await good.fetch_many([link("op://vault/db/password")])
        errors.extend(results.values())
    errors.append(good)
    assert len(errors) == 7
    for thing in errors:
        assert leak_marker not in str(thing) and leak_marker not in repr(thing)
        if isinstance(thing, BaseException):
            assert thing.__cause__ is None

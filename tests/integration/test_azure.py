"""AzureProvider: the real SecretClient and ClientSecretCredential against the HTTPS emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.model import Link, Reason
from tui_vault.integrations.azure import AzureProvider
from tui_vault.integrations.base import FetchError, NeedsReauth
from tui_vault.integrations.registry import make_provider, validate_link

from .servers import AzureKeyVaultEmulator, free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as pool:
        yield pool


def link(secret_id: str) -> Link:
    return validate_link("azure", {"secret_id": secret_id})


def provider(
    config: dict[str, str], executor: ThreadPoolExecutor | None = None, timeout: float = 5.0
) -> AzureProvider:
    p = make_provider("azure", config, executor=executor, timeout=timeout)
    assert isinstance(p, AzureProvider)
    return p


async def fails(p: AzureProvider, lnk: Link, reason: Reason) -> FetchError:
    with pytest.raises(FetchError) as info:
        await p.fetch(lnk)
    assert info.value.reason == reason, str(info.value)
    return info.value


async def test_latest_and_specific_version(azure_vault: AzureKeyVaultEmulator) -> None:
    first = azure_vault.set_secret("db-password", "first")
    azure_vault.set_secret("db-password", "second")
    p = provider(azure_vault.provider_config())
    assert await p.fetch(link(azure_vault.secret_id("db-password"))) == "second"
    assert await p.fetch(link(azure_vault.secret_id("db-password", first))) == "first"
    await p.verify()
    p.close()


async def test_one_challenge_and_token_per_vault(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("one", "1")
    azure_vault.set_secret("two", "2")
    before = dict(azure_vault.counts)
    p = provider(azure_vault.provider_config())
    for name in ("one", "two", "one"):
        await p.fetch(link(azure_vault.secret_id(name)))
    # The SDK caches challenges per host process-wide, so an earlier test may have paid it.
    assert azure_vault.counts["challenge"] - before["challenge"] <= 1
    assert azure_vault.counts["token"] - before["token"] == 1
    assert azure_vault.counts["secret"] - before["secret"] == 3


async def test_not_found(azure_vault: AzureKeyVaultEmulator) -> None:
    p = provider(azure_vault.provider_config())
    e = await fails(p, link(azure_vault.secret_id("missing")), Reason.PROVIDER_ERROR)
    assert "secret not found: missing" in str(e)
    version = azure_vault.set_secret("present", "x")
    await fails(p, link(azure_vault.secret_id("present", "0" * 32)), Reason.PROVIDER_ERROR)
    assert await p.fetch(link(azure_vault.secret_id("present", version))) == "x"


async def test_disabled_secret_is_a_provider_error(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("off", "x", enabled=False)
    p = provider(azure_vault.provider_config())
    e = await fails(p, link(azure_vault.secret_id("off")), Reason.PROVIDER_ERROR)
    assert "disabled" in str(e)


async def test_forbidden_needs_reauth(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("s", "v")
    p = provider(azure_vault.provider_config())
    assert await p.fetch(link(azure_vault.secret_id("s"))) == "v"
    azure_vault.set_mode("forbidden")
    await fails(p, link(azure_vault.secret_id("s")), Reason.NEEDS_REAUTH)
    azure_vault.set_mode("unauthorized")
    await fails(p, link(azure_vault.secret_id("s")), Reason.NEEDS_REAUTH)
    azure_vault.reset_faults()
    assert await p.fetch(link(azure_vault.secret_id("s"))) == "v"


async def test_revoked_token_needs_reauth(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("s", "v")
    p = provider(azure_vault.provider_config())
    assert await p.fetch(link(azure_vault.secret_id("s"))) == "v"
    azure_vault.revoke_tokens()  # the credential still holds its cached token
    await fails(p, link(azure_vault.secret_id("s")), Reason.NEEDS_REAUTH)
    fresh = provider(azure_vault.provider_config())
    assert await fresh.fetch(link(azure_vault.secret_id("s"))) == "v"


async def test_wrong_client_secret_needs_reauth(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("s", "v")
    p = provider(azure_vault.provider_config(client_secret="wrong"))
    await fails(p, link(azure_vault.secret_id("s")), Reason.NEEDS_REAUTH)
    with pytest.raises(NeedsReauth):
        await p.verify()
    unknown_client = provider(azure_vault.provider_config(client_id="someone-else"))
    await fails(unknown_client, link(azure_vault.secret_id("s")), Reason.NEEDS_REAUTH)


async def test_garbage_body_is_a_provider_error(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("s", "v")
    p = provider(azure_vault.provider_config())
    azure_vault.set_mode("garbage")
    e = await fails(p, link(azure_vault.secret_id("s")), Reason.PROVIDER_ERROR)
    assert "malformed" in str(e)


async def test_dropped_connection_is_a_provider_error(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("s", "v")
    p = provider(azure_vault.provider_config(), timeout=2)
    assert await p.fetch(link(azure_vault.secret_id("s"))) == "v"
    azure_vault.set_mode("drop")
    await fails(p, link(azure_vault.secret_id("s")), Reason.PROVIDER_ERROR)


async def test_slow_vault_times_out(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("s", "v")
    p = provider(azure_vault.provider_config(), timeout=0.5)
    assert await p.fetch(link(azure_vault.secret_id("s"))) == "v"
    azure_vault.set_mode("ok", delay=2.0)
    started = time.monotonic()
    await fails(p, link(azure_vault.secret_id("s")), Reason.TIMED_OUT)
    assert time.monotonic() - started < 1.5  # no retry after a read timeout


async def test_slow_token_endpoint_times_out(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("s", "v")
    azure_vault.token_delay = 2.0
    p = provider(azure_vault.provider_config(), timeout=0.5)
    started = time.monotonic()
    await fails(p, link(azure_vault.secret_id("s")), Reason.TIMED_OUT)
    assert time.monotonic() - started < 1.5


async def test_challenge_resource_is_verified_by_default(
    azure_vault: AzureKeyVaultEmulator,
) -> None:
    """A vault whose challenge names another resource never receives a token."""
    azure_vault.set_secret("s", "v")
    config = azure_vault.provider_config()
    del config["verify_challenge_resource"]
    before = azure_vault.counts["token"]
    p = provider(config)
    e = await fails(p, link(azure_vault.secret_id("s")), Reason.PROVIDER_ERROR)
    assert "challenge" in str(e)
    assert azure_vault.counts["token"] == before


async def test_untrusted_certificate_is_refused(azure_vault: AzureKeyVaultEmulator) -> None:
    azure_vault.set_secret("s", "v")
    config = azure_vault.provider_config()
    del config["ca_bundle"]
    p = provider(config, timeout=2)
    await fails(p, link(azure_vault.secret_id("s")), Reason.PROVIDER_ERROR)


async def test_default_credential_from_environment(
    azure_vault: AzureKeyVaultEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No client secret in the settings: DefaultAzureCredential finds it in the environment."""
    azure_vault.set_secret("s", "from-default-chain")
    monkeypatch.setenv("AZURE_TENANT_ID", azure_vault.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", azure_vault.client_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", azure_vault.client_secret)
    config = azure_vault.provider_config()
    for key in ("tenant_id", "client_id", "client_secret"):
        del config[key]
    p = provider(config)
    assert await p.fetch(link(azure_vault.secret_id("s"))) == "from-default-chain"


async def test_concurrent_fetches_share_one_client(
    azure_vault: AzureKeyVaultEmulator, executor: ThreadPoolExecutor
) -> None:
    names = [f"c{i}" for i in range(6)]
    for name in names:
        azure_vault.set_secret(name, f"value-{name}")
    p = provider(azure_vault.provider_config(), executor)
    await p.fetch(link(azure_vault.secret_id(names[0])))  # warm up: challenge + token
    azure_vault.set_mode("ok", delay=0.3)
    links = [link(azure_vault.secret_id(n)) for n in names]
    started = time.monotonic()
    results = await p.fetch_many(links)
    elapsed = time.monotonic() - started
    assert [results[lnk.fingerprint] for lnk in links] == [f"value-{n}" for n in names]
    assert elapsed < 0.3 * len(names) / 2  # they overlapped


def test_secret_identifiers_are_validated_offline() -> None:
    good = validate_link("azure", {"secret_id": "https://myvault.vault.azure.net/secrets/db-pw/"})
    assert good.params["secret_id"] == "https://myvault.vault.azure.net/secrets/db-pw"
    for bad in (
        "http://myvault.vault.azure.net/secrets/db",
        "https://myvault.vault.azure.net/keys/db",
        "https://myvault.vault.azure.net/secrets",
        "https://myvault.vault.azure.net/secrets/db/v1/extra",
        "https://myvault.vault.azure.net/secrets/bad_name",
        "https://myvault.vault.azure.net/secrets/db?x=1",
        "not a url",
    ):
        with pytest.raises(InvalidSecretError):
            validate_link("azure", {"secret_id": bad})


async def test_no_secret_or_credential_in_errors(
    azure_vault: AzureKeyVaultEmulator, leak_marker: str
) -> None:
    azure_vault.set_secret("leak", leak_marker)
    errors: list[object] = []
    bad = provider(azure_vault.provider_config(client_secret=leak_marker), timeout=1)
    errors.append(bad)
    with pytest.raises(FetchError) as info:
        await bad.fetch(link(azure_vault.secret_id("leak")))
    errors.append(info.value)
    with pytest.raises(FetchError) as info:
        await bad.verify()
    errors.append(info.value)
    good = provider(azure_vault.provider_config(), timeout=0.5)
    assert await good.fetch(link(azure_vault.secret_id("leak"))) == leak_marker
    for mode in ("forbidden", "garbage", "unauthorized", "drop"):
        azure_vault.set_mode(mode)
        with pytest.raises(FetchError) as info:
            await good.fetch(link(azure_vault.secret_id("leak")))
        errors.append(info.value)
    azure_vault.set_mode("ok", delay=1.5)
    with pytest.raises(FetchError) as info:
        await good.fetch(link(azure_vault.secret_id("leak")))
    errors.append(info.value)
    errors.append(good)
    assert len(errors) == 9
    for thing in errors:
        assert leak_marker not in str(thing) and leak_marker not in repr(thing)
        if isinstance(thing, BaseException):
            assert thing.__cause__ is None


async def test_unreachable_sign_in_endpoint_is_a_provider_error(
    azure_vault: AzureKeyVaultEmulator,
) -> None:
    """A sign-in that cannot reach its endpoint is not a rejected credential."""
    azure_vault.set_secret("s", "v")
    p = provider(azure_vault.provider_config(authority=f"https://127.0.0.1:{free_port()}"))
    e = await fails(p, link(azure_vault.secret_id("s")), Reason.PROVIDER_ERROR)
    assert "sign-in endpoint" in str(e)

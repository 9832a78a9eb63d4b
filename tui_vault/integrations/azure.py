"""Azure Key Vault secrets through `azure-keyvault-secrets` and `azure-identity`.

One credential per provider (it caches its tokens) and one SecretClient per vault URL (each
caches the vault's bearer challenge). Both are built lazily under a lock and shared by the
resolver's worker threads; Azure SDK clients are thread-safe. Transport timeouts are the
provider's, with one retry at most and none after a read timeout, so a slow vault cannot keep
a worker thread much longer than the fetch's own timeout.

The SDK checks that the resource named in a vault's challenge matches the vault's host, so a
token for *.vault.azure.net is never sent to some other host. Only a vault outside that
domain (a local emulator) needs `verify_challenge_resource = false`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import Any
from urllib.parse import SplitResult, urlsplit

from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.fields import Field, InvalidConfigError, ProviderSpec, check_url, need
from tui_vault.core.model import Link, Reason
from tui_vault.core.providers import (
    FetchError,
    NeedsReauth,
    Provider,
    ProviderFailure,
    ProviderUnreachable,
    safe_url,
)
from tui_vault.integrations.browse import BrowseDenied, Entry, Listing

_NAME_RE = re.compile(r"\A[0-9A-Za-z-]{1,127}\Z")
_VERSION_RE = re.compile(r"\A[0-9A-Za-z-]{1,64}\Z")
KEY_VAULT_SCOPE = "https://vault.azure.net/.default"


def _plain_https(parts: SplitResult) -> bool:
    """An https URL with a host and nothing else around it: no user info, query or fragment."""
    return (
        parts.scheme == "https"
        and bool(parts.hostname)
        and not (parts.username or parts.password or parts.query or parts.fragment)
    )


def parse_secret_id(secret_id: str) -> tuple[str, str, str | None]:
    """Split `https://VAULT/secrets/NAME[/VERSION]` into (vault_url, name, version).

    Uses the SDK's KeyVaultSecretIdentifier, then adds what it leaves unchecked: https only,
    the `secrets` collection, no query or fragment, and Key Vault's name rules.
    Raises InvalidSecretError.
    """
    from azure.keyvault.secrets import KeyVaultSecretIdentifier

    text = secret_id.strip()
    bad = f"invalid Azure secret identifier {text!r}: expected https://VAULT/secrets/NAME[/VERSION]"
    try:
        parts = urlsplit(text)
        _ = parts.port
        ident = KeyVaultSecretIdentifier(text.rstrip("/"))
    except ValueError:
        raise InvalidSecretError(bad) from None
    segments = [s for s in parts.path.split("/") if s]
    if not _plain_https(parts) or len(segments) not in (2, 3) or segments[0] != "secrets":
        raise InvalidSecretError(bad)
    name = str(ident.name)
    version = str(ident.version) if ident.version else None
    if not _NAME_RE.match(name):
        raise InvalidSecretError(
            f"invalid Azure secret name {name!r}: use letters, digits and '-' (at most 127)"
        )
    if version is not None and not _VERSION_RE.match(version):
        raise InvalidSecretError(f"invalid Azure secret version {version!r}")
    return str(ident.vault_url).rstrip("/"), name, version


def _browse_target(path: str) -> tuple[str, str | None]:
    """(vault_url, secret name or None) of a browse path; raises ProviderFailure."""
    bad = (
        f"browse Azure with a vault URL (https://VAULT.vault.azure.net) or a secret's "
        f"(…/secrets/NAME), not {path!r}"
    )
    try:
        parts = urlsplit(path)
        _ = parts.port
    except ValueError:
        raise ProviderFailure(bad) from None
    segments = [s for s in parts.path.split("/") if s]
    if (
        not _plain_https(parts)
        or len(segments) not in (0, 2)
        or (segments and (segments[0] != "secrets" or not _NAME_RE.match(segments[1])))
    ):
        raise ProviderFailure(bad)
    vault_url = f"https://{parts.netloc}"
    return vault_url, segments[1] if segments else None


def _check_config(c: dict[str, str]) -> dict[str, str]:
    trio = ("tenant_id", "client_id", "client_secret")
    if any(c.get(n) for n in trio):
        need(SPEC, c, *trio, why=" (client-secret sign-in needs tenant, client id and secret)")
    if c.get("tenant_id") and not re.match(r"^[\w.-]+$", c["tenant_id"]):
        raise InvalidConfigError("Azure tenant id may only contain letters, digits, '.-_'")
    if c.get("authority"):
        authority = c["authority"]
        if "://" not in authority:
            authority = f"https://{authority}"
        check_url(authority, "Azure authority", https_only=True)
        c["authority"] = authority.rstrip("/")
    return c


def _check_link(p: dict[str, str]) -> dict[str, str]:
    vault_url, name, version = parse_secret_id(p["secret_id"])
    p["secret_id"] = f"{vault_url}/secrets/{name}" + (f"/{version}" if version else "")
    return p


SPEC = ProviderSpec(
    name="azure",
    label="Azure",
    summary="Azure Key Vault",
    stdin_note=(
        "with --client-id, the client secret comes on stdin; without: DefaultAzureCredential"
    ),
    connect_fields=(
        Field(
            "tenant_id",
            "Tenant ID",
            metavar="T",
            help="the Entra tenant (with --client-id); leave both out for DefaultAzureCredential",
            hint="leave all three empty for DefaultAzureCredential",
        ),
        Field(
            "client_id",
            "Client ID",
            metavar="C",
            help="the app registration's client id (its secret comes on stdin)",
            hint="",
        ),
        Field("client_secret", "Client secret", secret=True, stdin_if="client_id"),
        Field(
            "ca_bundle",
            "CA bundle (PEM path)",
            advanced=True,
            metavar="PEM",
            path=True,
            help="a PEM file of CA certificates to trust for the vault",
            hint="",
        ),
        Field(
            "authority",
            "Authority host",
            help="token endpoint host for sovereign clouds or test servers",
            advanced=True,
            metavar="HOST",
        ),
        Field(
            "verify_challenge_resource",
            "Verify challenge resource",
            choices=("true", "false"),
            default="true",
            help="'false' only for vaults outside *.vault.azure.net (e.g. a local emulator)",
            advanced=True,
            flag="--no-verify-challenge-resource",
            switch="false",
        ),
    ),
    link_fields=(
        Field(
            "secret_id",
            "Secret identifier",
            required=True,
            metavar="URL",
            help="https://VAULT.vault.azure.net/secrets/NAME[/VERSION]",
        ),
    ),
    check_config=_check_config,
    check_link=_check_link,
)


def _quiet_sdk_logging() -> None:
    """azure-identity logs failed sign-ins as warnings; with no handler configured Python
    would print them on stderr, over the TUI. A NullHandler keeps them for an app that
    configures logging and silent otherwise (the error itself reaches the user as ours)."""
    logger = logging.getLogger("azure")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _transport_cause(exc: BaseException) -> BaseException | None:
    """The network error behind a wrapped exception, if there is one."""
    import azure.core.exceptions as ax

    seen: set[int] = set()
    current: BaseException | None = exc.__cause__ or exc.__context__
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ax.ServiceRequestError | ax.ServiceResponseError):
            return current
        current = current.__cause__ or current.__context__
    return None


class AzureProvider(Provider):
    name = "azure"
    label = "Azure Key Vault"
    spec = SPEC

    def __init__(
        self,
        config: Mapping[str, str],
        executor: Executor | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(config, executor, timeout)
        self._lock = threading.Lock()
        self._credential: Any = None
        self._clients: dict[str, Any] = {}

    def __repr__(self) -> str:
        kind = "client secret" if self.config.get("client_id") else "default credential"
        return f"AzureProvider(auth={kind!r})"

    # ------------------------------------------------------------------ public API

    async def fetch(self, link: Link) -> str:
        secret_id = link.params.get("secret_id", "")
        # Parsing imports the SDK: do it in the worker thread, not on the event loop.
        return await self.run_blocking(lambda: self._fetch_sync(secret_id))

    async def verify(self) -> None:
        """Get a Key Vault token: proves the credential without naming any vault."""

        def check() -> None:
            self._call("sign-in", "", lambda: self._get_credential().get_token(KEY_VAULT_SCOPE))

        await self.run_blocking(check)

    async def browse(self, path: str, *, page: str | None = None, name_filter: str = "") -> Listing:
        """The secrets of a vault ("https://VAULT") or the versions of one
        ("https://VAULT/secrets/NAME"), a page at a time; never a value."""
        listing = await self.run_blocking(lambda: self._browse_sync(path.strip(), page))
        return listing.filtered(name_filter)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            credential, self._credential = self._credential, None
        for client in clients:
            client.close()
        if credential is not None:
            credential.close()

    # ------------------------------------------------------------------ blocking side

    def _fetch_sync(self, secret_id: str) -> str:
        try:
            vault_url, name, version = parse_secret_id(secret_id)
        except InvalidSecretError as e:
            message = e.message
        else:
            message = ""
        if message:
            raise ProviderFailure(message)
        what = f"{name}/{version}" if version else name
        vault = safe_url(vault_url)
        secret = self._call(
            what, vault, lambda: self._client(vault_url).get_secret(name, version or None)
        )
        value = getattr(secret, "value", None)
        if not isinstance(value, str):
            raise ProviderFailure(f"Azure Key Vault {vault} returned no value for {what}")
        return value

    def _browse_sync(self, path: str, page: str | None) -> Listing:
        vault_url, name = _browse_target(path)
        vault = safe_url(vault_url)
        client = self._client(vault_url)

        def one_page() -> tuple[list[Any], str | None]:
            if name is None:
                paged = client.list_properties_of_secrets()
            else:
                paged = client.list_properties_of_secret_versions(name)
            pages = paged.by_page(continuation_token=page)
            items = list(next(pages, []))
            return items, pages.continuation_token

        what = f"the versions of {name}" if name else "the secrets"
        items, token = self._call_listing(what, vault, one_page)
        base = f"{vault_url}/secrets"
        entries: list[Entry] = []
        if name is None:
            for props in items:
                n = getattr(props, "name", None)
                if isinstance(n, str) and _NAME_RE.match(n):
                    detail = "disabled" if getattr(props, "enabled", True) is False else ""
                    entries.append(Entry(n, "secret", path=f"{base}/{n}", detail=detail))
            entries.sort(key=lambda e: e.name.lower())
            return Listing(vault_url, tuple(entries), token or None)
        if not page:
            entries.append(Entry("(latest)", "version", link={"secret_id": f"{base}/{name}"}))
        dated: list[tuple[float, Entry]] = []
        for props in items:
            version = getattr(props, "version", None)
            if not isinstance(version, str) or not _VERSION_RE.match(version):
                continue
            updated: Any = getattr(props, "updated_on", None) or getattr(props, "created_on", None)
            detail = updated.strftime("%Y-%m-%d %H:%M") if hasattr(updated, "strftime") else ""
            if getattr(props, "enabled", True) is False:
                detail = f"{detail} · disabled".strip(" ·")
            stamp = updated.timestamp() if hasattr(updated, "timestamp") else 0.0
            link = {"secret_id": f"{base}/{name}/{version}"}
            dated.append((stamp, Entry(version, "version", link=link, detail=detail)))
        entries += [e for _, e in sorted(dated, key=lambda t: -t[0])]  # newest first
        return Listing(f"{base}/{name}", tuple(entries), token or None)

    def _call_listing(self, what: str, vault: str, fn: Any) -> Any:
        """Like _call, but a 403 here is this vault's access policy: shown for this node."""
        import azure.core.exceptions as ax

        try:
            return fn()
        except ax.HttpResponseError as exc:
            if exc.status_code == 403:
                raise BrowseDenied(f"{what} of {vault}") from None
            error = self._translate(exc, what, vault)
        except FetchError:
            raise
        except Exception as exc:
            error = self._translate(exc, what, vault)
        raise error from None

    def _call(self, what: str, vault: str, fn: Any) -> Any:
        try:
            return fn()
        except FetchError:
            raise
        except Exception as exc:  # SDK errors carry response bodies: never pass their text on
            error = self._translate(exc, what, vault)
        raise error from None

    def _transport(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "connection_timeout": self.timeout,
            "read_timeout": self.timeout,
            "retry_total": 1,
            "retry_read": 0,
            "retry_backoff_factor": 0.2,
        }
        if self.config.get("ca_bundle"):
            kwargs["connection_verify"] = self.config["ca_bundle"]
        return kwargs

    def _get_credential(self) -> Any:
        with self._lock:
            if self._credential is None:
                _quiet_sdk_logging()
                self._credential = self._new_credential()
            return self._credential

    def _new_credential(self) -> Any:
        c = self.config
        kwargs = self._transport()
        if c.get("authority"):
            kwargs["authority"] = c["authority"]
            kwargs["disable_instance_discovery"] = True
        if c.get("client_id") or c.get("tenant_id") or c.get("client_secret"):
            from azure.identity import ClientSecretCredential

            try:
                return ClientSecretCredential(
                    c.get("tenant_id", ""),
                    c.get("client_id", ""),
                    c.get("client_secret", ""),
                    **kwargs,
                )
            except ValueError:
                raise NeedsReauth(
                    "Azure client-secret settings are incomplete or invalid"
                ) from None
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential(**kwargs)

    def _client(self, vault_url: str) -> Any:
        credential = self._get_credential()
        with self._lock:
            client = self._clients.get(vault_url)
            if client is None:
                from azure.keyvault.secrets import SecretClient

                client = SecretClient(
                    vault_url=vault_url,
                    credential=credential,
                    verify_challenge_resource=self.config.get("verify_challenge_resource", "true")
                    != "false",
                    **self._transport(),
                )
                self._clients[vault_url] = client
            return client

    def _translate(self, exc: BaseException, what: str, vault: str) -> FetchError:
        import azure.core.exceptions as ax
        from azure.identity import CredentialUnavailableError

        if isinstance(exc, ax.ClientAuthenticationError):
            # azure-identity wraps transport failures of the token request in
            # ClientAuthenticationError: a slow or unreachable sign-in is not a bad credential.
            cause = _transport_cause(exc)
            if cause is not None:
                timed_out = isinstance(
                    cause, ax.ServiceRequestTimeoutError | ax.ServiceResponseTimeoutError
                )
                if timed_out:
                    return FetchError(
                        Reason.TIMED_OUT,
                        f"the Azure sign-in endpoint did not answer in {self.timeout:g}s",
                    )
                return ProviderUnreachable("cannot reach the Azure sign-in endpoint")
        if isinstance(exc, CredentialUnavailableError):
            return NeedsReauth("no Azure credential is available (sign in or set a client secret)")
        if isinstance(exc, ax.ClientAuthenticationError) and not self.config.get("client_id"):
            # DefaultAzureCredential got no token from any source: nothing was rejected.
            return NeedsReauth(
                "no usable Azure credentials (none of DefaultAzureCredential's sources "
                "signed in; or give --tenant-id and --client-id)"
            )
        if isinstance(exc, ax.ClientAuthenticationError):
            return NeedsReauth(
                "Azure rejected the credentials" + (f" for {vault}" if vault else "")
            )
        if isinstance(exc, ax.ResourceNotFoundError):
            return ProviderFailure(f"secret not found: {what} in {vault}")
        if isinstance(exc, ax.DecodeError):
            return ProviderFailure(f"malformed answer for {what} from {vault}")
        if isinstance(exc, ax.HttpResponseError):
            status = exc.status_code
            code = str(getattr(getattr(exc, "error", None), "code", "") or "")
            inner = str(getattr(getattr(exc, "error", None), "innererror", "") or "")
            if "disabled" in (code + inner).lower():
                return ProviderFailure(f"secret {what} is disabled in {vault}")
            if status in (401, 403):
                return NeedsReauth(f"Azure Key Vault {vault} refused access to {what} ({status})")
            return ProviderFailure(f"Azure Key Vault {vault} refused {what} (HTTP {status})")
        if isinstance(exc, ax.ServiceRequestTimeoutError | ax.ServiceResponseTimeoutError):
            return FetchError(
                Reason.TIMED_OUT, f"Azure Key Vault {vault} did not answer in {self.timeout:g}s"
            )
        if isinstance(exc, ax.ServiceRequestError | ax.ServiceResponseError):
            return ProviderUnreachable(f"cannot reach Azure Key Vault {vault}")
        if isinstance(exc, ValueError):
            return ProviderFailure(
                f"Azure Key Vault {vault}: its challenge does not match the vault host"
                " (or the settings are invalid)"
            )
        if isinstance(exc, ax.AzureError):
            return ProviderFailure(f"Azure request for {what} failed ({type(exc).__name__})")
        return ProviderFailure(f"unexpected error fetching {what} ({type(exc).__name__})")

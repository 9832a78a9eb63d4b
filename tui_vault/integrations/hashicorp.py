"""HashiCorp Vault / OpenBao KV secrets through `hvac`.

One hvac client per provider, shared by the resolver's worker threads (its requests session
is safe for concurrent GETs). AppRole and userpass log in lazily, once, under a lock, and log
in again once when the server answers 403 (their tokens expire). A 403 for a token that
`lookup-self` still accepts is a policy problem, not an authentication one, so it is
reported as a provider error ("permission denied"), which re-authenticating would not fix.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from tui_vault.core.model import Link, Reason
from tui_vault.core.providers import (
    MAX_CONNECTIONS,
    FetchError,
    NeedsReauth,
    Provider,
    ProviderFailure,
    safe_url,
)

T = TypeVar("T")

_KV_TYPES = ("kv", "generic", "cubbyhole")


@dataclass(frozen=True)
class _Mount:
    """Where an engine name really lives: the mount, a path prefix inside it, KV version."""

    mount: str
    prefix: str
    version: int


class HashiCorpProvider(Provider):
    name = "hashicorp"
    label = "HashiCorp Vault"

    def __init__(
        self,
        config: Mapping[str, str],
        executor: Executor | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(config, executor, timeout)
        self._lock = threading.Lock()
        self._client: Any = None
        self._mounts: dict[str, _Mount] = {}
        # One mount lookup per engine even when many fetches start at once (single flight);
        # a failure is shared with the fetches that waited for it, not retried one by one.
        self._mount_locks: dict[str, threading.Lock] = {}
        self._mount_failures: dict[str, tuple[float, Exception]] = {}
        self._server = safe_url(self.config.get("url", ""))

    def __repr__(self) -> str:
        return f"HashiCorpProvider(server={self._server!r}, auth={self._method!r})"

    @property
    def _method(self) -> str:
        return self.config.get("auth") or "token"

    # ------------------------------------------------------------------ public API

    async def fetch(self, link: Link) -> str:
        engine = link.params.get("engine", "").strip("/")
        path = link.params.get("path", "").strip("/")
        key = link.params.get("key", "")
        if not engine or not path or not key:
            raise ProviderFailure("HashiCorp link needs engine, path and key")
        return await self.run_blocking(lambda: self._fetch_sync(engine, path, key))

    async def verify(self) -> None:
        await self.run_blocking(self._verify_sync)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.adapter.close()

    # ------------------------------------------------------------------ blocking side

    def _fetch_sync(self, engine: str, path: str, key: str) -> str:
        where = f"{engine}/{path}"
        data = self._guarded(where, lambda client: self._read(client, engine, path))
        if key not in data:
            raise ProviderFailure(f"key {key!r} not found at {where} on {self._server}")
        value = data[key]
        return value if isinstance(value, str) else json.dumps(value)

    def _verify_sync(self) -> None:
        self._guarded("the token", lambda client: client.auth.token.lookup_self())

    def _guarded(self, where: str, op: Callable[[Any], T]) -> T:
        """Run `op` with a logged-in client, translating every failure into a FetchError."""
        try:
            return self._with_auth(where, op)
        except FetchError:
            raise
        except Exception as exc:  # SDK and transport errors: rewrite without their text
            error = self._translate(exc, where)
        raise error from None

    def _with_auth(self, where: str, op: Callable[[Any], T]) -> T:
        import hvac.exceptions as hx

        client, token = self._session()
        try:
            return op(client)
        except (hx.Forbidden, hx.Unauthorized):
            pass
        if self._method != "token":
            # Our login token may have expired: log in again once, then retry once.
            self._relogin(token)
            try:
                return op(client)
            except (hx.Forbidden, hx.Unauthorized):
                pass
        if self._token_valid(client):
            raise ProviderFailure(
                f"permission denied for {where} on {self._server} (or it does not exist)"
            )
        what = {"token": "token"}.get(self._method, f"{self._method} login token")
        raise NeedsReauth(f"HashiCorp Vault at {self._server} rejected the {what}")

    def _session(self) -> tuple[Any, str]:
        """The shared client, created and logged in on first use."""
        with self._lock:
            if self._client is None:
                client = self._new_client()
                if self._method == "token":
                    client.token = self.config.get("token", "")
                else:
                    self._login(client)
                self._client = client
            return self._client, str(self._client.token or "")

    def _relogin(self, failed_token: str) -> None:
        with self._lock:
            client = self._client
            if client is not None and str(client.token or "") == failed_token:
                self._login(client)

    def _new_client(self) -> Any:
        import hvac
        from requests.adapters import HTTPAdapter

        url = self.config.get("url", "")
        if not url:
            raise ProviderFailure("HashiCorp Vault has no server URL configured")
        verify: bool | str = self.config.get("ca_bundle") or True
        client = hvac.Client(
            url=url,
            namespace=self.config.get("namespace") or None,
            verify=verify,
            timeout=self.timeout,
        )
        adapter = HTTPAdapter(pool_maxsize=MAX_CONNECTIONS)
        for scheme in ("http://", "https://"):
            client.adapter.session.mount(scheme, adapter)
        return client

    def _login(self, client: Any) -> None:
        """Log in with AppRole or userpass; a rejected login means new credentials are needed."""
        import hvac.exceptions as hx

        method = self._method
        mount = self.config.get("auth_mount") or method
        try:
            if method == "approle":
                client.auth.approle.login(
                    role_id=self.config.get("role_id", ""),
                    secret_id=self.config.get("secret_id", ""),
                    mount_point=mount,
                )
            elif method == "userpass":
                client.auth.userpass.login(
                    username=self.config.get("username", ""),
                    password=self.config.get("password", ""),
                    mount_point=mount,
                )
            else:
                raise ProviderFailure(f"unknown HashiCorp auth method {method!r}")
        except (hx.InvalidRequest, hx.Forbidden, hx.Unauthorized):
            rejected = True
        else:
            rejected = False
        if rejected:
            raise NeedsReauth(f"HashiCorp Vault at {self._server} rejected the {method} login")

    def _token_valid(self, client: Any) -> bool:
        import hvac.exceptions as hx

        try:
            client.auth.token.lookup_self()
        except (hx.Forbidden, hx.Unauthorized):
            return False
        return True

    def _mount(self, client: Any, engine: str) -> _Mount:
        """Find the mount holding `engine` and its KV version; cached per engine."""

        cached = self._mounts.get(engine)
        if cached is not None:
            return cached
        started = time.monotonic()
        with self._lock:
            lock = self._mount_locks.setdefault(engine, threading.Lock())
        with lock:
            cached = self._mounts.get(engine)
            if cached is not None:
                return cached
            failed = self._mount_failures.get(engine)
            if failed is not None and failed[0] >= started:
                raise failed[1]  # the lookup we waited for failed just now
            try:
                return self._lookup_mount(client, engine)
            except Exception as e:
                self._mount_failures[engine] = (time.monotonic(), e)
                raise

    def _lookup_mount(self, client: Any, engine: str) -> _Mount:
        import hvac.exceptions as hx

        try:
            answer = client.adapter.get(f"/v1/sys/internal/ui/mounts/{engine}")
        except hx.InvalidPath:
            raise ProviderFailure(f"no secrets engine is mounted at {engine!r}") from None
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            raise ProviderFailure(f"malformed mount description from {self._server}")
        kind = data.get("type")
        if kind not in _KV_TYPES:
            raise ProviderFailure(f"engine {engine!r} is not a KV secrets engine")
        options = data.get("options") or {}
        version = 2 if isinstance(options, dict) and str(options.get("version")) == "2" else 1
        mount = str(data.get("path") or engine).strip("/")
        prefix = ""
        if engine != mount and engine.startswith(mount + "/"):
            prefix = engine[len(mount) + 1 :]
        elif engine != mount:
            mount = engine
        found = _Mount(mount=mount, prefix=prefix, version=version)
        self._mounts[engine] = found
        return found

    def _read(self, client: Any, engine: str, path: str) -> dict[str, Any]:
        import hvac.exceptions as hx

        where = f"{engine}/{path}"
        m = self._mount(client, engine)
        full = f"{m.prefix}/{path}" if m.prefix else path
        try:
            if m.version == 2:
                answer = client.secrets.kv.v2.read_secret_version(
                    path=full, mount_point=m.mount, raise_on_deleted_version=True
                )
                data = answer["data"]["data"]
            else:
                answer = client.secrets.kv.v1.read_secret(path=full, mount_point=m.mount)
                data = answer["data"]
        except hx.InvalidPath:
            raise ProviderFailure(f"secret not found: {where} on {self._server}") from None
        except (KeyError, TypeError):
            raise ProviderFailure(f"malformed answer for {where} from {self._server}") from None
        if not isinstance(data, dict):
            raise ProviderFailure(f"malformed answer for {where} from {self._server}")
        return data

    def _translate(self, exc: BaseException, where: str) -> FetchError:
        import hvac.exceptions as hx
        import requests

        server = self._server
        if isinstance(exc, requests.exceptions.Timeout):
            return FetchError(
                Reason.TIMED_OUT, f"HashiCorp Vault at {server} did not answer in {self.timeout:g}s"
            )
        if isinstance(exc, requests.exceptions.JSONDecodeError | ValueError):
            return ProviderFailure(f"malformed answer for {where} from {server}")
        if isinstance(exc, requests.exceptions.SSLError):
            return ProviderFailure(f"TLS verification failed for {server}")
        if isinstance(exc, requests.exceptions.ConnectionError):
            return ProviderFailure(f"cannot reach HashiCorp Vault at {server}")
        if isinstance(exc, requests.exceptions.RequestException):
            return ProviderFailure(f"request to {server} failed ({type(exc).__name__})")
        if isinstance(exc, hx.InvalidPath):
            return ProviderFailure(f"secret not found: {where} on {server}")
        if isinstance(exc, hx.VaultDown):
            return ProviderFailure(f"HashiCorp Vault at {server} is sealed or down")
        if isinstance(exc, hx.RateLimitExceeded):
            return ProviderFailure(f"HashiCorp Vault at {server} is rate limiting requests")
        if isinstance(exc, hx.VaultError):
            return ProviderFailure(
                f"HashiCorp Vault at {server} refused {where} ({type(exc).__name__})"
            )
        return ProviderFailure(f"unexpected error reading {where} ({type(exc).__name__})")

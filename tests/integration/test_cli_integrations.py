"""`tui-vault integration …`, `link`, `get`, `inject`, `run`, `list --json`, `cache reset` as
subprocesses against the real servers (OpenBao, moto, the Azure emulator).

Every test records each command it ran; afterwards no credential shows up in any argv,
stdout or stderr, or in any file under HOME, and no fetched value in stderr or on disk.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.helpers import CliResult, assert_one_line_error, files_under, run_cli
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key
from tui_vault.integrations.registry import validate_link

from .proxy import FaultProxy
from .servers import AzureKeyVaultEmulator, MotoServer, OpenBaoServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ProxyFactory = Callable[..., FaultProxy]
CACHED_STATUS = re.compile(r"^cached · \d+ min left$")


@dataclass
class Cli:
    """The program bound to one temp HOME and vault; remembers every call for leak checks."""

    home: Path
    vault_path: Path
    key: bytes
    settings: Path
    calls: list[tuple[list[str], CliResult]] = field(default_factory=list)
    credentials: list[str] = field(default_factory=list)  # never anywhere
    values: list[str] = field(default_factory=list)  # only on stdout

    @property
    def env(self) -> dict[str, str]:
        return {
            "TUI_VAULT_PATH": str(self.vault_path),
            "TUI_VAULT_KEY": encode_key(self.key),
            "TUI_VAULT_SETTINGS": str(self.settings),
        }

    def __call__(self, *args: str, stdin: str | None = None, timeout: float = 60) -> CliResult:
        result = run_cli(list(args), stdin=stdin, env=self.env, home=self.home, timeout=timeout)
        self.calls.append((list(args), result))
        return result

    def ok(self, *args: str, stdin: str | None = None) -> CliResult:
        result = self(*args, stdin=stdin)
        assert result.code == 0, (args, result)
        assert "Traceback" not in result.err, result.err
        return result

    def vault(self) -> Vault:
        return Vault.open(self.vault_path, self.key)

    def rows(self) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for r in json.loads(self.ok("list", "--json").out)}

    def set_timeout(self, seconds: float) -> None:
        self.settings.write_text(f"fetch_timeout_seconds = {seconds}\n")

    def check_leaks(self) -> None:
        for args, result in self.calls:
            for secret in self.credentials:
                assert secret not in " ".join(args), f"credential on argv: {args}"
                assert secret not in result.out, f"credential on stdout of {args}"
                assert secret not in result.err, f"credential on stderr of {args}"
            for value in self.values:
                assert value not in result.err, f"value on stderr of {args}"
        for path in files_under(self.home):
            data = path.read_bytes()
            for secret in self.credentials + self.values:
                assert secret.encode() not in data, f"plaintext secret in {path}"


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    home = tmp_path / "home"
    home.mkdir()
    vault, key = Vault.create(home / "vault" / "vault.json")
    c = Cli(home=home, vault_path=vault.path, key=key, settings=home / "settings.toml")
    c.set_timeout(5)
    yield c
    c.check_leaks()


# ----------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class BaoSeed:
    path: str
    value: str
    other_path: str
    other_value: str
    token: str  # a token whose id is a leak marker
    role_id: str
    secret_id: str
    username: str
    password: str


@pytest.fixture(scope="module")
def bao(openbao: OpenBaoServer) -> BaoSeed:
    tag = uuid.uuid4().hex[:8]
    value, other = f"VALUE-bao-{tag}", f"VALUE-bao2-{tag}"
    openbao.put("secret", f"cli-{tag}/db", {"password": value})
    openbao.put("secret", f"cli-{tag}/api", {"token": other})
    policy = openbao.policy(f"cli-read-{tag}", "secret/data/*", "sys/internal/ui/mounts/*")
    token = f"LEAKMARKERbao{uuid.uuid4().hex}"
    openbao.client().auth.token.create(id=token, policies=[policy], ttl="1h")
    role_id, secret_id = openbao.approle(f"cli-{tag}", policy)
    password = f"LEAKMARKERpw{uuid.uuid4().hex}"
    openbao.userpass(f"cli-{tag}", password, policy)
    return BaoSeed(
        path=f"cli-{tag}/db",
        value=value,
        other_path=f"cli-{tag}/api",
        other_value=other,
        token=token,
        role_id=role_id,
        secret_id=secret_id,
        username=f"cli-{tag}",
        password=password,
    )


@dataclass(frozen=True)
class AwsSeed:
    plain: str
    value: str
    json_secret: str
    json_value: str
    access_key_id: str
    secret_access_key: str


@pytest.fixture(scope="module")
def aws(moto: MotoServer) -> AwsSeed:
    tag = uuid.uuid4().hex[:8]
    sm = moto.client("secretsmanager")
    value, json_value = f"VALUE-aws-{tag}", f"VALUE-awsjson-{tag}"
    sm.create_secret(Name=f"cli/{tag}/plain", SecretString=value)
    sm.create_secret(
        Name=f"cli/{tag}/json", SecretString=json.dumps({"user": "app", "password": json_value})
    )
    key_id, secret_key = moto.user(f"cli-{tag}", ["secretsmanager:GetSecretValue"])
    return AwsSeed(f"cli/{tag}/plain", value, f"cli/{tag}/json", json_value, key_id, secret_key)


@pytest.fixture
def azure(azure_vault: AzureKeyVaultEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The emulator with a client secret that is a leak marker; yields that secret."""
    secret = f"LEAKMARKERaz{uuid.uuid4().hex}"
    monkeypatch.setattr(azure_vault, "client_secret", secret)
    azure_vault.revoke_tokens()
    yield secret
    azure_vault.revoke_tokens()


def connect_bao(cli: Cli, url: str, bao: BaoSeed, *extra: str) -> CliResult:
    cli.credentials.append(bao.token)
    return cli.ok(
        "integration", "connect", "hashicorp", "--url", url, "--auth", "token", *extra,
        stdin=bao.token + "\n",
    )  # fmt: skip


def connect_aws(cli: Cli, endpoint: str, aws: AwsSeed, region: str = "us-east-1") -> CliResult:
    cli.credentials.append(aws.secret_access_key)
    return cli.ok(
        "integration", "connect", "aws", "--region", region,
        "--access-key-id", aws.access_key_id, "--endpoint-url", endpoint,
        stdin=aws.secret_access_key + "\n",
    )  # fmt: skip


def connect_azure(cli: Cli, emu: AzureKeyVaultEmulator, secret: str, *extra: str) -> CliResult:
    cli.credentials.append(secret)
    return cli(
        "integration", "connect", "azure", "--tenant-id", emu.tenant_id,
        "--client-id", emu.client_id, "--ca-bundle", emu.ca_bundle,
        "--authority", emu.vault_url, *extra,
        stdin=secret + "\n",
    )  # fmt: skip


def link_bao(cli: Cli, name: str, path: str, key: str) -> CliResult:
    return cli.ok(
        "link", name, "--provider", "hashicorp", "--engine", "secret", "--path", path, "--key", key
    )


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------- HashiCorp


def test_hashicorp_token_connect_link_get_list_set_unlink(
    cli: Cli, openbao: OpenBaoServer, bao: BaoSeed
) -> None:
    cli.values.append(bao.value)
    result = connect_bao(cli, openbao.url, bao)
    assert "Connected HashiCorp (credentials checked)" in result.err
    stored = cli.vault().data.integrations["hashicorp"]
    assert stored == {"url": openbao.url, "auth": "token", "token": bao.token}

    status = {r["provider"]: r for r in json.loads(cli.ok("integration", "status", "--json").out)}
    h = status["hashicorp"]
    assert (h["connected"], h["status"], h["detail"]) == (True, "connected", "credentials accepted")
    assert h["settings"] == {"url": openbao.url, "auth": "token"}
    assert status["aws"]["status"] == "not connected"

    result = link_bao(cli, "DB", bao.path, "password")
    assert f"Created and linked DB to hashicorp: secret/{bao.path}#password" in result.err
    assert cli.rows()["DB"]["status"] == "not fetched yet · from HashiCorp"

    assert cli.ok("get", "DB").out == bao.value + "\n"
    row = cli.rows()["DB"]
    assert row["source"] != "local" and row["link"] == f"secret/{bao.path}#password"
    assert 0 <= row["cache_age_seconds"] < 30
    assert 3570 < row["cache_expires_in_seconds"] <= 3600
    assert CACHED_STATUS.match(row["status"]), row["status"]
    assert "value" not in row and bao.value not in json.dumps(row)

    code, out, err = cli("set", "DB", stdin="local-value\n")
    assert code == 1 and out == ""
    assert "linked to hashicorp" in assert_one_line_error(err)
    assert cli.ok("get", "DB").out == bao.value + "\n"

    result = cli.ok("unlink", "DB")
    assert "Unlinked DB" in result.err
    row = cli.rows()["DB"]
    assert "link" not in row and row["status"] == "empty"
    cli.ok("set", "DB", stdin="now-local\n")
    assert cli.ok("get", "DB").out == "now-local\n"


def test_hashicorp_wrong_token_saves_nothing(
    cli: Cli, openbao: OpenBaoServer, leak_marker: str
) -> None:
    cli.credentials.append(leak_marker)
    before = cli.vault_path.read_bytes()
    code, out, err = cli(
        "integration", "connect", "hashicorp", "--url", openbao.url, "--auth", "token",
        stdin=leak_marker + "\n",
    )  # fmt: skip
    assert code == 1 and out == ""
    line = assert_one_line_error(err)
    assert "needs re-authentication" in line and "nothing was saved" in line
    assert cli.vault_path.read_bytes() == before
    assert cli.vault().data.integrations == {}


def test_revoked_token_needs_reauthentication(
    cli: Cli, openbao: OpenBaoServer, bao: BaoSeed, leak_marker: str
) -> None:
    """A token revoked after connecting: get exits 4 and status says so; nothing leaks."""
    token = f"{leak_marker}revoked"
    openbao.client().auth.token.create(id=token, policies=["default"], ttl="1h")
    cli.credentials.append(token)
    cli.values.append(bao.value)
    link_bao(cli, "DB", bao.path, "password")
    cli.ok(
        "integration", "connect", "hashicorp", "--url", openbao.url, "--auth", "token",
        stdin=token + "\n",
    )  # fmt: skip
    # The default policy may not read the secret: that is a provider error, not a re-auth.
    code, _, err = cli("get", "DB")
    assert code == 4 and "provider error" in assert_one_line_error(err)
    assert "permission denied" in err

    openbao.client().auth.token.revoke(token)
    code, out, err = cli("get", "DB")
    assert code == 4 and out == ""
    assert "needs re-authentication" in assert_one_line_error(err)
    rows = json.loads(cli.ok("integration", "status", "--json").out)
    h = next(r for r in rows if r["provider"] == "hashicorp")
    assert h["status"] == "needs re-authentication" and "rejected the token" in h["detail"]

    before = cli.vault_path.read_bytes()
    code, _, err = cli(
        "integration", "connect", "hashicorp", "--url", "http://127.0.0.1:9", "--auth", "token",
        stdin=token + "\n",
    )  # fmt: skip
    assert code == 1
    line = assert_one_line_error(err)
    assert "cannot reach" in line and "nothing was saved" in line
    assert cli.vault_path.read_bytes() == before


def test_hashicorp_approle_and_userpass(cli: Cli, openbao: OpenBaoServer, bao: BaoSeed) -> None:
    cli.credentials += [bao.secret_id, bao.password]
    cli.values.append(bao.value)
    link_bao(cli, "DB", bao.path, "password")

    cli.ok(
        "integration", "connect", "hashicorp", "--url", openbao.url, "--auth", "approle",
        "--role-id", bao.role_id, stdin=bao.secret_id + "\n",
    )  # fmt: skip
    config = cli.vault().data.integrations["hashicorp"]
    assert (config["auth"], config["role_id"], config["secret_id"]) == (
        "approle", bao.role_id, bao.secret_id
    )  # fmt: skip
    assert cli.ok("get", "DB").out == bao.value + "\n"

    cli.ok(
        "integration", "connect", "hashicorp", "--url", openbao.url, "--auth", "userpass",
        "--username", bao.username, stdin=bao.password + "\n",
    )  # fmt: skip
    config = cli.vault().data.integrations["hashicorp"]
    assert (config["auth"], config["username"], config["password"]) == (
        "userpass", bao.username, bao.password
    )  # fmt: skip
    cli.ok("cache", "reset")
    assert cli.ok("get", "DB").out == bao.value + "\n"

    before = cli.vault_path.read_bytes()
    code, _, err = cli(
        "integration", "connect", "hashicorp", "--url", openbao.url, "--auth", "userpass",
        "--username", bao.username, stdin="wrong-password\n",
    )  # fmt: skip
    assert code == 1
    line = assert_one_line_error(err)
    assert "needs re-authentication" in line and "nothing was saved" in line
    assert cli.vault_path.read_bytes() == before

    code, _, err = cli(
        "integration", "connect", "hashicorp", "--url", openbao.url, "--auth", "approle",
        stdin=bao.secret_id + "\n",
    )  # fmt: skip
    assert code == 2 and "--role-id" in assert_one_line_error(err)


# ----------------------------------------------------------------------------- AWS, Azure


def test_aws_connect_link_get(cli: Cli, moto: MotoServer, aws: AwsSeed) -> None:
    cli.values += [aws.value, aws.json_value]
    result = connect_aws(cli, moto.endpoint_url, aws)
    assert "Connected AWS (credentials checked)" in result.err
    config = cli.vault().data.integrations["aws"]
    assert config["secret_access_key"] == aws.secret_access_key
    assert "session_token" not in config

    cli.ok("link", "PLAIN", "--provider", "aws", "--secret-id", aws.plain)
    cli.ok("link", "PASS", "--provider", "aws", "--secret-id", aws.json_secret,
           "--json-key", "password")  # fmt: skip
    assert cli.ok("get", "PLAIN").out == aws.value + "\n"
    assert cli.ok("get", "PASS").out == aws.json_value + "\n"
    rows = cli.rows()
    assert rows["PASS"]["link"] == f"{aws.json_secret}#password"
    assert all(CACHED_STATUS.match(rows[n]["status"]) for n in ("PLAIN", "PASS"))

    status = {r["provider"]: r for r in json.loads(cli.ok("integration", "status", "--json").out)}
    assert status["aws"]["status"] == "connected"
    assert status["aws"]["settings"] == {
        "region": "us-east-1",
        "access_key_id": aws.access_key_id,
        "endpoint_url": moto.endpoint_url,
    }


def test_aws_wrong_secret_key_saves_nothing(
    cli: Cli, moto: MotoServer, aws: AwsSeed, leak_marker: str
) -> None:
    cli.credentials.append(leak_marker)
    before = cli.vault_path.read_bytes()
    code, out, err = cli(
        "integration", "connect", "aws", "--region", "us-east-1",
        "--access-key-id", aws.access_key_id, "--endpoint-url", moto.endpoint_url,
        stdin=leak_marker + "\n",
    )  # fmt: skip
    assert code == 1 and out == ""
    line = assert_one_line_error(err)
    assert "needs re-authentication" in line and "nothing was saved" in line
    assert cli.vault_path.read_bytes() == before


def test_azure_connect_link_get(cli: Cli, azure_vault: AzureKeyVaultEmulator, azure: str) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    value = f"VALUE-azure-{uuid.uuid4().hex}"
    azure_vault.set_secret(name, value)
    cli.values.append(value)
    cli.ok("link", "AZ", "--provider", "azure", "--secret-id", azure_vault.secret_id(name))

    # Without the flag the SDK refuses a challenge from outside *.vault.azure.net.
    result = connect_azure(cli, azure_vault, azure)
    assert result.code == 0, result
    code, out, err = cli("get", "AZ")
    assert code == 4 and out == ""
    assert "provider error" in assert_one_line_error(err)

    result = connect_azure(cli, azure_vault, azure, "--no-verify-challenge-resource")
    assert result.code == 0 and "Connected Azure (credentials checked)" in result.err
    config = cli.vault().data.integrations["azure"]
    assert config["verify_challenge_resource"] == "false"
    assert config["client_secret"] == azure
    assert config["authority"] == azure_vault.vault_url
    assert cli.ok("get", "AZ").out == value + "\n"
    assert CACHED_STATUS.match(cli.rows()["AZ"]["status"])
    status = {r["provider"]: r for r in json.loads(cli.ok("integration", "status", "--json").out)}
    assert (status["azure"]["status"], status["azure"]["detail"]) == (
        "connected", "credentials accepted"
    )  # fmt: skip
    assert status["azure"]["settings"] == {
        "tenant_id": azure_vault.tenant_id,
        "client_id": azure_vault.client_id,
        "ca_bundle": azure_vault.ca_bundle,
        "authority": azure_vault.vault_url,
        "verify_challenge_resource": "false",  # shown: it is a security setting, not a secret
    }

    before = cli.vault_path.read_bytes()
    code, _, err = connect_azure(cli, azure_vault, azure + "-wrong")
    assert code == 1
    line = assert_one_line_error(err)
    assert "needs re-authentication" in line and "nothing was saved" in line
    assert cli.vault_path.read_bytes() == before


def test_1password_connect_without_verification(cli: Cli, leak_marker: str) -> None:
    token = f"ops_{leak_marker}"
    cli.credentials.append(token)
    result = cli.ok("integration", "connect", "1password", "--no-verify", stdin=token + "\n")
    assert "Connected 1Password" in result.err and "checked" not in result.err
    assert cli.vault().data.integrations["1password"] == {"token": token}
    rows = json.loads(cli.ok("integration", "status", "--json", "--no-check").out)
    op = next(r for r in rows if r["provider"] == "1password")
    assert (op["connected"], op["status"], op["detail"]) == (True, "connected", "not checked")
    assert op["settings"] == {}
    text = cli.ok("integration", "status", "--no-check").out
    assert "1password  connected (not checked)" in text

    result = cli.ok("link", "OP", "--provider", "1password", "--ref", "op://Dev/db/password")
    assert "Created and linked OP" in result.err
    assert cli.vault().get("OP").link is not None

    code, _, err = cli("integration", "connect", "1password", "--no-verify", stdin="not-a-token\n")
    assert code == 2 and "service account token" in assert_one_line_error(err)


# ----------------------------------------------------------------------------- link input

BAD_LINKS = [
    (["--provider", "hashicorp", "--engine", "secret", "--path", "app"], "needs key"),
    (["--provider", "hashicorp", "--engine", "secret", "--path", "../etc", "--key", "k"],
     "relative segment"),
    (["--provider", "aws", "--secret-id", "bad id!"], "may only contain"),
    (["--provider", "azure", "--secret-id", "http://kv.vault.azure.net/secrets/x"],
     "invalid Azure secret identifier"),
    (["--provider", "1password", "--ref", "op://only-vault"], "invalid 1Password reference"),
]  # fmt: skip


def test_invalid_link_parameters_change_nothing(cli: Cli) -> None:
    cli.ok("set", "KEEP", stdin="kept\n")
    before = cli.vault_path.read_bytes()
    for args, message in BAD_LINKS:
        code, out, err = cli("link", "NEW", *args)
        assert code == 2 and out == "", (args, code, err)
        assert message in assert_one_line_error(err), (args, err)
    code, _, err = cli("link", "NEW", "--provider", "vault", "--secret-id", "x")
    assert code == 2 and "invalid choice" in assert_one_line_error(err)
    code, _, err = cli("link", "bad name", "--provider", "aws", "--secret-id", "x")
    assert code == 2 and "invalid secret name" in assert_one_line_error(err)
    assert cli.vault_path.read_bytes() == before
    assert cli.vault().names() == ["KEEP"]


# ----------------------------------------------------------------------------- inject, run


@pytest.fixture
def three(
    cli: Cli,
    openbao: OpenBaoServer,
    moto: MotoServer,
    azure_vault: AzureKeyVaultEmulator,
    azure: str,
    bao: BaoSeed,
    aws: AwsSeed,
) -> dict[str, str]:
    """HashiCorp, AWS and Azure connected, one linked secret each: name -> value."""
    az_name = f"cli-{uuid.uuid4().hex[:8]}"
    az_value = f"VALUE-az-{uuid.uuid4().hex}"
    azure_vault.set_secret(az_name, az_value)
    connect_bao(cli, openbao.url, bao)
    connect_aws(cli, moto.endpoint_url, aws)
    assert connect_azure(cli, azure_vault, azure, "--no-verify-challenge-resource").code == 0
    vault = cli.vault()  # links in-process: the `link` command has its own tests above
    vault.link("BAO", validate_link("hashicorp", {"engine": "secret", "path": bao.path,
                                                  "key": "password"}))  # fmt: skip
    vault.link("AWS", validate_link("aws", {"secret_id": aws.plain}))
    vault.link("AZ", validate_link("azure", {"secret_id": azure_vault.secret_id(az_name)}))
    vault.set_value("LOCAL", "local-value")
    values = {"BAO": bao.value, "AWS": aws.value, "AZ": az_value}
    cli.values += list(values.values())
    return values


CHILD = """
import hashlib, os, sys
ours = os.getppid()
for name in sys.argv[1:]:
    v = os.environ[name]
    argv_clean = all(
        v.encode() not in open(f"/proc/{pid}/cmdline", "rb").read() for pid in ("self", ours)
    )
    print(name, hashlib.sha256(v.encode()).hexdigest(), argv_clean, v)
"""


def test_inject_and_run_resolve_every_provider(
    cli: Cli, three: dict[str, str], tmp_path: Path
) -> None:
    template = "".join(f"{n}={{{{vault:{n}}}}}\n" for n in three) + "L={{vault:LOCAL}} {{x}}\n"
    expected = "".join(f"{n}={v}\n" for n, v in three.items()) + "L=local-value {{x}}\n"
    assert cli.ok("inject", stdin=template).out == expected
    rows = cli.rows()
    assert all(CACHED_STATUS.match(rows[n]["status"]) for n in three), rows

    out_file = tmp_path / "rendered.env"  # outside HOME: it holds values on purpose
    (cli.home / "t.tmpl").write_text(template)
    cli.ok("inject", "-i", str(cli.home / "t.tmpl"), "-o", str(out_file))
    assert out_file.read_text() == expected
    assert out_file.stat().st_mode & 0o777 == 0o600

    # run: references in the environment (ours and an env file) are resolved for the child,
    # never put on any argv, and the child's output is masked.
    env_file = cli.home / "app.env"
    env_file.write_text("AWS_SECRET='{{vault:AWS}}'\nAZ_SECRET={{vault:AZ}}\n")
    args = ["run", "--env-file", str(env_file), "--", sys.executable, "-c", CHILD,
            "BAO_SECRET", "AWS_SECRET", "AZ_SECRET"]  # fmt: skip
    # The reference for BAO comes from our own environment, as a user would export it.
    result = run_cli(
        args, env={**cli.env, "BAO_SECRET": "{{vault:BAO}}"}, home=cli.home, timeout=60
    )
    cli.calls.append((args, result))
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert len(lines) == 3, result.out
    for line, (name, value) in zip(lines, three.items(), strict=True):
        env_name, digest, argv_clean, shown = line.split(" ")
        assert env_name == f"{name}_SECRET"
        assert digest == sha(value)  # the child got exactly the value
        assert argv_clean == "True"  # not in its argv, nor in ours
        assert value not in shown  # and its output was masked
    assert not any(v in result.out for v in three.values())

    code, _, err = cli("run", "--", "echo", "{{vault:BAO}}")
    assert code == 2 and "--expose-argv" in assert_one_line_error(err)


# ----------------------------------------------------------------------------- disconnect


def test_disconnect_keeps_links_and_get_exits_4(
    cli: Cli, openbao: OpenBaoServer, bao: BaoSeed
) -> None:
    cli.values.append(bao.value)
    connect_bao(cli, openbao.url, bao)
    link_bao(cli, "DB", bao.path, "password")
    assert cli.ok("get", "DB").out == bao.value + "\n"
    assert cli.vault_path.with_name("vault.json.cache").exists() or any(
        "cache" in p.name for p in cli.vault_path.parent.iterdir()
    )

    result = cli.ok("integration", "disconnect", "hashicorp")
    assert "Disconnected HashiCorp; its credentials were deleted" in result.err
    assert "1 linked secret keeps its link and is unresolved" in result.err
    assert "hashicorp" not in cli.vault().data.integrations

    code, out, err = cli("get", "DB")
    assert code == 4 and out == ""
    line = assert_one_line_error(err)
    assert "{{vault:DB}}" in line and "integration disconnected" in line
    code, out, err = cli("inject", stdin="x={{vault:DB}}\n")
    assert code == 4 and out == "" and "integration disconnected" in err
    row = cli.rows()["DB"]
    assert row["link"] == f"secret/{bao.path}#password"
    assert row["status"] == "unresolved: integration disconnected"
    status = {r["provider"]: r for r in json.loads(cli.ok("integration", "status", "--json").out)}
    assert (status["hashicorp"]["status"], status["hashicorp"]["linked_secrets"]) == (
        "not connected", 1
    )  # fmt: skip
    assert "was not connected" in cli.ok("integration", "disconnect", "hashicorp").err

    connect_bao(cli, openbao.url, bao)
    assert cli.ok("get", "DB").out == bao.value + "\n"


def test_cache_reset(cli: Cli, openbao: OpenBaoServer, bao: BaoSeed) -> None:
    cli.values.append(bao.value)
    connect_bao(cli, openbao.url, bao)
    link_bao(cli, "DB", bao.path, "password")
    cli.ok("get", "DB")
    cache_file = cli.vault().paths.cache
    assert cache_file.exists()
    assert bao.value.encode() not in cache_file.read_bytes()

    assert "Cleared the cache of fetched values" in cli.ok("cache", "reset").err
    assert not cache_file.exists()
    row = cli.rows()["DB"]
    assert row["status"] == "not fetched yet · from HashiCorp"
    assert row["cache_age_seconds"] is None and row["cache_expires_in_seconds"] is None
    assert "already empty" in cli.ok("cache", "reset").err
    assert cli.ok("get", "DB").out == bao.value + "\n"
    assert CACHED_STATUS.match(cli.rows()["DB"]["status"])


def test_reconnecting_elsewhere_does_not_serve_the_old_cached_value(
    cli: Cli, moto: MotoServer, aws: AwsSeed
) -> None:
    """The cache is keyed by the link; after connecting to another region (account, server)
    the same link names another secret, and the old server's value must not be served."""
    name = f"cli/{uuid.uuid4().hex[:8]}/moved"
    values = {}
    for region in ("us-east-1", "eu-west-1"):
        values[region] = f"VALUE-{region}-{uuid.uuid4().hex}"
        boto3.client(
            "secretsmanager",
            endpoint_url=moto.endpoint_url,
            region_name=region,
            aws_access_key_id=moto.access_key_id,
            aws_secret_access_key=moto.secret_access_key,
        ).create_secret(Name=name, SecretString=values[region])
    cli.values += list(values.values())
    cli.ok("link", "MOVED", "--provider", "aws", "--secret-id", name)

    connect_aws(cli, moto.endpoint_url, aws, region="us-east-1")
    assert cli.ok("get", "MOVED").out == values["us-east-1"] + "\n"
    connect_aws(cli, moto.endpoint_url, aws, region="eu-west-1")
    assert cli.ok("get", "MOVED").out == values["eu-west-1"] + "\n"

    cli.ok("integration", "disconnect", "aws")
    connect_aws(cli, moto.endpoint_url, aws, region="us-east-1")
    assert cli.ok("get", "MOVED").out == values["us-east-1"] + "\n"


# ----------------------------------------------------------------------------- timing


def timed_cli(cli: Cli, *args: str, stdin: str | None = None) -> tuple[CliResult, float]:
    start = time.perf_counter()
    result = cli(*args, stdin=stdin)
    return result, time.perf_counter() - start


@pytest.mark.parametrize("provider", ["hashicorp", "aws", "azure"])
def test_get_gives_up_after_the_fetch_timeout(
    cli: Cli,
    openbao: OpenBaoServer,
    moto: MotoServer,
    azure_vault: AzureKeyVaultEmulator,
    azure: str,
    bao: BaoSeed,
    aws: AwsSeed,
    make_proxy: ProxyFactory,
    provider: str,
) -> None:
    """The whole command ends about `fetch_timeout_seconds` after it starts fetching: no
    retry or lingering SDK thread keeps the process alive much longer."""
    timeout = 2.0
    cli.values += [bao.value, aws.value]
    if provider == "hashicorp":
        proxy = make_proxy(openbao.url)
        connect_bao(cli, proxy.url, bao)
        link_bao(cli, "S", bao.path, "password")
    elif provider == "aws":
        proxy = make_proxy(moto.endpoint_url)
        connect_aws(cli, proxy.url, aws)
        cli.ok("link", "S", "--provider", "aws", "--secret-id", aws.plain)
    else:  # the emulator speaks HTTPS: it delays its own answers instead of the proxy
        name = f"cli-{uuid.uuid4().hex[:8]}"
        azure_vault.set_secret(name, bao.value)
        assert connect_azure(cli, azure_vault, azure, "--no-verify-challenge-resource").code == 0
        cli.ok("link", "S", "--provider", "azure", "--secret-id", azure_vault.secret_id(name))
    cli.set_timeout(timeout)
    # How long the same command takes when the server answers (start-up, imports).
    baseline_result, baseline = timed_cli(cli, "get", "S")
    assert baseline_result.code == 0, baseline_result
    cli.ok("cache", "reset")

    if provider == "azure":
        azure_vault.set_mode("ok", delay=30)
    else:
        proxy.set("hang")
    result, elapsed = timed_cli(cli, "get", "S")

    assert result.code == 4 and result.out == ""
    assert "timed out" in assert_one_line_error(result.err)
    assert elapsed < baseline + timeout + 1.0, (elapsed, baseline)
    print(f"\n[cli-timeout-{provider}] baseline {baseline:.2f}s, hang {elapsed:.2f}s")


def test_inject_fetches_concurrently(
    cli: Cli, openbao: OpenBaoServer, bao: BaoSeed, make_proxy: ProxyFactory
) -> None:
    """20 references through a 200 ms proxy: one `inject` takes about as long as one `get`."""
    n = 20
    tag = uuid.uuid4().hex[:8]
    values = {f"S{i}": f"VALUE-{tag}-{i}" for i in range(n)}
    for i, value in enumerate(values.values()):
        openbao.put("secret", f"cli-{tag}/s{i}", {"v": value})
    cli.values += list(values.values())
    proxy = make_proxy(openbao.url, delay_ms=200)
    connect_bao(cli, proxy.url, bao)
    vault = cli.vault()  # linking in-process: 20 `link` commands would only add start-up time
    for i, name in enumerate(values):
        vault.link(
            name,
            validate_link("hashicorp", {"engine": "secret", "path": f"cli-{tag}/s{i}", "key": "v"}),
        )

    one, single = timed_cli(cli, "get", "S0")
    assert one.code == 0, one
    cli.ok("cache", "reset")
    proxy.stats.max_in_flight = 0

    template = "".join(f"{{{{vault:{name}}}}}\n" for name in values)
    result, elapsed = timed_cli(cli, "inject", stdin=template)

    assert result.code == 0, result
    assert result.out == "".join(f"{v}\n" for v in values.values())
    assert result.err == ""  # nothing else on stderr (e.g. no connection-pool warnings)
    # Sequential fetches would add about 20 x 2 round trips (8 s) to one get.
    assert elapsed < single + 2.0, (elapsed, single)
    assert proxy.stats.max_in_flight > n // 2, proxy.stats
    print(
        f"\n[cli-inject] {n} refs in {elapsed:.2f}s vs get of 1 in {single:.2f}s, "
        f"max_in_flight={proxy.stats.max_in_flight}"
    )


def test_an_unwritable_cache_costs_only_the_caching(
    cli: Cli, openbao: OpenBaoServer, bao: BaoSeed
) -> None:
    cli.values.append(bao.value)
    link_bao(cli, "DB", bao.path, "password")
    cli.vault().paths.cache.mkdir()  # cannot be written or replaced (works as root, too)
    connect_bao(cli, openbao.url, bao)
    assert cli.ok("get", "DB").out == bao.value + "\n"
    assert cli.ok("get", "DB").out == bao.value + "\n"
    assert "Disconnected HashiCorp" in cli.ok("integration", "disconnect", "hashicorp").err


def test_connect_drops_the_whole_cache_when_it_cannot_be_rewritten(
    cli: Cli, openbao: OpenBaoServer, bao: BaoSeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process (to fake a full disk): the old server's values must not survive."""
    from tui_vault import cli as cli_module
    from tui_vault.core import cache as cache_module
    from tui_vault.core.cache import Cache
    from tui_vault.core.errors import StorageError

    vault = cli.vault()
    Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id).put_many(
        {bao_link_fingerprint(bao): "old-server-value"}
    )

    def full_disk(*_: object, **__: object) -> None:
        raise StorageError("could not write the cache: No space left on device")

    monkeypatch.setattr(cache_module, "atomic_write", full_disk)
    for k, v in {**cli.env, "HOME": str(cli.home), "TUI_VAULT_NO_KEYRING": "1"}.items():
        monkeypatch.setenv(k, v)
    cli.credentials.append(bao.token)
    monkeypatch.setattr("sys.stdin", _Stdin(bao.token + "\n"))
    args = ["integration", "connect", "hashicorp", "--url", openbao.url, "--auth", "token"]
    assert cli_module.main([*args, "--no-verify"]) == 0
    assert not vault.paths.cache.exists()
    assert "hashicorp" in cli.vault().data.integrations


class _Stdin:
    """Just enough of sys.stdin for read_stdin_secret (not a terminal)."""

    def __init__(self, text: str) -> None:
        import io

        self.buffer = io.BytesIO(text.encode())

    def isatty(self) -> bool:
        return False


def bao_link_fingerprint(bao: BaoSeed) -> str:
    return validate_link(
        "hashicorp", {"engine": "secret", "path": bao.path, "key": "password"}
    ).fingerprint

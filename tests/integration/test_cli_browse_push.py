"""`browse`, `push` and the stale path as the user runs them: the real program as a
subprocess against OpenBao, moto and the Azure emulator. Every call is recorded; no
credential shows anywhere and no value on stderr or on disk (Cli.check_leaks)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import assert_one_line_error, run_cli
from tui_vault.core.cache import Cache
from tui_vault.core.vault import Vault

from .servers import AzureKeyVaultEmulator, MotoServer, OpenBaoServer
from .test_cli_integrations import Cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    home = tmp_path / "home"
    home.mkdir()
    vault, key = Vault.create(home / "vault" / "vault.json")
    c = Cli(home=home, vault_path=vault.path, key=key, settings=home / "settings.toml")
    c.set_timeout(5)
    yield c
    c.check_leaks()


def connect_bao(cli: Cli, url: str, token: str) -> None:
    cli.credentials.append(token)
    cli.ok(
        "integration", "connect", "hashicorp", "--url", url, "--auth", "token", stdin=token + "\n"
    )


# ----------------------------------------------------------------------------- browse


def test_browse_hashicorp_to_a_key_and_link_it(cli: Cli, openbao: OpenBaoServer) -> None:
    tag = uuid.uuid4().hex[:8]
    value = f"VALUE-browse-{tag}"
    cli.values.append(value)
    openbao.put("secret", f"cb-{tag}/svc/db", {"password": value, "user": "app"})
    token = openbao.token(
        openbao.policy(
            f"cb-{tag}",
            "secret/data/*",
            "secret/metadata/*",
            "sys/internal/ui/mounts/*",
            "sys/internal/ui/mounts",
            capabilities='["read", "list"]',
        )
    )
    connect_bao(cli, openbao.url, token)

    mounts = cli.ok("browse", "hashicorp").out
    assert "secret/" in mounts and "KV v2" in mounts
    folder = cli.ok("browse", "hashicorp", f"secret/cb-{tag}/").out
    assert f"tui-vault browse hashicorp secret/cb-{tag}/svc/" in folder
    keys = cli.ok("browse", "hashicorp", f"secret/cb-{tag}/svc/db").out
    assert (
        f"tui-vault link NAME --provider hashicorp --engine secret --path cb-{tag}/svc/db "
        "--key password"
    ) in keys
    assert value not in keys

    doc = json.loads(cli.ok("browse", "hashicorp", f"secret/cb-{tag}/svc/db", "--json").out)
    assert doc["complete"] is True
    leaf = next(e for e in doc["entries"] if e["name"] == "password")
    assert leaf["kind"] == "key" and value not in json.dumps(doc)
    # The link a leaf gives is the one `link` takes, and it resolves.
    p = leaf["link"]
    cli.ok("link", "db", "--provider", "hashicorp", "--engine", p["engine"], "--path",
           p["path"], "--key", p["key"])  # fmt: skip
    assert cli.ok("get", "db").out == value + "\n"
    assert (
        cli.ok("browse", "hashicorp", f"secret/cb-{tag}/svc/db", "--filter", "US").out.count("\n")
        == 1
    )


def test_browse_errors_are_one_line(cli: Cli, openbao: OpenBaoServer) -> None:
    r = cli("browse", "hashicorp")
    assert r.code == 1 and "not connected" in assert_one_line_error(r.err)
    r = cli("browse", "vaultwarden")
    assert r.code == 2
    tag = uuid.uuid4().hex[:8]
    openbao.put("secret", f"nl-{tag}/app", {"k": "v"})
    no_list = openbao.token(
        openbao.policy(f"nl-{tag}", f"secret/data/nl-{tag}/*", "sys/internal/ui/mounts/*")
    )
    connect_bao(cli, openbao.url, no_list)
    r = cli("browse", "hashicorp", f"secret/nl-{tag}/")
    assert r.code == 1
    assert "not allowed to list" in assert_one_line_error(r.err)
    assert "k" in cli.ok("browse", "hashicorp", f"secret/nl-{tag}/app").out  # typed path works


def test_browse_aws_all_pages_and_json_keys(cli: Cli, moto: MotoServer) -> None:
    tag = uuid.uuid4().hex[:8]
    sm = moto.client("secretsmanager")
    for i in range(130):
        sm.create_secret(Name=f"cli-pg-{tag}/{i:03d}", SecretString="x")
    value = f"VALUE-awsjson-{tag}"
    cli.values.append(value)
    sm.create_secret(Name=f"cli-js-{tag}", SecretString=json.dumps({"user": "u", "pw": value}))
    cli.set_timeout(20)  # moto answers slowly on a busy machine
    cli.credentials.append(moto.secret_access_key)
    cli.ok(
        "integration", "connect", "aws", "--region", moto.region,
        "--access-key-id", moto.access_key_id, "--endpoint-url", moto.endpoint_url,
        stdin=moto.secret_access_key + "\n",
    )  # fmt: skip
    doc = json.loads(cli.ok("browse", "aws", "--filter", f"cli-pg-{tag}", "--json").out)
    assert len(doc["entries"]) == 130 and doc["complete"] is True  # two pages followed
    keys = cli.ok("browse", "aws", f"cli-js-{tag}").out
    assert f"--secret-id cli-js-{tag} --json-key pw" in keys and value not in keys


def test_browse_azure_vault_and_versions(
    cli: Cli, azure_vault: AzureKeyVaultEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:6]
    version = azure_vault.set_secret(f"cliaz-{tag}", f"VALUE-az-{tag}")
    cli.values.append(f"VALUE-az-{tag}")
    monkeypatch.setattr(azure_vault, "page_size", 2)
    cli.credentials.append(azure_vault.client_secret)
    cli.ok(
        "integration", "connect", "azure", "--tenant-id", azure_vault.tenant_id,
        "--client-id", azure_vault.client_id, "--ca-bundle", azure_vault.ca_bundle,
        "--authority", azure_vault.vault_url, "--no-verify-challenge-resource",
        stdin=azure_vault.client_secret + "\n",
    )  # fmt: skip
    listing = cli.ok("browse", "azure", azure_vault.vault_url).out
    assert f"cliaz-{tag}" in listing
    versions = cli.ok("browse", "azure", azure_vault.secret_id(f"cliaz-{tag}")).out
    assert azure_vault.secret_id(f"cliaz-{tag}", version) in versions
    r = cli("browse", "azure")
    assert r.code == 1 and "vault URL" in assert_one_line_error(r.err)


# ----------------------------------------------------------------------------- push


def test_push_to_hashicorp_then_linked(cli: Cli, openbao: OpenBaoServer) -> None:
    tag = uuid.uuid4().hex[:8]
    value = f"VALUE-push-{tag}"
    cli.values.append(value)
    openbao.put("secret", f"push-{tag}/app", {"other": "kept"})
    connect_bao(cli, openbao.url, openbao.root_token)
    cli.ok("set", "api", stdin=value)
    r = cli.ok("push", "api", "--provider", "hashicorp", "--engine", "secret",
               "--path", f"push-{tag}/app", "--key", "api")  # fmt: skip
    assert "now linked" in r.err
    stored = openbao.client().secrets.kv.v2.read_secret_version(
        path=f"push-{tag}/app", mount_point="secret", raise_on_deleted_version=True
    )
    assert stored["data"]["data"] == {"other": "kept", "api": value}
    row = cli.rows()["api"]
    assert row["source"] == "hashicorp" and row["link_params"]["key"] == "api"
    assert row["state"] == "cached"  # the pushed value is cached: no fetch needed now
    assert cli.ok("get", "api").out == value + "\n"
    # Local values are gone from the vault file (it is linked now).
    assert cli.vault().data.secrets["api"].value == ""

    # Already linked: refused. Unknown name: refused. Both exit 1, one line.
    for name in ("api", "nope"):
        r = cli("push", name, "--provider", "hashicorp", "--engine", "secret",
                "--path", f"push-{tag}/x", "--key", "k")  # fmt: skip
        assert r.code == 1, r
        assert_one_line_error(r.err)
    # A different value already there: refused without --force, nothing changed.
    cli.ok("set", "other", stdin=f"VALUE-other-{tag}")
    cli.values.append(f"VALUE-other-{tag}")
    args = ("push", "other", "--provider", "hashicorp", "--engine", "secret",
            "--path", f"push-{tag}/app", "--key", "api")  # fmt: skip
    r = cli(*args)
    assert r.code == 1 and "--force" in assert_one_line_error(r.err)
    assert cli.vault().data.secrets["other"].link is None
    cli.ok(*args, "--force")
    stored = openbao.client().secrets.kv.v2.read_secret_version(
        path=f"push-{tag}/app", mount_point="secret", raise_on_deleted_version=True
    )
    assert stored["data"]["data"]["api"] == f"VALUE-other-{tag}"
    assert stored["data"]["data"]["other"] == "kept"


def test_push_usage_errors(cli: Cli) -> None:
    cli.ok("set", "a", stdin="v")
    for args in (
        ("push", "a", "--provider", "azure", "--secret-id", "x"),
        ("push", "a", "--provider", "hashicorp", "--engine", "secret", "--path", "p"),
        ("push", "a", "--provider", "aws", "--secret-id", "x", "--key", "k"),
        ("push", "a", "--provider", "aws", "--secret-id", "bad id!"),
    ):
        r = cli(*args)
        assert r.code == 2, (args, r)
    r = cli("push", "a", "--provider", "aws", "--secret-id", "x")
    assert r.code == 1 and "not connected" in assert_one_line_error(r.err)


def test_push_to_aws_keeps_json_keys_and_refuses_non_json(cli: Cli, moto: MotoServer) -> None:
    tag = uuid.uuid4().hex[:8]
    sm = moto.client("secretsmanager")
    sm.create_secret(Name=f"cpj-{tag}", SecretString=json.dumps({"user": "u"}))
    sm.create_secret(Name=f"cpp-{tag}", SecretString="plain text")
    cli.set_timeout(20)  # moto answers slowly on a busy machine
    cli.credentials.append(moto.secret_access_key)
    cli.ok(
        "integration", "connect", "aws", "--region", moto.region,
        "--access-key-id", moto.access_key_id, "--endpoint-url", moto.endpoint_url,
        stdin=moto.secret_access_key + "\n",
    )  # fmt: skip
    value = f"VALUE-awspush-{tag}"
    cli.values.append(value)
    cli.ok("set", "pw", stdin=value)
    r = cli("push", "pw", "--provider", "aws", "--secret-id", f"cpp-{tag}", "--json-key", "pw")
    assert r.code == 1 and "not a JSON object" in assert_one_line_error(r.err)
    assert sm.get_secret_value(SecretId=f"cpp-{tag}")["SecretString"] == "plain text"
    cli.ok("push", "pw", "--provider", "aws", "--secret-id", f"cpj-{tag}", "--json-key", "pw")
    doc = json.loads(sm.get_secret_value(SecretId=f"cpj-{tag}")["SecretString"])
    assert doc == {"user": "u", "pw": value}
    assert cli.ok("get", "pw").out == value + "\n"
    cli.ok("set", "new", stdin=value)
    cli.ok("push", "new", "--provider", "aws", "--secret-id", f"cpn-{tag}")
    assert sm.get_secret_value(SecretId=f"cpn-{tag}")["SecretString"] == value


# ----------------------------------------------------------------------------- stale


def test_stale_value_served_only_when_set_and_server_down(cli: Cli) -> None:
    """Fetch, let the entry expire (a 1-minute lifetime, the entry aged past it), stop the
    server: `get` fails unless serve_stale_hours is set, then prints the value and warns."""
    tag = uuid.uuid4().hex[:8]
    value = f"VALUE-stale-{tag}"
    cli.values.append(value)
    server = OpenBaoServer(root_token=f"LEAKMARKERroot{tag}").start()
    try:
        server.put("secret", "app", {"password": value})
        connect_bao(cli, server.url, server.root_token)
        cli.ok("link", "db", "--provider", "hashicorp", "--engine", "secret", "--path", "app",
               "--key", "password")  # fmt: skip
        cli.settings.write_text("fetch_timeout_seconds = 3\nexpiration_minutes = 1\n")
        assert cli.ok("get", "db").out == value + "\n"
    finally:
        server.stop()
    vault = cli.vault()
    cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    link = vault.data.secrets["db"].link
    assert link is not None and cache.peek(link.fingerprint) is not None
    cache.put_many({link.fingerprint: value}, now=time.time() - 150)  # fetched 2 min ago

    r = cli("get", "db")
    assert r.code == 4 and value not in r.out  # off by default

    cli.settings.write_text(
        "fetch_timeout_seconds = 3\nexpiration_minutes = 1\nserve_stale_hours = 1\n"
    )
    r = cli("get", "db")
    assert r.code == 0 and r.out == value + "\n"
    warning = assert_one_line_error(r.err)
    assert warning == "tui-vault: warning: db is stale · fetched 2 min ago (HashiCorp unreachable)"
    row = cli.rows()["db"]
    assert row["stale"] is True and row["state"] == "stale"
    assert row["status"] == "stale · fetched 2 min ago (HashiCorp unreachable)"
    assert row["cache_age_seconds"] >= 150

    r = cli("inject", stdin="pw={{vault:db}}\n")
    assert r.code == 0 and r.out == f"pw={value}\n" and "stale" in assert_one_line_error(r.err)
    r = run_cli(
        ["run", "--", "sh", "-c", 'test "$PW" = "$WANT" && echo same'],
        env={**cli.env, "PW": "{{vault:db}}", "WANT": value},
        home=cli.home,
    )
    assert r.code == 0 and r.out == "same\n" and "stale" in assert_one_line_error(r.err)

    cli.ok("cache", "reset")
    r = cli("get", "db")
    assert r.code == 4 and value not in r.out

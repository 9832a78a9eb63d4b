"""Provider faults against a real server, through the real CLI: OpenBao (HashiCorp Vault API)
behind the integration suite's fault-injecting proxy. A value is fetched and cached by
`tui-vault get`, its cache entry expires, then every kind of server fault makes the refresh
fail: `get` exits 4 with one line naming the reason, and the cache file is not rewritten.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui_vault.core.cache import Cache
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import decode_key

from ._support import isolated_env, one_clean_line, record, run_cli

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(120)]

servers = pytest.importorskip("integration.servers", reason="needs tests/integration helpers")
proxy_mod = pytest.importorskip("integration.proxy", reason="needs tests/integration helpers")


@pytest.fixture(scope="module")
def bao() -> Iterator[Any]:
    try:
        server = servers.OpenBaoServer().start()
    except Exception as e:  # pragma: no cover - no bao binary on this machine
        pytest.skip(f"OpenBao cannot start here: {type(e).__name__}")
    try:
        yield server
    finally:
        server.stop()


# (proxy mode, proxy options, words the one stderr line must hold)
FAULTS = [
    ("status", {"status": 403}, "needs re-authentication"),
    ("status", {"status": 503, "body": b'{"errors":["Vault is sealed"]}'}, "provider error"),
    ("status", {"status": 500, "body": b"oops"}, "provider error"),
    ("garbage", {}, "provider error"),
    ("drop", {}, "provider error"),
    ("hang", {}, "timed out"),
]


def test_failed_refresh_through_the_cli_keeps_the_cache(bao: Any, tmp_path: Path) -> None:
    bao.put("secret", "rel/app", {"password": "real-server-value"})
    proxy = proxy_mod.FaultProxy(bao.url).start()
    try:
        home = tmp_path / "home"
        env = isolated_env(home)
        (home / "config" / "settings.toml").write_text("fetch_timeout_seconds = 1.0\n")
        key_file = home / "key"
        vault_path = home / "v" / "vault.json"
        base = ["--vault", str(vault_path), "--key-file", str(key_file)]
        assert (
            run_cli(
                ["--vault", str(vault_path), "init", "--key-file", str(key_file)], env
            ).returncode
            == 0
        )
        done = run_cli(
            [*base, "integration", "connect", "hashicorp", "--url", proxy.url, "--auth", "token"],
            env,
            input=bao.root_token.encode(),
        )
        assert done.returncode == 0, done.stderr
        assert run_cli([*base, "set", "LOCAL"], env, input=b"local").returncode == 0
        args = ["link", "DB", "--provider", "hashicorp", "--engine", "secret", "--path", "rel/app"]
        assert run_cli([*base, *args, "--key", "password"], env).returncode == 0
        got = run_cli([*base, "get", "DB"], env)
        assert got.stdout == b"real-server-value\n", got.stderr

        # Age the cache entry past the 60-minute expiration.
        vault = Vault.open(vault_path, decode_key(key_file.read_text()))
        cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
        ((fp, entry),) = cache.entries().items()
        cache.put_many({fp: entry.value}, now=time.time() - 2 * 3600)
        before = vault.paths.cache.read_bytes()

        for mode, options, words in FAULTS:
            proxy.set(mode, **options)
            started = time.monotonic()
            done = run_cli([*base, "get", "DB"], env)
            if mode == "drop":  # the local secret does not depend on the server
                assert run_cli([*base, "get", "LOCAL"], env).stdout == b"local\n"
            proxy.set("forward")
            assert done.returncode == 4, (mode, options, done.stderr)
            line = one_clean_line(done.stderr)
            assert words in line, (mode, line)
            assert b"real-server-value" not in done.stdout + done.stderr
            assert vault.paths.cache.read_bytes() == before, f"{mode}: cache rewritten"
            assert time.monotonic() - started < 20
        # The server is back: the refresh succeeds and only then the entry is replaced.
        got = run_cli([*base, "get", "DB"], env)
        assert got.stdout == b"real-server-value\n"
        assert vault.paths.cache.read_bytes() != before
    finally:
        proxy.stop()
    record("faults", "real-openbao-cli", refreshes_failed=len(FAULTS), cache_rewrites=0)

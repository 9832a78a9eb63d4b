"""A rewritten Postman environment runs a Newman collection through `inject`.

Newman comes from the npm registry, installed once per session into a test-local prefix.
Skipped (with the reason) when npm is missing or the install fails (no network, no cache).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.helpers import MARKER, PYTHON, clean_env

from .conftest import Made

pytestmark = [pytest.mark.npm, pytest.mark.timeout(180)]

TOKEN = MARKER + '"with\\quote'


@pytest.fixture(scope="session")
def newman(tmp_path_factory: pytest.TempPathFactory) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the Newman round trip needs it")
    prefix = tmp_path_factory.mktemp("newman")
    try:
        proc = subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "newman"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("npm install newman took over 120 s (no network or cache?)")
    binary = prefix / "node_modules" / ".bin" / "newman"
    if proc.returncode != 0 or not binary.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        pytest.skip(f"npm install newman failed: {tail[0]}")
    return binary


@pytest.fixture
def api() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP API that answers 200 only to the right bearer token."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            auth = self.headers.get("Authorization", "")
            seen.append(auth)
            ok = auth == f"Bearer {TOKEN}"
            body = json.dumps({"ok": ok}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


COLLECTION = {
    "info": {
        "name": "tui-vault round trip",
        "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    },
    "item": [
        {
            "name": "whoami",
            "request": {
                "method": "GET",
                "header": [{"key": "Authorization", "value": "Bearer {{token}}"}],
                "url": "{{base_url}}/whoami",
            },
            "event": [
                {
                    "listen": "test",
                    "script": {
                        "type": "text/javascript",
                        "exec": [
                            "pm.test('authorised', function () {",
                            "  pm.response.to.have.status(200);",
                            "  pm.expect(pm.response.json().ok).to.eql(true);",
                            "});",
                        ],
                    },
                }
            ],
        }
    ],
}


def test_newman_runs_the_rewritten_environment(
    newman: Path, api: tuple[str, list[str]], cli: CliRunner, made: Made, tmp_path: Path, home: Path
) -> None:
    url, seen = api
    env_file = tmp_path / "dev.postman_environment.json"
    env_file.write_text(
        json.dumps(
            {
                "id": "1",
                "name": "dev",
                "values": [
                    {"key": "base_url", "value": url, "type": "default", "enabled": True},
                    {"key": "token", "value": TOKEN, "type": "secret", "enabled": True},
                ],
                "_postman_variable_scope": "environment",
            }
        )
    )
    out = tmp_path / "dev.sanitized.json"
    code, _, err = cli(
        ["import", str(env_file), "--rewrite", str(out), "--secrets-only"], env=made.env
    )
    assert code == 0, err
    assert MARKER not in out.read_text()
    collection = tmp_path / "collection.json"
    collection.write_text(json.dumps(COLLECTION))
    # As a user would: the rendered environment never touches the disk.
    script = (
        '"$NEWMAN" run "$COLLECTION" --reporters cli --color off '
        '-e <("$PY" -m tui_vault inject -i "$OUT")'
    )
    env = clean_env(home, made.env) | {
        "NEWMAN": str(newman),
        "COLLECTION": str(collection),
        "PY": PYTHON,
        "OUT": str(out),
    }
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=90, check=False
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert seen == [f"Bearer {TOKEN}"]
    assert "authorised" in proc.stdout
    # The access log saw the inject, by name.
    code, log, _ = cli(["log", "--json", "--secret", "token"], env=made.env)
    assert code == 0 and [r["action"] for r in json.loads(log)] == ["inject"]
    assert MARKER not in log

"""Real servers for row 3: OpenBao (`bao server -dev`) and moto (`moto_server`), seeded.

Both come from the project's virtualenv. Each runs in its own process group with its own
temporary HOME, and is stopped (by its own pid) when the context exits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.core import BIN, isolated_env

BAO_TOKEN = "bench-root-token"
AWS_REGION = "us-east-1"
AWS_KEY_ID = "AKIABENCHBENCHBENCH0"
AWS_SECRET = "bench-secret-access-key-not-real-0000000"


@dataclass(frozen=True)
class Server:
    name: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing_tools() -> str:
    """Empty if both server binaries are here; else which is missing."""
    for tool in ("bao", "moto_server"):
        if not (BIN / tool).exists() and not shutil.which(tool):
            return f"n/a (`{tool}` is not installed)"
    return ""


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                r.read()
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url}: no answer within {timeout:g} s")


@contextlib.contextmanager
def _process(argv: list[str], home: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    home.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            env=isolated_env(home),
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def openbao(work: Path) -> Iterator[Server]:
    port = free_port()
    argv = [
        str(BIN / "bao"),
        "server",
        "-dev",
        f"-dev-root-token-id={BAO_TOKEN}",
        f"-dev-listen-address=127.0.0.1:{port}",
    ]
    with _process(argv, work / "bao-home", work / "bao.log") as proc:
        server = Server("openbao", "127.0.0.1", port)
        _wait_http(f"{server.url}/v1/sys/health", proc)
        yield server


@contextlib.contextmanager
def moto(work: Path) -> Iterator[Server]:
    port = free_port()
    argv = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    with _process(argv, work / "moto-home", work / "moto.log") as proc:
        server = Server("moto", "127.0.0.1", port)
        _wait_http(f"{server.url}/moto-api/", proc)
        yield server


def seed_openbao(server: Server, values: dict[str, str]) -> None:
    """KV v2 at the dev server's `secret/` mount: path -> {"value": value}."""
    import hvac

    client = hvac.Client(url=server.url, token=BAO_TOKEN)
    for path, value in values.items():
        client.secrets.kv.v2.create_or_update_secret(
            path=path, secret={"value": value}, mount_point="secret"
        )
    client.adapter.close()


def seed_moto(server: Server, values: dict[str, str]) -> None:
    import boto3.session

    session = boto3.session.Session(
        aws_access_key_id=AWS_KEY_ID, aws_secret_access_key=AWS_SECRET, region_name=AWS_REGION
    )
    client = session.client("secretsmanager", endpoint_url=server.url)
    for name, value in values.items():
        client.create_secret(Name=name, SecretString=value)
    client.close()

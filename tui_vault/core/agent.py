"""The session agent's socket, wire protocol and client (the server is agent_server.py).

Like ssh-agent: `tui-vault unlock` hands the key to a per-user process that keeps it in
memory; commands in any terminal of the same user ask it over a Unix socket.

Socket: $TUI_VAULT_AGENT_SOCK, else $XDG_RUNTIME_DIR/tui-vault/agent.sock, else
<tempdir>/tui-vault-<uid>/agent.sock. The directory is 0700 and ours, the socket 0600; both
ends check the other's uid (SO_PEERCRED), so the key is never sent to, or served to, another
user's process.

Wire: one request and one reply per connection, each a 4-byte big-endian length and a UTF-8
JSON object (at most MAX_MESSAGE bytes). Requests: {"op": "put", "vault_id", "key" (base64),
"idle_seconds", "max_seconds", "path"}, {"op": "get", "vault_id"}, {"op": "forget",
"vault_id"}, {"op": "lock"} (forget all), {"op": "status"}. Replies: {"ok": true, ...} or
{"ok": false, "error": "..."}.

This module imports nothing heavy: the agent server and every `get` through the agent load
it. A `get` spends its whole life in it for the agent's part, so it loads only what the rest
of `get` loads anyway, plus `_socket` (the C module under `socket`: `socket` itself adds its
enums, selectors (which opens and closes an epoll to pick a default), array and math, ~5 ms
for nothing a client uses). The status types live in agent_status.py (two frozen
dataclasses, ~2 ms to define), loaded by `status()` only.
"""

from __future__ import annotations

import _socket
import base64
import contextlib
import errno
import json
import os
import stat
import struct
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_vault.core.errors import VaultError
from tui_vault.core.hygiene import make_non_dumpable

if TYPE_CHECKING:
    from tui_vault.core.agent_status import AgentStatus

ENV_SOCK = "TUI_VAULT_AGENT_SOCK"
MAX_MESSAGE = 64 * 1024
CLIENT_TIMEOUT = 3.0
START_TIMEOUT = 10.0
_SUN_PATH_MAX = 100  # sockaddr_un holds 108 bytes; keep a margin
_UCRED = struct.Struct("3i")  # pid, uid, gid
_LENGTH = struct.Struct(">I")
HEADER_SIZE = _LENGTH.size


class AgentError(VaultError):
    """The agent cannot be reached or used in a way the user must hear about."""


class ProtocolError(Exception):
    """A malformed, oversized or truncated message."""


# --------------------------------------------------------------------------- where


def socket_path() -> Path:
    env = os.environ.get(ENV_SOCK)
    if env:
        return Path(env).expanduser().absolute()  # the agent runs in /, not here
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "tui-vault" / "agent.sock"
    import tempfile  # only without XDG_RUNTIME_DIR: a `get` through the agent need not load it

    return Path(tempfile.gettempdir()) / f"tui-vault-{os.getuid()}" / "agent.sock"


def lock_path(sock: Path) -> Path:
    return sock.with_name(sock.name + ".lock")


def prepare_dir(directory: Path) -> None:
    """Create the socket's directory 0700, or check that an existing one is safe to use:
    ours, and not writable by anybody else (who could replace the socket)."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(directory)
    except OSError as e:
        raise AgentError(f"cannot create the agent directory {directory}: {e.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise AgentError(f"{directory} is not a directory; cannot put the agent socket there")
    if st.st_uid != os.getuid():
        raise AgentError(
            f"{directory} belongs to another user; not using it for the agent socket "
            f"(set {ENV_SOCK} to a path in a directory of yours)"
        )
    if st.st_mode & 0o022:
        raise AgentError(
            f"{directory} is writable by other users; not using it for the agent socket "
            "(chmod go-w it, or choose another path)"
        )


@contextlib.contextmanager
def short_address(path: Path) -> Iterator[str]:
    """An address for bind()/connect() that fits in sockaddr_un: the path itself, or
    /proc/self/fd/N/NAME through an open descriptor of its directory."""
    raw = os.fsencode(path)
    if len(raw) < _SUN_PATH_MAX:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def _unix_socket() -> _socket.socket:
    """A Unix stream socket, close-on-exec (a `socket.socket` is the same object with Python
    conveniences on top; every function here takes either)."""
    return _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)


def peer_credentials(sock: _socket.socket) -> tuple[int, int]:
    """(pid, uid) of the process at the other end."""
    raw = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, _UCRED.size)
    pid, uid, _gid = _UCRED.unpack(raw)
    return pid, uid


# --------------------------------------------------------------------------- wire


def send_message(sock: _socket.socket, message: dict[str, Any]) -> None:
    body = json.dumps(message, separators=(",", ":")).encode()
    if len(body) > MAX_MESSAGE:
        raise ProtocolError("message too large")
    sock.sendall(_LENGTH.pack(len(body)) + body)


def recv_exact(sock: _socket.socket, n: int) -> bytes:
    chunks: list[bytes] = []
    while n:
        chunk = sock.recv(min(n, 65536))
        if not chunk:
            raise ProtocolError("connection closed mid-message")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def message_length(header: bytes) -> int:
    """The body's length from a message's 4-byte header; ProtocolError past MAX_MESSAGE."""
    (length,) = _LENGTH.unpack(header)
    if length > MAX_MESSAGE:
        raise ProtocolError("message too large")
    return int(length)


def decode_body(body: bytes) -> dict[str, Any]:
    """A message's body: UTF-8 JSON, an object."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProtocolError("not a JSON message") from None
    if not isinstance(doc, dict):
        raise ProtocolError("not a JSON object")
    return doc


def recv_message(sock: _socket.socket) -> dict[str, Any]:
    length = message_length(recv_exact(sock, _LENGTH.size))
    return decode_body(recv_exact(sock, length))


def encode_secret(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def decode_secret(text: object) -> bytes | None:
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        key = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    return key if len(key) == 32 else None


def valid_vault_id(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)
    )


# --------------------------------------------------------------------------- client


class NotRunning(Exception):
    """No agent answers at the socket (none started, or a stale socket of a dead one)."""


def request(
    message: dict[str, Any],
    sock_path: Path | None = None,
    timeout: float = CLIENT_TIMEOUT,
    meanwhile: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """Send one request and return the reply. NotRunning when nobody listens; AgentError when
    something answers that must not be trusted or does not speak the protocol.

    `meanwhile` is called between sending the request and reading the reply: work of the
    caller's that then overlaps the agent's turn to answer, instead of waiting for it."""
    path = sock_path or socket_path()
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise NotRunning from None
    except OSError as e:
        raise AgentError(f"cannot reach the agent socket {path}: {e.strerror}") from None
    if not stat.S_ISSOCK(st.st_mode):
        raise AgentError(f"{path} is not a socket; remove it or set {ENV_SOCK}")
    sock = _unix_socket()
    try:
        sock.settimeout(timeout)
        try:
            with short_address(path) as address:
                sock.connect(address)
        except OSError as e:
            if e.errno in (errno.ECONNREFUSED, errno.ENOENT):
                raise NotRunning from None  # a socket file left by an agent that died
            raise AgentError(f"cannot connect to the agent at {path}: {e.strerror}") from None
        _pid, uid = peer_credentials(sock)
        if uid != os.getuid():
            raise AgentError(
                f"the agent socket {path} is served by another user (uid {uid}); not using it"
            )
        try:
            send_message(sock, message)
            if meanwhile is not None:
                meanwhile()
            reply = recv_message(sock)
        except (OSError, ProtocolError) as e:
            reason = "no answer in time" if isinstance(e, TimeoutError) else "no valid answer"
            raise AgentError(f"the agent at {path} gave {reason}") from None
    finally:
        sock.close()
    return reply


def _ok(reply: dict[str, Any]) -> dict[str, Any]:
    if reply.get("ok") is not True:
        error = reply.get("error")
        raise AgentError(f"the agent refused: {error if isinstance(error, str) else 'no reason'}")
    return reply


def fetch_key(vault_id: str, sock_path: Path | None = None) -> bytes | None:
    """The key the agent holds for this vault, or None (no agent, not unlocked, any trouble:
    the caller goes on to the keyring or a prompt, quietly).

    The process is made non-dumpable (hygiene.make_non_dumpable, as unlock.open_with does
    before it opens a vault) before the key can arrive, while the agent answers: no window
    in which the key is in a process that other processes of the user may read, and the
    ~2.5 ms that costs (ctypes) hides the agent's turn instead of adding to it."""
    try:
        reply = request({"op": "get", "vault_id": vault_id}, sock_path, meanwhile=make_non_dumpable)
    except (NotRunning, AgentError, OSError):
        return None
    if reply.get("ok") is not True:
        return None
    return decode_secret(reply.get("key"))


def forget(vault_id: str, sock_path: Path | None = None) -> bool:
    """Make the agent forget one vault's key. True if it held it."""
    try:
        reply = request({"op": "forget", "vault_id": vault_id}, sock_path)
    except NotRunning:
        return False
    return bool(_ok(reply).get("forgotten"))


def lock_all(sock_path: Path | None = None) -> int | None:
    """Make the agent forget every key (it exits then). The number forgotten; None when no
    agent was running."""
    try:
        reply = request({"op": "lock"}, sock_path)
    except NotRunning:
        return None
    count = _ok(reply).get("forgotten")
    return count if isinstance(count, int) else 0


def status(sock_path: Path | None = None) -> AgentStatus:
    from tui_vault.core.agent_status import AgentStatus, from_reply

    try:
        reply = _ok(request({"op": "status"}, sock_path))
    except NotRunning:
        return AgentStatus(False)
    return from_reply(reply)


def agent_pid(sock_path: Path | None = None) -> int | None:
    """The pid of the process of ours serving the socket (from SO_PEERCRED), or None (none,
    or another user's)."""
    path = sock_path or socket_path()
    sock = _unix_socket()
    try:
        sock.settimeout(CLIENT_TIMEOUT)
        with short_address(path) as address:
            sock.connect(address)
        pid, uid = peer_credentials(sock)
        return pid if uid == os.getuid() else None
    except OSError:
        return None
    finally:
        sock.close()


def start(sock_path: Path | None = None) -> None:
    """Start an agent for this socket unless one already answers there.

    The server daemonises (setsid, a second fork, stdio on /dev/null) and says "ready" on a
    pipe once it listens; it is started without TUI_VAULT_KEY in its environment, and is
    given keys only over the socket.
    """
    import subprocess

    path = sock_path or socket_path()
    prepare_dir(path.parent)
    try:
        request({"op": "status"}, path)
        return  # already running
    except NotRunning:
        pass
    env = {k: v for k, v in os.environ.items() if k != "TUI_VAULT_KEY"}
    env[ENV_SOCK] = str(path)
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui_vault.core.agent_server", "--ready-fd", str(write_end)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(write_end,),
            start_new_session=True,
            env=env,
            cwd="/",
        )
    except OSError as e:
        os.close(read_end)
        raise AgentError(f"could not start the session agent: {e.strerror}") from None
    finally:
        os.close(write_end)
    try:
        answer = _read_line(read_end, START_TIMEOUT)
    finally:
        os.close(read_end)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=START_TIMEOUT)  # the first fork exits at once
    if answer == "ready":
        return
    if answer.startswith("error: "):
        raise AgentError(f"the session agent could not start: {answer[7:]}")
    raise AgentError("the session agent did not start (no answer in time)")


def _read_line(fd: int, timeout: float) -> str:
    import select

    deadline = time.monotonic() + timeout
    data = b""
    while b"\n" not in data and len(data) < 4096:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()


def put(
    vault_id: str,
    key: bytes,
    *,
    idle_seconds: float | None,
    max_seconds: float,
    path: str,
    sock_path: Path | None = None,
) -> None:
    """Give the agent a key (starting the agent if none runs)."""
    message = {
        "op": "put",
        "vault_id": vault_id,
        "key": encode_secret(key),
        "idle_seconds": idle_seconds,
        "max_seconds": max_seconds,
        "path": path,
    }
    try:
        reply = request(message, sock_path)
    except NotRunning:
        start(sock_path)
        try:
            reply = request(message, sock_path)
        except NotRunning:
            raise AgentError("the session agent started but does not answer") from None
    _ok(reply)

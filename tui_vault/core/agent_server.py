"""The session agent process: `python -m tui_vault.core.agent_server --ready-fd N`.

Started by `tui-vault unlock` (see agent.py for the socket and the protocol). It detaches
from the terminal (setsid, a second fork, stdio on /dev/null), makes itself non-dumpable,
holds keys in memory only, serves them to processes of the same user, forgets each after its
idle time (reset by each use) and at the latest after its maximum lifetime, and exits as soon
as it holds no key. A lock file held for its whole life lets exactly one agent own a socket:
a second one started at the same time sees the lock and leaves; the socket of an agent that
was killed is replaced by the next one.

A request that has fully arrived when its connection is accepted (as a `get`'s has: clients
send right after connecting) is answered by the accepting thread itself; a slower one, and
any connection of another user, by a thread of its own (at most MAX_CONNECTIONS at once).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import socket
import stat
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_vault.core.agent import (
    HEADER_SIZE,
    MAX_MESSAGE,
    ProtocolError,
    decode_body,
    decode_secret,
    encode_secret,
    lock_path,
    message_length,
    peer_credentials,
    prepare_dir,
    recv_exact,
    recv_message,
    send_message,
    short_address,
    socket_path,
    valid_vault_id,
)
from tui_vault.core.hygiene import make_non_dumpable

CONNECTION_TIMEOUT = 5.0
# How long the accepting thread waits for a request of this user's to arrive before it hands
# the connection to a thread (clients send theirs right after connecting).
INLINE_WAIT = 0.02
FIRST_KEY_TIMEOUT = 30.0  # an agent nobody gives a key to does not linger
TICK = 0.25
MAX_VAULTS = 64
MAX_CONNECTIONS = 16
MAX_LIFETIME = 7 * 24 * 3600.0


@dataclass
class Entry:
    key: bytearray
    path: str
    idle_seconds: float | None
    expires_at: float  # monotonic: the maximum lifetime
    last_used: float

    def idle_left(self, now: float) -> float | None:
        if self.idle_seconds is None:
            return None
        return self.last_used + self.idle_seconds - now

    def expired(self, now: float) -> bool:
        idle = self.idle_left(now)
        return now >= self.expires_at or (idle is not None and idle <= 0)

    def wipe(self) -> None:
        for i in range(len(self.key)):
            self.key[i] = 0


class Agent:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.ever_held = False
        self.stopping = threading.Event()
        self.uid = os.getuid()

    # ------------------------------------------------------------------ state

    def expire(self) -> None:
        now = time.monotonic()
        with self.lock:
            for vault_id in [v for v, e in self.entries.items() if e.expired(now)]:
                self.entries.pop(vault_id).wipe()
            empty = not self.entries
        if empty and (self.ever_held or now - self.started > FIRST_KEY_TIMEOUT):
            self.stopping.set()

    def forget_all(self) -> int:
        with self.lock:
            count = len(self.entries)
            for entry in self.entries.values():
                entry.wipe()
            self.entries.clear()
        return count

    # ------------------------------------------------------------------ requests

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        op = message.get("op")
        self.expire()
        if op == "get":
            return self._get(message)
        if op == "put":
            return self._put(message)
        if op == "forget":
            vault_id = message.get("vault_id")
            with self.lock:
                entry = self.entries.pop(vault_id, None) if isinstance(vault_id, str) else None
            if entry is not None:
                entry.wipe()
            self.expire()
            return {"ok": True, "forgotten": entry is not None}
        if op == "lock":
            count = self.forget_all()
            self.stopping.set()
            return {"ok": True, "forgotten": count}
        if op == "status":
            return self._status()
        return {"ok": False, "error": "unknown request"}

    def _get(self, message: dict[str, Any]) -> dict[str, Any]:
        vault_id = message.get("vault_id")
        with self.lock:
            entry = self.entries.get(vault_id) if isinstance(vault_id, str) else None
            if entry is None:
                return {"ok": False, "error": "not unlocked"}
            entry.last_used = time.monotonic()
            return {"ok": True, "key": encode_secret(bytes(entry.key))}

    def _put(self, message: dict[str, Any]) -> dict[str, Any]:
        vault_id = message.get("vault_id")
        key = decode_secret(message.get("key"))
        idle = message.get("idle_seconds")
        lifetime = message.get("max_seconds")
        path = message.get("path", "")
        if not isinstance(vault_id, str) or not valid_vault_id(vault_id) or key is None:
            return {"ok": False, "error": "bad vault id or key"}
        if idle is not None and not _positive(idle):
            return {"ok": False, "error": "bad idle time"}
        if not isinstance(lifetime, int | float) or not _positive(lifetime):
            return {"ok": False, "error": "bad maximum lifetime"}
        if not isinstance(path, str) or len(path) > 4096:
            return {"ok": False, "error": "bad path"}
        now = time.monotonic()
        with self.lock:
            if vault_id not in self.entries and len(self.entries) >= MAX_VAULTS:
                return {"ok": False, "error": f"at most {MAX_VAULTS} vaults at once"}
            old = self.entries.get(vault_id)
            if old is not None:
                old.wipe()
            self.entries[vault_id] = Entry(
                bytearray(key), path, None if idle is None else float(idle), now + lifetime, now
            )
            self.ever_held = True
        return {"ok": True}

    def _status(self) -> dict[str, Any]:
        now = time.monotonic()
        with self.lock:
            vaults = [
                {
                    "vault_id": vault_id,
                    "path": e.path,
                    "idle_seconds": e.idle_seconds,
                    "idle_left": e.idle_left(now),
                    "max_left": e.expires_at - now,
                }
                for vault_id, e in self.entries.items()
            ]
        return {"ok": True, "pid": os.getpid(), "vaults": vaults}

    # ------------------------------------------------------------------ connections

    def answer_at_once(self, conn: socket.socket) -> bool:
        """Serve a request of this user's in the accepting thread if all of it is there
        within INLINE_WAIT: a `get` then costs the agent no thread start and no hand-over
        between threads (a wake-up each, which on a loaded machine is a wait each).

        True: answered (or dropped as malformed, as serve_one drops it) and closed. False:
        the connection goes to serve_one in a thread, untouched (its bytes were only peeked
        at): another user's, or a request still on its way. The checks are serve_one's: the
        peer's uid, MAX_MESSAGE, a JSON object. The reply is small and goes into an empty
        socket buffer; its send is bounded by INLINE_WAIT all the same.
        """
        answered = True
        # Anything going wrong ends this connection only, as it would end a serving thread.
        with contextlib.suppress(Exception):
            answered = self._answer_if_there(conn)
        if answered:
            conn.close()
        return answered

    def _answer_if_there(self, conn: socket.socket) -> bool:
        _pid, uid = peer_credentials(conn)
        if uid != self.uid:
            return False  # the refusal is serve_one's
        conn.settimeout(INLINE_WAIT)
        try:
            seen = conn.recv(HEADER_SIZE + MAX_MESSAGE, socket.MSG_PEEK)
        except TimeoutError:
            return False
        if not seen:
            return True  # closed without asking (agent_pid does that): nothing to answer
        if len(seen) < HEADER_SIZE:
            return False
        total = HEADER_SIZE + message_length(seen[:HEADER_SIZE])
        if len(seen) < total:
            return False
        body = recv_exact(conn, total)[HEADER_SIZE:]  # what was peeked at, now taken
        send_message(conn, self.handle(decode_body(body)))
        return True

    def serve_one(self, conn: socket.socket, slots: threading.BoundedSemaphore) -> None:
        try:
            conn.settimeout(CONNECTION_TIMEOUT)
            _pid, uid = peer_credentials(conn)
            if uid != self.uid:
                # Another user's process gets nothing: its request (read, so that the
                # refusal reaches it) is never acted upon.
                with contextlib.suppress(ProtocolError, OSError):
                    recv_message(conn)
                send_message(conn, {"ok": False, "error": "refused: another user"})
                return
            reply = self.handle(recv_message(conn))
            send_message(conn, reply)
        except (OSError, ProtocolError):
            return
        finally:
            conn.close()
            slots.release()


def _positive(value: object) -> bool:
    return (
        not isinstance(value, bool) and isinstance(value, int | float) and 0 < value <= MAX_LIFETIME
    )


def _detach(ready_fd: int) -> None:
    """Leave the terminal for good: the first process exits, its child goes on."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()  # already a session leader's child after start_new_session; harmless
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != ready_fd:
            os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)
    os.chdir("/")
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def _say(ready_fd: int, text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(ready_fd, text.encode() + b"\n")
        os.close(ready_fd)


def _bind(path: Path) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        st = os.lstat(path)
        if not stat.S_ISSOCK(st.st_mode):
            raise OSError(f"{path} exists and is not a socket")
        path.unlink()  # a dead agent's socket: we hold the lock, so nobody serves it
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    old_umask = os.umask(0o177)  # the socket is 0600 from its first moment
    try:
        with short_address(path) as address:
            server.bind(address)
    finally:
        os.umask(old_umask)
    path.chmod(0o600)
    server.listen(16)
    server.settimeout(TICK)
    return server


def _take_lock(fd: int, wait: float = 1.0) -> bool:
    """The socket's lock; waits a moment, in case its owner is on its way out."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def run(ready_fd: int) -> int:
    os.umask(0o077)
    make_non_dumpable()
    path = socket_path()
    try:
        prepare_dir(path.parent)
        lock_fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except Exception as e:
        _say(ready_fd, f"error: {getattr(e, 'message', None) or e}")
        return 1
    if not _take_lock(lock_fd):
        _say(ready_fd, "ready")  # another agent owns this socket and is alive
        return 0
    os.ftruncate(lock_fd, 0)
    os.write(lock_fd, f"{os.getpid()}\n".encode())
    try:
        server = _bind(path)
    except OSError as e:
        _say(ready_fd, f"error: cannot listen on {path}: {e.strerror or e}")
        return 1
    inode = path.stat().st_ino
    agent = Agent()

    def stop(_signum: int, _frame: Any) -> None:
        agent.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _say(ready_fd, "ready")
    slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
    try:
        while not agent.stopping.is_set():
            agent.expire()
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                continue
            if agent.answer_at_once(conn):
                continue
            if not slots.acquire(blocking=False):
                conn.close()  # too many at once: the client sees no answer and moves on
                continue
            threading.Thread(target=agent.serve_one, args=(conn, slots), daemon=True).start()
    finally:
        server.close()
        for _ in range(MAX_CONNECTIONS):  # let requests in flight send their replies
            slots.acquire(timeout=CONNECTION_TIMEOUT + 1)
        agent.forget_all()
        with contextlib.suppress(OSError):
            if path.stat().st_ino == inode:
                path.unlink()
        os.close(lock_fd)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tui-vault-agent", description=__doc__)
    parser.add_argument("--ready-fd", type=int, required=True, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _detach(args.ready_fd)
    return run(args.ready_fd)


if __name__ == "__main__":
    sys.exit(main())

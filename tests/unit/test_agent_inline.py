"""The agent answers a request that is already there in its accepting thread
(agent_server.Agent.answer_at_once); anything else goes to a serving thread (serve_one) as
before. Both must give the same answer to the same bytes, the same uid check and the same
bounds; a connection handed over must be left exactly as it came (its bytes only peeked at).
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core import agent, agent_server
from tui_vault.core.agent import MAX_MESSAGE, encode_secret
from tui_vault.core.agent_server import Agent

VID = "0123456789abcdef0123456789abcdef"
KEY = bytes(range(32))


def framed(message: object) -> bytes:
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def holding_a_key() -> Agent:
    a = Agent()
    reply = a.handle(
        {
            "op": "put",
            "vault_id": VID,
            "key": encode_secret(KEY),
            "idle_seconds": 60,
            "max_seconds": 600,
            "path": "/v.json",
        }
    )
    assert reply == {"ok": True}
    return a


def read_all(sock: socket.socket) -> bytes:
    """Everything the other end sends until it closes (b"" when it closes at once; a close
    with bytes of ours left unread is a reset, and the end too)."""
    sock.settimeout(5)
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(autouse=True, scope="module")
def _still_clock() -> Iterator[None]:
    """Status replies carry the seconds left: the same clock for both ways of answering."""
    still = types.SimpleNamespace(monotonic=lambda: 1000.0, sleep=time.sleep)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(agent_server, "time", still)  # agent_server's clock only
        yield


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    client, server = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with client, server:
        yield client, server


def inline(data: bytes, close_after: bool = True) -> tuple[bool, bytes]:
    """(answered at once?, what the client got) for `data` sent before the agent looks."""
    a = holding_a_key()
    client, server = socket.socketpair()
    with client, server:
        client.sendall(data)
        if close_after:
            client.shutdown(socket.SHUT_WR)
        answered = a.answer_at_once(server)
        if not answered:
            return False, b""
        return True, read_all(client)


def threaded(data: bytes) -> bytes:
    """What the client gets for `data` from serve_one, the serving thread's way."""
    a = holding_a_key()
    client, server = socket.socketpair()
    with client:
        client.sendall(data)
        client.shutdown(socket.SHUT_WR)
        slots = threading.BoundedSemaphore(1)
        slots.acquire()
        a.serve_one(server, slots)
        return read_all(client)


def test_a_whole_request_is_answered_at_once_as_a_thread_would() -> None:
    for message in (
        {"op": "get", "vault_id": VID},
        {"op": "get", "vault_id": "f" * 32},
        {"op": "status"},
        {"op": "nonsense"},
        {"op": "forget", "vault_id": VID},
    ):
        data = framed(message)
        answered, got = inline(data)
        assert answered, message
        assert got == threaded(data), message
        assert got  # a reply, framed
    answered, got = inline(framed({"op": "get", "vault_id": VID}))
    (length,) = struct.unpack(">I", got[:4])
    assert json.loads(got[4 : 4 + length]) == {"ok": True, "key": encode_secret(KEY)}


def test_malformed_requests_are_dropped_as_a_thread_drops_them() -> None:
    for data in (
        struct.pack(">I", MAX_MESSAGE + 1) + b"{}",  # over the bound: not read, no answer
        struct.pack(">I", 2) + b"[]",  # not an object
        struct.pack(">I", 3) + b"{\xff}",  # not UTF-8
        struct.pack(">I", 1) + b"{",  # not JSON
        b"",  # connected and closed (agent_pid does this)
    ):
        answered, got = inline(data)
        assert answered and got == b"" == threaded(data), data


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=80),
        st.dictionaries(
            st.sampled_from(["op", "vault_id", "key", "x"]),
            st.one_of(st.sampled_from(["get", "status", "forget", VID]), st.integers()),
        ).map(framed),
    )
)
def test_any_bytes_get_the_same_answer_both_ways(data: bytes) -> None:
    answered, got = inline(data)
    if answered:
        assert got == threaded(data)
    else:  # handed over: an incomplete message, which a thread then reads to its end
        assert threaded(data) == b""


@pytest.mark.parametrize("part", [b"\x00\x00", framed({"op": "get", "vault_id": VID})[:-3]])
def test_a_request_still_on_its_way_is_handed_over_untouched(
    pair: tuple[socket.socket, socket.socket], part: bytes
) -> None:
    client, server = pair
    a = holding_a_key()
    whole = framed({"op": "get", "vault_id": VID})
    client.sendall(part)
    started = time.perf_counter()
    assert a.answer_at_once(server) is False
    assert time.perf_counter() - started < 1  # bounded by INLINE_WAIT, not the thread's 5 s
    client.sendall(whole[len(part) :])  # the rest arrives later
    slots = threading.BoundedSemaphore(1)
    slots.acquire()
    a.serve_one(server, slots)  # reads from the first byte: nothing was taken
    client.shutdown(socket.SHUT_WR)
    assert read_all(client) == threaded(whole)


def test_a_silent_connection_waits_only_briefly(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    _client, server = pair
    started = time.perf_counter()
    assert holding_a_key().answer_at_once(server) is False
    waited = time.perf_counter() - started
    assert agent_server.INLINE_WAIT * 0.5 <= waited < 1


def test_another_users_request_is_never_answered_at_once(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = pair
    a = holding_a_key()
    a.uid += 1  # the peer (this process) is now "another user" to the agent
    data = framed({"op": "get", "vault_id": VID})
    client.sendall(data)
    assert a.answer_at_once(server) is False  # the refusal is serve_one's
    slots = threading.BoundedSemaphore(1)
    slots.acquire()
    a.serve_one(server, slots)
    client.shutdown(socket.SHUT_WR)
    got = read_all(client)
    assert json.loads(got[4:]) == {"ok": False, "error": "refused: another user"}
    assert encode_secret(KEY).encode() not in got


def test_an_error_while_answering_ends_that_connection_only(
    pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, server = pair
    a = holding_a_key()

    def broken(_message: object) -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(a, "handle", broken)
    client.sendall(framed({"op": "get", "vault_id": VID}))
    client.shutdown(socket.SHUT_WR)
    assert a.answer_at_once(server) is True  # no exception reaches the accept loop
    assert read_all(client) == b""


def test_fetch_key_is_non_dumpable_before_the_key_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fetch_key makes the process non-dumpable after its request and before the reply:
    the agent here answers only once that has happened (else fetch_key times out: None)."""
    events: list[str] = []
    dumpable_off = threading.Event()

    def non_dumpable() -> bool:
        events.append("non-dumpable")
        dumpable_off.set()
        return True

    monkeypatch.setattr(agent, "make_non_dumpable", non_dumpable)
    path = tmp_path / "agent.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            events.append(f"request {agent.recv_message(conn)['op']}")
            if dumpable_off.wait(5):
                agent.send_message(conn, {"ok": True, "key": encode_secret(KEY)})

    server = threading.Thread(target=serve)
    server.start()
    try:
        assert agent.fetch_key(VID, path) == KEY
    finally:
        server.join(10)
        listener.close()
    assert sorted(events) == ["non-dumpable", "request get"]  # once each

"""The agent's wire format and request handling, without processes: bounds, malformed input,
expiry, and that status never carries a key."""

from __future__ import annotations

import json
import socket
import struct
import time

import pytest

from tui_vault.core import agent_server
from tui_vault.core.agent import (
    MAX_MESSAGE,
    ProtocolError,
    decode_secret,
    encode_secret,
    recv_message,
    send_message,
)
from tui_vault.core.agent_server import Agent

VID = "0123456789abcdef0123456789abcdef"
KEY = bytes(range(32))


def put(a: Agent, **over: object) -> dict[str, object]:
    message: dict[str, object] = {
        "op": "put",
        "vault_id": VID,
        "key": encode_secret(KEY),
        "idle_seconds": 60,
        "max_seconds": 600,
        "path": "/v.json",
    }
    return a.handle(message | over)


def test_round_trip_and_bounds() -> None:
    left, right = socket.socketpair()
    with left, right:
        send_message(left, {"op": "status"})
        assert recv_message(right) == {"op": "status"}
        right.sendall(struct.pack(">I", MAX_MESSAGE + 1))
        with pytest.raises(ProtocolError, match="too large"):
            recv_message(left)
        body = json.dumps([1, 2]).encode()
        right.sendall(struct.pack(">I", len(body)) + body)
        with pytest.raises(ProtocolError, match="object"):
            recv_message(left)
        right.sendall(struct.pack(">I", 10) + b"{")
        right.shutdown(socket.SHUT_WR)
        with pytest.raises(ProtocolError, match="closed"):
            recv_message(left)
        with pytest.raises(ProtocolError):
            send_message(left, {"x": "y" * MAX_MESSAGE})


def test_secret_encoding_accepts_only_32_bytes() -> None:
    assert decode_secret(encode_secret(KEY)) == KEY
    for bad in (None, 5, "", "not base64!", encode_secret(b"short"), "A" * 100):
        assert decode_secret(bad) is None


def test_malformed_puts_are_refused() -> None:
    a = Agent()
    for over in (
        {"vault_id": "../../etc"},
        {"vault_id": VID.upper()},
        {"key": encode_secret(b"x" * 31)},
        {"idle_seconds": -1},
        {"idle_seconds": True},
        {"idle_seconds": "60"},
        {"max_seconds": 0},
        {"max_seconds": 10**9},
        {"max_seconds": None},
        {"path": 7},
    ):
        reply = put(a, **over)
        assert reply["ok"] is False, over
    assert a.entries == {}
    assert a.handle({"op": "nonsense"}) == {"ok": False, "error": "unknown request"}
    assert a.handle({"op": "get", "vault_id": ["x"]})["ok"] is False


def test_get_status_forget_and_no_key_in_status() -> None:
    a = Agent()
    assert put(a)["ok"] is True
    assert decode_secret(a.handle({"op": "get", "vault_id": VID})["key"]) == KEY
    status = a.handle({"op": "status"})
    (entry,) = status["vaults"]  # type: ignore[misc]
    assert entry["vault_id"] == VID and 0 < entry["idle_left"] <= 60
    assert encode_secret(KEY) not in json.dumps(status)
    held = a.entries[VID].key
    assert a.handle({"op": "forget", "vault_id": VID}) == {"ok": True, "forgotten": True}
    assert held == bytearray(32)  # wiped, not just dropped
    assert a.handle({"op": "get", "vault_id": VID})["ok"] is False


def test_idle_and_maximum_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(agent_server.time, "monotonic", lambda: now[0])
    a = Agent()
    assert put(a, idle_seconds=10, max_seconds=25)["ok"] is True
    for _ in range(2):
        now[0] += 9
        assert a.handle({"op": "get", "vault_id": VID})["ok"] is True  # each use resets idle
    now[0] += 8  # 26 s after put: past the maximum although used 8 s ago
    assert a.handle({"op": "get", "vault_id": VID})["ok"] is False
    assert a.stopping.is_set()  # holds nothing: the agent exits

    b = Agent()
    assert put(b, idle_seconds=None, max_seconds=25)["ok"] is True
    now[0] += 24
    assert b.handle({"op": "get", "vault_id": VID})["ok"] is True
    now[0] += 2
    b.expire()
    assert b.entries == {}


def test_vault_count_is_bounded() -> None:
    a = Agent()
    for i in range(agent_server.MAX_VAULTS):
        assert put(a, vault_id=f"{i:032x}")["ok"] is True
    assert put(a, vault_id="f" * 32)["ok"] is False
    assert put(a, vault_id=f"{0:032x}")["ok"] is True  # replacing one is fine


def test_unused_agent_stops_after_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [time.monotonic()]
    monkeypatch.setattr(agent_server.time, "monotonic", lambda: now[0])
    a = Agent()
    a.expire()
    assert not a.stopping.is_set()
    now[0] += agent_server.FIRST_KEY_TIMEOUT + 1
    a.expire()
    assert a.stopping.is_set()

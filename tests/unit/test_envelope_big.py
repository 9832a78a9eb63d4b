"""A big envelope (>= store._BIG_FILE) is read by Envelope._from_big first, without copies of
the ciphertext's base64; the general path stays the rule.

Every file gets the same verdict and the same message either way: an accepted file is
accepted with the same fields, a refused one refused with the same CorruptVaultError text as
when the general path alone decides (store._BIG_FILE patched beyond any size); and
_from_big itself accepts only the exact canonical rendering.
"""

from __future__ import annotations

import os
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core import store
from tui_vault.core.errors import CorruptVaultError
from tui_vault.core.store import Envelope

ENV = Envelope("vault", "ab" * 16, b"k" * 16, 7, b"n" * 12, os.urandom(store._BIG_FILE + 5))
GOOD = ENV.to_bytes()


def verdict(raw: bytes, big_file: int) -> Envelope | str:
    with mock.patch.object(store, "_BIG_FILE", big_file):
        try:
            return Envelope.from_bytes(raw, "f", "vault")
        except CorruptVaultError as e:
            return f"refused: {e.message}"


def same_verdict(raw: bytes) -> Envelope | str:
    first = verdict(raw, store._BIG_FILE)
    assert first == verdict(raw, 1 << 62)
    big = Envelope._from_big(raw, "f", "vault")
    assert big is None or big == first  # accepted here only what the general path accepts
    if big is not None:
        assert big.to_bytes() == raw
    return first


def test_the_canonical_file_is_read_by_the_fast_path() -> None:
    assert len(GOOD) >= store._BIG_FILE
    assert Envelope._from_big(GOOD, "f", "vault") == ENV
    assert same_verdict(GOOD) == ENV


def test_the_fast_path_makes_no_file_sized_str() -> None:
    with mock.patch.object(store, "b64d", wraps=store.b64d) as b64d:
        assert Envelope.from_bytes(GOOD, "f", "vault") == ENV
    assert all(len(call.args[0]) < 100 for call in b64d.call_args_list)  # key check, nonce


def _ciphertext_start() -> int:
    return GOOD.index(b'"ciphertext": "') + len(b'"ciphertext": "')


def _mutations() -> list[bytes]:
    start = _ciphertext_start()
    end = GOOD.index(b'"', start)
    last = GOOD[end - 1 : end]
    other_last = b"B" if last != b"B" else b"C"
    return [
        GOOD + b"\n",
        GOOD[:-1],
        GOOD.replace(b"\n", b"\r\n"),
        GOOD.replace(b'": ', b'":  ', 1),
        GOOD.replace(b'"generation": 7', b'"generation": 8'),
        GOOD.replace(b'"generation": 7', b'"generation": 7.0'),
        GOOD.replace(b'"generation": 7', b'"generation": -1'),
        GOOD.replace(b'"kind": "vault"', b'"kind": "cache"'),
        GOOD.replace(b'"version": 1', b'"version": 2'),
        GOOD.replace(b'"format": "tui-vault"', b'"format": "other"'),
        GOOD.replace(b"{\n", b'{\n "extra": 1,\n', 1),
        GOOD.replace(b"{\n", b'{\n "generation": 7,\n', 1),  # a duplicate key
        GOOD[:start] + b"\\u0041" + GOOD[start + 1 :],  # an escape in the base64
        GOOD[:start] + b" " + GOOD[start + 1 :],
        GOOD[:start] + b"=" + GOOD[start + 1 :],
        GOOD[:start] + b"\xff" + GOOD[start + 1 :],
        GOOD[:start] + GOOD[start + 4 :],  # four characters fewer: other bytes, shorter
        GOOD[: end - 1] + other_last + GOOD[end:],  # the last group: pad bits, or other bytes
        GOOD[:end] + b"====" + GOOD[end:],
        GOOD[:start] + b'"' + GOOD[start:],
        GOOD.replace(b'"ciphertext": "', b'"ciphertext": 5, "x": "', 1),
        GOOD.replace(b'"ciphertext": "', b'"ciphertext": ["', 1).replace(b'",\n', b'"],\n', 1),
        b"[]" + b" " * len(GOOD),
        b"{" + b" " * len(GOOD) + b"}",
    ]


@pytest.mark.parametrize("index", range(len(_mutations())))
def test_damaged_files_get_the_general_verdict(index: int) -> None:
    raw = _mutations()[index]
    result = same_verdict(raw)
    if raw != GOOD and isinstance(result, Envelope):
        assert result.to_bytes() == raw  # another canonical file, accepted both ways


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(GOOD) - 1), st.integers(0, 255))
def test_any_byte_changed_gets_the_general_verdict(at: int, byte: int) -> None:
    raw = GOOD[:at] + bytes([byte]) + GOOD[at + 1 :]
    result = same_verdict(raw)
    if isinstance(result, Envelope):
        assert result.to_bytes() == raw

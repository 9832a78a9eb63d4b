"""A small envelope is read with the stdlib's json first; msgspec stays the rule.

Every file gets the same verdict and the same message whichever decoder reads it: an
accepted file must be accepted with the same fields, a refused one refused with the same
CorruptVaultError text as when msgspec alone decides (store._SMALL_FILE = 0).
"""

from __future__ import annotations

import json
import sys
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core import store
from tui_vault.core.errors import CorruptVaultError
from tui_vault.core.store import Envelope

GOOD = Envelope("vault", "ab" * 16, b"k" * 16, 7, b"n" * 12, b"some ciphertext bytes").to_bytes()


def verdict(raw: bytes, small_file: int) -> Envelope | str:
    with mock.patch.object(store, "_SMALL_FILE", small_file):
        try:
            return Envelope.from_bytes(raw, "f", "vault")
        except CorruptVaultError as e:
            return f"refused: {e.message}"


def same_verdict(raw: bytes) -> Envelope | str:
    first = verdict(raw, store._SMALL_FILE)
    assert first == verdict(raw, 0)
    return first


# Spellings the two decoders might read differently, put where a value or a key goes.
SPECIALS = [
    b"NaN",
    b"-Infinity",
    b"1e400",
    b"7.0",
    b"99999999999999999999999",
    b'"\\u0037"',
    b'"\\ud800"',
    b'"\\x"',
    b'"\xed\xa0\x80"',  # a surrogate spelled in UTF-8: not valid UTF-8
    b'"\xff"',
    b"true",
    b"null",
    b"[]",
    b"{}",
    b'"tui-vault"',
    b"\xef\xbb\xbf",  # a BOM
    b'"generation": 8,\n "generation": 7',
    b"\t",
    b"\x00",
]


def test_the_good_file_is_accepted_by_both() -> None:
    env = same_verdict(GOOD)
    assert isinstance(env, Envelope) and env.generation == 7


def test_small_files_do_not_load_msgspec() -> None:
    with mock.patch.dict(sys.modules):
        sys.modules.pop("msgspec", None)
        assert isinstance(Envelope.from_bytes(GOOD, "f", "vault"), Envelope)
        assert "msgspec" not in sys.modules


@pytest.mark.parametrize("special", SPECIALS)
@pytest.mark.parametrize("field", ["generation", "version", "vault_id", "format", "nonce"])
def test_special_values_get_the_same_verdict(field: str, special: bytes) -> None:
    doc = json.loads(GOOD)
    placeholder = "@@PLACEHOLDER@@"
    doc[field] = placeholder
    text = json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"
    raw = text.replace(json.dumps(placeholder).encode(), special)
    same_verdict(raw)


@pytest.mark.parametrize("special", SPECIALS)
def test_special_text_anywhere_gets_the_same_verdict(special: bytes) -> None:
    for at in range(0, len(GOOD), 7):
        same_verdict(GOOD[:at] + special + GOOD[at:])
        same_verdict(GOOD[:at] + special + GOOD[at + len(special) :])


def test_a_big_generation_reads_the_same() -> None:
    """A canonical file whose generation is beyond 64 bits: both decoders give the int."""
    doc = json.loads(GOOD) | {"generation": 2**70}
    raw = json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"
    env = same_verdict(raw)
    assert isinstance(env, Envelope) and env.generation == 2**70


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(GOOD)), st.integers(0, 3), st.binary(max_size=4)),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_files_get_the_same_verdict(edits: list[tuple[int, int, bytes]]) -> None:
    raw = GOOD
    for at, cut, insert in edits:
        raw = raw[:at] + insert + raw[at + cut :]
    same_verdict(raw)

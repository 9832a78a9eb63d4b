"""Big base64 fields (a vault's ciphertext) are coded with pybase64 (core/store.py): the
same bytes out, and on any text the same verdict and message as the stdlib path."""

from __future__ import annotations

import base64
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core import store
from tui_vault.core.errors import CorruptVaultError
from tui_vault.core.store import b64d, b64encode


def _verdict(text: str, big: int, monkeypatch: pytest.MonkeyPatch) -> bytes | str:
    monkeypatch.setattr(store, "_BIG_B64", big)
    try:
        return b64d(text, "field")
    except CorruptVaultError as e:
        return e.message


def _mutations(canonical: str) -> st.SearchStrategy[str]:
    chars = st.sampled_from([*"=+/-_ \n\t.é\x00A0", "\ud800", "=="])
    at = st.integers(0, max(0, len(canonical)))

    def insert(p: tuple[int, str]) -> str:
        return canonical[: p[0]] + p[1] + canonical[p[0] :]

    def replace(p: tuple[int, str]) -> str:
        return canonical[: p[0]] + p[1] + canonical[p[0] + 1 :]

    return st.one_of(
        st.just(canonical),
        st.just(canonical.rstrip("=")),  # padding missing
        st.tuples(at, chars).map(insert),
        st.tuples(at, chars).map(replace),
        st.just(canonical[:-1]),
        st.just(canonical + "QQ=="),  # data after the padding
    )


@st.composite
def texts(draw: st.DrawFn) -> str:
    raw = draw(st.binary(max_size=40))
    canonical = base64.b64encode(raw).decode()
    if canonical.endswith("=") and draw(st.booleans()):
        # Non-zero pad bits: decodes, but is not the canonical spelling.
        last = canonical.rstrip("=")[-1]
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        bump = alphabet[(alphabet.index(last) + 1) % 64]
        stripped = canonical.rstrip("=")
        canonical = stripped[:-1] + bump + "=" * (len(canonical) - len(stripped))
    return draw(_mutations(canonical)) if draw(st.booleans()) else canonical


@settings(max_examples=1500, deadline=None)
@given(text=texts())
def test_fast_decode_gives_the_stdlib_verdict(text: str) -> None:
    with pytest.MonkeyPatch.context() as m:
        fast = _verdict(text, 0, m)  # every field through pybase64 first
        slow = _verdict(text, 1 << 62, m)  # never
    assert fast == slow


def test_big_fields_round_trip_and_match_the_stdlib(monkeypatch: pytest.MonkeyPatch) -> None:
    for n in (0, 1, 2, 3, (1 << 16) - 1, 1 << 16, 3_000_001):
        raw = os.urandom(n)
        assert b64encode(raw) == base64.b64encode(raw)
        assert b64d(base64.b64encode(raw).decode(), "f") == raw
    text = base64.b64encode(os.urandom(1 << 17)).decode()
    bad = text[:1000] + "*" + text[1001:]
    assert _verdict(bad, 1 << 16, monkeypatch) == "field is not valid base64"
    assert text.endswith("=") and not text.endswith("==")  # 2 bytes in the last group
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    flipped = alphabet[alphabet.index(text[-2]) ^ 1]  # the lowest bit is a pad bit here
    bits = text[:-2] + flipped + "="
    assert _verdict(bits, 1 << 16, monkeypatch) == "field is not in canonical form"

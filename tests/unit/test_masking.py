"""Masking secret values in a child's output, however the output is cut into reads."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core.masking import MASK, StreamMasker, mask_text

MARKER = "MARKER-7f3a9c-SECRET"


def stream(values: list[str], chunks: list[bytes]) -> bytes:
    m = StreamMasker(values)
    return b"".join(m.feed(c) for c in chunks) + m.flush()


def test_masks_whole_values() -> None:
    assert mask_text(f"token={MARKER}; again {MARKER}.", [MARKER]) == "token=*****; again *****."


def test_no_values_passes_through() -> None:
    m = StreamMasker([])
    assert m.feed(b"abc") == b"abc" and m.flush() == b""


def test_short_values_are_not_masked() -> None:
    """One or two characters would garble ordinary output (a documented trade-off)."""
    assert mask_text("a b ab abc", ["a", "ab"]) == "a b ab abc"


@pytest.mark.parametrize("cut", range(1, len(MARKER)))
def test_value_split_across_two_reads(cut: int) -> None:
    data = f"x{MARKER}y".encode()
    out = stream([MARKER], [data[: cut + 1], data[cut + 1 :]])
    assert out == b"x" + MASK + b"y"


def test_value_split_into_single_bytes() -> None:
    data = f"[{MARKER}][{MARKER}]".encode()
    out = stream([MARKER], [bytes([b]) for b in data])
    assert out == b"[" + MASK + b"][" + MASK + b"]"


def test_partial_value_at_the_end_is_shown_on_flush() -> None:
    m = StreamMasker([MARKER])
    shown = m.feed(b"hello MARKER-7f")
    assert shown == b"hello "
    assert m.flush() == b"MARKER-7f"


def test_text_that_is_not_a_value_is_not_held_forever() -> None:
    m = StreamMasker([MARKER])
    assert m.feed(b"line one\n") == b"line one\n"
    assert m.feed(b"MARK") == b""
    assert m.feed(b"ET\n") == b"MARKET\n"


def test_a_value_that_contains_another_is_masked_whole() -> None:
    out = mask_text("pw=secret123 other=secret", ["secret", "secret123"])
    assert out == "pw=***** other=*****"


def test_overlapping_values_leak_no_part_of_either() -> None:
    a, b = "zzzzzzzzzP", "PASSWORDXY"
    out = mask_text(f"<{a[:-1]}{b}>", [a, b])
    assert out == "<*****>"
    assert "ASSWORD" not in out
    out = mask_text("<abcdefghi>", ["abcdef", "defghi"])
    assert out == "<*****>"


def test_repeated_overlaps() -> None:
    assert mask_text("aaaa", ["aaa"]) == "*****"
    assert mask_text("abab ab", ["bab", "aba"]) == "***** ab"


def test_utf8_values_split_mid_character() -> None:
    value = "pässwörd✓"
    data = f"x{value}y".encode()
    for cut in range(1, len(data)):
        assert stream([value], [data[:cut], data[cut:]]) == b"x" + MASK + b"y"


# ---------------------------------------------------------------------------- properties

alphabet = st.sampled_from(list("abcXY-_ "))
values_st = st.lists(st.text(alphabet, min_size=3, max_size=8), min_size=1, max_size=3)


@st.composite
def outputs(draw: st.DrawFn) -> tuple[list[str], bytes, list[int]]:
    values = draw(values_st)
    parts = draw(st.lists(st.one_of(st.sampled_from(values), st.text(alphabet, max_size=6))))
    data = "".join(parts).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=6)))
    return values, data, cuts


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=200, deadline=None)
@given(outputs())
def test_chunking_never_changes_the_result(case: tuple[list[str], bytes, list[int]]) -> None:
    values, data, cuts = case
    whole = stream(values, [data])
    assert stream(values, chunked(data, cuts)) == whole


@settings(max_examples=200, deadline=None)
@given(outputs())
def test_no_value_survives_and_unmasked_text_is_kept(
    case: tuple[list[str], bytes, list[int]],
) -> None:
    values, data, cuts = case
    out = stream(values, chunked(data, cuts))
    for v in values:
        assert v.encode() not in out
    # Every byte of an occurrence of a value is hidden, overlapping occurrences become one
    # mask, and everything else is shown as it was.
    spans = []
    for v in values:
        needle = v.encode()
        start = data.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = data.find(needle, start + 1)
    runs: list[tuple[int, int]] = []
    for start, stop in sorted(spans):
        if runs and start < runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], stop))
        else:
            runs.append((start, stop))
    expected, pos = bytearray(), 0
    for start, stop in runs:
        expected += data[pos:start] + MASK
        pos = stop
    expected += data[pos:]
    assert out == bytes(expected)

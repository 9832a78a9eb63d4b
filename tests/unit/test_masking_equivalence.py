"""The rewritten matcher masks exactly what the one before it did, read for read.

`_masking_before` is the masker as it was (main at cc51271, verbatim). Both are fed the same
reads and must hand back the same (stream, bytes) pieces; both must also equal the
definition: every occurrence of every form found by brute force, overlapping occurrences
merged into one mask. With reads from two streams (each masked on its own now), no form of
a value is left in either stream's output.
"""

from __future__ import annotations

import itertools
import json
import random
import urllib.parse

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit import _masking_before as before
from tests.unit.test_masking import masked_by_definition
from tui_vault.core import masking
from tui_vault.core.masking import MASK, mask_forms

Case = tuple[list[str], bytes, list[int], list[int]]


def feed_all(masker: masking.Masker | before.Masker, reads: list[bytes], streams: list[int]):  # type: ignore[no-untyped-def]
    out = []
    for i, chunk in enumerate(reads):
        out.append(masker.feed(chunk, streams[i % len(streams)]))
    out.append(masker.flush())
    return out


def by_definition(values: list[str], data: bytes) -> bytes:
    """Brute force: every occurrence of every form at every position, merged, masked."""
    return masked_by_definition(mask_forms(values), data)


def reads_of(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def check(values: list[str], data: bytes, cuts: list[int], streams: list[int]) -> None:
    reads = reads_of(data, cuts)
    new = feed_all(masking.Masker(values), reads, [1])
    old = feed_all(before.Masker(values), reads, [1])
    assert new == old
    joined = b"".join(d for pieces in new for _, d in pieces)
    assert joined == by_definition(values, data)
    # Reads from two streams (each masked on its own now, a value split across them only
    # when the second stream's read holds all its rest): no form of a value is left in
    # either stream's output. Exact per-stream output: test_masking.py.
    new = feed_all(masking.Masker(values), reads, streams)
    for stream_no in set(streams):
        got = b"".join(d for pieces in new for s, d in pieces if s == stream_no)
        for form in mask_forms(values):
            assert form not in got, (stream_no, form)
    # feed_parts (what run writes with writev) hands back the same bytes, no empty buffer.
    m = masking.Masker(values)
    parts = []
    for i, chunk in enumerate(reads):
        for stream, bufs in m.feed_parts(chunk, streams[i % len(streams)]):
            assert bufs and all(len(b) for b in bufs)
            parts.append((stream, b"".join(bytes(b) for b in bufs)))
    for stream, bufs in m.flush_parts():
        parts.append((stream, b"".join(bytes(b) for b in bufs)))
    assert parts == [p for pieces in new for p in pieces]


FORMS = (
    lambda v: v,
    lambda v: json.dumps(v)[1:-1],
    lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    urllib.parse.quote,
    lambda v: urllib.parse.quote(v, safe=""),
    urllib.parse.quote_plus,
)


@st.composite
def streams_of(draw: st.DrawFn, alphabet: str, max_value: int, max_values: int) -> Case:
    """Values that share prefixes and overlap (a tiny alphabet), written whole, in every
    encoded form, in pieces and back to back, cut into random reads from 1 or 2 streams."""
    chars = st.sampled_from(list(alphabet))
    values = draw(st.lists(st.text(chars, min_size=1, max_size=max_value), max_size=max_values))
    forms = [f(v) for v in values for f in FORMS]
    pieces = [v[:k] for v in values for k in range(1, len(v))] + [
        v[k:] for v in values for k in range(1, len(v))
    ]
    pick = st.one_of(
        *(st.sampled_from(x) for x in (forms, pieces) if x),
        st.text(chars, max_size=6),
    )
    data = "".join(draw(st.lists(pick, max_size=16))).encode()
    cuts = draw(st.lists(st.integers(0, len(data)), max_size=8))
    streams = draw(st.lists(st.sampled_from([1, 2]), min_size=1, max_size=3))
    return values, data, cuts, streams


@settings(max_examples=250, deadline=None)
@given(streams_of("ab", 6, 4))
def test_overlapping_and_prefix_sharing_values(case: Case) -> None:
    check(*case)


@settings(max_examples=200, deadline=None)
@given(streams_of("ab", 6, 4))
def test_overlapping_values_through_the_rescan_path(case: Case) -> None:
    """The same, with every needle that any other may overlap taken as too repetitive to
    work out: the bytes after each of its matches are re-scanned for every occurrence."""
    saved = masking.OVERLAP_CANDIDATES_MAX
    masking.OVERLAP_CANDIDATES_MAX = 0
    try:
        check(*case)
    finally:
        masking.OVERLAP_CANDIDATES_MAX = saved


@settings(max_examples=300, deadline=None)
@given(streams_of('ab/ "\\\né%+&\r', 7, 3))
def test_encoded_forms_and_multi_line_values(case: Case) -> None:
    check(*case)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 150), st.integers(0, 6), st.lists(st.integers(0, 1000), max_size=6))
def test_repetitive_values(size: int, extra: int, cuts: list[int]) -> None:
    """'aaaa…' values: every tail starts another occurrence (over 64 of them: the re-scan
    path)."""
    values = ["a" * size, "ab" * max(2, size // 2)]
    data = b"x" + b"a" * (size * 2 + extra) + b"y" + b"ab" * (size + extra) + b"aa"
    check(values, data, [c % (len(data) + 1) for c in cuts], [1])


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 1 << 32), st.lists(st.integers(0, 1 << 30), max_size=12))
def test_one_100_kb_value(seed: int, cuts: list[int]) -> None:
    """The bench's one 100 KB value: whole, cut by reads anywhere, its tail and head next to
    each other, and a near miss (one byte changed)."""
    rnd = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    value = "".join(rnd.choice(alphabet) for _ in range(100_000))
    near = value[:50_000] + ("A" if value[50_000] != "A" else "B") + value[50_001:]
    parts = [value, "log line\n", value[-300:] + value, near, value[:99_999], value]
    rnd.shuffle(parts)
    data = "".join(parts).encode()
    check([value, "other-value-1234"], data, [c % (len(data) + 1) for c in cuts], [1, 1, 2])


def test_the_new_matcher_is_linear_on_a_repetitive_value() -> None:
    """A value of one repeated character inside a long run of it: the old walk over every
    overlapping tail took seconds for a few KiB (quadratic); now it is one re-scan."""
    value = "a" * 1000
    data = b"[" + b"a" * 200_000 + b"]"
    m = masking.Masker([value])
    assert m.feed(data) + m.flush() == [(1, b"[" + MASK + b"]")]
    assert m._matcher is not None and m._matcher._tails == [masking._RESCAN]

"""Masking secret values in a child's output, however the output is cut into reads."""

from __future__ import annotations

import base64
import itertools
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tui_vault.core.masking import (
    MASK,
    MIN_MASK_LENGTH,
    Masker,
    Pieces,
    StreamMasker,
    mask_forms,
    mask_text,
)

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
    assert out == masked_by_definition([v.encode() for v in values], data)


def masked_by_definition(needles: Iterable[bytes], data: bytes) -> bytes:
    """Brute force: every occurrence of every needle at every position, overlapping
    occurrences merged into one mask, everything else as it was."""
    spans = []
    for needle in needles:
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
    return bytes(expected)


# ---------------------------------------------------------------------------- the child goes quiet


def quiet_stream(values: list[str], chunks: list[bytes]) -> bytes:
    """Output as `run` writes it when the child goes quiet after every chunk."""
    m = Masker(values)
    out = b""
    for chunk in chunks:
        out += b"".join(d for _, d in m.feed(chunk) + m.show_held())
    return out + b"".join(d for _, d in m.flush())


@pytest.mark.parametrize("cut", range(MIN_MASK_LENGTH, len(MARKER)))
def test_a_value_written_in_two_pieces_with_a_pause_between_is_masked(cut: int) -> None:
    """The child writes the start of a value, pauses past the quiet time, then the rest: the
    start is shown as the mask (not as text), and the rest continues that mask."""
    m = Masker([MARKER])
    assert m.feed(b"token=" + MARKER[:cut].encode()) == [(1, b"token=")]
    assert m.pending
    assert m.show_held() == [(1, MASK)]
    assert not m.pending, "shown: nothing waits for the next quiet"
    assert m.show_held() == []
    assert m.feed(MARKER[cut:].encode() + b";\n") == [(1, b";\n")]
    assert m.flush() == []


@pytest.mark.parametrize("cut", range(1, MIN_MASK_LENGTH))
def test_one_or_two_characters_shown_at_a_pause_do_not_let_the_rest_through(cut: int) -> None:
    """One or two held-back bytes are shown as text (a prompt or an escape sequence often
    ends in a letter some value begins with), and what follows them is still masked."""
    m = Masker([MARKER])
    assert m.feed(b"x" + MARKER[:cut].encode()) == [(1, b"x")]
    assert m.show_held() == [(1, MARKER[:cut].encode())]
    assert m.feed(MARKER[cut:].encode() + b"\n") == [(1, MASK + b"\n")]
    assert not m.pending and m.flush() == []


def test_a_value_written_one_byte_per_pause_shows_at_most_two_characters() -> None:
    data = f"<{MARKER}>".encode()
    out = quiet_stream([MARKER], [bytes([b]) for b in data])
    assert out == b"<" + MARKER[:2].encode() + MASK + b">"


def test_a_prompt_is_shown_at_a_pause_and_once() -> None:
    m = Masker([MARKER])
    assert m.feed(b"Password: ") == [(1, b"Password: ")], "nothing like a value: not held"
    assert m.feed(b"Enter MA") == [(1, b"Enter ")]
    assert m.show_held() == [(1, b"MA")]
    assert m.feed(b"X\n") == [(1, b"X\n")], "MA is not shown twice"
    assert m.flush() == []


def test_a_prompt_ending_in_the_start_of_a_value_shows_as_the_mask() -> None:
    """The documented price of never showing a value's first three characters."""
    m = Masker([MARKER])
    assert m.feed(b"MARKET? ") == [(1, b"MARKET? ")]
    assert m.feed(b"MARK") == []
    assert m.show_held() == [(1, MASK)]
    assert m.feed(b"ET? y\n") == [(1, b"ET? y\n")]


def test_a_mask_continued_at_a_pause_gets_no_second_mask() -> None:
    """A value whose end starts another one: the held bytes are already under the mask."""
    a, b = "zzzzzzzzzP", "PASSWORDXY"
    m = Masker([a, b])
    assert m.feed(f"<{a}".encode()) == [(1, b"<" + MASK)]
    assert m.show_held() == []
    assert m.feed(b"ASSWORDXY>") == [(1, b">")]


def test_a_pause_and_the_other_streams_output_between_the_pieces_of_a_value() -> None:
    """The start of a value on stdout, a pause, stderr's own output, then the rest: each
    stream is its own sequence, so the rest still continues the mask shown at the pause."""
    m = Masker([MARKER])
    assert m.feed(b"out:MA", 1) == [(1, b"out:")]
    assert m.feed(b"err: RK\n", 2) == [(2, b"err: RK\n")]  # not the rest of stdout's value
    assert m.show_held() == [(1, b"MA")]
    assert m.feed(b"log " + MARKER.encode() + b"\n", 2) == [(2, b"log " + MASK + b"\n")]
    assert m.feed(MARKER[2:].encode() + b"!", 1) == [(1, MASK + b"!")]
    assert m.flush() == []


value_letters, text_letters = "xyz", "ab \n"


@st.composite
def paused_outputs(draw: st.DrawFn) -> tuple[list[str], bytes, list[int], list[bool]]:
    values = draw(st.lists(st.text(value_letters, min_size=3, max_size=8), min_size=1, max_size=3))
    parts = draw(st.lists(st.one_of(st.sampled_from(values), st.text(text_letters, max_size=4))))
    data = "".join(parts).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=10)))
    pauses = draw(st.lists(st.booleans(), min_size=len(cuts) + 1, max_size=len(cuts) + 1))
    return values, data, cuts, pauses


def paused_run(
    values: list[str], chunks: list[bytes], pauses: list[bool], streams: list[int]
) -> Pieces:
    """`run`'s calls: each chunk read from its stream, show_held after a pause, flush."""
    m = Masker(values)
    got: Pieces = []
    for i, (chunk, pause) in enumerate(zip(chunks, pauses, strict=True)):
        got += m.feed(chunk, streams[i % len(streams)])
        if pause:
            got += m.show_held()
    got += m.flush()
    assert not m.pending
    return got


def of_stream(got: Pieces, stream_no: int) -> bytes:
    return b"".join(d for s, d in got if s == stream_no)


@settings(max_examples=300, deadline=None)
@given(paused_outputs(), st.lists(st.sampled_from([1, 2]), min_size=4, max_size=4))
def test_pauses_anywhere_show_at_most_two_characters_of_a_value_and_all_the_text(
    case: tuple[list[str], bytes, list[int], list[bool]], streams: list[int]
) -> None:
    """Values are made of letters the other text never uses, so whatever of a value shows is
    a run of those letters: none is longer than two, and no other text is lost or added.
    With the reads coming from two streams, no form of a value is left in either stream's
    output (exact per-stream output: test_each_stream_is_masked_as_if_it_were_alone)."""
    values, data, cuts, pauses = case
    chunks = chunked(data, cuts)
    out = of_stream(paused_run(values, chunks, pauses, [1]), 1)
    for form in mask_forms(values):
        assert form not in out
    runs = re.findall(rb"[xyz]+", out)
    assert all(len(r) <= 2 for r in runs), runs
    assert re.sub(rb"[xyz]", b"", out.replace(MASK, b"")) == re.sub(rb"[xyz]", b"", data)
    if not any(pauses):
        assert out == stream(values, [data])
    got = paused_run(values, chunks, pauses, streams)
    for stream_no in (1, 2):
        for form in mask_forms(values):
            assert form not in of_stream(got, stream_no)


# ---------------------------------------------------------------------------- forms

PEM = "-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5P\r\nUFFSU1RVVldYWVo0NTY3\n-----END KEY-----"


def test_each_line_of_a_multi_line_value_is_masked_wherever_it_is_printed() -> None:
    indented = "".join(f"    {line}\n" for line in PEM.replace("\r\n", "\n").split("\n"))
    assert mask_text(indented, [PEM]) == "    *****\n" * 4
    crlf = PEM.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"
    assert mask_text(crlf, [PEM]) == "*****\r\n", "the whole value, as a terminal shows it"
    assert mask_text("cert: " + PEM.replace("\r\n", "\n"), [PEM]) == "cert: *****"


@pytest.mark.parametrize(
    "encode",
    [
        lambda v: json.dumps(v)[1:-1],
        lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
        urllib.parse.quote,
        lambda v: urllib.parse.quote(v, safe=""),
        urllib.parse.quote_plus,
    ],
)
def test_json_and_percent_encoded_forms_are_masked(encode: Callable[[str], str]) -> None:
    value = 'pä ss/w+rd&"q\\x'
    form = encode(value)
    assert form != value
    assert mask_text(f"<{form}>", [value]) == "<*****>"
    assert mask_text(f"<{encode(PEM)}>", [PEM]) == "<*****>"


def test_other_encodings_and_short_values_are_not_masked() -> None:
    """Documented limits: base64 (and any other encoding) and values under 3 characters."""
    b64 = base64.b64encode(MARKER.encode()).decode()
    assert mask_text(b64, [MARKER]) == b64
    assert mask_text("x=ab", ["ab"]) == "x=ab"
    assert mask_forms(["ab", "\u00e9"]) == []
    assert b"a" not in mask_forms(["a\nbcd"]), "a line under 3 characters is not a form"


def test_a_long_value_is_one_mask_even_when_written_in_small_pieces() -> None:
    value = "".join(chr(65 + (i * 7919) % 26) for i in range(100_000))
    assert mask_text(f"[{value}]", [value]) == "[*****]"
    data = f"[{value}]".encode()
    assert stream([value], [data[i : i + 4096] for i in range(0, len(data), 4096)]) == (
        b"[" + MASK + b"]"
    )


# ---------------------------------------------------------------------------- streams


def test_a_value_on_stdout_cut_by_stderr_reads_is_masked() -> None:
    """The reads come in the order `run` makes them, stderr's between two pieces of a value
    written to stdout (found by a loaded CI run: the start held back was decided by the
    stderr bytes after it and shown, then the rest)."""
    m = Masker([MARKER])
    assert m.feed(b"out:" + MARKER.encode() + b"\n" + MARKER[:11].encode(), 1) == [
        (1, b"out:" + MASK + b"\n")
    ]
    assert m.feed(b"err:" + MARKER.encode() + b"\n", 2) == [(2, b"err:" + MASK + b"\n")]
    assert m.feed(MARKER[11:].encode() + b"\n", 1) == [(1, MASK + b"\n")]
    assert m.flush() == []


def test_a_value_begun_on_stdout_and_finished_on_stderr() -> None:
    """Finished in one read of the other stream: each stream shows the mask where its part
    was. Finished in two reads: the documented limit."""
    m = Masker([MARKER])
    got = m.feed(b"out:" + MARKER[:8].encode(), 1) + m.feed(MARKER[8:].encode() + b"\n", 2)
    assert got == [(1, b"out:"), (1, MASK), (2, MASK), (2, b"\n")]
    assert m.feed(b"more\n", 1) == [(1, b"more\n")] and m.flush() == []
    m = Masker([MARKER])
    got = m.feed(MARKER[:8].encode(), 1) + m.feed(MARKER[8:12].encode(), 2)
    got += m.feed(MARKER[12:].encode(), 2) + m.flush()
    assert of_stream(got, 1) == MARKER[:8].encode()
    assert of_stream(got, 2) == MARKER[8:].encode()


def test_each_stream_keeps_its_bytes_and_their_order() -> None:
    """A stream's held-back start of a value waits for its own stream; the other stream's
    output goes ahead of it."""
    m = Masker([MARKER])
    got = m.feed(b"a", 1) + m.feed(b"MAR", 2) + m.feed(b"b", 1) + m.flush()
    assert got == [(1, b"a"), (1, b"b"), (2, b"MAR")]
    assert not m.pending


@settings(max_examples=150, deadline=None)
@given(outputs(), outputs(), st.lists(st.booleans(), max_size=24))
@example((["XXXXXXX "], b"XXXXXXX ", [0, 7]), (["XXX"], b"-", []), [False, False, True])
def test_each_stream_is_masked_as_if_it_were_alone(
    out: tuple[list[str], bytes, list[int]],
    err: tuple[list[str], bytes, list[int]],
    order: list[bool],
) -> None:
    """Two streams' reads, interleaved in any order: each stream's output is its own reads
    masked as a single stream, with the values of both."""
    # stderr's values and text in other letters than stdout's: no read of one stream can
    # go on with a value the other began, so each stream is exactly itself alone. Nor with
    # a masked form of one (masking.py): quote_plus writes stdout's space as "+", so "+"
    # may not stand in for "-" (stdout's "XXXXXXX" and stderr's "+" were one form of
    # "XXXXXXX ", rightly masked in both streams).
    other = bytes.maketrans(b"abcXY-_ ", b"defUV~=.")
    err_values = [v.encode().translate(other).decode() for v in err[0]]
    err_data = err[1].translate(other)
    values = out[0] + err_values
    reads = {1: chunked(out[1], out[2]), 2: chunked(err_data, err[2])}
    m = Masker(values)
    got: Pieces = []
    turn = iter(order)
    while reads[1] or reads[2]:
        stream_no = 2 if not reads[1] or (reads[2] and next(turn, False)) else 1
        got += m.feed(reads[stream_no].pop(0), stream_no)
    got += m.flush()
    assert of_stream(got, 1) == stream(values, [out[1]])
    assert of_stream(got, 2) == stream(values, [err_data])


# ------------------------------------------------------- parts (what `run` writes with writev)

encoded_alphabet = st.sampled_from(list('ab/ "\\\né%+&'))


@st.composite
def encoded_outputs(draw: st.DrawFn) -> tuple[list[str], bytes, list[int]]:
    """Values with characters JSON and percent-encoding change, written in every form."""
    values = draw(st.lists(st.text(encoded_alphabet, min_size=3, max_size=7), max_size=3))
    forms = [
        f(v)
        for v in values
        for f in (
            lambda v: v,
            lambda v: json.dumps(v)[1:-1],
            lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
            urllib.parse.quote,
            lambda v: urllib.parse.quote(v, safe=""),
            urllib.parse.quote_plus,
        )
    ]
    filler = st.text(st.sampled_from(list("ab/%xy \n")), max_size=5)
    pick = st.one_of(st.sampled_from(forms), filler) if forms else filler
    data = "".join(draw(st.lists(pick, max_size=12))).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    return values, data, cuts


def by_parts(values: list[str], chunks: list[bytes], streams: list[int] | None = None) -> bytes:
    m = Masker(values)
    out: list[bytes] = []
    for i, chunk in enumerate(chunks):
        stream_no = streams[i % len(streams)] if streams else 1
        for _, bufs in m.feed_parts(chunk, stream_no):
            assert bufs and all(len(b) for b in bufs)  # nothing empty handed to writev
            out += [bytes(b) for b in bufs]
    for _, bufs in m.flush_parts():
        out += [bytes(b) for b in bufs]
    return b"".join(out)


@settings(max_examples=300, deadline=None)
@given(encoded_outputs(), st.lists(st.sampled_from([1, 2]), min_size=1, max_size=4))
def test_chunked_parts_equal_masking_the_whole_stream(
    case: tuple[list[str], bytes, list[int]], streams: list[int]
) -> None:
    """However the output is cut into reads (and whichever stream they all came from), the
    buffers `run` writes are the whole stream masked at once; no form of a value survives."""
    values, data, cuts = case
    whole = stream(values, [data])
    assert by_parts(values, chunked(data, cuts)) == whole
    if len(set(streams)) == 1:  # (two streams: each is masked on its own, tested above)
        assert by_parts(values, chunked(data, cuts), streams) == whole
    for form in mask_forms(values):
        assert form not in whole


@settings(max_examples=200, deadline=None)
@given(outputs(), st.lists(st.sampled_from([1, 2]), min_size=8, max_size=8))
def test_parts_are_the_pieces_unjoined(
    case: tuple[list[str], bytes, list[int]], streams: list[int]
) -> None:
    values, data, cuts = case
    a, b = Masker(values), Masker(values)
    for i, chunk in enumerate(chunked(data, cuts)):
        s = streams[i % len(streams)]
        assert a.feed(chunk, s) == [(st_, b"".join(bufs)) for st_, bufs in b.feed_parts(chunk, s)]
    assert a.flush() == [(st_, b"".join(bufs)) for st_, bufs in b.flush_parts()]

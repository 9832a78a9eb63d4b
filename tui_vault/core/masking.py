"""Mask secret values in a child's output, even when a value is split across reads.

What counts as an occurrence of a value (each form of 3 or more characters):
- the value itself, and with its line endings as `\\r\\n` or `\\n` (a terminal turns `\\n`
  into `\\r\\n`);
- each line of a multi-line value, without its leading indentation (a PEM key or a kubeconfig
  printed line by line, or indented inside YAML);
- the JSON-escaped form (`json.dumps` without the quotes, ASCII-escaped or not) and the
  percent-encoded forms (`urllib.parse.quote` with and without `/` kept, `quote_plus`) of the
  value and of each of its lines.
Not masked: values shorter than 3 characters (they would garble ordinary output), any
other encoding (base64, hex, a hash, a value written backwards or cut by other text), and a
value begun on stdout and finished on stderr in more than one read (each stream is masked
on its own; see Masker).

Matching uses one Aho-Corasick automaton over every form (`ahocorasick_rs`, the Rust
`aho-corasick` crate with its SIMD prefilter), so the cost hardly grows with the number of
values: one leftmost-longest scan per read, handed on as slices of the read and masks. The
rare occurrences that overlap another are found next to the matches they begin inside (see
`_Matcher`). Measured against a compiled `re` alternation, `bytes.find` per form and
`pyahocorasick` (bench/PROFILING.md, round 3, `prun`): 3 to 60 times faster on a 128 MiB stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from ahocorasick_rs import BytesAhoCorasick, Implementation, MatchKind

MASK = b"*****"
MIN_MASK_LENGTH = 3  # shorter values would garble ordinary output
SMALL_MULTILINE = 4096
OVERLAP_CANDIDATES_MAX = 64  # more tails of a needle that may start one: re-scan instead

Pieces = list[tuple[int, bytes]]  # (stream, bytes) in the order they were produced
# (stream, buffers): the bytes of a piece as a list of slices of the input and masks, to be
# written with one writev; what `Pieces` gives joined, without the copy.
Parts = list[tuple[int, list[bytes | memoryview]]]


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")  # as os.environ passes it on
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _json_forms(text: str) -> set[str]:
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}


def _url_forms(text: str) -> set[str]:
    return {quote(text), quote(text, safe=""), quote_plus(text)}


def _forms(value: str) -> set[str]:
    if "\n" not in value and "\r" not in value:
        return _json_forms(value) | _url_forms(value)
    unix = value.replace("\r\n", "\n")
    forms = _url_forms(value) | _url_forms(unix)
    for line in unix.split("\n"):
        forms |= _json_forms(line.rstrip("\r").lstrip(" \t"))
    if len(value) <= SMALL_MULTILINE:  # else its lines and URL forms are enough (and cheap)
        for whole in (value, unix, unix.replace("\n", "\r\n")):
            forms |= _json_forms(whole)
    return forms


def mask_forms(values: Iterable[str]) -> list[bytes]:
    """Every byte string that counts as an occurrence of one of `values`, longest first."""
    out: set[bytes] = set()
    for value in values:
        if len(value) < MIN_MASK_LENGTH:
            continue
        for form in _forms(value):
            if len(form) >= MIN_MASK_LENGTH:
                out.add(_encode(form))
    return sorted(out, key=len, reverse=True)


class _Matcher:
    """Finds the union of all occurrences of the needles, and a tail that may start one.

    One leftmost-longest scan finds occurrences that do not overlap. Every other occurrence
    begins strictly inside one of those (were it to begin outside, the scan, which resumes
    where its last match ended, would have found it or one that covers its start), so only
    occurrences beginning inside a match and running past its end are looked for: those of
    needle j at a tail of needle i that j starts with. These (tail, j) pairs are worked out
    for a needle when it first matches (most needles have none); for a needle too
    repetitive to work them out cheaply, the bytes after each of its matches are re-scanned
    for every occurrence instead.
    """

    def __init__(self, needles: list[bytes]) -> None:
        self.needles = needles
        self.maxlen = max(len(n) for n in needles)
        # A contiguous NFA builds ten times faster than a DFA for long values and scans at
        # memory speed behind the prefilter.
        self.ac = BytesAhoCorasick(
            needles,
            matchkind=MatchKind.LeftmostLongest,
            implementation=Implementation.ContiguousNFA,
        )
        self._all: BytesAhoCorasick | None = None  # every occurrence; built when first needed
        # Per needle: the (k, j) where its last k bytes start the longer needle j; _RESCAN
        # where the bytes after a match are scanned again instead; None: not worked out yet.
        self._tails: list[tuple[tuple[int, int], ...] | None] = [None] * len(needles)
        # Needles by their first three bytes, and by their shorter prefixes.
        self.by_start: dict[bytes, list[int]] = {}
        self.by_short: dict[bytes, list[int]] = {}
        for j, n in enumerate(needles):
            self.by_start.setdefault(n[:MIN_MASK_LENGTH], []).append(j)
            for k in range(1, MIN_MASK_LENGTH):
                self.by_short.setdefault(n[:k], []).append(j)
        self.starts = BytesAhoCorasick(
            list(self.by_start),
            matchkind=MatchKind.Standard,
            implementation=Implementation.ContiguousNFA,
        )

    def _tails_of(self, i: int) -> tuple[tuple[int, int], ...]:
        got = self._tails[i]
        if got is None:
            got = self._tails[i] = self._work_out_tails(self.needles[i])
        return got

    def _work_out_tails(self, needle: bytes) -> tuple[tuple[int, int], ...]:
        size = len(needle)
        first = max(1, size - self.maxlen + 1)
        window = memoryview(needle)[first:]
        spots = {first + a for _, a, _ in self.starts.find_matches_as_indexes(window, True)}
        spots.update(range(max(first, size - MIN_MASK_LENGTH + 1), size))
        if len(spots) > OVERLAP_CANDIDATES_MAX:
            return _RESCAN  # repetitive: many tails start a needle
        return tuple((size - p, j) for p in sorted(spots) for j in self._prefix_of(needle, p))

    def _prefix_of(self, data: bytes, at: int) -> list[int]:
        """Needles longer than data[at:] that start with it."""
        size = len(data) - at
        if size <= 0 or size >= self.maxlen:
            return []
        if size < MIN_MASK_LENGTH:
            return [j for j in self.by_short.get(data[at:], []) if len(self.needles[j]) > size]
        out = []
        for j in self.by_start.get(data[at : at + MIN_MASK_LENGTH], []):
            n = self.needles[j]
            # The last few bytes first: most candidates differ there; no long copies.
            if (
                len(n) > size
                and n[max(0, size - 8) : size] == data[-8:][-size:]
                and n.startswith(data[at:])
            ):
                out.append(j)
        return out

    def matches(self, data: bytes) -> list[tuple[int, int, int]]:
        """(needle, start, end) of occurrences whose union is that of every occurrence in
        data, ordered by start. Most are the non-overlapping scan's own tuples."""
        found = self.ac.find_matches_as_indexes(data)
        table, needles = self._tails, self.needles
        extra: list[tuple[int, int, int]] = []
        for i, a, b in found:
            tails = table[i]
            if tails is None:
                tails = self._tails_of(i)
            if not tails:
                continue  # the usual case: no needle can begin inside this one and run past
            if tails is not _RESCAN:
                for k, j in tails:
                    if data.startswith(needles[j], b - k):
                        extra.append((j, b - k, b - k + len(needles[j])))
                continue
            # Every occurrence that begins inside this one (it ends within maxlen - 1 bytes).
            if self._all is None:
                self._all = BytesAhoCorasick(
                    needles,
                    matchkind=MatchKind.Standard,
                    implementation=Implementation.ContiguousNFA,
                )
            lo = a + 1
            window = memoryview(data)[lo : min(len(data), b - 1 + self.maxlen)]
            for j, s, e in self._all.find_matches_as_indexes(window, True):
                if lo + e > b and lo + s < b:
                    extra.append((j, lo + s, lo + e))
        if not extra:
            return found
        found += extra
        found.sort(key=_start)
        return found

    def partial_tail(self, data: bytes) -> int:
        """Length of the longest tail of data that is a proper prefix of some needle."""
        size = len(data)
        first = max(0, size - self.maxlen + 1)
        window = memoryview(data)[first:]
        matches = self.starts.find_matches_as_indexes(window, overlapping=True)
        for p in sorted({first + a for _, a, _ in matches}):
            if self._prefix_of(data, p):
                return size - p
        for p in range(max(first, size - MIN_MASK_LENGTH + 1), size):
            if self._prefix_of(data, p):
                return size - p
        return 0


_RESCAN: tuple[tuple[int, int], ...] = ((0, -1),)  # a marker, never a real (k, j)


def _start(match: tuple[int, int, int]) -> int:
    return match[1]


class _Sequence:
    """Masks one stream's output (Masker keeps one per stream). Every byte that belongs to
    an occurrence of a value is hidden; overlapping occurrences become one mask. The result
    is the same however the input is cut into reads. A tail that may be the start of a
    value is held back until more output decides it, or `flush_parts()`; `show_held_parts()`
    shows it while still holding it (see there)."""

    def __init__(self, matcher: _Matcher) -> None:
        self._matcher = matcher
        self._buf = b""
        self._streams: list[tuple[int, int]] = []  # (stream, length) of each part of _buf
        self._covered = 0  # leading bytes of _buf hidden behind a mask already shown
        # Leading bytes of _buf already shown (as text or under the mask), kept because a
        # value they begin may still be coming: show_held() put them out; _covered <= _shown.
        self._shown = 0

    @property
    def pending(self) -> bool:
        """Bytes are held back and not shown yet (a possible start of a value)."""
        return len(self._buf) > self._shown

    @property
    def holds(self) -> bool:
        """Bytes are held back, shown at a pause or not (`continues`, `crossing`)."""
        return bool(self._buf)

    def continues(self, data: bytes) -> bool:
        """Whether `data` goes on with the bytes held here: an occurrence of a value, or the
        start of one, runs from them into it."""
        held, matcher = self._buf, self._matcher
        if not held:
            return False
        probe = held + data[: matcher.maxlen]
        n = len(held)
        if any(a < n < b for _, a, b in matcher.matches(probe)):
            return True
        return matcher.partial_tail(probe) > len(probe) - n

    def crossing(self, data: bytes) -> int:
        """How much of `data` (another stream's read) belongs to a whole occurrence of a
        value begun in the bytes held here, with what overlaps it: 0 if none."""
        held, matcher = self._buf, self._matcher
        if not held:
            return 0
        n = len(held)
        stop = 0
        for _, a, b in matcher.matches(held + data):  # (in order of their starts)
            if a < n < b or (stop and a < stop):
                stop = max(stop, b)
            elif a >= n:
                break
        return max(0, stop - n)

    def mask_held(self) -> Parts:
        """Show the held bytes as the mask (the rest of their value came on another stream)
        and keep them, as show_held does for 3 or more."""
        size, shown = len(self._buf), self._shown
        if self._covered == size:
            return []  # under a mask shown already
        out: list[tuple[int, int, bytes | None]] = []
        if not (self._covered and self._covered == shown):  # else it continues that mask
            out = [(shown, shown, MASK)]
        self._covered = self._shown = size
        return self._route(out, self._buf)

    def feed_parts(self, data: bytes, stream: int = 1) -> Parts:
        """`Masker.feed_parts` for this stream's read."""
        if not data:
            return []
        if self._streams and self._streams[-1][0] == stream:
            self._streams[-1] = (stream, self._streams[-1][1] + len(data))
        else:
            self._streams.append((stream, len(data)))
        self._buf = self._buf + data if self._buf else data
        return self._emit(len(self._buf) - self._matcher.partial_tail(self._buf))

    def flush_parts(self) -> Parts:
        """Everything held back, shown (see feed_parts)."""
        return self._emit(len(self._buf))

    def show_held_parts(self) -> Parts:
        """`show_held`, as buffers (see feed_parts).

        A child that stops after the start of a value may be waiting on a prompt, or may
        write the rest of the value a moment later. So the held-back bytes are shown now,
        yet kept: the rest of a value they begin is still masked when it comes. Held-back
        bytes that are the first 3 or more of a value (or continue a mask just shown) are
        shown as the mask, so no part of a value of that length shows even if it comes in
        pieces seconds apart; the price is that a prompt ending in the first 3 or more
        characters of a value shows as the mask. One or two bytes are shown as they are
        (a value's first one or two characters, the same as for values that short), else
        every prompt or escape sequence ending in a letter some value starts with would be
        garbled.
        """
        size, shown = len(self._buf), self._shown
        if size <= shown:
            return []
        out: list[tuple[int, int, bytes | None]]  # (from, to, replacement or None)
        if self._covered and self._covered == shown:
            out, self._covered = [], size  # they continue the mask shown last
        elif size >= MIN_MASK_LENGTH:
            out, self._covered = [(shown, shown, MASK)], size
        else:
            out = [(shown, size, None)]
        self._shown = size
        return self._route(out, self._buf)

    def _emit(self, end: int) -> Parts:
        """Show _buf[:end] masked; keep the rest (and how much of it is already masked)."""
        if end <= 0:
            return []
        buf = self._buf
        matches = self._matcher.matches(buf)
        if len(self._streams) == 1 and self._shown == self._covered:
            pieces, covered = self._plain(buf, end, matches)
        else:
            pieces, covered = self._split(buf, end, matches)
        self._buf, self._covered = buf[end:], covered
        self._shown = max(covered, self._shown - end)
        self._drop_streams(end)
        return pieces

    def _plain(
        self, buf: bytes, end: int, matches: list[tuple[int, int, int]]
    ) -> tuple[Parts, int]:
        """_emit for bytes that all came from one stream: slices of buf and masks."""
        stream = self._streams[0][0]
        if not matches and not self._covered:  # nothing masked: no copy
            return [(stream, [buf if end == len(buf) else buf[:end]])], 0
        view = memoryview(buf)
        bufs: list[bytes | memoryview] = []
        add = bufs.append
        pos = 0  # shown up to here
        covered = max(0, self._covered - end)
        # The run of overlapping occurrences being merged, [start, stop); a run that began
        # before buf (the mask already shown) continues as long as it is covered.
        start, stop = (0, self._covered) if self._covered else (-1, -1)
        continued = bool(self._covered)
        for _, a, b in matches:
            if a < stop:  # overlaps the run: one mask
                if b > stop:
                    stop = b
                continue
            if start >= 0:  # the run before this one is complete
                if pos < start:
                    add(view[pos:start])
                if not continued:
                    add(MASK)
                continued = False
                pos, covered = (stop, 0) if stop <= end else (end, stop - end)
            if a >= end:
                start = -1
                break
            start, stop = a, b
        if start >= 0:
            if pos < start:
                add(view[pos:start])
            if not continued:
                add(MASK)
            pos, covered = (stop, 0) if stop <= end else (end, stop - end)
        if pos < end:
            add(view[pos:end])
        return ([(stream, bufs)] if bufs else []), covered

    def _split(
        self, buf: bytes, end: int, matches: list[tuple[int, int, int]]
    ) -> tuple[Parts, int]:
        """_emit for bytes from more than one stream, or some of them shown already."""
        runs = self._runs(matches)
        out: list[tuple[int, int, bytes | None]] = []  # (from, to, replacement or None)
        shown = self._shown  # bytes before this are out already (as text or the mask)
        pos, covered = shown, max(0, self._covered - end)
        for start, stop in runs:
            if start >= end:
                break
            if stop <= shown:
                continue  # out already
            if pos < start:
                out.append((pos, start, None))
            if not (start == 0 and self._covered):  # else it continues the last mask
                # (one that begins in bytes shown as text masks what follows them)
                at = max(start, shown)
                out.append((at, at, MASK))
            pos = max(pos, min(stop, end))
            covered = max(0, stop - end)
        if pos < end:
            out.append((pos, end, None))
        return self._route(out, buf), covered

    def _route(self, parts: list[tuple[int, int, bytes | None]], buf: bytes) -> Parts:
        """Give each part the stream its bytes came from (a mask: the stream it starts in)."""
        bounds: list[tuple[int, int, int]] = []  # (from, to, stream)
        at = 0
        for stream, length in self._streams:
            bounds.append((at, at + length, stream))
            at += length
        pieces: Pieces = []

        def add(stream: int, data: bytes) -> None:
            if pieces and pieces[-1][0] == stream:
                pieces[-1] = (stream, pieces[-1][1] + data)
            elif data:
                pieces.append((stream, data))

        i = 0
        for a, b, replacement in parts:
            while i < len(bounds) - 1 and bounds[i][1] <= a:
                i += 1
            if replacement is not None:
                add(bounds[i][2], replacement)
                continue
            j = i
            while a < b:
                _lo, hi, stream = bounds[j]
                cut = min(b, hi)
                add(stream, buf[a:cut])
                a = cut
                if a >= hi and j < len(bounds) - 1:
                    j += 1
        return [(stream, [data]) for stream, data in pieces]

    def _drop_streams(self, end: int) -> None:
        rest, left = [], end
        for stream, length in self._streams:
            if left >= length:
                left -= length
                continue
            rest.append((stream, length - left))
            left = 0
        self._streams = rest

    def _runs(self, matches: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
        """Merged spans of the occurrences (overlaps merge, neighbours don't), and the part of
        the buffer already covered by the last mask."""
        runs: list[tuple[int, int]] = [(0, self._covered)] if self._covered else []
        for _, start, stop in matches:
            if runs and start < runs[-1][1]:
                if stop > runs[-1][1]:
                    runs[-1] = (runs[-1][0], stop)
            else:
                runs.append((start, stop))
        return runs


class Masker:
    """One masker for all of a child's output streams (stdout and stderr, or a terminal).

    Each stream is masked as a sequence of its own, the same however its output is cut into
    reads: a value written to stdout in pieces is masked however many reads of stderr come
    between the pieces, and across quiet pauses (`show_held`). A stream's held-back bytes
    (a possible start of a value) wait for its own next output only, so the other stream's
    output may go ahead of them, by at most the pause before `show_held`.

    A value begun on one stream and finished on the other is masked too when the read that
    finishes it holds all the rest: each stream shows the mask where its part was. One
    masker over the streams' reads in the order they came (as before) masked more of those,
    but showed a value on one stream whole when a read of the other came between its
    pieces: the held start was decided by the other stream's bytes. Left alone: a value
    split across the two streams whose second part comes in more than one read. Output on a
    terminal is one stream (a pseudo-terminal carries both).
    """

    def __init__(self, values: Iterable[str]) -> None:
        needles = mask_forms(values)
        self._matcher = _Matcher(needles) if needles else None
        self._sequences: dict[int, _Sequence] = {}  # by stream, made on its first output

    @property
    def active(self) -> bool:
        """False when there is nothing to mask (every value is shorter than 3 characters)."""
        return self._matcher is not None

    @property
    def pending(self) -> bool:
        """Bytes are held back and not shown yet (a possible start of a value)."""
        return any(seq.pending for seq in self._sequences.values())

    def feed(self, data: bytes, stream: int = 1) -> Pieces:
        """Return what can be shown now, as (stream, bytes) pieces in order."""
        return _joined(self.feed_parts(data, stream))

    def flush(self) -> Pieces:
        """Show everything held back (the child went quiet, or its output ended)."""
        return _joined(self.flush_parts())

    def show_held(self) -> Pieces:
        """Show what is held back without letting go of it (the child went quiet)."""
        return _joined(self.show_held_parts())

    def feed_parts(self, data: bytes, stream: int = 1) -> Parts:
        """`feed`, each piece as the list of buffers it is made of (no joining copy). The
        buffers are slices of `data` (or of bytes held back before) and masks: valid as
        long as the caller keeps them, nothing here changes them later."""
        if self._matcher is None:
            return [(stream, [data])] if data else []
        if not data:
            return []
        own = self._sequences.get(stream)
        if own is None:
            own = self._sequences[stream] = _Sequence(self._matcher)
        holding = [seq for seq in self._sequences.values() if seq is not own and seq.holds]
        if holding and not own.continues(data):
            for other in holding:
                cut = other.crossing(data)
                if cut:
                    # The rest of a value the other stream began: each stream shows the
                    # mask where its part was (text on either side is never joined up).
                    # This stream's own held bytes do not go on with `data`: they are
                    # decided now, as the read would decide them.
                    out = own.flush_parts() + other.mask_held() + [(stream, [MASK])]
                    return out + own.feed_parts(data[cut:], stream)
        return own.feed_parts(data, stream)

    def flush_parts(self) -> Parts:
        """`flush`, as buffers (see feed_parts)."""
        return [part for seq in self._sequences.values() for part in seq.flush_parts()]

    def show_held_parts(self) -> Parts:
        """`show_held`, as buffers (see feed_parts and _Sequence.show_held_parts)."""
        return [part for seq in self._sequences.values() for part in seq.show_held_parts()]


def _joined(parts: Parts) -> Pieces:
    return [(stream, b"".join(bufs)) for stream, bufs in parts]


class StreamMasker:
    """A Masker for a single stream: feed bytes, get bytes."""

    def __init__(self, values: Iterable[str]) -> None:
        self._masker = Masker(values)

    def feed(self, data: bytes) -> bytes:
        return b"".join(d for _, d in self._masker.feed(data))

    def flush(self) -> bytes:
        return b"".join(d for _, d in self._masker.flush())


def mask_text(text: str, values: Iterable[str]) -> str:
    m = StreamMasker(values)
    return (m.feed(text.encode()) + m.flush()).decode(errors="replace")

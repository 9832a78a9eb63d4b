"""Mask secret values in a byte stream (a child's output), even when split across reads."""

from __future__ import annotations

from collections.abc import Iterable

MASK = b"*****"
MIN_MASK_LENGTH = 3  # shorter values would garble ordinary output


class StreamMasker:
    """Every byte that belongs to an occurrence of a value is hidden; overlapping occurrences
    (of one value or of several) become one mask, so no part of any value shows. The output
    is the same however the input is cut into reads."""

    def __init__(self, values: Iterable[str]) -> None:
        needles = {v.encode() for v in values if len(v) >= MIN_MASK_LENGTH}
        self.needles = sorted(needles, key=len, reverse=True)
        self._buf = b""
        self._covered = 0  # leading bytes of _buf hidden behind a mask already shown

    def feed(self, data: bytes) -> bytes:
        """Return what can be shown now; hold back a tail that may start a value."""
        if not self.needles:
            return data
        self._buf += data
        return self._emit(len(self._buf) - self._partial_suffix(self._buf))

    def flush(self) -> bytes:
        return self._emit(len(self._buf))

    def _emit(self, end: int) -> bytes:
        """Show _buf[:end] masked; keep the rest (and how much of it is already masked)."""
        buf, out, pos = self._buf, bytearray(), 0
        covered = max(0, self._covered - end)
        for start, stop in self._runs(buf):
            if start >= end:
                break
            out += buf[pos:start]
            if not (start == 0 and self._covered):  # else it continues the last mask
                out += MASK
            pos = min(stop, end)
            covered = max(0, stop - end)
        out += buf[pos:end]
        self._buf, self._covered = buf[end:], covered
        return bytes(out)

    def _runs(self, data: bytes) -> list[tuple[int, int]]:
        """Merged spans of every occurrence of every value (overlaps merge, neighbours don't)."""
        spans = [(0, self._covered)] if self._covered else []
        for needle in self.needles:
            i = data.find(needle)
            while i != -1:
                spans.append((i, i + len(needle)))
                i = data.find(needle, i + 1)
        spans.sort()
        runs: list[tuple[int, int]] = []
        for start, stop in spans:
            if runs and start < runs[-1][1]:
                runs[-1] = (runs[-1][0], max(runs[-1][1], stop))
            else:
                runs.append((start, stop))
        return runs

    def _partial_suffix(self, data: bytes) -> int:
        """Length of the longest tail of data that is a proper prefix of some value."""
        best = 0
        for needle in self.needles:
            for n in range(min(len(needle) - 1, len(data)), best, -1):
                if data.endswith(needle[:n]):
                    best = n
                    break
        return best


def mask_text(text: str, values: Iterable[str]) -> str:
    m = StreamMasker(values)
    return (m.feed(text.encode()) + m.flush()).decode(errors="replace")

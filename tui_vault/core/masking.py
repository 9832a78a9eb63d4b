"""Mask secret values in a byte stream (a child's output), even when split across reads."""

from __future__ import annotations

from collections.abc import Iterable

MASK = b"*****"
MIN_MASK_LENGTH = 3  # shorter values would garble ordinary output


class StreamMasker:
    def __init__(self, values: Iterable[str]) -> None:
        needles = {v.encode() for v in values if len(v) >= MIN_MASK_LENGTH}
        # Longest first, so a value that contains another is masked whole.
        self.needles = sorted(needles, key=len, reverse=True)
        self._buf = b""

    def feed(self, data: bytes) -> bytes:
        """Return what can be shown now; hold back a tail that may start a value."""
        if not self.needles:
            return data
        self._buf += data
        out = self._mask(self._buf)
        keep = self._partial_suffix(out)
        self._buf = out[len(out) - keep :] if keep else b""
        return out[: len(out) - keep]

    def flush(self) -> bytes:
        out, self._buf = self._buf, b""
        return out

    def _mask(self, data: bytes) -> bytes:
        for needle in self.needles:
            if needle in data:
                data = data.replace(needle, MASK)
        return data

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

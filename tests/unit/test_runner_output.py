"""`run`'s output writer: buffers written with writev, in order, whole, across partial writes,
more buffers than one writev takes, a full non-blocking pipe, and a reader that went away."""

from __future__ import annotations

import fcntl
import os
import threading
import time

from tui_vault.cli.runner import IOV_MAX, Output


def _drain(fd: int, sink: list[bytes]) -> None:
    while chunk := os.read(fd, 777):
        sink.append(chunk)
        time.sleep(0.0005)  # a slow reader: the writer meets a full pipe again and again


def test_write_parts_survives_partial_writes_and_many_buffers() -> None:
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
        os.set_blocking(w, False)
        parts: list[bytes | memoryview] = []
        for i in range(IOV_MAX * 2 + 7):
            piece = f"<{i}:".encode() + b"x" * (i % 13) + b">"
            parts.append(memoryview(piece)[1:] if i % 3 else piece)
        expected = b"".join(bytes(p) for p in parts)
        sink: list[bytes] = []
        reader = threading.Thread(target=_drain, args=(r, sink))
        reader.start()
        out = Output()
        out.write_parts(w, parts)
        os.close(w)
        w = -1
        reader.join(10)
        assert b"".join(sink) == expected and not out.broken
    finally:
        os.close(r)
        if w != -1:
            os.close(w)


def test_write_parts_to_a_closed_reader_marks_the_stream_broken() -> None:
    r, w = os.pipe()
    os.close(r)
    try:
        out = Output()
        out.write_parts(w, [b"abc", memoryview(b"def")])  # EPIPE (SIGPIPE is ignored by Python)
        assert w in out.broken
        out.write_parts(w, [b"more"])  # a no-op from now on
    finally:
        os.close(w)

"""A latency- and fault-injecting HTTP/1.1 proxy for tests and benchmarks.

It sits between a client and a real plain-HTTP server (OpenBao, moto) on 127.0.0.1 and, per
request, adds a delay and then forwards, drops the connection, hangs, or answers with a
canned status or garbage instead of asking the server. Keep-alive connections are kept
(one upstream connection per client connection), so latency numbers stay realistic.

    with FaultProxy("http://127.0.0.1:8200", delay_ms=50) as proxy:
        provider = make_provider("hashicorp", {"url": proxy.url, ...})
        with proxy.fault("status", status=403):
            ...
        proxy.set("drop")
        proxy.set("status", status=500, times=1)  # only the next request, then as before

The proxy runs its own asyncio loop in a daemon thread; `set()` may be called from any
thread and applies to the next request. `stats` counts requests and peak concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, Self
from urllib.parse import urlsplit

Mode = Literal["forward", "drop", "hang", "status", "garbage"]

GARBAGE = b"\x00\x1f<html>definitely { not json"
_MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class Behaviour:
    """What the proxy does with the next request (replaced atomically by `set`)."""

    mode: Mode = "forward"
    delay_ms: float = 0.0
    status: int = 403
    body: bytes = b'{"errors":["permission denied"]}'
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class ProxyStats:
    requests: int = 0
    forwarded: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    connections: int = 0
    by_mode: dict[str, int] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)  # "GET /v1/..." of every request


class _Closed(Exception):
    pass


class _Sink(Protocol):
    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    """Bytes up to and including the blank line; None on a clean EOF before any byte."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise _Closed from None
    except (asyncio.LimitOverrunError, ConnectionError):
        raise _Closed from None


def _headers(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    out: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            out[name.strip().lower()] = value.strip()
    return lines[0], out


async def _relay_body(
    reader: asyncio.StreamReader,
    writer: _Sink | None,
    headers: dict[str, str],
    *,
    until_eof: bool,
) -> None:
    """Copy one message body (Content-Length, chunked, or up to EOF) from reader to writer."""

    async def put(data: bytes) -> None:
        if writer is not None and data:
            writer.write(data)
            await writer.drain()

    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            line = await reader.readuntil(b"\r\n")
            await put(line)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, then the final blank line
                    trailer = await reader.readuntil(b"\r\n")
                    await put(trailer)
                    if trailer == b"\r\n":
                        return
            await put(await reader.readexactly(size + 2))
    length = headers.get("content-length")
    if length is not None:
        remaining = int(length)
        while remaining > 0:
            chunk = await reader.read(min(remaining, 65536))
            if not chunk:
                raise _Closed
            remaining -= len(chunk)
            await put(chunk)
        return
    if until_eof:
        while chunk := await reader.read(65536):
            await put(chunk)


class FaultProxy:
    """See the module docstring. `upstream` is "http://host:port" or (host, port)."""

    def __init__(self, upstream: str | tuple[str, int], *, delay_ms: float = 0.0) -> None:
        if isinstance(upstream, str):
            parts = urlsplit(upstream)
            if parts.scheme != "http" or not parts.hostname or not parts.port:
                raise ValueError("FaultProxy forwards to a plain http://host:port upstream")
            upstream = (parts.hostname, parts.port)
        self.upstream = upstream
        self.behaviour = Behaviour(delay_ms=delay_ms)
        self.stats = ProxyStats()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._stopping: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stats_lock = threading.Lock()
        self._remaining: int | None = None  # requests left for a `set(..., times=N)` fault
        self._after = self.behaviour

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(
        self,
        mode: Mode = "forward",
        *,
        delay_ms: float | None = None,
        status: int = 403,
        body: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        """Change what happens to the next requests; delay_ms=None keeps the current delay.

        times=N: only for the next N requests, then back to the current behaviour.
        """
        current = self.behaviour
        new = Behaviour(
            mode=mode,
            delay_ms=current.delay_ms if delay_ms is None else delay_ms,
            status=status,
            body=(GARBAGE if mode == "garbage" else Behaviour.body) if body is None else body,
            content_type=content_type,
            headers=tuple((headers or {}).items()),
        )
        with self._stats_lock:
            self._remaining = times
            self._after = current
            self.behaviour = new

    def reset(self) -> None:
        """Back to plain forwarding without delay."""
        with self._stats_lock:
            self._remaining = None
            self.behaviour = Behaviour()

    @contextlib.contextmanager
    def fault(self, mode: Mode, **kwargs: object) -> Iterator[Self]:
        """Apply a behaviour for the duration of a `with` block, then restore the previous one."""
        previous = self.behaviour
        self.set(mode, **kwargs)  # type: ignore[arg-type]
        try:
            yield self
        finally:
            with self._stats_lock:
                self._remaining = None
                self.behaviour = previous

    def start(self) -> Self:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._stopping = asyncio.Event()
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, "127.0.0.1", 0, limit=_MAX_HEAD)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as e:  # report to the starting thread
                errors.append(e)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            assert self._stopping is not None
            self._stopping.set()
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ serving

    def _take_behaviour(self) -> Behaviour:
        """The behaviour for this request, counting down a `set(..., times=N)` fault."""
        with self._stats_lock:
            behaviour = self.behaviour
            if self._remaining is not None:
                self._remaining -= 1
                if self._remaining <= 0:
                    self._remaining = None
                    self.behaviour = self._after
            return behaviour

    def _count(self, mode: str, delta_in_flight: int, target: str = "") -> None:
        with self._stats_lock:
            s = self.stats
            if delta_in_flight > 0:
                s.requests += 1
                s.targets.append(target)
                s.by_mode[mode] = s.by_mode.get(mode, 0) + 1
            s.in_flight += delta_in_flight
            s.max_in_flight = max(s.max_in_flight, s.in_flight)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._stats_lock:
            self.stats.connections += 1
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                head = await _read_head(reader)
                if head is None:
                    break
                request_line, req_headers = _headers(head)
                body_buffer = _Buffer()
                await _relay_body(reader, body_buffer, req_headers, until_eof=False)
                behaviour = self._take_behaviour()
                self._count(behaviour.mode, +1, request_line.rsplit(" ", 1)[0])
                try:
                    keep, upstream = await self._serve_one(
                        behaviour, head, body_buffer.data, req_headers, writer, upstream
                    )
                finally:
                    self._count(behaviour.mode, -1)
                if not keep:
                    break
        except (_Closed, ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            for w in (writer, upstream[1] if upstream else None):
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()
            self._tasks.discard(task)

    async def _serve_one(
        self,
        b: Behaviour,
        head: bytes,
        body: bytes,
        req_headers: dict[str, str],
        writer: asyncio.StreamWriter,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
    ) -> tuple[bool, tuple[asyncio.StreamReader, asyncio.StreamWriter] | None]:
        """Handle one request; returns (keep the client connection, upstream connection)."""
        assert self._stopping is not None
        if b.delay_ms > 0:
            await asyncio.sleep(b.delay_ms / 1000)
        if b.mode == "drop":
            return False, upstream
        if b.mode == "hang":
            await self._stopping.wait()
            return False, upstream
        client_close = req_headers.get("connection", "").lower() == "close"
        if b.mode in ("status", "garbage"):
            status = 200 if b.mode == "garbage" else b.status
            lines = [
                f"HTTP/1.1 {status} Injected",
                f"Content-Type: {b.content_type}",
                f"Content-Length: {len(b.body)}",
                *(f"{k}: {v}" for k, v in b.headers),
            ]
            if client_close:
                lines.append("Connection: close")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + b.body)
            await writer.drain()
            return not client_close, upstream
        # forward
        resp_head: bytes | None = None
        for attempt in (1, 2):
            if upstream is None:
                upstream = await asyncio.open_connection(*self.upstream, limit=_MAX_HEAD)
            up_reader, up_writer = upstream
            try:
                up_writer.write(head + body)
                await up_writer.drain()
                resp_head = await _read_head(up_reader)
                if resp_head is None:
                    raise _Closed
            except (_Closed, ConnectionError):
                # The server closed an idle keep-alive connection: reconnect once.
                with contextlib.suppress(Exception):
                    up_writer.close()
                upstream = None
                if attempt == 2:
                    return False, None
                continue
            break
        if resp_head is None:
            return False, None
        status_line, resp_headers = _headers(resp_head)
        writer.write(resp_head)
        await writer.drain()
        method = head.split(b" ", 1)[0].upper()
        status = int(status_line.split(" ")[1]) if " " in status_line else 0
        no_body = method == b"HEAD" or status in (204, 304) or 100 <= status < 200
        delimited = "content-length" in resp_headers or "chunked" in resp_headers.get(
            "transfer-encoding", ""
        )
        if not no_body:
            await _relay_body(up_reader, writer, resp_headers, until_eof=not delimited)
        with self._stats_lock:
            self.stats.forwarded += 1
        server_close = resp_headers.get("connection", "").lower() == "close"
        if server_close or (not no_body and not delimited):
            up_writer.close()
            return False, None
        return not client_close, upstream


class _Buffer:
    """Collects a request body with the StreamWriter calls `_relay_body` uses."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None

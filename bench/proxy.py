"""A small TCP proxy that adds a fixed latency to every request (client -> server bytes).

Each chunk read from the client is forwarded `delay` seconds after it arrived, in order, so a
request costs one injected delay however it is split into packets, and requests on different
connections are delayed independently (as on a real network). Answers flow back at once.
Connections are kept alive end to end, one upstream connection per client connection.

    with LatencyProxy(("127.0.0.1", 8200), delay=0.05) as proxy:
        url = f"http://127.0.0.1:{proxy.port}"
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from types import TracebackType


class LatencyProxy:
    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream = upstream
        self.delay = delay
        self.port = 0
        self.requests = 0  # chunks forwarded to the server (about one per request)
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LatencyProxy:
        self._thread = threading.Thread(target=self._serve, name="latency-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("latency proxy did not start")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        if self._thread is not None:
            self._thread.join(5)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        handlers = list(self._handlers)
        for t in handlers:
            t.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._server = loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        self.connections += 1
        me = asyncio.current_task()
        if me is not None:
            self._handlers.add(me)
            me.add_done_callback(self._handlers.discard)
        try:
            ureader, uwriter = await asyncio.open_connection(*self.upstream)
        except OSError:
            cwriter.close()
            return
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def from_client() -> None:
            while chunk := await creader.read(65536):
                queue.put_nowait((time.monotonic() + self.delay, chunk))
            queue.put_nowait((0.0, b""))

        async def to_server() -> None:
            while True:
                due, chunk = await queue.get()
                if not chunk:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.requests += 1
                uwriter.write(chunk)
                await uwriter.drain()
            with contextlib.suppress(OSError):
                uwriter.write_eof()

        async def to_client() -> None:
            while chunk := await ureader.read(65536):
                cwriter.write(chunk)
                await cwriter.drain()
            with contextlib.suppress(OSError):
                cwriter.write_eof()

        tasks = [asyncio.create_task(t()) for t in (from_client, to_server, to_client)]
        try:
            await asyncio.gather(*tasks)
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a closed connection, or the proxy shutting down: nothing to report
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for w in (cwriter, uwriter):
                with contextlib.suppress(Exception):
                    w.close()

"""Run a child the way a shell would, with its output masked.

Three ways, chosen by `run_child`:
- direct: nothing to mask. The child inherits run's own stdin/stdout/stderr; run only waits
  and passes signals on.
- pipes: the child's stdout and stderr are pipes read by one select loop into one masker
  (each stream masked on its own), written to run's stdout and stderr in the order they
  arrived (but for a held-back possible start of a value, which the other stream's output
  may pass).
- pty: run's stdout is a terminal. The child gets a pseudo-terminal as its controlling
  terminal (stdin too when run's stdin is the terminal, which is then put in raw mode and
  forwarded; stderr too when run's stderr is the terminal); the window size is copied at
  start and on SIGWINCH; the terminal's modes are restored on every way out.

Pseudo-terminal: the standard `pty.openpty()` with `subprocess.Popen` (the child makes the
pty its controlling terminal in `preexec_fn`). Popen already reports exec failures with their
errno (so 126/127/E2BIG are told apart the same way in every mode), restores SIGPIPE and
closes other fds; `ptyprocess` would add a dependency to save only the window-size call.

Signals: SIGINT, SIGTERM, SIGHUP and SIGQUIT are taken with `sigwaitinfo` in one thread, so
run knows who sent them. In pipe and direct modes the child is in run's process group: a
signal the terminal sent (si_code SI_KERNEL: Ctrl-C, Ctrl-\\, hangup) has reached the child
already and is not sent again; one sent to run by a process (kill) is forwarded once. In pty
mode the child has its own session, so every signal run gets is forwarded once (Ctrl-C itself
is a byte the pty's line discipline turns into SIGINT for the child's foreground group).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import signal
import stat
import subprocess
import sys
import termios
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, field

from tui_vault.core.masking import Masker, Parts

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
SI_KERNEL = 0x80
QUIET = 0.08  # a held-back tail (a possible start of a value) is shown after this much quiet
GRACE_QUIET = 0.1  # after the child exits: stop reading after this much quiet ...
GRACE_MAX = 1.0  # ... or this long in all (a background grandchild may hold the pipes)
CHUNK = 1 << 20
MAX_ARG_STRLEN = 131072  # Linux: the longest single argument or NAME=value
IOV_MAX = os.sysconf("SC_IOV_MAX") if "SC_IOV_MAX" in os.sysconf_names else 1024


class ExecFailed(Exception):
    """The command could not be started; message is one line, exit code 126 or 127."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class Launch:
    argv: list[str]
    env: dict[str, str]
    shown_argv: list[str]  # what messages may name (references not rendered)
    values: list[str] = field(default_factory=list)  # to mask; empty: no masking
    use_pty: bool = True


def exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _exec_failure(e: OSError, launch: Launch) -> ExecFailed:
    name = launch.shown_argv[0]
    if isinstance(e, FileNotFoundError) or e.errno == errno.ENOENT:
        return ExecFailed(f"command not found: {name}", 127)
    if isinstance(e, PermissionError) or e.errno in (errno.EACCES, errno.EPERM):
        return ExecFailed(f"permission denied: {name} (not executable)", 126)
    if e.errno == errno.E2BIG:
        big = [f"${k}" for k, v in launch.env.items() if len(k) + len(v) + 2 > MAX_ARG_STRLEN]
        big += [
            f"argument {i}" for i, a in enumerate(launch.argv) if len(a.encode()) >= MAX_ARG_STRLEN
        ]
        what = (
            f"{big[0]} is longer than the 128 KiB the system allows for one variable"
            if big
            else "the environment and arguments together are longer than the system allows"
        )
        return ExecFailed(
            f"cannot run {name}: {what}; pass a value that large in a file "
            "(`tui-vault inject -o FILE`) instead",
            126,
        )
    if e.errno == errno.ENOEXEC:
        return ExecFailed(f"cannot run {name}: not an executable format", 126)
    reason = os.strerror(e.errno) if e.errno else type(e).__name__
    return ExecFailed(f"cannot run {name}: {reason}", 126)


# ---------------------------------------------------------------------------- signals


class Signals:
    """Forward SIGINT/SIGTERM/SIGHUP/SIGQUIT to the child once; SIGWINCH to a callback.

    SIGWINCH is always waited for (ignored when there is no callback, as it is by default):
    `stop` sends it to the waiting thread to wake it at once, so run does not sit out the
    rest of a wait once the child is done."""

    WAIT = 0.1  # seconds per wait (the thread checks for stop at least this often)

    def __init__(self, pid: int, from_terminal_too: bool, on_winch: Callable[[], None] | None):
        self.pid = pid
        self.from_terminal_too = from_terminal_too
        self.on_winch = on_winch
        self.waited = set(FORWARDED) | {signal.SIGWINCH}
        self._stop = False
        self._thread: threading.Thread | None = None
        self._running = False  # the thread is in its loop (it can still be sent a signal)
        self._lock = threading.Lock()  # _stop and _running, and each forwarding
        self._previous: dict[int, object] = {}
        self._masked = False

    def _forward(self, signum: int, code: int) -> None:
        if signum == signal.SIGWINCH:
            if self.on_winch:
                self.on_winch()
            return
        if code == SI_KERNEL and not self.from_terminal_too:
            return  # the terminal sent it to the whole foreground group: the child has it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signum)

    def start(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # in-process callers on other threads: no signal handling at all
        # Fallback handlers, in case a signal reaches a thread that does not block it.
        for sig in self.waited:
            with contextlib.suppress(ValueError, OSError):
                if signal.getsignal(sig) is signal.SIG_IGN and sig != signal.SIGWINCH:
                    continue  # ignored by whoever started run (nohup): the child ignores it too
                self._previous[sig] = signal.signal(sig, self._handler)
        signal.pthread_sigmask(signal.SIG_BLOCK, self.waited)
        self._masked = True
        self._thread = threading.Thread(target=self._loop, name="run-signals", daemon=True)
        self._running = True
        self._thread.start()

    def _handler(self, signum: int, _frame: object) -> None:
        self._forward(signum, 0)

    def _loop(self) -> None:
        try:
            while True:
                info = signal.sigtimedwait(self.waited, self.WAIT)
                with self._lock:
                    if self._stop:
                        return  # (a SIGWINCH from stop, or one that came too late)
                    if info is not None:
                        self._forward(info.si_signo, info.si_code)
        finally:
            with self._lock:
                self._running = False

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            # Still in its loop (it leaves only under this lock): wake it up now.
            if self._running and self._thread is not None and self._thread.ident is not None:
                with contextlib.suppress(OSError, ValueError):
                    signal.pthread_kill(self._thread.ident, signal.SIGWINCH)
        if self._thread is not None:
            self._thread.join()
        if self._masked:
            while signal.sigtimedwait(self.waited, 0) is not None:
                pass  # arrived after the child exited: nobody left to pass them to
            signal.pthread_sigmask(signal.SIG_UNBLOCK, self.waited)
        for sig, handler in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)  # type: ignore[arg-type]


def _wait(proc: subprocess.Popen[bytes]) -> int:
    while True:
        try:
            return proc.wait()
        except InterruptedError:
            continue


# ---------------------------------------------------------------------------- output


class Output:
    """Writes to run's stdout (stream 1) and stderr (stream 2); remembers a broken pipe.

    Any other failure of stdout (a full disk, /dev/full) is remembered too, and the stream
    treated as broken (the child's next write gets SIGPIPE, as with `| head`): once the
    child has ended, check() reports it as one StdoutError line, exit 1."""

    def __init__(self) -> None:
        self.broken: set[int] = set()
        self.stdout_failure: OSError | None = None

    def _failed(self, stream: int, e: OSError) -> None:
        """A write error: a gone reader is quietly broken; stdout's other errors are kept
        for check(); stderr's are raised (there is nowhere left to say them)."""
        if e.errno in (errno.EPIPE, errno.EIO, errno.ENXIO):
            self.broken.add(stream)
            return
        if stream != 1:
            raise e
        self.broken.add(stream)
        self.stdout_failure = e

    def check(self) -> None:
        """Raise the StdoutError for a write to stdout that failed (other than a gone reader)."""
        if self.stdout_failure is not None:
            from tui_vault.cli.common import stdout_error

            raise stdout_error(self.stdout_failure)

    def write(self, stream: int, data: bytes) -> None:
        if stream in self.broken:
            return
        view = memoryview(data)
        while view:
            try:
                n = os.write(stream, view)
            except BlockingIOError:
                select.select([], [stream], [])
                continue
            except InterruptedError:
                continue
            except OSError as e:  # EPIPE: the reader is gone; EIO: the terminal is gone
                self._failed(stream, e)
                return
            view = view[n:]

    def write_parts(self, stream: int, parts: list[bytes | memoryview]) -> None:
        """Write the buffers in order, as one writev each IOV_MAX of them (no joined copy)."""
        if stream in self.broken:
            return
        todo = parts
        while todo:
            batch = todo if len(todo) <= IOV_MAX else todo[:IOV_MAX]
            try:
                n = os.writev(stream, batch)
            except BlockingIOError:
                select.select([], [stream], [])
                continue
            except InterruptedError:
                continue
            except OSError as e:  # as in write()
                self._failed(stream, e)
                return
            if n == sum(map(len, batch)):  # the usual case: all of it
                todo = todo[len(batch) :]
                continue
            done = 0  # buffers written whole
            while n >= len(batch[done]):
                n -= len(batch[done])
                done += 1
            todo = todo[done:]
            if n:
                todo[0] = memoryview(todo[0])[n:]


@dataclass
class Source:
    fd: int
    stream: int  # where its bytes go: 1 stdout, 2 stderr


def _pump(
    proc: subprocess.Popen[bytes],
    sources: list[Source],
    masker: Masker,
    out: Output,
    tty_in: int | None = None,
    pty_master: int | None = None,
) -> None:
    """One select loop: child output through the masker; stdin to the pty; child exit."""
    try:
        pidfd: int | None = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        pidfd = None
    to_child = bytearray()
    exited_at: float | None = None
    last_data = time.monotonic()

    def close(src: Source) -> None:
        sources.remove(src)
        with contextlib.suppress(OSError):
            os.close(src.fd)

    def emit(pieces: Parts) -> None:
        for stream, bufs in pieces:
            out.write_parts(stream, bufs)
        for src in list(sources):
            if src.stream in out.broken:  # stop reading: the child's next write gets SIGPIPE
                close(src)

    try:
        while sources or (exited_at is None):
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            quiet_since = max(last_data, exited_at or 0.0)
            if exited_at is not None and (
                not sources or now - exited_at > GRACE_MAX or now - quiet_since > GRACE_QUIET
            ):
                break
            timeout: float | None = None if pidfd is not None else 0.05
            if masker.pending:
                timeout = max(0.0, last_data + QUIET - now)
            if exited_at is not None:
                timeout = min(timeout if timeout is not None else 1, GRACE_QUIET)
            rlist = [s.fd for s in sources]
            if pidfd is not None and exited_at is None:
                rlist.append(pidfd)
            if tty_in is not None and exited_at is None and len(to_child) < CHUNK:
                rlist.append(tty_in)
            wlist = [pty_master] if (pty_master is not None and to_child) else []
            try:
                readable, writable, _ = select.select(rlist, wlist, [], timeout)
            except InterruptedError:
                continue
            if not readable and not writable:
                if masker.pending and time.monotonic() - last_data >= QUIET:
                    emit(masker.show_held_parts())  # shown, and still held (see there)
                continue
            for src in [s for s in sources if s.fd in readable]:
                try:
                    data = os.read(src.fd, CHUNK)
                except BlockingIOError:
                    continue
                except OSError:  # EIO: the pty's last slave fd was closed
                    data = b""
                if not data:
                    close(src)
                    continue
                last_data = time.monotonic()
                emit(masker.feed_parts(data, src.stream))
            if tty_in is not None and tty_in in readable:
                try:
                    typed = os.read(tty_in, 65536)
                except OSError:
                    typed = b""
                if typed:
                    to_child += typed
                else:
                    tty_in = None  # end of input (the terminal went away)
            if pty_master is not None and pty_master in writable:
                with contextlib.suppress(BlockingIOError, InterruptedError):
                    try:
                        del to_child[: os.write(pty_master, to_child)]
                    except OSError:
                        to_child.clear()
        emit(masker.flush_parts())
    finally:
        for src in list(sources):
            close(src)
        if pidfd is not None:
            os.close(pidfd)


# ---------------------------------------------------------------------------- modes


def _spawn(launch: Launch, **kw: object) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(launch.argv, env=launch.env, **kw)  # type: ignore[call-overload,no-any-return]
    except OSError as e:
        raise _exec_failure(e, launch) from None


def _run_direct(launch: Launch) -> int:
    proc = _spawn(launch)
    signals = Signals(proc.pid, from_terminal_too=False, on_winch=None)
    signals.start()
    try:
        return exit_code(_wait(proc))
    finally:
        signals.stop()


def _take(proc: subprocess.Popen[bytes], name: str) -> int:
    """The fd of proc.stdout/stderr, owned by the caller from now on (the pump closes it)."""
    f = getattr(proc, name)
    fd = os.dup(f.fileno())
    f.close()
    setattr(proc, name, None)
    return fd


def _widen_pipe(fd: int) -> None:
    """If fd is a pipe smaller than CHUNK, widen it to CHUNK (never narrow it). The child's
    pipes: fewer, larger reads. run's own stdout/stderr: each masked read leaves in one write
    instead of sixteen 64 KiB hand-offs to the reader. Only the buffer's capacity changes, not
    what the reader gets; where the kernel refuses (a per-user limit), the pipe stays as it
    was."""
    with contextlib.suppress(OSError, AttributeError):
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) < CHUNK:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, CHUNK)


def _run_pipes(launch: Launch, masker: Masker) -> int:
    proc = _spawn(launch, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sources = [Source(_take(proc, "stdout"), 1), Source(_take(proc, "stderr"), 2)]
    for fd in (*(src.fd for src in sources), 1, 2):
        _widen_pipe(fd)
    signals = Signals(proc.pid, from_terminal_too=False, on_winch=None)
    signals.start()
    out = Output()
    try:
        _pump(proc, sources, masker, out)
        code = exit_code(_wait(proc))
    finally:
        signals.stop()
    out.check()
    return code


def _copy_winsize(src: int, dst: int) -> None:
    with contextlib.suppress(OSError):
        size = fcntl.ioctl(src, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(dst, termios.TIOCSWINSZ, size)


def _run_pty(launch: Launch, masker: Masker) -> int:
    import pty

    master, slave = pty.openpty()
    stdin_tty = _isatty(0)
    stderr_tty = _isatty(2)
    term = 0 if stdin_tty else 1
    with contextlib.suppress(termios.error, OSError):
        termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(term))  # same modes, keys
    _copy_winsize(term, slave)

    def controlling_terminal() -> None:  # in the child, after setsid()
        fcntl.ioctl(0 if stdin_tty else 1, termios.TIOCSCTTY, 0)

    try:
        proc = _spawn(
            launch,
            stdin=slave if stdin_tty else None,
            stdout=slave,
            stderr=slave if stderr_tty else subprocess.PIPE,
            start_new_session=True,
            preexec_fn=controlling_terminal,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    sources = [Source(master, 1)]
    if proc.stderr is not None:
        sources.append(Source(_take(proc, "stderr"), 2))
    os.set_blocking(master, False)
    saved = None
    if stdin_tty:
        with contextlib.suppress(termios.error, OSError):
            saved = termios.tcgetattr(0)
            tty.setraw(0, termios.TCSANOW)
    signals = Signals(
        proc.pid, from_terminal_too=True, on_winch=lambda: _copy_winsize(term, master)
    )
    signals.start()
    out = Output()
    try:
        _pump(proc, sources, masker, out, tty_in=0 if stdin_tty else None, pty_master=master)
        code = exit_code(_wait(proc))
    finally:
        signals.stop()
        if saved is not None:
            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(0, termios.TCSADRAIN, saved)
    out.check()
    return code


def run_child(launch: Launch) -> int:
    """Start the command, pass its output on (masked), return run's exit code."""
    masker = Masker(launch.values)
    sys.stdout.flush()
    sys.stderr.flush()
    if not masker.active:
        return _run_direct(launch)  # the child has run's fd 1 as it is (closed, even)
    from tui_vault.cli.common import stdout_closed

    if stdout_closed():
        # The masked output is written to fd 1 by us: closed, it may be any file opened since.
        from tui_vault.core.errors import StdoutError

        raise StdoutError("it is closed (the command's masked output goes there)")
    if launch.use_pty and _isatty(1):
        return _run_pty(launch, masker)
    return _run_pipes(launch, masker)

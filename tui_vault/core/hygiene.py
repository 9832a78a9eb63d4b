"""Key hygiene for the process itself: TUI_VAULT_KEY leaves the environment at once, the
environment block the kernel shows in /proc/<pid>/environ no longer holds it, and a process
that holds a key can be made non-dumpable (no core dump, no ptrace or /proc/<pid>/mem for
other processes of the same user).

Deleting a variable from os.environ is not enough on Linux: /proc/<pid>/environ shows the
memory the environment was copied to at exec time, and unsetenv() only drops the pointer to
it. So the entry is also overwritten in place, through /proc/self/mem (bounded by the
env_start/env_end fields of /proc/self/stat, so nothing outside that block is touched).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_KEY = "TUI_VAULT_KEY"
PR_SET_DUMPABLE = 4
_MAX_ENV_BLOCK = 16 * 1024 * 1024

_taken: str | None = None


def take_env_key() -> str | None:
    """The key from TUI_VAULT_KEY, removed from the environment on first use and kept here.

    Called first thing by the command line, and by every key lookup, so no child process,
    SDK helper or `run` command can inherit it.
    """
    global _taken
    value = os.environ.get(ENV_KEY)
    if value is not None:
        # Kept before it leaves the environment: a lookup in another thread (the TUI's
        # unlock probes run two) finds it in one place or the other, never in neither.
        if value:
            _taken = value
        os.environ.pop(ENV_KEY, None)
        scrub_initial_environment(ENV_KEY)
    return _taken


def forget_env_key() -> None:
    """Drop the key taken from the environment (tests, and after a reset)."""
    global _taken
    _taken = None


def _env_block() -> tuple[int, int] | None:
    try:
        stat = Path("/proc/self/stat").read_bytes()
        fields = stat[stat.rindex(b")") + 2 :].split()
        start, end = int(fields[47]), int(fields[48])  # env_start (50), env_end (51)
    except (OSError, ValueError, IndexError):
        return None
    if not 0 < start < end or end - start > _MAX_ENV_BLOCK:
        return None
    return start, end


def scrub_initial_environment(name: str) -> bool:
    """Overwrite NAME=... in the process's original environment block with NUL bytes.

    True if the block no longer holds the variable (or never did); False where the kernel
    does not let us (no /proc, or a locked-down /proc/self/mem).
    """
    block_range = _env_block()
    if block_range is None:
        return False
    start, end = block_range
    prefix = os.fsencode(name) + b"="
    try:
        fd = os.open("/proc/self/mem", os.O_RDWR)
    except OSError:
        return False
    try:
        block = os.pread(fd, end - start, start)
        offset = 0
        for entry in block.split(b"\0"):
            if entry.startswith(prefix):
                os.pwrite(fd, b"\0" * len(entry), start + offset)
            offset += len(entry) + 1
        return prefix not in os.pread(fd, end - start, start)
    except OSError:
        return False
    finally:
        os.close(fd)


def make_non_dumpable() -> bool:
    """prctl(PR_SET_DUMPABLE, 0): no core dumps; /proc/<pid>/{environ,mem} and ptrace are
    closed to other processes of the same user (root still passes). Best effort."""
    try:
        return _prctl(PR_SET_DUMPABLE, 0) == 0
    except (OSError, AttributeError):
        return False


def is_dumpable() -> bool:
    try:
        return _prctl(3, 0) == 1  # PR_GET_DUMPABLE
    except (OSError, AttributeError):
        return True


def _prctl(option: int, arg: int) -> int:
    """prctl(option, arg, 0, 0, 0) from libc, through _ctypes, ctypes' C core.

    What `ctypes.CDLL(None, use_errno=True).prctl(...)` does (an int result, errno kept),
    without ctypes/__init__ (its ~60 C types, their size checks, its struct import): that
    import was ~2 ms of every `get`, _ctypes alone ~0.5 (bench/PROFILING.md, round 4,
    `pget`). If _ctypes is not what this expects, ctypes itself does it.
    """
    try:
        import _ctypes

        class _CInt(_ctypes._SimpleCData):  # type: ignore[type-arg]  # ctypes.c_int
            _type_ = "i"

        class _Function(_ctypes.CFuncPtr):  # a CDLL function: cdecl, errno kept
            _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
            _restype_ = _CInt

        libc = _ctypes.dlopen(None, os.RTLD_NOW | os.RTLD_LOCAL)  # type: ignore[arg-type]
        prctl = _Function(_ctypes.dlsym(libc, "prctl"))
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        import ctypes

        return int(ctypes.CDLL(None, use_errno=True).prctl(option, arg, 0, 0, 0))
    return int(prctl(option, arg, 0, 0, 0))

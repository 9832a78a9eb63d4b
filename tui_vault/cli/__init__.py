"""The `tui-vault` command: the TUI by default, subcommands for scripts and CI.

Exit codes by cause (DESIGN.md §5): 0 ok, 1 error, 2 invalid arguments, 3 anything about the
key (none, not valid, wrong), 4 unresolved references (get, inject, run).
Every failure is one line on stderr; secret values never reach argv, logs or errors.

Layout: `common` (what every command shares), `parser` (assembles the subcommands), and one
module per command group, each with its handlers and a `register(add)`.
"""

from __future__ import annotations

import sys

# typing.TYPE_CHECKING without importing typing: its import alone set off 8 collections
# (one of them over everything the interpreter's start made), ~1.7 ms, before main() could
# pause the collector. mypy and ruff read the name as typing's.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any, NoReturn

    from tui_vault.cli.parser import build_parser as build_parser

# This module imports next to nothing (sys): what a command needs is imported by main(),
# after it has told the collector to wait (see _pause_collector). `build_parser`
# (parser.build_parser; tests may replace it here with a prebuilt parser) is looked up on
# first use, by __getattr__.

__all__ = ["build_parser", "entry", "main"]


def __getattr__(name: str) -> Any:
    if name == "build_parser":
        from tui_vault.cli.parser import build_parser

        return build_parser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def cmd_tui(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tui_vault.cli.common import vault_path
    from tui_vault.integrations import provider_factory
    from tui_vault.ui.app import make_app

    key_file = Path(args.key_file).expanduser() if args.key_file else None
    app = make_app(
        vault_path=vault_path(args), key_file=key_file, provider_factory=provider_factory
    )
    app.run()
    return int(app.return_code or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; argv None: this process's own command line (then the collector
    waits while it starts, and on the way out the objects left are frozen: see
    _pause_collector and _freeze_for_exit)."""
    global _own_process
    if argv is not None:
        return _run(list(argv))
    _own_process = True
    _pause_collector()
    try:
        return _run(sys.argv[1:])
    finally:
        _freeze_for_exit()


_collector_paused = False
_own_process = False  # main() runs this process's own command line (not a test's argv)


def keep_until_exit(obj: object) -> None:
    """Leave obj (a big vault's session, its command's work done) to the process's exit
    instead of freeing it: at 100,000 secrets, ~12 ms of CPU that only hands memory back
    to an allocator about to vanish with the process (bench/PROFILING.md, round 7).

    obj goes into a reference cycle (so reference counting never frees it), and the cycle
    into the collector's permanent generation with everything else (so no collection, nor
    interpreter shutdown, ever looks at it). Only for the process's own command, like
    _freeze_for_exit; in process (tests), obj is freed as usual. Nothing left this way may
    hold unwritten data: a session's files are written through os.write or `with` blocks,
    and its locks are the kernel's, released with the process."""
    if not _own_process:
        return
    import gc

    was_enabled = gc.isenabled()
    gc.disable()  # no collection between making the cycle and freezing it
    cell: list[object] = [obj]
    cell.append(cell)
    gc.freeze()
    if was_enabled:
        gc.enable()


def _pause_collector() -> None:
    """Turn the cyclic collector off while the process's own command starts; it stays off
    for a plain `get` of a local secret, and resume_collector turns it on again for
    anything else (the parser's commands, the TUI, a linked secret's session).

    A local `get` allocates its ~120 modules' objects and one vault's secrets, none of them
    garbage a collection could free (the secrets hold no reference cycles; reference
    counting frees them), yet the collector ran ~18 young and 2 middle collections over
    them: ~4 ms of CPU (bench/PROFILING.md, round 4, `pget`). A caller of main(argv)
    (tests, in-process) keeps its collector as it is.
    """
    global _collector_paused
    import gc

    if gc.isenabled():
        gc.disable()
        _collector_paused = True


def resume_collector() -> None:
    """The cyclic collector on again if main() paused it (otherwise nothing)."""
    global _collector_paused
    if _collector_paused:
        import gc

        gc.enable()
        _collector_paused = False


def _freeze_for_exit() -> None:
    """Move every object left to the GC's permanent generation just before the process ends.

    Interpreter shutdown runs the cyclic collector over everything the command imported
    (several passes while modules are torn down, whether the collector is enabled or not):
    25-35 ms of CPU at the end of a local `get` (bench/PROFILING.md, round 3, `pget`).
    Frozen objects are still freed by reference counting; what only a collection would
    reclaim is reclaimed by the process exiting. Files are never left to a collector: every
    write goes through os.write or a `with` block, and stdout/stderr are flushed by the
    interpreter. Only for a process's own command line: a caller of main(argv) (tests,
    in-process) keeps its collector as it was.
    """
    import gc

    gc.freeze()


def _run(argv: list[str]) -> int:
    from tui_vault.core.hygiene import take_env_key

    # First of all: TUI_VAULT_KEY leaves the environment (and the block /proc/<pid>/environ
    # shows), before any SDK is imported or any child started.
    take_env_key()
    from tui_vault.cli.common import StdoutGuard

    # Every write to stdout (values, JSON, --help) goes through the guard: a closed or full
    # stdout is one line and exit 1 (StdoutError), whatever command wrote. Put back after.
    stream = sys.stdout
    sys.stdout = StdoutGuard(stream)
    try:
        return _run_guarded(argv, stream)
    finally:
        sys.stdout = stream


def _run_guarded(argv: list[str], stream: Any) -> int:
    from tui_vault.cli import parser as _parser
    from tui_vault.cli.common import PROG, Command, say
    from tui_vault.core.errors import ExitCode, StdoutError, VaultError

    try:
        # Tests may swap build_parser (here) for a prebuilt one: then that one parses all.
        swapped = globals().get("build_parser", _parser.build_parser)
        own_parser = swapped is _parser.build_parser
        args = _parser.plain_get(argv) if own_parser else None
        if args is None:
            resume_collector()  # only a plain `get` goes on without it
            parser = _parser.parser_for(argv) if own_parser else swapped()
            try:
                args = parser.parse_args(argv)
            except SystemExit:
                sys.stdout.flush()  # --help, --version: their text reached stdout, or fails
                raise
        for attr in ("vault", "key_file"):
            if not hasattr(args, attr):
                setattr(args, attr, None)
        from tui_vault.core.rollback import set_accept_rollback

        set_accept_rollback(bool(getattr(args, "accept_rollback", False)))
        func: Command = getattr(args, "func", cmd_tui)
        if func is cmd_tui:
            sys.stdout = stream  # the full-screen app has the terminal to itself
        code = int(func(args))
        sys.stdout.flush()  # what is still buffered fails here, not silently at exit
        return code
    except StdoutError as e:
        say(f"{PROG}: {e.message}")
        _drop_stdout(stream)
        return int(e.exit_code)
    except VaultError as e:
        say(f"{PROG}: {e.message}")
        return int(e.exit_code)
    except KeyboardInterrupt:
        say(f"{PROG}: interrupted")
        return 130
    except BrokenPipeError:
        import contextlib

        with contextlib.suppress(OSError):
            sys.stderr.close()
        return 1
    except Exception as e:  # the last line of defence: one line, no traceback, no message text
        import os

        if os.environ.get("TUI_VAULT_DEBUG"):
            raise
        say(
            f"{PROG}: unexpected error ({type(e).__name__}); run with TUI_VAULT_DEBUG=1 for details"
        )
        return int(ExitCode.ERROR)


def _drop_stdout(stream: Any) -> None:
    """After a failed write to stdout, let what is still buffered go nowhere: the
    interpreter's last flush would fail again ("Exception ignored", exit 120). Only for the
    process's own command: fd 1 is pointed at /dev/null (a test's stream is left alone)."""
    if not _own_process or stream is None:
        return
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError):
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, stream.fileno())
        os.close(fd)


def entry() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    entry()

"""The process's own `get NAME` runs without the cyclic collector (cli/__init__.py:
_pause_collector): nothing a local get allocates is garbage only a collection could free.
Anything else has it back: the parser's commands (the TUI among them), a linked secret's
session, and every in-process caller of main(argv)."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Made
from tests.helpers import clean_env
from tui_vault import cli
from tui_vault.cli import common
from tui_vault.core.model import Link

# The process's own command line, as the installed script runs it; the collector's state is
# printed when the command is over (the exit freezes whatever is left, either way).
WRAPPER = """
import atexit, gc, sys
atexit.register(lambda: sys.stderr.write(f"COLLECTOR {gc.isenabled()}\\n"))
sys.argv = ["tui-vault", *sys.argv[1:]]
from tui_vault.cli import main
sys.exit(main())
"""


def _run_script(
    script: str, made: Made, home: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """`python -c script ARGS` in the made vault's environment (the script calls main())."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        env=clean_env(home, made.env),
        cwd=home,
        timeout=60,
        check=False,
        text=True,
    )


def _collector_after(made: Made, home: Path, *args: str) -> tuple[int, str, bool]:
    proc = _run_script(WRAPPER, made, home, *args)
    line = next(x for x in proc.stderr.splitlines() if x.startswith("COLLECTOR "))
    assert line in ("COLLECTOR True", "COLLECTOR False"), line
    return proc.returncode, proc.stdout, line == "COLLECTOR True"


def test_a_plain_local_get_runs_without_the_collector(made: Made, home: Path) -> None:
    made.vault.set_value("api", "marker-value-1")
    code, out, collecting = _collector_after(made, home, "get", "api")
    assert (code, out, collecting) == (0, "marker-value-1\n", False)


@pytest.mark.parametrize(
    "argv",
    [
        ["get", "api", "--vau", "{path}"],  # the same get, through the whole parser
        ["list"],
        ["get", "nosuch"],  # a plain get that fails still exits normally (collector off)
    ],
)
def test_anything_but_a_plain_get_has_the_collector(
    made: Made, home: Path, argv: list[str]
) -> None:
    made.vault.set_value("api", "marker-value-1")
    args = [a.replace("{path}", str(made.path)) for a in argv]
    code, _, collecting = _collector_after(made, home, *args)
    if argv == ["get", "nosuch"]:
        assert (code, collecting) == (4, False)
    else:
        assert (code, collecting) == (0, True)


def test_a_linked_secret_gets_the_collector_back_before_its_session(
    made: Made, monkeypatch: pytest.MonkeyPatch
) -> None:
    made.vault.link("R", Link("aws", {"secret_id": "db"}))
    seen: list[bool] = []

    class Stop(Exception):
        pass

    def session_for(*_args: object, **_kw: object) -> None:
        seen.append(gc.isenabled())
        raise Stop

    monkeypatch.setattr(common, "session_for", session_for)
    assert gc.isenabled()
    cli._pause_collector()
    try:
        assert not gc.isenabled()
        with pytest.raises(Stop):
            common.resolve_names(made.vault, ["R"], None)
    finally:
        cli.resume_collector()
    assert seen == [True] and gc.isenabled()


def test_main_with_argv_leaves_the_collector_alone(
    made: Made, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made.vault.set_value("api", "marker-value-1")
    for name, value in made.env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["get", "api"]) == 0
    assert capsys.readouterr().out == "marker-value-1\n"
    assert gc.isenabled()
    gc.disable()
    try:
        cli.resume_collector()  # not paused by main(): nothing to resume
        assert not gc.isenabled()
    finally:
        gc.enable()


KEEP = """
import os, sys
from tui_vault import cli

class Noisy:
    def __del__(self) -> None:
        os.write(2, b"FREED\\n")

cli._own_process = sys.argv[1] == "own"
cli.keep_until_exit(Noisy())
os.write(2, b"KEPT\\n")
"""


@pytest.mark.parametrize("own", [True, False], ids=["own command", "in process"])
def test_keep_until_exit_leaves_the_object_to_the_exit(home: Path, own: bool) -> None:
    """The process's own command leaves the object unfreed through interpreter shutdown
    (a frozen cycle); an in-process caller's object is freed as usual."""
    proc = subprocess.run(
        [sys.executable, "-c", KEEP, "own" if own else "tests"],
        capture_output=True,
        cwd=home,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ([b"KEPT"] if own else [b"FREED", b"KEPT"])


LIST_KEEPS = """
import atexit, sys, weakref
from tui_vault import cli
from tui_vault.cli import common

refs = []
opened = common.open_session
common.open_session = lambda args: (s := opened(args), refs.append(weakref.ref(s)))[0]
atexit.register(lambda: sys.stderr.write(f"ALIVE {[r() is not None for r in refs]}\\n"))
sys.argv = ["tui-vault", *sys.argv[1:]]
sys.exit(cli.main())
"""


def test_list_leaves_its_session_to_the_exit(
    made: Made, home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made.vault.set_value("api", "marker-value-1")
    proc = _run_script(LIST_KEEPS, made, home, "list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert '"name": "api"' in proc.stdout
    assert "ALIVE [True]" in proc.stderr.splitlines()
    # In process (a test's main(argv)): nothing is frozen, the session is freed.
    for name, value in made.env.items():
        monkeypatch.setenv(name, value)
    frozen = gc.get_freeze_count()
    assert cli.main(["list", "--json"]) == 0
    assert '"name": "api"' in capsys.readouterr().out
    assert gc.get_freeze_count() == frozen

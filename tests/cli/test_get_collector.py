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


def _collector_after(made: Made, home: Path, *args: str) -> tuple[int, str, bool]:
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        env=clean_env(home, made.env),
        cwd=home,
        timeout=60,
        check=False,
        text=True,
    )
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

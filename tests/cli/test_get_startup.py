"""What a `get` of a local secret loads: only what reading one value needs.

A local secret needs no event loop, resolver, session or cache (core/session.py,
cli/common.py: resolve_names), no msgspec for a small vault (store.Envelope.from_bytes,
model.VaultData.from_json_bytes), no keyring when the key came from elsewhere
(core/unlock.py), no platformdirs in the plain XDG cases (core/paths.py: user_dir), and no
provider SDK or Textual anywhere. The same command line through the whole parser
(an abbreviated option) loads the same, apart from the parser's own modules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Made
from tests.helpers import clean_env

NEVER = (
    "asyncio",
    "concurrent.futures",
    "msgspec",
    "pybase64",
    "keyring",
    "tomllib",
    "platformdirs",
    "textual",
    "boto3",
    "botocore",
    "hvac",
    "azure",
    "onepassword",
    "tui_vault.core.session",
    "tui_vault.core.cache",
    "tui_vault.core.resolver",
    "tui_vault.integrations",
    "tui_vault.ui",
)

# The process's own command line (main() with no argv), as the installed script runs it;
# the modules loaded are printed at exit.
WRAPPER = """
import atexit, json, sys
atexit.register(lambda: sys.stderr.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
sys.argv = ["tui-vault", *sys.argv[1:]]
from tui_vault.cli import main
sys.exit(main())
"""


def _get(made: Made, home: Path, *args: str) -> tuple[str, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        env=clean_env(home, made.env),
        cwd=home,
        timeout=60,
        check=False,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    return proc.stdout, set(json.loads(line.removeprefix("MODULES ")))


def _loaded(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


@pytest.mark.parametrize("spelling", [["get", "api"], ["get", "api", "--vau", "{path}"]])
def test_a_local_get_loads_only_what_it_needs(made: Made, home: Path, spelling: list[str]) -> None:
    made.vault.set_value("api", "marker-value-1")
    made.vault.set_value("web", "marker-value-2", allowed_domains="example.com")
    args = [a.replace("{path}", str(made.path)) for a in spelling]
    out, modules = _get(made, home, *args)
    assert out == "marker-value-1\n"
    assert not [n for n in NEVER if _loaded(modules, n)]
    commands = {m for m in modules if m.startswith("tui_vault.cli.")}
    assert commands == {"tui_vault.cli.common", "tui_vault.cli.parser", "tui_vault.cli.secrets"}


def test_a_plain_get_builds_no_parser(made: Made, home: Path) -> None:
    """argparse's help machinery (shutil for the terminal width, gettext's locale) stays
    unloaded when `get NAME` is read without a parser (cli/parser.py: plain_get)."""
    made.vault.set_value("api", "marker-value-1")
    _, modules = _get(made, home, "get", "api")
    assert "shutil" not in modules
    _, modules = _get(made, home, "get", "api", "--vau", str(made.path))
    assert "shutil" in modules  # the whole parser: the check above can fail

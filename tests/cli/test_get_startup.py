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
# the modules loaded are printed at exit, and which modules' import statements named each of
# WATCHED (builtins.__import__ sees every `import`/`from ... import`, loaded or not).
WRAPPER = """
import atexit, builtins, json, sys
WATCHED = ("argparse", "dataclasses", "inspect")
importers = {w: set() for w in WATCHED}
real_import = builtins.__import__
def watching(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name.split(".")[0] in importers:
        importers[name.split(".")[0]].add((globals or {}).get("__name__", "?"))
    return real_import(name, globals, locals, fromlist, level)
builtins.__import__ = watching
def report():
    sys.stderr.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n")
    sys.stderr.write("IMPORTERS " + json.dumps({k: sorted(v) for k, v in importers.items()}))
atexit.register(report)
sys.argv = ["tui-vault", *sys.argv[1:]]
from tui_vault.cli import main
sys.exit(main())
"""


def _get_watched(
    env: dict[str, str], home: Path, *args: str, stdin: str | None = None
) -> tuple[str, set[str], dict[str, list[str]]]:
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        input=stdin,
        capture_output=True,
        env=clean_env(home, env),
        cwd=home,
        timeout=60,
        check=False,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    line = next(x for x in lines if x.startswith("MODULES "))
    who = next(x for x in lines if x.startswith("IMPORTERS "))
    modules = set(json.loads(line.removeprefix("MODULES ")))
    return proc.stdout, modules, json.loads(who.removeprefix("IMPORTERS "))


def _get(made: Made, home: Path, *args: str) -> tuple[str, set[str]]:
    out, modules, _ = _get_watched(made.env, home, *args)
    return out, modules


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
    # cli.argparser (the Parser class, and argparse) only when a parser is built.
    parsed = "--vau" in spelling
    assert ("tui_vault.cli.argparser" in commands) == parsed
    commands.discard("tui_vault.cli.argparser")
    assert commands == {"tui_vault.cli.common", "tui_vault.cli.parser", "tui_vault.cli.secrets"}


def test_a_plain_get_builds_no_parser(made: Made, home: Path) -> None:
    """argparse's help machinery (shutil for the terminal width, gettext's locale) stays
    unloaded when `get NAME` is read without a parser (cli/parser.py: plain_get)."""
    made.vault.set_value("api", "marker-value-1")
    _, modules = _get(made, home, "get", "api")
    assert "shutil" not in modules
    _, modules = _get(made, home, "get", "api", "--vau", str(made.path))
    assert "shutil" in modules  # the whole parser: the check above can fail


def test_a_plain_get_imports_no_argparse_and_no_dataclasses(made: Made, home: Path) -> None:
    """`dataclasses` loads inspect (ast, dis, tokenize): ~10 ms of a plain local `get`;
    argparse ~2 ms, ctypes ~2, hmac (and hashlib's OpenSSL) ~4; none is needed to read one
    value (core/frozen.py, parser.plain_get, hygiene._prctl, crypto.sha256)."""
    made.vault.set_value("api", "marker-value-1")
    made.vault.set_value("web", "marker-value-2", allowed_domains="example.com")
    out, modules, importers = _get_watched(made.env, home, "get", "api")
    assert out == "marker-value-1\n"
    assert "argparse" not in modules and not importers["argparse"]
    assert "ctypes" not in modules  # prctl through _ctypes (core/hygiene.py: _prctl)
    assert "hmac" not in modules  # core/crypto.py: sha256, hmac_sha256
    assert "unicodedata" not in modules  # core/display.py: only for a text to escape
    assert "hashlib" not in modules  # core/vault.py: _digest through crypto.sha256
    # AES-GCM and HKDF from cryptography's binding (core/crypto.py): not the `ciphers`
    # package's every cipher, mode and decrepit algorithm, nor the kdf package.
    assert not [m for m in modules if ".ciphers" in m or ".kdf" in m]
    assert not importers["dataclasses"] and not importers["inspect"]
    assert "dataclasses" not in modules and "inspect" not in modules
    # The same with a --url (checked without a parser too) and the key in a --key-file.
    key_file = home / "key.txt"
    key_file.write_text(made.key + "\n")
    by_file = {"TUI_VAULT_PATH": str(made.path)}
    argv = ["get", "web", "--url", "https://example.com/x", "--key-file", str(key_file)]
    out, modules, importers = _get_watched(by_file, home, *argv)
    assert out == "marker-value-2\n"
    assert "argparse" not in modules and not importers["argparse"]
    assert "dataclasses" not in modules and "inspect" not in modules


def test_the_watch_sees_importers(made: Made, home: Path) -> None:
    """The check above can fail: the whole parser (an abbreviated option) imports argparse,
    and the watch names who did."""
    made.vault.set_value("api", "marker-value-1")
    argv = ["get", "api", "--vau", str(made.path)]
    _, modules, importers = _get_watched(made.env, home, *argv)
    assert "argparse" in modules
    assert "tui_vault.cli.argparser" in importers["argparse"]
    assert "dataclasses" in importers["inspect"] or "inspect" not in modules


def test_a_set_in_a_small_vault_loads_no_msgspec(made: Made, home: Path) -> None:
    """A process that saves once writes a small vault with json.dumps (model.to_json_bytes):
    msgspec's import (~28 ms, more than the rest of the save) is for big vaults."""
    made.vault.set_value("api", "marker-value-1")
    _, modules, _ = _get_watched(made.env, home, "set", "web", stdin="marker-value-2\n")
    assert "msgspec" not in modules
    out, _, _ = _get_watched(made.env, home, "get", "web")
    assert out == "marker-value-2\n"

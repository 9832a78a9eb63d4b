"""Core and integrations never import Textual; core never imports a provider SDK."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import tui_vault

PACKAGE = Path(tui_vault.__file__).parent
HEAVY = ("textual", "boto3", "botocore", "hvac", "azure", "onepassword")


def modules(sub: str) -> list[str]:
    return sorted(f"tui_vault.{sub}.{m.name}" for m in pkgutil.iter_modules([str(PACKAGE / sub)]))


def imported_after(names: list[str]) -> set[str]:
    """Import the modules in a fresh interpreter; return the top-level packages loaded."""
    code = (
        "import importlib, json, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return set(json.loads(out))


def test_there_are_modules_to_check() -> None:
    assert "tui_vault.core.vault" in modules("core")
    assert "tui_vault.integrations.base" in modules("integrations")


def test_core_imports_no_textual_and_no_sdk() -> None:
    loaded = imported_after(modules("core"))
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_integrations_import_no_textual_and_load_sdks_lazily() -> None:
    loaded = imported_after(modules("integrations"))
    assert "textual" not in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_cli_start_up_imports_no_textual() -> None:
    loaded = imported_after(["tui_vault.cli"])
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


# ----------------------------------------------------------------------------- every import
# The subprocess checks above only see module-level imports. These read the source: every
# import statement (inside functions and TYPE_CHECKING blocks too) and every
# importlib.import_module("...") with a literal name.

# package -> imports it may never make, anywhere in a module
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": ("textual", "tui_vault.integrations", "tui_vault.ui", "tui_vault.cli", *HEAVY[1:]),
    "integrations": ("textual", "tui_vault.ui", "tui_vault.cli"),
}


def imports_of(source: str, module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the source of `module`."""
    package = module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names if a.name != "*"]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def violations(source: str, module: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{module}:{line} imports {name}"
        for line, name in imports_of(source, module)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_no_forbidden_import_anywhere_in_a_module() -> None:
    found: list[str] = []
    checked = 0
    for sub, forbidden in FORBIDDEN.items():
        for path in sorted((PACKAGE / sub).rglob("*.py")):
            rel = path.relative_to(PACKAGE.parent).with_suffix("")
            module = ".".join(rel.parts)
            found += violations(path.read_text(encoding="utf-8"), module, forbidden)
            checked += 1
    assert checked > 20
    assert not found, found


def test_the_checker_sees_function_level_relative_and_dynamic_imports() -> None:
    source = (
        "import importlib\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from tui_vault.integrations.base import Provider\n"
        "def f():\n"
        "    from ..integrations import registry\n"
        "    import textual.app\n"
        "    return importlib.import_module('tui_vault.integrations.aws')\n"
        "from tui_vault.core.model import Link\n"
    )
    found = violations(source, "tui_vault.core.probe", FORBIDDEN["core"])
    lines = {int(v.split(":")[1].split()[0]) for v in found}
    assert lines == {4, 6, 7, 8}, found  # not 9: core may import core
    assert "tui_vault.core.probe:6 imports tui_vault.integrations.registry" in found


def test_the_lint_rule_refuses_core_importing_integrations() -> None:
    """ruff with the project's config (tui_vault/core/ruff.toml) fails a deliberate violation
    inside a function in core, and lets the same code pass in the UI."""
    code = (
        "def f() -> object:\n"
        "    from tui_vault.integrations import registry\n\n"
        "    return registry\n"
    )

    def ruff(where: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--no-cache", "--stdin-filename", where, "-"],
            input=code,
            capture_output=True,
            text=True,
            cwd=PACKAGE.parent,
            timeout=60,
        )

    bad = ruff("tui_vault/core/_probe.py")
    assert bad.returncode == 1 and "TID251" in bad.stdout, bad.stdout + bad.stderr
    assert "tui_vault.integrations" in bad.stdout
    ok = ruff("tui_vault/ui/_probe.py")
    assert ok.returncode == 0, ok.stdout + ok.stderr

"""Core and integrations never import Textual; core never imports a provider SDK."""

from __future__ import annotations

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

"""Find the stylesheets the same way from a checkout and from an installed wheel."""

from __future__ import annotations

from pathlib import Path


def styles_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    installed = here / "styles"  # the wheel force-includes styles/ as tui_vault/styles
    if installed.is_dir():
        return installed
    return here.parent / "styles"  # a source checkout


def stylesheet(name: str) -> Path:
    return styles_dir() / name

"""Typed access to the app from widgets and screens."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from tui_vault.ui.app import VaultApp


def vapp(node: DOMNode) -> VaultApp:
    return cast("VaultApp", node.app)


def display_path(path: object) -> str:
    """A path as people write it: ~ for the home directory."""
    from pathlib import Path

    p = Path(str(path))
    try:
        return "~/" + str(p.relative_to(Path.home()))
    except ValueError:
        return str(p)

"""Typed access to the app from widgets and screens."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from tui_vault.ui.app import VaultApp


def vapp(node: DOMNode) -> VaultApp:
    return cast("VaultApp", node.app)

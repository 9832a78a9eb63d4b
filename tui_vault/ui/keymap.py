"""Every binding id the app has, with its default keys: to check a user's keymap."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding
from textual.dom import DOMNode

import tui_vault.ui.screens
import tui_vault.ui.widgets


def default_keys() -> dict[str, str]:
    """binding id -> default keys, over the app, every screen and every widget."""
    from tui_vault.ui.app import VaultApp

    classes: list[type] = [VaultApp]
    for package in (tui_vault.ui.screens, tui_vault.ui.widgets):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            classes += [
                c
                for _, c in inspect.getmembers(module, inspect.isclass)
                if issubclass(c, DOMNode) and c.__module__ == module.__name__
            ]
    out: dict[str, str] = {}
    for cls in classes:
        for binding in getattr(cls, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                out.setdefault(binding.id, binding.key)
    return out

"""Typed access to the app from widgets and screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual.dom import DOMNode

# The one helper for counted nouns (core/words.py), re-exported for the screens.
from tui_vault.core.words import plural as plural

if TYPE_CHECKING:
    from textual.widgets import DataTable

    from tui_vault.ui.app import VaultApp
    from tui_vault.ui.messages import ResolveProgressed, VaultChanged


def vapp(node: DOMNode) -> VaultApp:
    return cast("VaultApp", node.app)


def display_path(path: object) -> str:
    """A path as people write it: ~ for the home directory; control characters visible."""
    from pathlib import Path

    from tui_vault.core.display import visible

    p = Path(str(path))
    try:
        return visible("~/" + str(p.relative_to(Path.home())))
    except ValueError:
        return visible(str(p))


def selected_row_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    try:
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except Exception:  # the cursor can sit past the end while rows are being replaced
        return None
    return str(row_key.value) if row_key.value is not None else None


def os_reason(e: OSError) -> str:
    """Why an OS call failed, in words (never the path's contents)."""
    return e.strerror or type(e).__name__


def subscribe_changes(
    node: DOMNode,
    on_changed: Callable[[VaultChanged], object] | None = None,
    on_progress: Callable[[ResolveProgressed], object] | None = None,
) -> None:
    """Call back when the vault or session changes (and on fetch progress). Subscribe from
    `on_mount`; a removed node is dropped by the signal itself."""
    app = vapp(node)
    if on_changed is not None:
        app.vault_changed.subscribe(node, on_changed)
    if on_progress is not None:
        app.resolve_progress.subscribe(node, on_progress)

"""Export and import dialogs: see export_dialog.py and import_dialog.py."""

from __future__ import annotations

from tui_vault.ui.screens.export_dialog import DEFAULT_EXPORT_PATH, ExportDialog
from tui_vault.ui.screens.import_dialog import (
    DuplicatesDialog,
    ImportDialog,
    ImportSummaryDialog,
    ReadFile,
)

__all__ = [
    "DEFAULT_EXPORT_PATH",
    "DuplicatesDialog",
    "ExportDialog",
    "ImportDialog",
    "ImportSummaryDialog",
    "ReadFile",
]

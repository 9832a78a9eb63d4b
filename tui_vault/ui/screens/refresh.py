"""Keep screens under the current one up to date after a vault change.

`VaultApp.vault_op` posts `VaultChanged` to the top screen only; a screen or modal stacked on
the secrets table passes it one step down, so every screen in the stack redraws once.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from tui_vault.ui.messages import VaultChanged


def pass_down(screen: Screen[Any], focus_name: str | None = None) -> None:
    """Post VaultChanged to the screen directly below `screen` (if it is in the stack)."""
    stack = screen.app.screen_stack
    if screen in stack:
        index = stack.index(screen)
        if index > 0:
            stack[index - 1].post_message(VaultChanged(focus_name=focus_name))

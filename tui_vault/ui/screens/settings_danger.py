"""Settings → Danger zone: clear the vault (keep the key) or reset it (lost key)."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from tui_vault.core.errors import VaultError
from tui_vault.core.unlock import reset_vault_files
from tui_vault.core.words import plural
from tui_vault.ui.base import vapp
from tui_vault.ui.screens.dialogs import TypedConfirmDialog


class DangerTab(VerticalScroll, can_focus=False):
    """The Danger zone tab's contents."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="settings-action"):
            yield Button("Clear vault…", id="clear-vault", variant="error", compact=True)
            yield Static("", id="clear-text", classes="settings-hint")
        with Horizontal(classes="settings-action"):
            yield Button("Reset vault…", id="reset-vault", variant="error", compact=True)
            yield Static(
                "Delete the vault, its backup, its cache and the saved key, then start "
                "over with a new key. Only for a lost key.",
                classes="settings-hint",
            )

    def refresh_rows(self) -> None:
        vault = vapp(self).vault
        if vault is None:
            return
        n = len(vault.data.secrets)
        self.query_one("#clear-text", Static).update(
            f"Delete every secret ({n} now). The key and the integrations stay."
        )

    @on(Button.Pressed, "#clear-vault")
    def action_clear_vault(self) -> None:
        vault = vapp(self).vault
        if vault is None:
            return
        n = len(vault.data.secrets)
        self.app.push_screen(
            TypedConfirmDialog(
                "Clear vault",
                f"Delete {'the only secret' if n == 1 else 'all ' + plural(n, 'secret')}? "
                "The vault key and the "
                "integrations stay, and the cache is emptied. This cannot be undone.",
                word="CLEAR",
                confirm_label="Clear vault",
            ),
            self._clear_confirmed,
        )

    def _clear_confirmed(self, confirmed: bool | None) -> None:
        if not confirmed:
            return
        app = vapp(self)
        session = app.session
        if session is None:
            return
        app.vault_op(
            lambda _: session.clear(),
            lambda n: f"Cleared the vault: deleted {plural(n, 'secret')}; the key is unchanged",
        )

    @on(Button.Pressed, "#reset-vault")
    def action_reset_vault(self) -> None:
        self.app.push_screen(
            TypedConfirmDialog(
                "Reset vault",
                "Resetting permanently deletes every secret, the backup, the cache and the "
                "saved key, then starts over with a new key. Export first if you may need "
                "these secrets again.",
                word="RESET",
                confirm_label="Reset vault",
            ),
            self._reset_confirmed,
        )

    def _reset_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self._reset_vault(vapp(self).vault_path)

    @work(thread=True, exclusive=True, group="settings-reset", exit_on_error=False)
    def _reset_vault(self, path: Path) -> None:
        app = vapp(self)
        try:
            reset_vault_files(path)
        except VaultError as e:
            app.call_from_thread(self.notify, e.message, severity="error", title="Not reset")
            return
        except OSError as e:
            app.call_from_thread(
                self.notify, f"Cannot reset {path}: {e.strerror}", severity="error"
            )
            return
        app.call_from_thread(self._after_reset)

    def _after_reset(self) -> None:
        app = vapp(self)
        app.action_lock(reason="Vault reset")
        app.notify(
            "The vault was reset: every secret was deleted. Save the new key before opening "
            "the new vault.",
            title="Vault reset",
        )

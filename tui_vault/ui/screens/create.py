"""First run: generate the key, show it large, offer copy / save to file / password manager."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from tui_vault.core import keystore
from tui_vault.core.errors import VaultError
from tui_vault.core.unlock import write_key_file
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key, generate_key
from tui_vault.ui.base import display_path, vapp
from tui_vault.ui.screens.dialogs import PathDialog
from tui_vault.ui.widgets.footer import VaultFooter
from tui_vault.ui.widgets.key_display import KeyDisplay
from tui_vault.ui.widgets.toggles import Checkbox


class CreateScreen(Screen[None]):
    """Shows a new vault key once; the vault is created when the person opens it."""

    BINDINGS = [
        Binding("c", "copy_key", "Copy key", id="create.copy", tooltip="Copy the key"),
        Binding("f", "save_file", "Save to file", id="create.save_file", tooltip="Write to a file"),
        Binding("o", "open_vault", "Open vault", id="create.open", tooltip="Create and open"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._key = generate_key()
        self.key_text = encode_key(self._key)

    def compose(self) -> ComposeResult:
        app = vapp(self)
        path = app.vault_path
        with Vertical(id="create-box", classes="entry-box") as box:
            box.border_title = "Your new vault key"
            yield Static(
                "This key opens your vault. tui-vault cannot recover it: save it somewhere "
                "safe now. Secrets are encrypted with AES-256 and stay on this machine.",
                classes="entry-text",
            )
            with Center():
                yield KeyDisplay(self.key_text, id="key")
            with Horizontal(classes="entry-buttons"):
                yield Button("Copy key", id="copy", compact=True)
                yield Button("Save to file…", id="save-file", compact=True)
            yield Checkbox(
                "Save this key to the system password manager",
                value=False,
                disabled=True,
                id="keyring",
                compact=True,
            )
            yield Static("Checking for a password manager…", id="keyring-reason", classes="hint")
            with Center():
                yield Button("Open vault", id="open", variant="primary", compact=True)
            yield Static(f"Vault file: {display_path(path)}", classes="hint")
        yield VaultFooter()

    def on_mount(self) -> None:
        self.query_one("#open", Button).focus()
        self._check_keyring()

    @work(thread=True, exit_on_error=False)
    def _check_keyring(self) -> None:
        use = vapp(self).use_keyring
        status = (
            keystore.status() if use else keystore.KeyringStatus(False, "turned off for this run")
        )
        self.app.call_from_thread(self._show_keyring, status)

    def _show_keyring(self, status: keystore.KeyringStatus) -> None:
        box = self.query_one("#keyring", Checkbox)
        reason = self.query_one("#keyring-reason", Static)
        box.disabled = not status.available
        box.value = status.available
        if status.available:
            reason.update(f"Unlocks automatically next time ({status.reason}).")
        else:
            reason.update(
                f"Not available: {status.reason}. Unlock by typing the key, --key-file or "
                "TUI_VAULT_KEY."
            )

    @on(Button.Pressed, "#copy")
    def action_copy_key(self) -> None:
        vapp(self).copy_secret_text(self.key_text, "the vault key")

    @on(Button.Pressed, "#save-file")
    def action_save_file(self) -> None:
        default = str(Path.home() / "tui-vault-key.txt")
        self.app.push_screen(
            PathDialog(
                "Save the vault key to a file",
                default,
                "Written with mode 0600; an existing file is never overwritten.",
            ),
            self._write_key,
        )

    def _write_key(self, path: str | None) -> None:
        if not path:
            return
        try:
            write_key_file(Path(path).expanduser(), self.key_text)
        except VaultError as e:
            self.notify(e.message, severity="error")
            return
        self.notify(f"Saved the key to {path} (mode 0600)")

    @on(Button.Pressed, "#open")
    def action_open_vault(self) -> None:
        self.query_one("#open", Button).disabled = True
        self._create(self.query_one("#keyring", Checkbox).value)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _create(self, save_to_keyring: bool) -> None:
        app = vapp(self)
        try:
            vault, _ = Vault.create(app.vault_path, self._key)
        except VaultError as e:
            app.call_from_thread(self._failed, e.message)
            return
        if save_to_keyring:
            try:
                keystore.save(vault.vault_id, self.key_text)
            except VaultError as e:
                app.call_from_thread(self.notify, e.message, severity="warning")
        app.call_from_thread(app.unlocked, vault)

    def _failed(self, message: str) -> None:
        self.query_one("#open", Button).disabled = False
        self.notify(message, severity="error", title="Vault not created")

"""Settings → Vault key: reveal, copy or save the key; the passphrase; the password manager."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from tui_vault.core import keystore
from tui_vault.core.errors import InvalidKeyError, VaultError
from tui_vault.core.passphrase import has_passphrase, remove_passphrase, set_passphrase
from tui_vault.core.unlock import write_key_file
from tui_vault.core.vaultkey import decode_key, encode_key
from tui_vault.ui.base import vapp
from tui_vault.ui.screens.dialogs import ConfirmDialog, PathDialog
from tui_vault.ui.screens.passphrase_dialog import PassphraseDialog
from tui_vault.ui.widgets.key_display import KeyDisplay


@dataclass(frozen=True)
class KeyringState:
    available: bool
    reason: str
    saved: bool = False
    stale: bool = False  # a different key is saved for this vault id


def _key_file_problem(path: Path) -> str | None:
    """Said in the dialog, before it closes: the write would refuse these anyway."""
    if path.exists() or path.is_symlink():
        return f"{path} already exists: choose another name (it is never overwritten)."
    if not path.parent.is_dir():
        return f"{path.parent} is not a directory."
    return None


class KeyTab(VerticalScroll, can_focus=False):
    """The Vault key tab's contents. The key is shown only after "Reveal key"."""

    def __init__(self) -> None:
        super().__init__()
        self.key_revealed = False
        self.keyring_state: KeyringState | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            "This key opens the vault. Anyone with the key and the vault file can read "
            "every secret; tui-vault cannot recover a lost key.",
            classes="settings-text",
        )
        with Horizontal(classes="settings-buttons"):
            yield Button("Reveal key", id="reveal-key", compact=True)
            yield Button("Copy key", id="copy-key", compact=True)
            yield Button("Save to file…", id="save-key-file", compact=True)
        yield Static("The key is hidden.", id="key-hidden", classes="hint")
        yield Vertical(id="key-slot")
        yield Label("Passphrase", classes="settings-heading")
        yield Static("Checking for a passphrase…", id="passphrase-status")
        with Horizontal(classes="settings-buttons"):
            yield Button("Set passphrase…", id="passphrase-set", compact=True, disabled=True)
            yield Button("Remove passphrase", id="passphrase-remove", compact=True, disabled=True)
        yield Label("Password manager", classes="settings-heading")
        yield Static("Checking for a password manager…", id="keyring-status")
        with Horizontal(classes="settings-buttons"):
            yield Button("Save to password manager", id="keyring-save", compact=True, disabled=True)
            yield Button(
                "Remove from password manager",
                id="keyring-forget",
                compact=True,
                disabled=True,
            )

    def on_mount(self) -> None:
        self._check_keyring()
        self._check_passphrase()

    # ------------------------------------------------------------------ passphrase

    @work(thread=True, exclusive=True, group="settings-passphrase", exit_on_error=False)
    def _check_passphrase(self) -> None:
        app = vapp(self)
        if app.vault is not None:
            app.call_from_thread(self._show_passphrase, has_passphrase(app.vault.path))

    def _show_passphrase(self, present: bool) -> None:
        self.query_one("#passphrase-status", Static).update(
            "Set: the passphrase opens this vault too (here, `tui-vault unlock`, every "
            "command); the key stays the recovery key."
            if present
            else "None: only the key opens this vault. A passphrase is easier to type on "
            "machines without a password manager."
        )
        set_button = self.query_one("#passphrase-set", Button)
        set_button.label = "Change passphrase…" if present else "Set passphrase…"
        set_button.disabled = False
        self.query_one("#passphrase-remove", Button).disabled = not present

    @on(Button.Pressed, "#passphrase-set")
    def action_set_passphrase(self) -> None:
        self.app.push_screen(PassphraseDialog(), self._passphrase_chosen)

    def _passphrase_chosen(self, text: str | None) -> None:
        if text:
            self._change_passphrase(text)

    @on(Button.Pressed, "#passphrase-remove")
    def action_remove_passphrase(self) -> None:
        self.app.push_screen(
            ConfirmDialog(
                "Remove the passphrase",
                "Only the vault key will open this vault (here and in `tui-vault unlock`).",
                confirm_label="Remove",
            ),
            self._remove_confirmed,
        )

    def _remove_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self._change_passphrase(None)

    @work(thread=True, exclusive=True, group="settings-passphrase", exit_on_error=False)
    def _change_passphrase(self, text: str | None) -> None:
        app = vapp(self)
        vault = app.vault
        if vault is None:
            return
        try:
            if text is None:
                remove_passphrase(vault.path)
                message = "Removed the passphrase; only the key opens the vault now"
            else:
                set_passphrase(vault.path, vault.vault_id, vault.key, text)
                message = "Set the passphrase; the key still works (it is the recovery key)"
        except VaultError as e:
            app.call_from_thread(self.notify, e.message, severity="error", title="Passphrase")
            return
        app.call_from_thread(self.notify, message, title="Passphrase")
        app.call_from_thread(self._show_passphrase, text is not None)

    def _key_text(self) -> str | None:
        vault = vapp(self).vault
        return encode_key(vault.key) if vault is not None else None

    @on(Button.Pressed, "#reveal-key")
    def action_toggle_key(self) -> None:
        if self.key_revealed:
            self.hide_key()
            return
        key_text = self._key_text()
        if key_text is None:
            return
        self.key_revealed = True
        self.query_one("#key-slot", Vertical).mount(KeyDisplay(key_text, id="key"))
        self.query_one("#key-hidden", Static).display = False
        self.query_one("#reveal-key", Button).label = "Hide key"

    def hide_key(self) -> None:
        if not self.key_revealed:
            return
        self.key_revealed = False
        self.query_one("#key-slot", Vertical).remove_children()
        self.query_one("#key-hidden", Static).display = True
        self.query_one("#reveal-key", Button).label = "Reveal key"

    @on(Button.Pressed, "#copy-key")
    def action_copy_key(self) -> None:
        key_text = self._key_text()
        if key_text is not None:
            vapp(self).copy_secret_text(key_text, "the vault key")

    @on(Button.Pressed, "#save-key-file")
    def action_save_key_file(self) -> None:
        self.app.push_screen(
            PathDialog(
                "Save the vault key to a file",
                "~/tui-vault-key.txt",
                "Written with mode 0600; an existing file is never overwritten. "
                "Unlock later with --key-file PATH.",
                check=_key_file_problem,
            ),
            self._save_key_to,
        )

    def _save_key_to(self, path: str | None) -> None:
        key_text = self._key_text()
        if path and key_text is not None:
            self._write_key_file(Path(path).expanduser(), key_text)

    @work(thread=True, group="settings-key", exit_on_error=False)
    def _write_key_file(self, path: Path, key_text: str) -> None:
        app = vapp(self)
        try:
            write_key_file(path, key_text)
        except VaultError as e:
            app.call_from_thread(self.notify, e.message, severity="error", title="Key not saved")
            return
        app.call_from_thread(self._key_file_saved, path)

    def _key_file_saved(self, path: Path) -> None:
        app = vapp(self)
        self.notify(f"Saved the key to {path} (mode 0600)", title="Key")
        # Remembered (the path, not the key) so that the unlock screen can offer it.
        with contextlib.suppress(VaultError):
            app.update_settings(key_file=str(path))

    @work(thread=True, exclusive=True, group="settings-keyring", exit_on_error=False)
    def _check_keyring(self) -> None:
        app = vapp(self)
        vault = app.vault
        if vault is None:
            return
        if not app.use_keyring:
            state = KeyringState(False, "turned off for this run")
        else:
            status = keystore.status()
            if not status.available:
                state = KeyringState(False, status.reason)
            else:
                saved = keystore.load(vault.vault_id)
                matches = False
                if saved:
                    with contextlib.suppress(InvalidKeyError):
                        matches = decode_key(saved) == vault.key
                state = KeyringState(True, status.reason, bool(saved), bool(saved) and not matches)
        app.call_from_thread(self._show_keyring, state)

    def _show_keyring(self, state: KeyringState) -> None:
        self.keyring_state = state
        text = self.query_one("#keyring-status", Static)
        save = self.query_one("#keyring-save", Button)
        forget = self.query_one("#keyring-forget", Button)
        if not state.available:
            text.update(
                f"Not available: {state.reason}. Unlock by typing the key, with --key-file "
                "or TUI_VAULT_KEY."
            )
            save.disabled = forget.disabled = True
            save.tooltip = forget.tooltip = f"No password manager: {state.reason}"
            return
        save.tooltip = "Store the key so this vault unlocks automatically"
        forget.tooltip = "Delete the stored key; you will type it (or use a key file) to unlock"
        if state.stale:
            text.update(
                f"A different key is saved for this vault in {state.reason}: it will not "
                "unlock it. Save the current key, or remove the old one."
            )
            save.disabled = forget.disabled = False
        elif state.saved:
            text.update(f"Saved in {state.reason}: this vault unlocks automatically.")
            save.disabled, forget.disabled = True, False
        else:
            text.update(f"Not saved ({state.reason} is available).")
            save.disabled, forget.disabled = False, True

    @on(Button.Pressed, "#keyring-save")
    def _keyring_save(self) -> None:
        self._keyring_change(save=True)

    @on(Button.Pressed, "#keyring-forget")
    def _keyring_forget(self) -> None:
        self._keyring_change(save=False)

    @work(thread=True, exclusive=True, group="settings-keyring", exit_on_error=False)
    def _keyring_change(self, save: bool) -> None:
        app = vapp(self)
        vault = app.vault
        if vault is None or not app.use_keyring:
            return
        try:
            if save:
                keystore.save(vault.vault_id, encode_key(vault.key))
                text = "Saved the key to the password manager"
            elif keystore.forget(vault.vault_id):
                text = "Removed the key from the password manager"
            else:
                text = "The password manager held no key for this vault"
        except VaultError as e:
            app.call_from_thread(self.notify, e.message, severity="error")
            return
        app.call_from_thread(self.notify, text, title="Password manager")
        self._check_keyring()

"""Unlock: automatic from the environment, key file, session agent or keyring; otherwise a
masked input for the key or the passphrase. The key field has a Show toggle; "Use saved key"
shows only when one exists; "Key from file…" opens the vault with a key file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Label, Static
from textual.widgets.button import ButtonVariant

from tui_vault.core.display import visible
from tui_vault.core.errors import (
    CorruptVaultError,
    InvalidKeyError,
    VaultError,
    WrongKeyError,
)
from tui_vault.ui.base import display_path, vapp
from tui_vault.ui.widgets.footer import VaultFooter
from tui_vault.ui.widgets.inputs import Input

if TYPE_CHECKING:
    from tui_vault.core.unlock import KeySource

# Opening a vault (core.unlock: crypto, the vault format, the keyring) is imported by the
# workers that do it, after the first paint: the screen shows without waiting for it.


def styled_button(label: str, id: str, variant: ButtonVariant = "default") -> Button:
    """A compact Button carrying from the start the classes its watchers give it once
    mounted (`-style-default`, `-<variant>`): those watchers then change nothing. Its
    `compact` is set without the reactive's class toggle (which, from `Button(compact=True)`,
    removes and adds `-textual-compact` and queues a styling pass for a node not mounted
    yet, styled again at its mount): the button is styled once, at its mount, not three
    times, before the first frame. Same classes, same `compact`, same looks."""
    classes = ["-style-default"]
    if variant != "default":
        classes.append(f"-{variant}")
    button = Button(label, variant, id=id, classes=" ".join(classes))
    # Then what `compact=True` ends with: the value and the class its toggle owns.
    button.set_reactive(Button.compact, True)
    button.add_class("-textual-compact", update=False)
    return button


def _key_file_missing(path: Path) -> str | None:
    """Why `path` cannot be a key file, or None."""
    if path.is_file():
        return None
    shown = visible(str(path))
    if not path.exists():
        return f"No such file: {shown}"
    if path.is_dir():
        return f"{shown} is a folder, not a key file."
    return f"{shown} is not a regular file."


def explain(error: VaultError) -> str:
    if isinstance(error, InvalidKeyError):
        return "That is not a valid vault key: check it for a typo."
    if isinstance(error, WrongKeyError):
        from tui_vault.core.passphrase import WRONG as WRONG_PASSPHRASE

        if error.message == WRONG_PASSPHRASE:
            return "Wrong passphrase or key: check it and try again."
        return "Wrong key for this vault: it is a valid key, but not this vault's."
    return error.message


class UnlockScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+r", "reset_vault", "Reset vault", id="unlock.reset", tooltip="Lost key"),
        Binding("ctrl+t", "toggle_show", "Show key", id="unlock.show", tooltip="Show/hide the key"),
        Binding(
            "ctrl+o",
            "key_from_file",
            "Key from file",
            id="unlock.key_file",
            tooltip="Open the vault with a key file",
        ),
    ]

    def __init__(self, message: str = "", auto: bool = True) -> None:
        super().__init__()
        self.message = message
        self.auto = auto
        self._resumed = False

    def compose(self) -> ComposeResult:
        # Few nodes (each costs ~1 ms before the first frame: mount, styles, layout, paint):
        # the title is the box's border title, the path and the message one Static, and
        # "Use saved key" is mounted only once a saved key is known to exist (_offer_saved).
        with Vertical(id="unlock-box", classes="entry-box") as box:
            box.border_title = "Unlock your vault"
            yield Static(self._lead(), id="unlock-message", classes="hint entry-text")
            with Horizontal(id="key-row"):
                yield Input(
                    placeholder="TV1-XXXXX-XXXXX-…  (case, spaces and hyphens don't matter)",
                    password=True,
                    id="key-input",
                )
                yield styled_button("Show", id="show-key")
            yield Label("", id="unlock-error", classes="error")
            with Horizontal(classes="entry-buttons"):
                yield styled_button("Open vault", id="open", variant="primary")
                yield styled_button("Key from file…", id="key-file")
            with Horizontal(classes="entry-buttons"):
                yield styled_button("Reset vault… (lost key)", id="reset", variant="error")
        yield VaultFooter()  # drawn from the bindings at each paint: the focused field's keys

    def _lead(self) -> Content:
        """The vault's path (muted: the Static's class), then the message the screen was
        opened with, if any, in the text's own colour."""
        path = Content(display_path(vapp(self).vault_path))
        if not self.message:
            return path
        return Content.assemble(path, "\n\n", Content.styled(visible(self.message), "$foreground"))

    def on_mount(self) -> None:
        # At once (Widget.focus would wait for the next message): the first frame shows the
        # key field focused, and the footer the keys it has then.
        self.set_focus(self.query_one("#key-input", Input))
        # The probes (their imports, the keyring's above all) start once the screen is on
        # screen: in threads, they would otherwise hold the GIL while it is being drawn.
        self.call_after_refresh(self._start_probes)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Textual restyles every node of a screen when it is resumed, the first time too:
        a screen just pushed, whose nodes were styled as they were mounted a moment ago
        (and restyled on every change since: classes, focus), would be styled twice before
        its first frame (~13 nodes). Only that first restyle is skipped (Screen's own
        handler runs after this one and reads the flag); a screen shown again after a
        dialog is restyled as usual. tests/ui/test_startup.py checks that a full restyle
        at the first frame changes nothing."""
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    async def _on_resize(self, event: events.Resize) -> None:
        """A Resize to the size the screen is laid out for already changes nothing; Textual
        lays the whole screen out again and redraws it all the same. Such a Resize arrives
        right after the first layout: the terminal's first size report, which the app
        sends on to its screens at its next idle moment although the size is the one it
        started with. Any other size is handled by Screen's handler, as always."""
        if event.size == self.outer_size:
            event.prevent_default()  # Screen._on_resize would lay out the same again
            event.stop()

    def _start_probes(self) -> None:
        if not self.is_attached:
            return
        self._check_passphrase()
        if self.auto:
            self._auto_unlock()
        self._probe_saved()

    # ------------------------------------------------------------------ saved keys

    def _remembered_key_file(self) -> Path | None:
        """The key file Settings → Vault key saved (its path is remembered in settings)."""
        remembered = vapp(self).settings.key_file
        if not remembered:
            return None
        path = Path(remembered).expanduser()
        return path if path.is_file() else None

    def _saved_source(self) -> KeySource | None:
        """Runs in a worker: the environment, --key-file or keyring, else the saved file."""
        from tui_vault.core.unlock import KeySource, find_key, read_key_file

        app = vapp(self)
        source = find_key(app.vault_path, app.key_file, use_keyring=app.use_keyring)
        if source is not None:
            return source
        path = self._remembered_key_file()
        return KeySource(read_key_file(path), "key file") if path is not None else None

    @work(thread=True, exclusive=True, group="unlock-probe", exit_on_error=False)
    def _probe_saved(self) -> None:
        try:
            source = self._saved_source()
        except VaultError:
            source = None
        if source is not None:
            self.app.call_from_thread(self._offer_saved, source.origin)

    def _offer_saved(self, origin: str) -> None:
        if not self.is_attached:
            return
        label = f"Use saved key ({origin})"
        found = self.query("#saved-key")
        if found:
            found.first(Button).label = label
            return
        row = self.query_one("#key-file").parent
        assert isinstance(row, Horizontal)
        row.mount(styled_button(label, id="saved-key"), before="#key-file")

    @work(thread=True, group="unlock-passphrase", exit_on_error=False)
    def _check_passphrase(self) -> None:
        from tui_vault.core.passphrase import has_passphrase

        app = vapp(self)
        if has_passphrase(app.vault_path):
            app.call_from_thread(self._offer_passphrase)

    def _offer_passphrase(self) -> None:
        self.query_one("#key-input", Input).placeholder = "Your passphrase, or the key TV1-XXXXX-…"

    @on(Button.Pressed, "#saved-key")
    def _use_saved_key(self) -> None:
        self._auto_unlock(explicit=True)

    @on(Button.Pressed, "#show-key")
    def action_toggle_show(self) -> None:
        field = self.query_one("#key-input", Input)
        field.password = not field.password
        self.query_one("#show-key", Button).label = "Show" if field.password else "Hide"

    @on(Button.Pressed, "#key-file")
    def action_key_from_file(self) -> None:
        from tui_vault.ui.screens.dialogs import PathDialog

        remembered = vapp(self).settings.key_file or "~/tui-vault-key.txt"
        self.app.push_screen(
            PathDialog(
                "Open the vault with a key file",
                remembered,
                "A file holding the vault key (as written by Save to file… or init --key-file).",
                check=_key_file_missing,
                save_label="Open",
            ),
            self._key_file_chosen,
        )

    def _key_file_chosen(self, path: str | None) -> None:
        if path:
            self._unlock_from_file(Path(path).expanduser())

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def _unlock_from_file(self, path: Path) -> None:
        from tui_vault.core.unlock import KeySource, open_with, read_key_file

        app = vapp(self)
        try:
            vault = open_with(app.vault_path, KeySource(read_key_file(path), "key file"))
        except VaultError as e:
            app.call_from_thread(self._show_error, e)
            return
        app.call_from_thread(app.unlocked, vault)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def _auto_unlock(self, explicit: bool = False) -> None:
        from tui_vault.core.unlock import find_key, open_with

        app = vapp(self)
        try:
            source = (
                self._saved_source()
                if explicit
                else find_key(app.vault_path, app.key_file, use_keyring=app.use_keyring)
            )
            if source is None:
                if explicit:
                    app.call_from_thread(
                        self.query_one("#unlock-error", Label).update,
                        "No saved key: not in TUI_VAULT_KEY, a key file, the session agent or the "
                        "password manager.",
                    )
                return
            vault = open_with(app.vault_path, source)
        except VaultError as e:
            app.call_from_thread(self._show_error, e, auto=True)
            return
        app.call_from_thread(app.unlocked, vault)

    @on(Input.Submitted, "#key-input")
    @on(Button.Pressed, "#open")
    def _submit(self) -> None:
        text = self.query_one("#key-input", Input).value
        if not text.strip():
            self.query_one("#unlock-error", Label).update("Type or paste your vault key.")
            return
        self.query_one("#open", Button).disabled = True
        self._unlock(text)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def _unlock(self, text: str) -> None:
        from tui_vault.core.unlock import KeySource, open_with

        app = vapp(self)
        try:
            vault = open_with(app.vault_path, KeySource(text, "prompt"))
        except VaultError as e:
            app.call_from_thread(self._show_error, e)
            return
        app.call_from_thread(app.unlocked, vault, True)

    def _show_error(self, error: VaultError, auto: bool = False) -> None:
        self.query_one("#open", Button).disabled = False
        text = explain(error)
        if auto and isinstance(error, (InvalidKeyError, WrongKeyError)):
            text = f"The saved key did not work. {text}"
        if isinstance(error, CorruptVaultError):
            text += " Restore a backup, or reset the vault."
        self.query_one("#unlock-error", Label).update(visible(text))
        key_input = self.query_one("#key-input", Input)
        key_input.focus()

    @on(Button.Pressed, "#reset")
    def action_reset_vault(self) -> None:
        from tui_vault.ui.screens.dialogs import TypedConfirmDialog

        self.app.push_screen(
            TypedConfirmDialog(
                "Reset vault",
                "Resetting permanently deletes every secret in this vault and creates a new "
                "key. Only do this if the key is lost.",
                word="RESET",
                confirm_label="Reset vault",
            ),
            self._reset_confirmed,
        )

    def _reset_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self._reset()

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def _reset(self) -> None:
        from tui_vault.core.unlock import reset_vault_files

        app = vapp(self)
        try:
            reset_vault_files(app.vault_path)
        except VaultError as e:
            app.call_from_thread(self.notify, e.message, severity="error")
            return
        app.call_from_thread(app.notify, "The vault was reset: every secret was deleted.")
        app.call_from_thread(app.show_entry_screen)

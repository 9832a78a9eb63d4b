"""Import (`i`): a tui-vault export (encrypted or plaintext) or a Postman environment.

Files are read and decrypted in thread workers. An import is all or nothing: a bad file or a
wrong password gives one message in the dialog and changes nothing. Messages name files and
secrets, never values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from tui_vault.core import transfer
from tui_vault.core.display import visible
from tui_vault.core.errors import VaultError
from tui_vault.core.vault import Vault
from tui_vault.core.words import plural
from tui_vault.integrations.registry import validate_link
from tui_vault.ui.base import display_path, vapp
from tui_vault.ui.screens.dialogs import Dialog
from tui_vault.ui.screens.export_dialog import DEFAULT_EXPORT_PATH
from tui_vault.ui.widgets.inputs import Input
from tui_vault.ui.widgets.toggles import Checkbox


@dataclass
class ReadFile:
    """A file read from disk: its bytes (kept only while a password is needed) and kind."""

    path: Path
    raw: bytes
    kind: str


def write_sanitized_copy(
    incoming: transfer.ImportFile, summary: transfer.ImportSummary, target: Path
) -> str:
    """Write the Postman environment with references (0600, never over a file); one line."""
    from tui_vault.core.store import atomic_write

    try:
        data, names = transfer.rewrite_postman(incoming, summary)
        atomic_write(target, data, exclusive=True)
    except FileExistsError:
        return f"the sanitized copy was not written: {target} appeared meanwhile"
    except VaultError as e:
        return f"the sanitized copy was not written: {e.message}"
    return f"wrote {target} (mode 0600): {plural(len(names), 'variable')} now hold references"


class DuplicatesDialog(Dialog[transfer.DuplicateMode | None]):
    """Some incoming names are already in the vault: skip, replace or keep both."""

    DEFAULT_CSS = """
    DuplicatesDialog #dup-names { height: auto; max-height: 8; margin-top: 1; }
    DuplicatesDialog .hint { margin-top: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="duplicates.cancel", tooltip="Import nothing"),
        Binding("s", "choose('skip')", "Skip", id="duplicates.skip", tooltip="Keep yours"),
        Binding(
            "r", "choose('replace')", "Replace", id="duplicates.replace", tooltip="Take the file's"
        ),
        Binding(
            "k",
            "choose('keep-both')",
            "Keep both",
            id="duplicates.keep_both",
            tooltip="Import the file's copy under a new name",
        ),
    ]

    def __init__(self, names: list[str], incoming: str = "the file's") -> None:
        super().__init__()
        self.names = names
        self.incoming = incoming  # what is added: "the file's", or pasted lines

    def compose(self) -> ComposeResult:
        n = len(self.names)
        with Vertical():
            yield Label(
                f"{plural(n, 'secret')} {'is' if n == 1 else 'are'} already in the vault",
                classes="title",
            )
            with VerticalScroll(id="dup-names"):
                for name in self.names:
                    yield Label(f"• {visible(name)}")
            yield Static(
                f"[b]Skip[/b] keeps yours · [b]Replace[/b] takes {self.incoming} · "
                f"[b]Keep both[/b] adds {self.incoming} as NAME-imported",
                classes="hint",
            )
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Skip", id="dup-skip", variant="primary", compact=True)
                yield Button("Replace", id="dup-replace", variant="warning", compact=True)
                yield Button("Keep both", id="dup-keep-both", compact=True)

    def on_mount(self) -> None:
        self.query_one("#dup-skip", Button).focus()

    @on(Button.Pressed, "#dup-skip")
    def _skip(self) -> None:
        self.dismiss("skip")

    @on(Button.Pressed, "#dup-replace")
    def _replace(self) -> None:
        self.dismiss("replace")

    @on(Button.Pressed, "#dup-keep-both")
    def _keep_both(self) -> None:
        self.dismiss("keep-both")

    def action_choose(self, mode: str) -> None:
        for choice in transfer.DUPLICATE_MODES:
            if choice == mode:
                self.dismiss(choice)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ImportSummaryDialog(Dialog[None]):
    """What an import did: counts, skipped/replaced/renamed names, notes. Never values."""

    DEFAULT_CSS = """
    ImportSummaryDialog #summary-lines { height: auto; max-height: 14; }
    """
    BINDINGS = [
        Binding("escape,enter", "close", "Close", id="import_summary.close", tooltip="Close"),
    ]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            with VerticalScroll(id="summary-lines"):
                for line in self.lines:
                    yield Static(visible(line[:1].upper() + line[1:]), markup=False)
            with Horizontal():
                yield Button("OK", id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def action_close(self) -> None:
        self.dismiss(None)


class ImportDialog(Dialog[None]):
    """Read a file, ask for its password if it is encrypted, settle duplicates, merge."""

    DEFAULT_CSS = """
    ImportDialog .hint { margin-top: 0; }
    ImportDialog .row { height: 1; margin-top: 1; }
    ImportDialog .row Label { width: 12; color: $text-muted; }
    ImportDialog .row Input { width: 1fr; }
    ImportDialog #password-box { height: auto; }
    ImportDialog #password-note { margin-top: 1; }
    ImportDialog #import-status { margin-top: 1; color: $text-muted; }
    ImportDialog #import-error { margin-top: 1; }
    ImportDialog Checkbox { margin-top: 1; }
    ImportDialog #rewrite-box { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="import.cancel", tooltip="Close; import nothing"),
        Binding("ctrl+s", "import", "Import", id="import.run", tooltip="Read the file and import"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.read: ReadFile | None = None
        self.busy = False
        self.merging = False
        self.cancelled = False
        self.rewrite_to: Path | None = None  # a sanitized copy of a Postman environment
        self.secrets_only = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Import secrets", classes="title")
            yield Static(
                "A tui-vault export (encrypted or plaintext) or a Postman environment export. "
                "Nothing changes unless the whole file is valid.",
                classes="hint",
            )
            with Horizontal(classes="row"):
                yield Label("File")
                yield Input(value=DEFAULT_EXPORT_PATH, id="import-path", compact=True)
            with Vertical(id="password-box"):
                yield Static("This export is encrypted.", id="password-note")
                with Horizontal(classes="row"):
                    yield Label("Password")
                    yield Input(password=True, id="import-password", compact=True)
            yield Checkbox(
                "Write a sanitized copy (Postman: values become references)",
                id="import-rewrite",
                compact=True,
            )
            with Vertical(id="rewrite-box"):
                with Horizontal(classes="row"):
                    yield Label("Copy to")
                    yield Input(id="import-rewrite-path", compact=True)
                yield Checkbox(
                    "Only variables of type secret",
                    id="import-secrets-only",
                    compact=True,
                )
            yield Static("", id="import-status")
            yield Static("", id="import-error", classes="error")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Import", id="import", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#password-box").display = False
        self.query_one("#rewrite-box").display = False
        self._status("")
        self._error("")
        self.query_one("#import-path", Input).focus()

    # ------------------------------------------------------------------ state

    def _status(self, text: str) -> None:
        status = self.query_one("#import-status", Static)
        status.update(visible(text))
        status.display = bool(text)

    def _error(self, text: str) -> None:
        error = self.query_one("#import-error", Static)
        error.update(visible(text))
        error.display = bool(text)

    def _set_busy(self, busy: bool, status: str = "") -> None:
        self.busy = busy
        self.query_one("#import", Button).disabled = busy
        self._status(status)

    def _path(self) -> Path:
        return Path(self.query_one("#import-path", Input).value.strip()).expanduser()

    @on(Input.Changed, "#import-path")
    def _path_changed(self) -> None:
        if self.read is not None and self.read.path != self._path():
            self.read = None
            self.query_one("#password-box").display = False
            self.query_one("#import-password", Input).value = ""
        self._error("")

    @on(Input.Changed, "#import-password")
    def _password_changed(self) -> None:
        self._error("")

    @on(Checkbox.Changed, "#import-rewrite")
    def _rewrite_changed(self, event: Checkbox.Changed) -> None:
        self.query_one("#rewrite-box").display = event.value
        target = self.query_one("#import-rewrite-path", Input)
        if event.value and not target.value.strip():
            source = self._path()
            target.value = display_path(source.with_name(f"{source.stem}.sanitized{source.suffix}"))
        self._error("")

    # ------------------------------------------------------------------ steps

    @on(Input.Submitted)
    @on(Button.Pressed, "#import")
    def action_import(self) -> None:
        if self.busy:
            return
        self._error("")
        if not self.query_one("#import-path", Input).value.strip():
            self._error("Enter the path of the file to import.")
            return
        self.rewrite_to = None
        self.secrets_only = False
        if self.query_one("#import-rewrite", Checkbox).value:
            target = self.query_one("#import-rewrite-path", Input).value.strip()
            if not target:
                self._error("Enter where to write the sanitized copy.")
                return
            self.rewrite_to = Path(target).expanduser()
            self.secrets_only = self.query_one("#import-secrets-only", Checkbox).value
        if self.read is None:
            self._set_busy(True, "Reading the file…")
            self._read_file(self._path())
            return
        if self.rewrite_to is not None:
            self._error("A sanitized copy can only be written of a Postman environment.")
            return
        password = self.query_one("#import-password", Input).value
        if not password:
            self._error("Enter the export's password.")
            self.query_one("#import-password", Input).focus()
            return
        self._set_busy(True, "Decrypting… (deriving the key from the password takes a moment)")
        self._parse(self.read.raw, password)

    @work(thread=True, exclusive=True, group="transfer", exit_on_error=False)
    def _read_file(self, path: Path) -> None:
        app = self.app
        try:
            raw = transfer.read_import_bytes(path)  # bounded, even for a pipe or a device
            kind, _ = transfer.sniff(raw)
            self._check_rewrite(path, kind)
        except VaultError as e:
            # Named once: by the message itself ("... does not exist") or before it.
            named = str(path) in e.message
            app.call_from_thread(self._failed, e.message, False, "" if named else path.name)
            return
        except Exception as e:  # never leave the dialog busy; never echo the exception text
            app.call_from_thread(self._failed, f"cannot read {path} ({type(e).__name__})")
            return
        if kind == "encrypted":
            app.call_from_thread(self._ask_password, ReadFile(path, raw, kind))
            return
        self._parse_now(raw, None)

    def _check_rewrite(self, source: Path, kind: str) -> None:
        """In the worker: a sanitized copy needs a Postman file and a new file to write."""
        target = self.rewrite_to
        if target is None:
            return
        if kind != "postman":
            raise VaultError("a sanitized copy can only be written of a Postman environment")
        vault = vapp(self).vault
        if vault is not None:
            transfer.check_rewrite_target(target, source, vault.path, force=True)
        if target.exists():
            raise VaultError(f"{target} exists: choose another file for the sanitized copy")
        if not target.parent.is_dir():
            raise VaultError(f"cannot write {target}: the directory does not exist")

    def _ask_password(self, read: ReadFile) -> None:
        if self.cancelled:
            return
        self.read = read
        self._set_busy(False, "")
        self.query_one("#password-box").display = True
        self.query_one("#import-password", Input).focus()

    @work(thread=True, exclusive=True, group="transfer", exit_on_error=False)
    def _parse(self, raw: bytes, password: str | None) -> None:
        self._parse_now(raw, password)

    def _parse_now(self, raw: bytes, password: str | None) -> None:
        """Runs in a worker thread: decrypt and check every entry."""
        try:
            incoming = transfer.read_import(
                raw,
                password,
                validate_link=validate_link,
                secrets_only=self.secrets_only and self.rewrite_to is not None,
            )
        except VaultError as e:
            self.app.call_from_thread(self._failed, e.message, password is not None)
            return
        except Exception as e:  # never leave the dialog busy; never echo the exception text
            self.app.call_from_thread(
                self._failed, f"the file could not be read ({type(e).__name__})"
            )
            return
        self.app.call_from_thread(self._parsed, incoming)

    def _failed(self, message: str, wrong_password: bool = False, file: str = "") -> None:
        """An import that failed (reading, checking or saving): the vault is unchanged, and
        the message says so, as the CLI's do. `file`, a name to show before the message as
        it is (a message of its own starts with a capital)."""
        if self.cancelled:
            return
        self.merging = False
        self._set_busy(False)
        message = transfer.nothing_imported(message)
        if file:
            self._error(f"{file}: {message}")
        else:
            self._error(message[:1].upper() + message[1:])
        if wrong_password:
            field = self.query_one("#import-password", Input)
            with field.prevent(Input.Changed):  # keep the message that says why
                field.value = ""
            field.focus()

    def _parsed(self, incoming: transfer.ImportFile) -> None:
        vault = vapp(self).vault
        if vault is None or self.cancelled:
            return
        if not incoming.secrets:
            what = "variables of type secret" if self.secrets_only else "secrets"
            self._failed(f"the file holds no {what}")
            return
        clashes = transfer.duplicates(vault.data, incoming.secrets)
        if not clashes:
            self._merge(incoming, "skip")
            return

        def chosen(mode: transfer.DuplicateMode | None) -> None:
            if mode is None:
                self._set_busy(False, "Import cancelled: nothing changed.")
                return
            self._merge(incoming, mode)

        self._status("")
        self.app.push_screen(DuplicatesDialog(clashes), chosen)

    def _merge(self, incoming: transfer.ImportFile, mode: transfer.DuplicateMode) -> None:
        self._set_busy(True, "Importing…")
        self.merging = True

        rewrite_to = self.rewrite_to

        def apply(v: Vault) -> transfer.ImportSummary:
            try:
                summary = v.change(lambda d: transfer.merge(d, incoming.secrets, mode))
            except VaultError as e:
                self.app.call_from_thread(self._failed, e.message)
                raise
            if rewrite_to is not None:
                summary.notes.append(write_sanitized_copy(incoming, summary, rewrite_to))
            return summary

        vapp(self).vault_op(apply, on_done=lambda summary: self._merged(incoming, summary))

    def _merged(self, incoming: transfer.ImportFile, summary: transfer.ImportSummary) -> None:
        summary.notes.extend(incoming.notes)
        if incoming.kind == "postman":
            summary.notes.insert(0, "read a Postman environment export")
        if any(s.link for s in incoming.secrets):
            summary.notes.append(
                "linked secrets stay unresolved until their integration is connected"
            )
        lines = summary.lines()
        first = summary.added[0] if summary.added else None
        app = vapp(self)
        app.changed(first)
        app.notify(lines[0][:1].upper() + lines[0][1:], title="Import")
        self.merging = False
        if app.screen is self:  # (help may have been opened on top meanwhile)
            self.dismiss(None)
        app.push_screen(ImportSummaryDialog("Import finished", lines))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.merging:  # the vault is being written: let it finish and report
            self.notify("Still importing…", timeout=2)
            return
        self.cancelled = True  # a read or decryption still running is ignored when it ends
        self.dismiss(None)

"""Export (`x`): every secret to a JSON file, encrypted with a password or plaintext.

The file is encrypted and written in a thread worker. Messages name files and secrets, never
values.
"""

from __future__ import annotations

from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, RadioSet, Static

from tui_vault.core import transfer
from tui_vault.core.errors import VaultError
from tui_vault.core.model import VaultData
from tui_vault.core.policy import Policy, load_policy
from tui_vault.core.store import atomic_write
from tui_vault.core.words import plural
from tui_vault.ui.base import os_reason, vapp
from tui_vault.ui.screens.dialogs import ConfirmDialog, Dialog
from tui_vault.ui.widgets.inputs import Input
from tui_vault.ui.widgets.toggles import RadioButton

DEFAULT_EXPORT_PATH = "~/tui-vault-export.json"


def _count(typed: int) -> str:
    """5/12 while short; then the real count (it does not stop at 12/12)."""
    need = transfer.MIN_PASSWORD_LENGTH
    return f"{typed}/{need}" if typed < need else f"{typed} typed"


class ExportDialog(Dialog[None]):
    """Write every secret to a JSON file, encrypted with a password or (if allowed) plaintext."""

    DEFAULT_CSS = """
    ExportDialog .row { height: 1; margin-top: 1; }
    ExportDialog .row Label { width: 18; color: $text-muted; }
    ExportDialog .row Input { width: 1fr; background: $boost; }
    ExportDialog .row Input:focus { background: $primary 20%; }
    ExportDialog .row.tight { margin-top: 1; }  /* the repeat field: a box of its own */
    ExportDialog RadioSet { width: 100%; border: none; padding: 0; margin-top: 1; }
    ExportDialog #plaintext-warning { color: $warning; margin-top: 1; }
    ExportDialog #policy-note { color: $warning; margin-top: 1; }
    ExportDialog #passwords { height: auto; }
    ExportDialog #export-error { margin-top: 1; }
    """
    BINDINGS = [
        Binding(
            "escape", "cancel", "Cancel", id="export.cancel", tooltip="Close without exporting"
        ),
        Binding("ctrl+s", "export", "Export", id="export.run", tooltip="Write the export file"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.policy: Policy | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export secrets", classes="title")
            yield Static(self._count_text(), id="export-count")
            with Horizontal(classes="row"):
                yield Label("File")
                yield Input(value=DEFAULT_EXPORT_PATH, id="export-path", compact=True)
            with RadioSet(id="export-format", compact=True):
                yield RadioButton(
                    "Encrypted with a password (Argon2id + AES-256-GCM)",
                    value=True,
                    id="fmt-encrypted",
                    compact=True,
                )
                yield RadioButton(
                    "Plaintext JSON (every value readable)", id="fmt-plaintext", compact=True
                )
            yield Static("Checking the admin policy…", id="policy-note")
            yield Static(
                "⚠ Plaintext: anyone who can read this file can read every secret. Keep it "
                "private and delete it when done.",
                id="plaintext-warning",
            )
            with Vertical(id="passwords"):
                with Horizontal(classes="row"):
                    yield Label("Password")
                    yield Input(
                        password=True,
                        placeholder=f"at least {transfer.MIN_PASSWORD_LENGTH} characters",
                        id="export-password",
                        compact=True,
                    )
                with Horizontal(classes="row tight"):
                    yield Label("Repeat password")
                    yield Input(password=True, id="export-repeat", compact=True)
                yield Static("", id="password-rule")
            yield Static("", id="export-error", classes="error")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Export", id="export", variant="primary", disabled=True, compact=True)

    def on_mount(self) -> None:
        self.query_one("#plaintext-warning").display = False
        self._error("")
        self.query_one("#export-path", Input).focus()
        self._update()
        self._load_policy()

    def _count_text(self) -> str:
        vault = vapp(self).vault
        if vault is None:
            return ""
        secrets = vault.data.secrets.values()
        if not secrets:
            return "The vault is empty: nothing to export."
        text = f"{plural(len(secrets), 'secret')} will be written, with mode 0600."
        linked = sum(1 for s in secrets if s.link)
        if linked:
            text += f" Linked ones ({linked}) go as links; integration credentials never do."
        return text

    @work(thread=True, exclusive=True, group="transfer-policy", exit_on_error=False)
    def _load_policy(self) -> None:
        policy = load_policy()
        self.app.call_from_thread(self._policy_loaded, policy)

    def _policy_loaded(self, policy: Policy) -> None:
        self.policy = policy
        note = self.query_one("#policy-note", Static)
        buttons = {
            "encrypted": self.query_one("#fmt-encrypted", RadioButton),
            "plaintext": self.query_one("#fmt-plaintext", RadioButton),
        }
        allowed = [fmt for fmt in buttons if policy.allows(fmt)]
        for fmt, button in buttons.items():
            button.disabled = fmt not in allowed
            if button.disabled:
                button.tooltip = f"Not allowed by the admin policy ({policy.source})"
        if not allowed:
            reason = policy.problem or "forbids every export format"
            note.update(f"Export is disabled: the admin policy {policy.source} {reason}.")
        elif len(allowed) < len(buttons):
            forbidden = next(fmt for fmt in buttons if fmt not in allowed)
            note.update(
                f"{forbidden.capitalize()} export is not allowed by the admin policy "
                f"({policy.source})."
            )
            if buttons[forbidden].value:
                buttons[allowed[0]].value = True
        else:
            note.update("")
        note.display = bool(note.content)
        self._update()

    # ------------------------------------------------------------------ live form state

    def selected_format(self) -> str:
        return "plaintext" if self.query_one("#fmt-plaintext", RadioButton).value else "encrypted"

    @on(RadioSet.Changed)
    @on(Input.Changed)
    def _changed(self) -> None:
        self._error("")
        self._update()

    @on(events.Resize)
    def _fit_rules(self) -> None:
        self._update()  # the password rules go side by side or one under the other

    def _update(self) -> None:
        fmt = self.selected_format()
        encrypted = fmt == "encrypted"
        self.query_one("#plaintext-warning").display = not encrypted
        self.query_one("#passwords").display = encrypted
        password = self.query_one("#export-password", Input).value
        repeat = self.query_one("#export-repeat", Input).value
        long_enough = len(password) >= transfer.MIN_PASSWORD_LENGTH
        same = password == repeat and password != ""
        rule = self.query_one("#password-rule", Static)
        length_mark = "[$success]✓[/]" if long_enough else "[$error]✗[/]"
        same_mark = "[$success]✓[/]" if same else "[$error]✗[/]"
        typed = _count(len(password))
        length_rule = f"at least {transfer.MIN_PASSWORD_LENGTH} characters ({typed})"
        same_rule = "passwords match"
        # Side by side where they fit; else one under the other (never "✗" at a line's end).
        width = rule.content_region.width
        apart = "\n" if 0 < width < len(length_rule) + len(same_rule) + 7 else "   "
        rule.update(f"{length_mark} {length_rule}{apart}{same_mark} {same_rule}")
        self.query_one("#export", Button).disabled = not self._ready()

    def _ready(self) -> bool:
        vault = vapp(self).vault
        if self.busy or self.policy is None or vault is None or not vault.data.secrets:
            return False
        fmt = self.selected_format()
        if not self.policy.allows(fmt):
            return False
        if not self.query_one("#export-path", Input).value.strip():
            return False
        if fmt == "plaintext":
            return True
        password = self.query_one("#export-password", Input).value
        repeat = self.query_one("#export-repeat", Input).value
        return len(password) >= transfer.MIN_PASSWORD_LENGTH and password == repeat

    # ------------------------------------------------------------------ writing

    @on(Input.Submitted)
    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        self._start(overwrite=False)

    def _start(self, overwrite: bool) -> None:
        vault = vapp(self).vault
        if vault is None:
            return
        if not vault.data.secrets:
            self._error("The vault is empty: nothing to export.")
            return
        if not self._ready():
            if self.selected_format() == "encrypted":
                self._error(
                    f"Enter the same password twice, at least "
                    f"{transfer.MIN_PASSWORD_LENGTH} characters long."
                )
            return
        self.busy = True
        self._update()
        fmt = self.selected_format()
        self._error("")
        self.query_one("#export-count", Static).update(
            "Encrypting… (deriving the key from the password takes a moment)"
            if fmt == "encrypted"
            else "Writing…"
        )
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        password = self.query_one("#export-password", Input).value
        self._write(path, fmt, password, vault.data, overwrite)

    @work(thread=True, exclusive=True, group="transfer", exit_on_error=False)
    def _write(self, path: Path, fmt: str, password: str, data: VaultData, overwrite: bool) -> None:
        app = self.app
        try:
            load_policy().check_export(fmt)  # the admin may have changed it meanwhile
            if path.is_dir():
                raise VaultError(f"{path} is a directory: name a file")
            if not path.parent.is_dir():
                raise VaultError(f"cannot write {path}: directory {path.parent} does not exist")
            if path.exists() and not overwrite:
                app.call_from_thread(self._ask_overwrite, path)
                return
            if fmt == "encrypted":
                blob = transfer.export_encrypted(data, password)
            else:
                blob = transfer.export_plaintext(data)
            atomic_write(path, blob)
        except VaultError as e:
            app.call_from_thread(self._failed, e.message)
            return
        except OSError as e:
            app.call_from_thread(self._failed, f"cannot write {path}: {os_reason(e)}")
            return
        except Exception as e:  # never leave the dialog busy; never echo the exception text
            app.call_from_thread(self._failed, f"export failed ({type(e).__name__})")
            return
        linked = sum(1 for s in data.secrets.values() if s.link)
        app.call_from_thread(self._written, path, fmt, len(data.secrets), linked)

    def _ask_overwrite(self, path: Path) -> None:
        def answered(ok: bool | None) -> None:
            if ok:
                self.busy = False
                self._start(overwrite=True)
            else:
                self._failed(f"{path} exists; choose another file name.")

        self.app.push_screen(
            ConfirmDialog(
                f"Replace {path.name}?",
                f"{path} already exists. Replace it with this export?",
                confirm_label="Replace",
            ),
            answered,
        )

    def _failed(self, message: str) -> None:
        self.busy = False
        self.query_one("#export-count", Static).update(self._count_text())
        self._error(message)
        self._update()

    def _error(self, message: str) -> None:
        error = self.query_one("#export-error", Static)
        error.update(message)
        error.display = bool(message)

    def _written(self, path: Path, fmt: str, count: int, linked: int) -> None:
        text = f"Exported {plural(count, 'secret')} to {path} ({fmt}, mode 0600)"
        if linked:
            text += f"; linked secrets ({linked}) as links, without credentials"
        self.app.notify(text, title="Export")
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.busy:  # the file is being written: let it finish and report
            self.notify("Still writing the export…", timeout=2)
            return
        self.dismiss(None)

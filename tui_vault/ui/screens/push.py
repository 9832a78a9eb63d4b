""" "Move to HashiCorp/AWS…": write a local secret's value to a team vault, then link it there.

The form asks where (HashiCorp engine, path, key; or AWS secret id and JSON key) and whether
to replace a different value already there. The write runs in a worker; a refusal keeps the
dialog open with the reason. The value goes to the SDK only, never into a message.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, LoadingIndicator, Select, Static

from tui_vault.core.errors import VaultError
from tui_vault.core.model import PROVIDERS, Link, Secret
from tui_vault.integrations.push import PUSH_PROVIDERS
from tui_vault.ui.base import vapp
from tui_vault.ui.screens.dialogs import Dialog
from tui_vault.ui.widgets.inputs import Input
from tui_vault.ui.widgets.toggles import Checkbox

FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "hashicorp": [
        ("engine", "Engine (KV mount) *", "secret"),
        ("path", "Path *", ""),
        ("key", "Key *", ""),
    ],
    "aws": [
        ("secret_id", "Secret name (or ARN to update) *", ""),
        ("json_key", "JSON key (keeps the secret's other keys)", ""),
    ],
}


class PushDialog(Dialog[Link | None]):
    """Where to move a local secret; returns the link it now has, or None."""

    DEFAULT_CSS = """
    PushDialog .push-row { height: auto; }
    PushDialog LoadingIndicator { height: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="push.cancel"),
        Binding("ctrl+s", "submit", "Move", id="push.submit", tooltip="Write and link"),
    ]

    def __init__(self, secret: Secret) -> None:
        super().__init__()
        self.secret = secret

    def compose(self) -> ComposeResult:
        vault = vapp(self).vault
        connected = [p for p in PUSH_PROVIDERS if vault and p in vault.data.integrations]
        first = connected[0] if connected else PUSH_PROVIDERS[0]
        with Vertical():
            yield Label(f"Move {self.secret.name} to a team vault", classes="title")
            yield Static(
                "Its value is written there, then this secret is linked to it, so teammates "
                "can link the same place. Other keys stored there are kept.",
                classes="hint",
            )
            yield Select(
                [(PROVIDERS[p], p) for p in PUSH_PROVIDERS],
                value=first,
                allow_blank=False,
                id="push-provider",
                compact=True,
            )
            for provider, fields in FIELDS.items():
                for name, label, default in fields:
                    with Vertical(classes=f"push-row push-{provider}", id=f"row-{name}"):
                        yield Label(label, classes="hint")
                        yield Input(value=default, id=f"push-{name}", compact=True)
            yield Checkbox("Replace a different value already there", id="push-force")
            yield LoadingIndicator(id="push-loading")
            yield Static("", id="push-error", classes="error")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Move", id="submit", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#push-loading").display = False
        self._show_fields()
        self.query_one("#push-provider", Select).focus()

    def provider(self) -> str:
        return str(self.query_one("#push-provider", Select).value)

    @on(Select.Changed, "#push-provider")
    def _show_fields(self) -> None:
        chosen = self.provider()
        for provider in FIELDS:
            for row in self.query(f".push-{provider}"):
                row.display = provider == chosen
        vault = vapp(self).vault
        if vault is not None and chosen not in vault.data.integrations:
            self._error(f"Connect {PROVIDERS[chosen]} in Settings → Integrations first.")
        else:
            self._error("")

    def _error(self, text: str) -> None:
        self.query_one("#push-error", Static).update(text)

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        from tui_vault.integrations.registry import validate_link

        provider = self.provider()
        params = {
            name: self.query_one(f"#push-{name}", Input).value.strip()
            for name, _, _ in FIELDS[provider]
        }
        try:
            link = validate_link(provider, params)
        except VaultError as e:
            self._error(e.message)
            return
        self.query_one("#submit", Button).disabled = True
        self.query_one("#push-loading").display = True
        self._error("")
        self._push(link, self.query_one("#push-force", Checkbox).value)

    @work(exclusive=True, group="push", exit_on_error=False)
    async def _push(self, link: Link, force: bool) -> None:
        from tui_vault.integrations.push import push_secret

        app = vapp(self)
        vault = app.vault
        name = self.secret.name
        try:
            if vault is None:
                raise VaultError("the vault is locked")
            outcome = await push_secret(
                vault, name, link, force=force, timeout=app.settings.fetch_timeout_seconds
            )
        except VaultError as e:
            message = e.message
        except Exception as e:  # never an SDK's text
            message = f"could not write ({type(e).__name__})"
        else:
            done = {"created": "written", "updated": "replaced", "unchanged": "already there"}
            app.forget_resolution(name)
            app.notify(
                f"Moved {name} to {PROVIDERS[link.provider]} {link.describe()} "
                f"({done[outcome]}); it is linked there now"
            )
            app.changed(name)
            self.dismiss(link)
            return
        self.query_one("#push-loading").display = False
        self.query_one("#submit", Button).disabled = False
        self._error(message)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

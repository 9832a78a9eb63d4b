"""Link a secret to an external vault, change its link, or unlink it (the `l` key)."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Select, Static

from tui_vault.core.display import visible
from tui_vault.core.errors import VaultError
from tui_vault.core.model import PROVIDERS, Link, Secret, validate_name
from tui_vault.core.vault import Vault
from tui_vault.integrations.registry import provider_spec, validate_link
from tui_vault.ui.base import vapp
from tui_vault.ui.screens.dialogs import ConfirmDialog, Dialog
from tui_vault.ui.screens.provider_form import FieldsForm
from tui_vault.ui.widgets.inputs import Input


class LinkDialog(Dialog[Link | None]):
    """Step one: which secret and which provider. Step two: the provider's link fields."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="link.cancel"),
        Binding(
            "ctrl+b", "browse", "Browse", id="link.browse", tooltip="Browse the provider to link"
        ),
    ]

    def __init__(self, secret: Secret | None) -> None:
        super().__init__()
        self.secret = secret

    def compose(self) -> ComposeResult:
        s = self.secret
        with Vertical():
            yield Label("Link to an external vault", classes="title")
            yield Static(
                "The value will be fetched from the provider when it is used, and cached "
                "(encrypted) for the secret expiration duration. It cannot be edited here.",
                classes="hint",
            )
            yield Label("Secret name", classes="hint")
            yield Input(value=s.name if s else "", id="link-name", compact=True)
            text = self._replace_warning(s.name if s else "")
            warning = Static(text, id="link-replace")
            warning.display = bool(text)
            yield warning
            yield Label("Provider", classes="hint")
            current = s.link.provider if s and s.link else "hashicorp"
            yield Select(
                [(label, key) for key, label in PROVIDERS.items()],
                value=current,
                allow_blank=False,
                id="link-provider",
                compact=True,
            )
            if s and s.link:
                yield Static(visible(f"Now linked to {s.link.describe()}"), classes="hint")
            yield Static("", id="link-error", classes="error")
            with Horizontal():
                if s and s.link:
                    yield Button("Unlink", id="unlink", variant="warning", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Browse…", id="browse", compact=True)
                yield Button("Next", id="next", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#link-name" if self.secret is None else "#link-provider").focus()

    def _chosen_name(self) -> str | None:
        name = self.query_one("#link-name", Input).value.strip()
        try:
            validate_name(name)
        except VaultError as e:
            self.query_one("#link-error", Static).update(visible(e.message))
            return None
        return name

    def _holds_local_value(self, name: str) -> bool:
        vault = vapp(self).vault
        existing = vault.data.secrets.get(name) if vault is not None else None
        return existing is not None and existing.link is None and existing.value != ""

    def _replace_warning(self, name: str) -> str:
        """Said on the first step, before anything is typed: linking replaces a local value."""
        if not self._holds_local_value(name):
            return ""
        return (
            f"[$warning]⚠ {name} holds a local value: linking replaces it with the external "
            "one (you will be asked to confirm).[/]"
        )

    @on(Input.Changed, "#link-name")
    def _name_changed(self, event: Input.Changed) -> None:
        text = self._replace_warning(event.value.strip())
        warning = self.query_one("#link-replace", Static)
        warning.update(text)
        warning.display = bool(text)

    def _confirm_replace(self, name: str, then: Callable[[], object]) -> None:
        """A local value is replaced only after a confirmation, asked before the fields."""
        if not self._holds_local_value(name):
            then()
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(
            ConfirmDialog(
                f"Replace the local value of {name}?",
                f"{name} holds a value stored here. Linking replaces it with the value from the "
                "external vault; the local value is deleted.",
                confirm_label="Replace",
            ),
            confirmed,
        )

    def _current_params(self, name: str, provider: str) -> dict[str, str]:
        vault = vapp(self).vault
        existing = vault.data.secrets.get(name) if vault is not None else None
        if existing and existing.link and existing.link.provider == provider:
            return dict(existing.link.params)
        return {}

    @on(Button.Pressed, "#browse")
    def action_browse(self) -> None:
        """Pick the link by browsing the provider; the choice fills the link's fields."""
        from tui_vault.ui.screens.browse import BrowseDialog, start_path

        name = self._chosen_name()
        if name is None:
            return
        provider = str(self.query_one("#link-provider", Select).value)
        vault = vapp(self).vault
        if vault is None or provider not in vault.data.integrations:
            self.query_one("#link-error", Static).update(
                f"Connect {PROVIDERS[provider]} in Settings → Integrations to browse it"
                " (or press Next and type the path)."
            )
            return
        start = start_path(provider, self._current_params(name, provider))

        def chosen(params: dict[str, str] | None) -> None:
            if params is not None:
                self._fields(name, provider, params)

        self._confirm_replace(
            name, lambda: self.app.push_screen(BrowseDialog(provider, start), chosen)
        )

    @on(Button.Pressed, "#next")
    @on(Input.Submitted, "#link-name")
    def _next(self) -> None:
        name = self._chosen_name()
        if name is None:
            return
        provider = str(self.query_one("#link-provider", Select).value)
        values = self._current_params(name, provider)
        self._confirm_replace(name, lambda: self._fields(name, provider, values))

    def _fields(self, name: str, provider: str, values: dict[str, str]) -> None:
        form = FieldsForm(
            f"Link {name} to {PROVIDERS[provider]}",
            list(provider_spec(provider).link_fields),
            values,
            submit_label="Use",
        )
        self.app.push_screen(form, lambda params: self._fields_done(name, provider, params))

    def _fields_done(self, name: str, provider: str, params: dict[str, str] | None) -> None:
        if params is None:
            return
        try:
            link = validate_link(provider, params)
        except VaultError as e:
            self.query_one("#link-error", Static).update(visible(e.message))
            return
        app = vapp(self)
        connected = app.vault is not None and provider in app.vault.data.integrations
        note = "" if connected else f"; connect {PROVIDERS[provider]} in Settings to resolve it"

        def apply(v: Vault) -> Secret:
            return v.link(name, link)

        app.vault_op(
            apply,
            f"Linked {name} to {PROVIDERS[provider]}{note}",
            focus=name,
            on_done=lambda _: app.forget_resolution(name),
        )
        self.dismiss(link)

    @on(Button.Pressed, "#unlink")
    def _unlink(self) -> None:
        assert self.secret is not None
        name = self.secret.name
        app = vapp(self)
        app.vault_op(
            lambda v: v.unlink(name),
            f"Unlinked {name}: it is now local and empty",
            focus=name,
            on_done=lambda _: app.forget_resolution(name),
        )
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

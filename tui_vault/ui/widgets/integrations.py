"""Settings → Integrations: connect, re-authenticate and disconnect each external vault."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from tui_vault.core.display import visible
from tui_vault.core.errors import VaultError
from tui_vault.core.model import PROVIDERS
from tui_vault.core.words import plural
from tui_vault.integrations.registry import provider_spec, validate_config
from tui_vault.ui.base import vapp
from tui_vault.ui.screens.dialogs import ConfirmDialog
from tui_vault.ui.screens.provider_form import FieldsForm
from tui_vault.ui.widgets.inputs import Input


class IntegrationRow(Horizontal):
    DEFAULT_CSS = """
    IntegrationRow { height: auto; padding: 0 1; margin-bottom: 1; }
    IntegrationRow .name { width: 11; text-style: bold; }
    IntegrationRow .state { width: 1fr; }
    IntegrationRow Button { margin-left: 1; min-width: 0; }
    /* As wide as their longest labels (Re-authenticate, Disconnect), the same on every row:
       at 80 columns the state keeps room for "not connected · 12 linked secrets". */
    IntegrationRow Button.connect { width: 17; }
    IntegrationRow Button.disconnect { width: 12; }
    """

    def __init__(self, provider: str) -> None:
        super().__init__(id=f"integration-{provider}")
        self.provider = provider

    def compose(self) -> ComposeResult:
        yield Label(PROVIDERS[self.provider], classes="name")
        yield Static("", classes="state")
        yield Button("Connect", id=f"connect-{self.provider}", classes="connect", compact=True)
        yield Button(
            "Disconnect", id=f"disconnect-{self.provider}", classes="disconnect", compact=True
        )

    def refresh_state(self) -> None:
        session = vapp(self).session
        if session is None:
            return
        health = session.integration_health(self.provider)
        linked = health.linked_secrets
        links = plural(linked, "linked secret")
        if not health.connected:
            text = f"not connected · {links}"
        else:
            where = health.where
            text = f"{health.state}{' · ' + where if where else ''} · {links}"
        self.query_one(".state", Static).update(visible(text))
        connect = self.query_one(f"#connect-{self.provider}", Button)
        connect.label = "Re-authenticate" if health.connected else "Connect"
        self.query_one(f"#disconnect-{self.provider}", Button).disabled = not health.connected


class IntegrationsPanel(Vertical):
    """One row per provider; credentials are checked against the server before they are kept."""

    DEFAULT_CSS = """
    IntegrationsPanel { height: auto; }
    """

    def compose(self) -> ComposeResult:
        for provider in PROVIDERS:
            yield IntegrationRow(provider)
        yield Static(
            "Credentials are stored inside the encrypted vault, never in settings.toml. "
            "Disconnecting keeps links; their references become unresolved.",
            classes="hint",
        )

    def on_mount(self) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        for row in self.query(IntegrationRow):
            row.refresh_state()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        action, _, provider = button_id.partition("-")
        if provider not in PROVIDERS:
            return
        event.stop()
        if action == "connect":
            self.open_connect(provider)
        elif action == "disconnect":
            self.ask_disconnect(provider)

    def open_connect(
        self, provider: str, error: str = "", typed: dict[str, str] | None = None
    ) -> None:
        """The connect form; after a refusal it comes back with what was typed and why."""
        vault = vapp(self).vault
        current = vault.data.integrations.get(provider, {}) if vault else {}
        form = FieldsForm(
            f"Connect {PROVIDERS[provider]}",
            list(provider_spec(provider).connect_fields),
            typed if typed is not None else current,
            intro="The credentials are checked with the server before they are saved.",
            submit_label="Connect",
        )
        self.app.push_screen(form, lambda values: self._connect(provider, values))

        def refill() -> None:
            # The form leaves secret fields blank (it never shows a stored token); what was
            # just typed and refused is put back, so nothing has to be typed again.
            for spec in provider_spec(provider).connect_fields:
                if spec.secret and typed and typed.get(spec.name):
                    for field in form.query(f"#f-{spec.name}").results(Input):
                        field.value = typed[spec.name]
            if error:
                form.show_error(error)

        if error or typed:
            form.call_after_refresh(refill)

    def _connect(self, provider: str, values: dict[str, str] | None) -> None:
        if values is None:
            return
        try:
            config = validate_config(provider, values)
        except VaultError as e:
            self.open_connect(provider, error=e.message, typed=values)
            return
        self.notify(f"Checking {PROVIDERS[provider]}…", timeout=3)
        self._verify_and_save(provider, config, values)

    @work(exclusive=True, group="integrations", exit_on_error=False)
    async def _verify_and_save(
        self, provider: str, config: dict[str, str], typed: dict[str, str]
    ) -> None:
        app = vapp(self)
        session = app.session
        if session is None:
            return
        try:
            await session.verify(provider, config)
        except VaultError as e:
            self.open_connect(provider, error=e.message, typed=typed)
            return

        def done(_: None) -> None:
            session.connection_changed(provider)
            self.refresh_rows()

        # Same links may now name other values: connect drops what was fetched before.
        app.vault_op(
            lambda _: session.connect(provider, config),
            f"Connected {PROVIDERS[provider]}",
            on_done=done,
        )

    def ask_disconnect(self, provider: str) -> None:
        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            app = vapp(self)
            session = app.session
            if session is None:
                return

            def done(_: bool) -> None:
                session.connection_changed(provider)
                self.refresh_rows()

            app.vault_op(
                lambda _: session.disconnect(provider),
                f"Disconnected {PROVIDERS[provider]}; its links stay",
                on_done=done,
            )

        self.app.push_screen(
            ConfirmDialog(
                f"Disconnect {PROVIDERS[provider]}?",
                "Its credentials are deleted from the vault. Linked secrets keep their links "
                "and stay unresolved until you connect again.",
                confirm_label="Disconnect",
            ),
            confirmed,
        )

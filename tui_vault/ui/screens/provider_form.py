"""A form built from a provider's declared fields (core/fields.py): connect settings and link
parameters. The CLI builds its `integration connect` and `link` options from the same fields."""

from __future__ import annotations

from collections.abc import Mapping

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Collapsible, Label, Select, Static

from tui_vault.core.display import visible
from tui_vault.core.fields import Field
from tui_vault.ui.screens.dialogs import Dialog
from tui_vault.ui.widgets.inputs import Input


class FieldsForm(Dialog[dict[str, str] | None]):
    """Ask for the fields of one provider; secret fields are masked; returns their values."""

    DEFAULT_CSS = """
    FieldsForm > Vertical { width: 80; max-height: 90%; }
    FieldsForm VerticalScroll { height: auto; max-height: 14; }
    FieldsForm #fields-intro { max-height: 4; }
    FieldsForm .field-row { height: auto; margin-top: 1; }
    FieldsForm .field-label { color: $text-muted; }
    FieldsForm Collapsible { margin-top: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="fields.cancel"),
        Binding("ctrl+s", "submit", "Save", id="fields.save", tooltip="Save these settings"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[Field],
        values: Mapping[str, str] | None = None,
        intro: str = "",
        submit_label: str = "Save",
        extra_button: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.values = dict(values or {})
        self.intro = intro
        self.submit_label = submit_label
        self.extra_button = extra_button  # (id, label): dismisses with {"__action__": id}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            if self.intro:
                yield Static(self.intro, classes="hint", id="fields-intro")
            with VerticalScroll():
                for spec in self.fields:
                    if not spec.advanced:
                        yield from self._field(spec)
                advanced = [s for s in self.fields if s.advanced]
                if advanced:
                    with Collapsible(title="Advanced", collapsed=True):
                        for spec in advanced:
                            yield from self._field(spec)
            yield Static("", id="fields-error", classes="error")
            with Horizontal():
                if self.extra_button:
                    yield Button(self.extra_button[1], id=self.extra_button[0], compact=True)
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(self.submit_label, id="submit", variant="primary", compact=True)

    def _field(self, spec: Field) -> ComposeResult:
        value = self.values.get(spec.name, spec.default)
        label = spec.label + (" *" if spec.required else "")
        with Vertical(classes="field-row", id=f"row-{spec.name}"):
            yield Label(label, classes="field-label")
            if spec.choices:
                yield Select(
                    [(c, c) for c in spec.choices],
                    value=value if value in spec.choices else spec.choices[0],
                    allow_blank=False,
                    id=f"f-{spec.name}",
                    compact=True,
                )
            else:
                yield Input(
                    value="" if spec.secret else value,
                    placeholder=("(unchanged)" if spec.secret and value else spec.form_hint),
                    password=spec.secret,
                    id=f"f-{spec.name}",
                    compact=True,
                )

    def on_mount(self) -> None:
        self._update_visibility()
        first = self.query("Input, Select").first()
        first.focus()

    def current(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for spec in self.fields:
            widget = self.query_one(f"#f-{spec.name}")
            if isinstance(widget, Select):
                out[spec.name] = str(widget.value)
            elif isinstance(widget, Input):
                text = widget.value.strip()
                if spec.secret and not text and self.values.get(spec.name):
                    text = self.values[spec.name]  # left empty: keep the stored secret
                out[spec.name] = text
        return out

    def _update_visibility(self) -> None:
        values = self.current()
        for spec in self.fields:
            self.query_one(f"#row-{spec.name}").display = spec.applies(values)

    @on(Select.Changed)
    def _choice(self) -> None:
        self._update_visibility()

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        values = self.current()
        missing = [
            s.label for s in self.fields if s.required and s.applies(values) and not values[s.name]
        ]
        if missing:
            self.query_one("#fields-error", Static).update(f"Needed: {', '.join(missing)}")
            return
        self.dismiss({s.name: values[s.name] for s in self.fields if s.applies(values)})

    def show_error(self, message: str) -> None:
        self.query_one("#fields-error", Static).update(visible(message))  # a server's words

    @on(Button.Pressed)
    def _extra(self, event: Button.Pressed) -> None:
        if self.extra_button and event.button.id == self.extra_button[0]:
            self.dismiss({"__action__": self.extra_button[0]})

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

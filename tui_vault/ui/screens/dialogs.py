"""The Dialog base of every modal, and the small self-contained ones: confirm, typed confirm,
ask for a path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from textual import events, on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.scalar import Unit
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Label, Static

from tui_vault.ui.widgets.inputs import Input

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType]):
    """Every modal of the app: a centred box with a title, hints, errors and a button row.

    The one stylesheet below applies to every subclass (Textual matches type selectors
    against the class hierarchy); a dialog adds only the rules of its own widgets.

    Its first focus is the one its on_mount gives (or its own AUTO_FOCUS): Textual's
    default, the first focusable widget at compose, came first, the keys typed with the one
    that opened the dialog were given to it, and the on_mount focus arrived a turn later,
    after them. `x`, Tab, a password read together put the password in Export's file
    field; `d`, Tab lost the Tab. Nothing has the focus until the dialog's own first focus,
    and the keys wait for it (on_key); a dialog that gives none gets its first focusable
    widget once it has been drawn (_stop_holding).
    """

    AUTO_FOCUS = ""  # (None would mean the app's: the first focusable widget)

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog > Vertical {
        width: 70;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        border: thick $primary 80%;
        background: $surface;
    }
    Dialog .title { text-style: bold; margin-bottom: 1; }
    Dialog .hint { color: $text-muted; margin-top: 1; }
    Dialog .error { color: $error; }
    Dialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    Dialog Button { margin-left: 1; }
    /* Notifications at the top while a dialog is open: at 80x24 they would cover the
       dialog's buttons at the bottom. */
    Dialog > ToastRack { dock: top; align: right top; margin-bottom: 0; }
    """

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        # Keys that reach the dialog before its first field has focus: the key that opened
        # it and the letters after it often arrive in one read (a paste, typing over SSH).
        self._held_keys: list[tuple[str, str | None]] = []
        self._holding = True
        self._dismissed = False

    def dismiss(self, result: ResultType | None = None) -> AwaitComplete:
        """Close the dialog with `result`, once. Two Enters read together (typing over SSH)
        both submit before the first dismiss has popped the dialog: a second dismiss would
        hand the result over again and pop the screen underneath. Also a no-op while another
        screen is on top (it would be the one popped)."""
        if self._dismissed or self.app.screen is not self:
            return AwaitComplete()
        self._dismissed = True
        return super().dismiss(result)

    def on_screen_resume(self) -> None:
        self._dismissed = False  # shown again (pushed anew after a dismiss)

    def leave(self, typed: bool) -> None:
        """Escape in a form: close it, unless it holds what the person typed; then ask
        first (the question opens on Keep editing). The Cancel button closes at once: it
        says what it does, where Escape is also a key people press by habit."""
        if not typed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(
                "Discard what you typed?",
                "The changes in this form are not saved.",
                confirm_label="Discard",
                cancel_label="Keep editing",
            ),
            answered,
        )

    def on_mount(self) -> None:
        # Textual calls the on_mount of every class in the MRO: subclasses keep theirs.
        self.call_after_refresh(self.fit_to_screen)
        self.call_after_refresh(self._stop_holding)

    def on_key(self, event: events.Key) -> None:
        """While nothing in the dialog has focus yet, keep the keys for the field that gets it:
        without this a burst such as `a` + a name opened Add with the name lost."""
        if self._holding and self.focused is None:
            self._held_keys.append((event.key, event.character))
            event.stop()
            event.prevent_default()

    def take_key(self, key: str, character: str | None) -> None:
        """A key typed before this dialog opened, meant for it (see VaultApp.on_event)."""
        if self._holding:
            self._held_keys.append((key, character))
        else:
            (self.focused or self)._forward_event(events.Key(key, character))

    def watch_focused(self, focused: Widget | None) -> None:
        # Called at once when the focus moves, before the app reads its next key: the held
        # keys reach the field ahead of anything typed later, in the order they came.
        if self._holding and focused is not None:
            self._release_keys(focused)

    def _stop_holding(self) -> None:
        if not self._holding:
            return
        if self.focused is not None:
            self._release_keys(self.focused)
        else:
            # Focus is set through the app's queue; give it one more turn, then the first
            # focusable widget (what Textual's own AUTO_FOCUS would have chosen), else the
            # dialog itself: its bindings still see Escape and the rest.
            self.app.call_later(self._first_focus)

    def _first_focus(self) -> None:
        if not self._holding:
            return
        if self.focused is None:
            self.focus_next()  # releases the keys to it (watch_focused), if there is one
        if self._holding:
            self._release_keys(self.focused or self)

    def _release_keys(self, target: Widget) -> None:
        if not self._holding:
            return
        self._holding = False
        held, self._held_keys = self._held_keys, []
        replay = getattr(self.app, "replay_keys", None)
        if target is self.focused and callable(replay):
            # Routed again by the app, in order, ahead of keys read since: a Tab among them
            # moves the focus when its turn comes, so the keys after it reach the next
            # field (VaultApp.replay_keys).
            replay(held)
            return
        for key, character in held:
            target._forward_event(events.Key(key, character))

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.fit_to_screen)

    def fit_to_screen(self) -> None:
        """Keep the button row on screen: a scrolling body gives up the rows that are short
        (at 80x24 a connect form is taller than the terminal). Nothing focusable hides."""
        boxes = [child for child in self.children if isinstance(child, Vertical)]
        if not boxes:
            return
        box = boxes[0]
        bodies = [child for child in box.children if isinstance(child, VerticalScroll)]
        if not bodies:
            return
        body = bodies[0]
        others = sum(
            child.outer_size.height + child.styles.margin.height
            for child in box.children
            if child is not body and child.display
        )
        gutter = box.styles.gutter.height + box.styles.margin.height
        limit = self.size.height
        box_max = box.styles.max_height
        if box_max is not None and box_max.unit in (Unit.PERCENT, Unit.HEIGHT, Unit.VIEW_HEIGHT):
            limit = int(limit * box_max.value / 100)
        elif box_max is not None and box_max.unit == Unit.CELLS:
            limit = min(limit, int(box_max.value))
        room = max(3, limit - gutter - others - body.styles.margin.height)
        current = body.styles.max_height
        if current is None or current.value != room:
            body.styles.max_height = room


class ConfirmDialog(Dialog[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(
        self, title: str, body: str, confirm_label: str = "Delete", cancel_label: str = "Cancel"
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Static(self.body)
            with Horizontal():
                yield Button(self.cancel_label, id="cancel", compact=True)
                yield Button(self.confirm_label, id="confirm", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class TypedConfirmDialog(Dialog[bool]):
    """For what cannot be undone: the person types a word to go on."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, body: str, word: str, confirm_label: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.word = word
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Static(self.body)
            yield Label(f"Type [b]{self.word}[/b] to confirm:", classes="hint")
            yield Input(placeholder=self.word, id="word", compact=True)
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(
                    self.confirm_label, id="confirm", variant="error", disabled=True, compact=True
                )

    def on_mount(self) -> None:
        self.query_one("#word", Input).focus()

    @on(Input.Changed, "#word")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value.strip() != self.word

    @on(Input.Submitted, "#word")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.word:
            self.dismiss(True)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class PathDialog(Dialog[str | None]):
    """Ask for a file path (used for saving the key to a file)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(
        self,
        title: str,
        default: str,
        hint: str = "",
        check: Callable[[Path], str | None] | None = None,
        save_label: str = "Save",
    ) -> None:
        super().__init__()
        self.save_label = save_label
        self.title_text = title
        self.default = default
        self.hint = hint
        self.check = check  # why a path cannot be used (shown in the dialog), or None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Input(value=self.default, id="path", compact=True)
            if self.hint:
                yield Static(self.hint, classes="hint")
            yield Static("", id="path-error", classes="error")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(self.save_label, id="save", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Changed, "#path")
    def _changed(self) -> None:
        self.query_one("#path-error", Static).update("")

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if value and self.check is not None:
            problem = self.check(Path(value).expanduser())
            if problem:
                self.query_one("#path-error", Static).update(problem)
                return
        self.dismiss(value or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

"""The application: one factory (`make_app`) builds it for the CLI, the tests and screenshots.

The app holds one `Session` (core/session.py: vault, cache, resolver, latest resolutions)
while unlocked, built with the provider factory `make_app` was given. Screens reach it as
`vapp(self).session` and ask the app to run vault operations; those run in thread workers so
the event loop never waits on disk or network. What changed reaches every screen that
subscribed (a table under a modal too) through two signals: `vault_changed` and
`resolve_progress`.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable
from weakref import WeakKeyDictionary

from textual import events, on, work
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker
from textual.worker_manager import WorkerManager

from tui_vault.core.clipboard import ClipboardManager, LocalClipboard, TmuxClipboard
from tui_vault.core.display import visible
from tui_vault.core.errors import VaultError
from tui_vault.core.settings import Settings, SettingsError, load_settings, save_settings
from tui_vault.ui.key_order import gives_keys_back, run_bindings_where_sent
from tui_vault.ui.messages import ResolveProgressed, VaultChanged, VaultLocked
from tui_vault.ui.styles import stylesheet

if TYPE_CHECKING:
    # Only what an unlocked vault needs: loaded on unlock, not on the way to the unlock
    # screen's first paint (bench row cold_start).
    from textual.command import Provider
    from textual.widget import Widget

    from tui_vault.core.providers import ProviderFactory
    from tui_vault.core.resolver import Resolution, ResolveProgress
    from tui_vault.core.session import Session
    from tui_vault.core.vault import Vault

T = TypeVar("T")


@runtime_checkable
class TakesKeys(Protocol):
    """A screen that can take keys typed before it opened (the dialogs hold them until their
    first field has focus)."""

    def take_key(self, key: str, character: str | None) -> None: ...


def _vault_commands() -> type[Provider]:
    """The palette's own commands, imported when the palette first opens."""
    from tui_vault.ui.commands import VaultCommands

    return VaultCommands


class _ReportingWorkers(WorkerManager):
    """Textual's worker manager, also telling the app when any worker failed.

    `Worker.StateChanged` goes to the node that started the worker and does not bubble, so
    a failure in a screen's or a widget's worker would reach only that node (and, with
    exit_on_error=False, nobody). Every worker ends through `_remove_worker`, on the event
    loop; a failed one is reported to the app as the same message.
    """

    def _remove_worker(self, worker: Worker[Any]) -> None:
        super()._remove_worker(worker)
        if worker.state is WorkerState.ERROR and worker.node is not self._app:
            self._app.post_message(Worker.StateChanged(worker, worker.state))


WATCH_SECONDS = 1.5


def _stat_of(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def settle_gc() -> None:
    """Collect once, then keep what survives out of the cyclic GC's later passes.

    An unlocked vault is a few objects per secret that live as long as the session and form
    no cycles. Left in the oldest generation, every full collection walks all of them: about
    0.2 s at 100,000 secrets, paid by whatever keystroke happens to trigger it. Frozen
    (`gc.freeze`), they are still freed by reference counting when dropped; `action_lock`
    unfreezes them so that cycles among them can be collected again; so does the next call
    here (a reload, or another app in the same process, as in the tests).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class _SentTo:
    """Where a key was sent when it was read (VaultApp._route_key), and, if a later key's
    priority binding moved the focus before this one came back, where the focus went."""

    __slots__ = ("moved_to", "screen", "widget")

    def __init__(self, screen: Screen[Any], widget: Widget | None) -> None:
        self.screen = screen
        self.widget = widget
        self.moved_to: Widget | None = None


class VaultApp(App[int]):
    """tui-vault: a local, encrypted secrets vault."""

    TITLE = "tui-vault"
    # The app chrome and the entry screens (create, unlock): all that is parsed before the
    # first frame. The other screens' rules follow when the first of them is shown.
    CSS_PATH = [stylesheet("app.tcss")]
    SCREENS_CSS = stylesheet("screens.tcss")
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {_vault_commands}

    BINDINGS = [
        # priority: lock works while a dialog (and its inputs) has the focus too
        Binding(
            "ctrl+l",
            "lock",
            "Lock",
            id="lock",
            tooltip="Lock the vault and forget the key",
            priority=True,
        ),
        Binding("question_mark", "help", "Help", id="help", tooltip="List every key binding"),
        Binding("ctrl+q", "quit", "Quit", id="quit", tooltip="Quit tui-vault", priority=True),
        # Focus moves the moment Tab arrives, so keys typed right after it (a paste, an
        # auto-typer) land in the new field rather than the one being left.
        Binding("tab", "focus_next", show=False, priority=True),
        Binding("shift+tab", "focus_previous", show=False, priority=True),
    ]

    def __init__(
        self,
        vault_path: Path,
        key_file: Path | None = None,
        settings: Settings | None = None,
        settings_file: Path | None = None,
        local_clipboard: LocalClipboard | None = None,
        use_keyring: bool = True,
        clock: Callable[[], float] = time.time,
        provider_factory: ProviderFactory | None = None,
        tmux_clipboard: TmuxClipboard | None = None,
    ) -> None:
        super().__init__()
        self._collector_paused = False  # see on_load and _resume_collector
        # Before any worker exists: every failure reaches `_worker_failed` (tests pin this).
        self._workers = _ReportingWorkers(self)
        self.vault_path = vault_path
        self.key_file = key_file
        self.settings_file = settings_file
        self.settings_problem = ""
        if settings is None:
            try:
                settings = load_settings(settings_file)
            except SettingsError as e:
                settings = Settings()
                self.settings_problem = e.message
        self.settings = settings
        self.use_keyring = use_keyring
        self.clock = clock
        if provider_factory is None:
            from tui_vault.integrations import provider_factory as default_factory

            provider_factory = default_factory
        self.provider_factory: ProviderFactory = provider_factory
        # The unlocked vault and what hangs off it; None while locked.
        self.session: Session | None = None
        # Subscribed by screens (`subscribe_changes` in ui/base.py), published by the app.
        self.vault_changed: Signal[VaultChanged] = Signal(self, "vault-changed")
        self.resolve_progress: Signal[ResolveProgressed] = Signal(self, "resolve-progress")
        self.clipboard_manager = ClipboardManager(
            terminal_writer=self.copy_to_clipboard,
            local=local_clipboard,
            clear_after=settings.clipboard_clear_seconds,
            tmux=tmux_clipboard,
        )
        self.last_activity = clock()
        self._vault_stat: tuple[int, int, int] | None = None
        # Where each key was sent, until it comes back unused (_route_key, _came_back).
        self._typed_at: WeakKeyDictionary[events.Key, _SentTo] = WeakKeyDictionary()
        # Keys sent to a widget that gives them back (the table, a button) and not back yet,
        # and the keys read meanwhile, held in order until those are back (_hold, _back).
        self._awaited: list[tuple[events.Key, float]] = []  # (key, when it was sent)
        self._held: list[events.Key | events.Paste] = []
        self._hold_timer: Timer | None = None
        self._screens_css_added = False
        self._showing_entry = False

    # ------------------------------------------------------------------ styles

    def action_command_palette(self) -> None:
        """Textual's action, opening its palette with a search field that keeps the order
        of keys typed together (ui/commands.py)."""
        from textual.command import CommandPalette

        from tui_vault.ui.commands import VaultCommandPalette

        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(VaultCommandPalette(id="--command-palette"))

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        self._add_screens_css()
        return super().push_screen(screen, *args, **kwargs)

    def switch_screen(self, screen: Screen[Any] | str) -> AwaitComplete:
        self._add_screens_css()
        return super().switch_screen(screen)

    def _add_screens_css(self) -> None:
        """Add the rules of the screens after the entry screens (styles/screens.tcss) when
        the first screen other than create/unlock is shown.

        Textual parses it (that source alone: the others are cached) when it next styles a
        node, before the new screen is drawn. None of its rules matches a node of the entry
        screens (tests/ui/test_startup.py), so what is on screen needs no restyle, and the
        looks are those of the one stylesheet it was split from."""
        if self._screens_css_added or self._showing_entry:
            return
        self._screens_css_added = True
        path = self.SCREENS_CSS
        # What Stylesheet.read stores for a CSS_PATH file, through add_source, which also
        # drops the cached selector map (read does not).
        self.stylesheet.add_source(
            path.read_text(encoding="utf-8"), read_from=(str(path.resolve()), "")
        )

    # ------------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if self.settings_problem:
            self.notify(self.settings_problem + " (using defaults)", severity="warning")
        self._warn_about_settings()
        self.show_entry_screen()
        self.set_interval(5, self._check_idle)
        # A CLI change made while the app is open shows up within ~2 s: one stat() per tick.
        self.set_interval(WATCH_SECONDS, self._check_vault_file)

    def _warn_about_settings(self) -> None:
        """A missing TUI_VAULT_SETTINGS file, unknown keymap ids, keymap conflicts."""
        from tui_vault.core.settings import settings_warnings

        defaults: dict[str, str] | None = None
        if self.settings.keymap:
            from tui_vault.ui.keymap import default_keys

            defaults = default_keys()
        for problem in settings_warnings(self.settings, self.settings_file, defaults):
            self.notify(problem, severity="warning", timeout=10)

    def on_load(self) -> None:
        # The app has started running (an app only made, never run, changes nothing): the
        # cyclic collector waits until the entry screen's first frame (_resume_collector).
        if gc.isenabled():
            gc.disable()
            self._collector_paused = True

    def _resume_collector(self) -> None:
        """The cyclic collector on again, once the entry screen has drawn its first frame.

        Starting the app allocates tens of thousands of objects (the app, its screens, their
        widgets and styles) that live as long as the app; the collector ran ~25 young and a
        few middle collections over them before the first frame, ~8 ms of CPU that found
        nothing to free (bench/PROFILING.md, round 5). They are frozen (`gc.freeze`) rather
        than collected now: a first collection would walk them all; frozen they are still
        freed by reference counting, and `settle_gc` (at unlock) collects and freezes anew.
        Turned off in on_load, when the app starts running; on_unmount turns it on again if
        the app closes before its first frame.
        """
        if self._collector_paused:
            self._collector_paused = False
            gc.freeze()
            gc.enable()

    def on_unmount(self) -> None:
        # An app closed before its first frame (or in a test) gives the collector back, and
        # what it froze becomes collectable again (the app's own objects are garbage now).
        if self._collector_paused:
            self._collector_paused = False
            gc.enable()
        gc.unfreeze()

    def show_entry_screen(self, message: str = "", auto: bool = True) -> None:
        screen: Screen[Any]
        if self.vault_path.exists():
            from tui_vault.ui.screens.unlock import UnlockScreen

            screen = UnlockScreen(message=message, auto=auto)
        else:
            from tui_vault.ui.screens.create import CreateScreen

            screen = CreateScreen()
        self._showing_entry = True  # its styles are in app.tcss (_add_screens_css)
        try:
            if len(self.screen_stack) > 1:
                while len(self.screen_stack) > 2:
                    self.pop_screen()
                self.switch_screen(screen)
            else:
                self.push_screen(screen)
        finally:
            self._showing_entry = False
        if self._collector_paused:
            screen.call_after_refresh(self._resume_collector)

    @property
    def vault(self) -> Vault | None:
        """The open vault (None while locked)."""
        return self.session.vault if self.session is not None else None

    def unlocked(self, vault: Vault, typed: bool = False) -> None:
        """Start a session with an open vault and show the secrets.

        typed: the key (or passphrase) was typed here; then, unless turned off in Settings,
        the session agent gets it too, so other terminals need not ask for it again.
        """
        from tui_vault.core.session import Session
        from tui_vault.ui.screens.secrets import SecretsScreen

        if vault.rollback is not None:  # an older copy: readable, but saving is refused
            self.notify(vault.rollback.warning(), severity="warning", timeout=30)
        if typed and self.settings.tui_unlocks_agent:
            self._give_to_agent(vault.vault_id, vault.key, str(vault.path))

        self.session = Session(
            vault,
            self.provider_factory,
            expiration_minutes=self.settings.expiration_minutes,
            fetch_timeout_seconds=self.settings.fetch_timeout_seconds,
            serve_stale_hours=self.settings.serve_stale_hours,
            on_progress=self._on_progress,
        )
        self.last_activity = self.clock()
        self._vault_stat = _stat_of(vault.path)
        self._resume_collector()  # (if the entry screen was left before its first frame)
        settle_gc()
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(SecretsScreen())

    def _on_progress(self, progress: ResolveProgress) -> None:
        self.resolve_progress.publish(ResolveProgressed(progress.done, progress.total))

    def changed(self, focus_name: str | None = None) -> None:
        """Tell every subscribed screen the vault or the session changed."""
        self.vault_changed.publish(VaultChanged(focus_name))

    @work(thread=True, group="agent", exit_on_error=False)
    def _give_to_agent(self, vault_id: str, key: bytes, path: str) -> None:
        from tui_vault.core import agent

        minutes = self.settings.idle_lock_minutes
        max_seconds = self.settings.agent_max_hours * 3600
        try:
            agent.put(
                vault_id,
                key,
                idle_seconds=min(minutes * 60, max_seconds) if minutes > 0 else None,
                max_seconds=max_seconds,
                path=path,
            )
        except VaultError as e:
            self.call_from_thread(
                self.notify, e.message, severity="warning", title="Session agent not unlocked"
            )
            return
        self.call_from_thread(
            self.notify,
            "Your other terminals can use this vault now (`tui-vault lock` or ctrl+l forgets "
            "the key; Settings → General turns this off).",
            title="Session agent unlocked",
        )

    @work(thread=True, group="agent", exit_on_error=False)
    def _forget_in_agent(self, vault_id: str) -> None:
        from tui_vault.core import agent

        try:
            agent.forget(vault_id)
        except VaultError as e:
            self.call_from_thread(
                self.notify, e.message, severity="warning", title="Session agent not locked"
            )

    def action_lock(self, reason: str = "Locked") -> None:
        session = self.session
        if session is None:
            return
        self._forget_in_agent(session.vault.vault_id)  # locking here locks it everywhere
        session.close()
        self.session = None
        gc.unfreeze()  # what the session held may be collected again (settle_gc)
        self.workers.cancel_group(self, "vault")
        # No automatic unlock after a lock: that would undo it. A saved key is one press away.
        self.show_entry_screen(
            message=f"{reason}. The key was forgotten; secrets stay on disk.", auto=False
        )
        self.post_message(VaultLocked(reason))

    def action_help(self) -> None:
        from tui_vault.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Nothing to lock before unlocking: hide it from the footer.
        return not (action == "lock" and self.vault is None)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker runs with exit_on_error=False: a failure nobody caught ends here, as
        one notification. Our own errors (VaultError) are worded to be shown; anything else
        is named by its type only, since its text could hold a value."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, VaultError):
            self.notify(error.message, severity="error", title="Not done")
            return
        kind = type(error).__name__ if error is not None else "unknown"
        self.notify(
            f"That did not finish: unexpected error ({kind}).",
            severity="error",
            title="Unexpected error",
            timeout=10,
        )

    # ------------------------------------------------------------------ idle lock

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.Paste)):
            self.last_activity = self.clock()
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            # Read behind keys held or on their way: in line after them (see below).
            waiting = self._still_awaited()
            if waiting or self._held:
                self._hold(event)
                if not waiting:
                    self.call_later(self._release_held)
                return
        if isinstance(event, events.Key):
            if not event.is_forwarded:
                await self._route_key(event)
                return
            if not await self._came_back(event):
                await super().on_event(event)
            await self._back(event)
            return
        await super().on_event(event)

    # Keys read together (a paste, typing over SSH) are all routed before the first of them
    # runs (ui/key_order.py). A key that comes back here unused is applied to what it was
    # typed at, not to what is showing or focused by now:
    # - another screen is showing: after `a` opens Add, the letters typed after it were on
    #   their way to the table underneath. Such a key goes on to the screen showing now, as
    #   if it had been typed a moment later;
    # - a later key's priority binding (Tab, "/") moved the focus while this key was on its
    #   way: it is matched against the bindings of the widget it was sent to, so a space
    #   typed at a checkbox before Tab toggles that checkbox. A focus moved by an earlier
    #   key (Escape or Enter in the filter, then arrows) is where later keys go, as when
    #   they are typed one at a time.

    # - a key sent to a widget that gives keys back (the table, a button: anything but a
    #   text field) may open a screen or move the focus when it comes back and its binding
    #   runs. The keys read after it wait until it has: `a`, a name, Tab, a value read
    #   together fill the Add form's two fields, instead of the Tab running on the table's
    #   screen at once and the value going to the filter there. (If it never comes back,
    #   the keys go on after HOLD_SECONDS.)

    HOLD_SECONDS = 2.0

    async def _route_key(self, event: events.Key) -> None:
        """A key as read: recorded with where it is sent, then routed by Textual."""
        sent = _SentTo(self.screen, self.focused)
        self._typed_at[event] = sent
        await super().on_event(event)  # its priority bindings, or forwarded to the focus
        if event.is_forwarded and gives_keys_back(sent.widget or sent.screen):
            self._awaited.append((event, time.monotonic()))
        left, now = sent.widget, self.focused
        if self.screen is sent.screen and now is not left:
            # This key's priority binding moved the focus: the keys still on their way to
            # the widget it left were typed before the move, and so were those that an
            # earlier move (Tab, Tab) had already taken the focus away from.
            for other in self._typed_at.values():
                if other is sent or other.screen is not sent.screen:
                    continue
                focus_then = other.widget if other.moved_to is None else other.moved_to
                if focus_then is left:
                    other.moved_to = now

    def _still_awaited(self) -> bool:
        """Keys are awaited that can still come back: sent less than HOLD_SECONDS ago, to a
        widget still on screen (one kept by a widget, or gone with its screen, is forgotten:
        the keys after it do not wait for it)."""
        now = time.monotonic()
        self._awaited = [
            (e, t)
            for e, t in self._awaited
            if now - t <= self.HOLD_SECONDS and self._can_come_back(e)
        ]
        return bool(self._awaited)

    def _can_come_back(self, event: events.Key) -> bool:
        sent = self._typed_at.get(event)
        target = None if sent is None else (sent.widget or sent.screen)
        return target is not None and target.is_attached

    def _hold(self, event: events.Key | events.Paste) -> None:
        self._held.append(event)
        self._wait_again()

    def _wait_again(self) -> None:
        """(Re)start the wait for what is awaited now, with keys held behind it."""
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        if self._held:
            self._hold_timer = self.set_timer(self.HOLD_SECONDS, self._stop_waiting)

    def replay_keys(self, keys: list[tuple[str, str | None]]) -> None:
        """Keys a dialog kept until its field had the focus: routed as if read now, ahead
        of every key read after them (held meanwhile)."""
        replayed = []
        for key, character in keys:
            event = events.Key(key, character)
            event.set_sender(self)  # as the driver's: it may bubble back up to the app
            replayed.append(event)
        self._held[:0] = replayed
        self._wait_again()
        self.call_later(self._release_held)

    async def _back(self, event: events.Key) -> None:
        """A key came back to the app and its bindings ran: the keys held for it go on."""
        if any(e is event for e, _ in self._awaited):
            self._awaited = [(e, t) for e, t in self._awaited if e is not event]
            if not self._awaited:
                await self._release_held()

    async def _stop_waiting(self) -> None:
        """An awaited key did not come back in time (a widget kept it)."""
        self._hold_timer = None
        self._awaited.clear()
        await self._release_held()

    async def _release_held(self) -> None:
        """Route the held keys (and pastes) in order, as if read now; stop again behind one
        that is itself awaited."""
        while self._held and not self._still_awaited():
            screen = self.screen
            if isinstance(screen, TakesKeys) and screen.focused is None:
                # A dialog opened by the key awaited, its fields not mounted yet: it keeps
                # the keys in order for the field that gets the focus (and gives them back
                # through replay_keys); a paste waits here for that field.
                while self._held and isinstance(self._held[0], events.Key):
                    key = self._held.pop(0)
                    assert isinstance(key, events.Key)
                    screen.take_key(key.key, key.character)
                break
            event = self._held.pop(0)
            if isinstance(event, events.Key):
                await self._route_key(event)
            else:
                await super().on_event(event)
        self._wait_again()

    async def _came_back(self, event: events.Key) -> bool:
        """A key that bubbled back unused: True if it was taken here (see above)."""
        sent = self._typed_at.pop(event, None)
        if sent is None:
            return False
        if sent.screen is self.screen:
            if sent.moved_to is None or sent.moved_to is not self.focused:
                return False  # no later move, or moved again since: as Textual routes it
            target = sent.widget or sent.screen
            if not target.is_attached:
                return False
            await run_bindings_where_sent(target, event)
            return True
        screen = self.screen
        if isinstance(screen, TakesKeys):
            screen.take_key(event.key, event.character)
        else:
            (self.focused or screen)._forward_event(events.Key(event.key, event.character))
        return True

    def _check_idle(self) -> None:
        minutes = self.settings.idle_lock_minutes
        if self.vault is None or minutes <= 0:
            return
        if self.clock() - self.last_activity >= minutes * 60:
            unit = "minute" if minutes == 1 else "minutes"
            self.action_lock(reason=f"Locked after {minutes} idle {unit}")

    # ------------------------------------------------------------------ outside changes

    def _check_vault_file(self) -> None:
        vault = self.vault
        if vault is None:
            return
        now = _stat_of(vault.path)
        if now is None or now == self._vault_stat:
            return
        self._vault_stat = now
        self._reload_vault(vault)

    @work(thread=True, exclusive=True, group="vault-watch", exit_on_error=False)
    def _reload_vault(self, vault: Vault) -> None:
        """Read a vault file changed by someone else (the CLI); our own writes cost a digest."""
        from tui_vault.core.store import file_lock

        before = vault.generation, vault.data
        try:
            # Under the writers' lock: a save of ours in another thread is never interleaved
            # with this read (which could otherwise put the older contents back in memory).
            with file_lock(vault.paths.lock):
                vault.reload()
        except VaultError as e:
            self.call_from_thread(self.notify, e.message, severity="error", title="Vault file")
            return
        if (vault.generation, vault.data) != before and self.vault is vault:
            self.call_from_thread(self._outside_change)

    def _outside_change(self) -> None:
        # Values of linked secrets may have changed too: their resolutions are fetched again.
        session = self.session
        if session is not None:
            for s in session.vault.data.secrets.values():
                if s.link is not None:
                    session.forget(s.name)
        settle_gc()  # a whole new set of secrets was read
        self.changed()

    # ------------------------------------------------------------------ settings

    def update_settings(self, **changes: Any) -> None:
        """Apply changes only if the result is valid (raises VaultError otherwise)."""
        self.settings = self.settings.replace(**changes).validate()
        self.clipboard_manager.clear_after = self.settings.clipboard_clear_seconds
        if self.session is not None:
            self.session.configure(
                expiration_minutes=self.settings.expiration_minutes,
                fetch_timeout_seconds=self.settings.fetch_timeout_seconds,
                serve_stale_hours=self.settings.serve_stale_hours,
            )
        self._save_settings()

    @work(thread=True, exclusive=True, group="settings", exit_on_error=False)
    def _save_settings(self) -> None:
        try:
            save_settings(self.settings, self.settings_file)
        except VaultError as e:
            self.call_from_thread(self.notify, e.message, severity="error")

    def watch_theme(self, theme: str) -> None:
        if self.settings.theme != theme:
            self.settings.theme = theme
            self._save_settings()

    # ------------------------------------------------------------------ vault work

    def vault_op(
        self,
        fn: Callable[[Vault], T],
        success: str | Callable[[T], str] = "",
        focus: str | Callable[[T], str | None] | None = None,
        on_done: Callable[[T], object] | None = None,
        on_error: Callable[[str], object] | None = None,
    ) -> None:
        """Run a change to the vault in a worker; notify and refresh when it is done.

        With `on_error` a failure goes there (a dialog shows it inline and keeps its input)
        instead of into a notification.
        """
        vault = self.vault
        if vault is None:
            return
        self._vault_op(vault, fn, success, focus, on_done, on_error)

    @work(thread=True, group="vault", exit_on_error=False)
    def _vault_op(
        self,
        vault: Vault,
        fn: Callable[[Vault], Any],
        success: str | Callable[[Any], str],
        focus: str | Callable[[Any], str | None] | None,
        on_done: Callable[[Any], object] | None,
        on_error: Callable[[str], object] | None = None,
    ) -> None:
        try:
            result = fn(vault)
        except VaultError as e:
            if on_error is not None:
                self.call_from_thread(on_error, e.message)
            else:
                self.call_from_thread(self.notify, e.message, severity="error", title="Not saved")
            return
        if get_current_worker().is_cancelled:
            return
        message = success(result) if callable(success) else success
        name = focus(result) if callable(focus) else focus
        self.call_from_thread(self._after_op, message, name, on_done, result)

    def _after_op(
        self, message: str, name: str | None, on_done: Callable[[Any], object] | None, result: Any
    ) -> None:
        if message:
            self.notify(message)
        if on_done is not None:
            on_done(result)
        self.changed(name)

    def forget_resolution(self, name: str) -> None:
        """A secret's link or value changed: its latest resolution no longer holds."""
        if self.session is not None:
            self.session.forget(name)

    def resolve_for_display(self, names: list[str], action: str = "") -> None:
        """Fetch values (linked secrets) for reveal/copy/troubleshoot, in a worker.

        action ("reveal"): the resolution goes in the access log once it is done.
        """
        if self.session is not None and names:
            self._resolve(self.session, names, action)

    @work(group="vault", exit_on_error=False)
    async def _resolve(
        self, session: Session, names: list[str], action: str = ""
    ) -> dict[str, Resolution]:
        # No URL: the person asking is the owner, not a request to some domain.
        results = await session.resolve_for_owner(names)
        self.changed()
        if action:
            self.record_access(action, results)
        return results

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (screens' too: Widget.notify lands here) shows names, paths and
        server messages with control characters made visible (core/display.py)."""
        super().notify(
            visible(message),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    # ------------------------------------------------------------------ access log

    def record_access(self, action: str, results: dict[str, Resolution] | list[str]) -> None:
        """One access-log record (copy, reveal) written in a worker; a failure is a warning.

        results: the resolutions, or names of local secrets (resolved from the vault here).
        """
        vault = self.vault
        if vault is None or not self.settings.access_log or not results:
            return
        if isinstance(results, list):
            from tui_vault.core.resolution import check_local

            local = {
                n: check_local(n, vault.data.secrets.get(n), None, owner=True) for n in results
            }
            results = {n: r for n, r in local.items() if r is not None}
        from tui_vault.core.accesslog import make_record

        self._write_access(vault, make_record(action, results))

    @work(thread=True, group="access-log", exit_on_error=False)
    def _write_access(self, vault: Vault, record: Any) -> None:
        from tui_vault.core.accesslog import record_access, visible

        problem = record_access(vault, record)
        if problem:
            self.call_from_thread(self.notify, visible(problem), severity="warning")

    # ------------------------------------------------------------------ clipboard

    def copy_secret_text(self, text: str, what: str) -> None:
        """Copy through the one clipboard helper; the notification never shows the value."""
        result = self.clipboard_manager.copy(text)
        delay = self.clipboard_manager.clear_after
        generation = self.clipboard_manager.generation
        if delay > 0 and result.clearable:
            self.set_timer(delay, lambda: self.clipboard_manager.clear_if_ours(generation))
        if delay <= 0:
            suffix = "; not cleared (clearing is off in Settings)"
        elif result.clearable:
            suffix = f"; clears in {delay:g} s"
        else:
            suffix = ""
        where = result.describe()
        if result.tmux is None and result.terminal and os.environ.get("TMUX"):
            # In tmux without the tmux program at hand: tmux's default (set-clipboard
            # external) drops an application's OSC 52.
            where += ", which tmux passes on only with set-clipboard on"
        self.notify(f"Copied {what} to {where}{suffix}", title="Clipboard")

    # ------------------------------------------------------------------ palette

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        # Lock, help and quit come from VaultCommands, with their keys.
        yield from super().get_system_commands(screen)


def make_app(
    vault_path: Path | None = None,
    key_file: Path | None = None,
    settings: Settings | None = None,
    settings_file: Path | None = None,
    local_clipboard: LocalClipboard | None = None,
    use_keyring: bool = True,
    clock: Callable[[], float] = time.time,
    provider_factory: ProviderFactory | None = None,
) -> VaultApp:
    """The one factory for the CLI, the tests and the screenshot script.

    provider_factory: builds the external vaults' providers (default: the registry's)."""
    from tui_vault.core.paths import default_vault_path

    return VaultApp(
        vault_path=vault_path or default_vault_path(),
        key_file=key_file,
        settings=settings,
        settings_file=settings_file,
        local_clipboard=local_clipboard if local_clipboard is not None else LocalClipboard(),
        use_keyring=use_keyring,
        clock=clock,
        provider_factory=provider_factory,
        tmux_clipboard=TmuxClipboard.from_env(),
    )

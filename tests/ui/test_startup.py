"""The way to the unlock screen's first frame (bench row cold_start, issue 15).

- Only what the unlock screen needs is imported before it first paints; the rest (other
  screens, the vault format and crypto, the keyring, the session) is imported when used.
  Checked in a fresh interpreter, at the moment the screen's probes start: the point right
  after its first refresh, before any background thread has imported anything.
- The footer follows the bindings by repainting: it mounts nothing, and the first frame
  has its keys.
- A key typed the moment the app starts is not lost.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.css.match import _check_selectors
from textual.css.stylesheet import Stylesheet
from textual.widgets import Button, Input

from tests.ui.conftest import VaultEnv, keys_in_one_read, typed, wait_until
from tui_vault.ui.app import VaultApp, make_app
from tui_vault.ui.screens.create import CreateScreen
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.screens.unlock import UnlockScreen
from tui_vault.ui.widgets.footer import VaultFooter

# Imported on first use, never on the way to the unlock screen's first frame.
DEFERRED = (
    "tui_vault.ui.screens.secrets",
    "tui_vault.ui.screens.create",
    "tui_vault.ui.screens.dialogs",
    "tui_vault.ui.screens.help",
    "tui_vault.ui.screens.settings",
    "tui_vault.ui.commands",
    "tui_vault.core.unlock",
    "tui_vault.core.vault",
    "tui_vault.core.crypto",
    "tui_vault.core.session",
    "tui_vault.core.resolver",
    "tui_vault.core.keystore",
    "tui_vault.core.agent",
    "cryptography",
    "keyring",
    "msgspec",
    "textual.widgets._data_table",
    "hashlib",  # core/clipboard.py loads it at the first copy
    "json",  # core/store.py loads it when it reads or writes a file, not for settings
)

PROBE = """
import sys
from pathlib import Path

exec(sys.argv[2])  # a prelude: the negative test imports a deferred module here

from tui_vault.ui.app import make_app
from tui_vault.ui.screens.unlock import UnlockScreen

seen: dict[str, object] = {}
start = UnlockScreen._start_probes


def probes(self: UnlockScreen) -> None:
    seen["modules"] = sorted(sys.modules)
    seen["focused"] = getattr(self.app.focused, "id", None)
    self.app.exit()


UnlockScreen._start_probes = probes  # type: ignore[method-assign]


async def main() -> None:
    app = make_app(vault_path=Path(sys.argv[1]), use_keyring=False)
    async with app.run_test(size=(80, 24)) as pilot:
        while "modules" not in seen:
            await pilot.pause(0.01)
    import json  # (only now: json is one of the DEFERRED modules)

    print(json.dumps(seen))


import asyncio

asyncio.run(main())
"""


def deferred_loaded_at_first_frame(vault: Path, prelude: str = "") -> list[str]:
    """The DEFERRED modules loaded when the unlock screen starts its probes (fresh process)."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(vault), prelude],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["focused"] == "key-input"
    modules = set(seen["modules"])
    assert "tui_vault.ui.screens.unlock" in modules  # the probe ran where it should
    return [m for m in DEFERRED if m in modules or any(n.startswith(m + ".") for n in modules)]


def test_unlock_screen_paints_before_the_rest_is_imported(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUI_VAULT_KEY")
    loaded = deferred_loaded_at_first_frame(vault_env.path)
    assert not loaded, loaded


def test_the_import_guard_can_fail(vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import of a deferred module on the way to the first frame is caught."""
    monkeypatch.delenv("TUI_VAULT_KEY")
    loaded = deferred_loaded_at_first_frame(vault_env.path, "import tui_vault.core.vault")
    assert "tui_vault.core.vault" in loaded
    assert "cryptography" in loaded  # what it pulls in is seen too


async def test_the_footer_follows_the_bindings_without_mounting_anything(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The footer is one widget drawn from the bindings: a binding change (Textual makes
    several on each focus change and while a screen starts) repaints it, and mounts,
    styles or lays out nothing; a change that shows other keys shows them."""
    monkeypatch.delenv("TUI_VAULT_KEY")
    app = make_app(vault_path=vault_env.path, use_keyring=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        footer = screen.query_one(VaultFooter)

        def shown() -> set[str]:
            return set(footer.shown_actions())

        before = shown()
        assert {"quit", "command_palette"} <= before
        widgets = list(screen.query("*"))
        for _ in range(3):
            screen.refresh_bindings()
            await pilot.pause()
        assert shown() == before
        assert list(screen.query("*")) == widgets and not footer.children
        # With a button focused "?" is Help again (the key input takes printable keys).
        assert "help" not in before
        screen.query_one("#show-key", Button).focus()
        await wait_until(pilot, lambda: "help" in shown())
        screen.query_one("#key-input", Input).focus()
        await wait_until(pilot, lambda: "help" not in shown())
        # A narrower terminal: the keys that fit, Quit and the palette kept.
        await pilot.resize_terminal(50, 30)
        await wait_until(pilot, lambda: shown() != before)
        assert {"quit", "command_palette"} <= shown()
        assert all(end <= 50 for _, end in footer.shown_actions().values())


async def test_a_key_typed_as_the_app_starts_is_not_lost(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typed (or pasted) before the first frame: every character lands in the key field."""
    monkeypatch.delenv("TUI_VAULT_KEY")
    app = make_app(vault_path=vault_env.path, use_keyring=False)
    text = "TV1-abc"
    async with app.run_test(size=(100, 30)) as pilot:
        keys_in_one_read(app, *typed(text))
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        field = app.screen.query_one("#key-input", Input)
        await wait_until(pilot, lambda: len(field.value) >= len(text), timeout=5)
        assert field.value == text


def test_deferred_list_names_real_modules() -> None:
    """A typo in DEFERRED would make the guard above pass for nothing."""
    import importlib.util

    missing = [m for m in DEFERRED if importlib.util.find_spec(m) is None]
    assert not missing, missing


async def test_styled_buttons_end_with_the_classes_of_stock_buttons() -> None:
    """`styled_button` only sets early what Button's watchers set later: same classes."""
    from textual.app import App, ComposeResult
    from textual.widgets.button import ButtonVariant

    from tui_vault.ui.screens.unlock import styled_button

    variants: list[ButtonVariant] = ["default", "primary", "error", "success", "warning"]

    class Both(App[None]):
        def compose(self) -> ComposeResult:
            for v in variants:
                yield Button(v, v, id=f"stock-{v}", compact=True)
                yield styled_button(v, id=f"styled-{v}", variant=v)

    app = Both()
    async with app.run_test() as pilot:
        await pilot.pause()
        for v in variants:
            stock = app.query_one(f"#stock-{v}", Button)
            styled = app.query_one(f"#styled-{v}", Button)
            assert set(styled.classes) == set(stock.classes), v
            assert styled.variant == stock.variant and styled.compact and not styled.flat
            assert styled.styles.background == stock.styles.background, v


# ---------------------------------------------------------------------- the split stylesheet


def later_rules_matching(app: VaultApp) -> list[str]:
    """The rules of styles/screens.tcss that match a node now on screen, in any state
    (pseudo-classes such as :focus or :hover are ignored, so a rule for a state the node
    is not in yet counts too)."""
    sheet = Stylesheet(variables=app.get_css_variables())
    sheet.add_source(VaultApp.SCREENS_CSS.read_text(encoding="utf-8"), ("screens.tcss", ""))
    sheet.parse()
    nodes = list(app.screen.walk_children(with_self=True))
    found: list[str] = []
    for rule in sheet.rules:
        for selector_set in rule.selector_set:
            stateless = [replace(s, pseudo_classes=set()) for s in selector_set.selectors]
            for node in nodes:
                if _check_selectors(stateless, node.css_path_nodes):
                    found.append(f"{selector_set.css} matches {node!r}")
    return found


async def test_later_styles_match_nothing_on_the_entry_screens(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """styles/screens.tcss is added when the first other screen shows: it must not restyle
    the create or unlock screen (it would change their looks once added)."""
    monkeypatch.delenv("TUI_VAULT_KEY")
    for path, screen_type in (
        (vault_env.path, UnlockScreen),
        (tmp_path / "new" / "vault.json", CreateScreen),
    ):
        app = make_app(vault_path=path, use_keyring=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda a=app, t=screen_type: isinstance(a.screen, t))
            assert not app._screens_css_added
            assert later_rules_matching(app) == []


async def test_later_styles_are_added_with_the_first_other_screen(
    unlocked_app: Any,
) -> None:
    """After unlock the secrets screen is styled by styles/screens.tcss (and the check above
    does see its rules match there: it can fail)."""
    async with unlocked_app() as (app, _pilot):
        assert isinstance(app.screen, SecretsScreen)
        assert app._screens_css_added
        assert any("#table" in m for m in later_rules_matching(app))
        table = app.screen.query_one("#table")
        assert str(table.styles.height) == "1fr"  # `#table { height: 1fr }` in screens.tcss


async def test_a_dialog_over_the_unlock_screen_gets_the_later_styles(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUI_VAULT_KEY")
    app = make_app(vault_path=vault_env.path, use_keyring=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        await pilot.press("ctrl+o")  # Key from file…: a dialog
        await wait_until(pilot, lambda: not isinstance(app.screen, UnlockScreen))
        assert app._screens_css_added
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert later_rules_matching(app) == []


# ---------------------------------------------------------------------- styled once, laid out once


def computed_styles(screen: UnlockScreen) -> dict[str, str]:
    """Every node's computed styles, as CSS text, by its place in the DOM."""
    return {
        f"{i}:{type(node).__name__}#{node.id}": node.styles.css
        for i, node in enumerate(screen.walk_children(with_self=True))
    }


def restyle_at_first_resume(monkeypatch: pytest.MonkeyPatch, tamper: bool = False) -> list[Any]:
    """At the unlock screen's first ScreenResume (whose full restyle it skips), the styles
    then, and after the very restyle Textual would have done there. With `tamper`, a class
    is first changed without a restyle: the check must then see a difference."""
    found: list[Any] = []
    original = UnlockScreen._on_screen_resume

    def check(self: UnlockScreen, event: Any) -> None:
        first = not self._resumed
        original(self, event)
        if not first:
            return
        if tamper:
            self.query_one("#show-key").add_class("-primary", update=False)
        before = computed_styles(self)
        self.app.stylesheet.update_nodes(self.walk_children(with_self=True), animate=False)
        found.append((event.refresh_styles, before, computed_styles(self)))

    monkeypatch.setattr(UnlockScreen, "_on_screen_resume", check)
    return found


@pytest.mark.parametrize("tamper", [False, True])
async def test_the_skipped_first_restyle_would_change_nothing(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch, tamper: bool
) -> None:
    """Textual restyles a screen's every node when it is resumed; the unlock screen skips it
    the first time, right after its nodes were styled at their mount (same looks: a full
    restyle at that moment gives the same styles, for every node)."""
    monkeypatch.delenv("TUI_VAULT_KEY")
    found = restyle_at_first_resume(monkeypatch, tamper)
    app = make_app(vault_path=vault_env.path, use_keyring=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen) and found)
        [(refresh_styles, before, after)] = found
        assert refresh_styles is False  # the restyle was skipped
        assert len(before) >= 12  # every node of the screen (13 today)
        if tamper:
            assert before != after  # the check can tell
        else:
            assert before == after


async def test_a_resize_to_the_same_size_is_not_laid_out_again(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The terminal's first size report reaches the screens again once it is up, at the
    same size: no second layout. Another size is laid out as always."""
    from textual import events
    from textual.geometry import Size

    monkeypatch.delenv("TUI_VAULT_KEY")
    app = make_app(vault_path=vault_env.path, use_keyring=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        await pilot.pause()
        screen = app.screen
        layouts: list[Size | None] = []
        lay_out = screen._refresh_layout

        def counted(size: Size | None = None, scroll: bool = False) -> None:
            layouts.append(size)
            lay_out(size, scroll)

        monkeypatch.setattr(screen, "_refresh_layout", counted)
        same = Size(100, 30)
        screen.post_message(events.Resize(same, same))
        await pilot.pause()
        await pilot.pause()
        assert layouts == []
        await pilot.resize_terminal(90, 30)
        await wait_until(pilot, lambda: screen.outer_size == Size(90, 30))
        assert Size(90, 30) in layouts
        assert screen.query_one("#unlock-box").region.width <= 90


async def test_styled_buttons_are_styled_once_before_they_show() -> None:
    """`Button(compact=True)` queues a styling pass while the button is built, done before
    its mount (which styles it anyway); `styled_button` does not (same end state: above)."""
    from textual.app import App, ComposeResult
    from textual.dom import DOMNode

    from tui_vault.ui.screens.unlock import styled_button

    applied: list[str] = []
    apply = Stylesheet.apply

    def counted(self: Stylesheet, node: DOMNode, *args: Any, **kwargs: Any) -> None:
        if isinstance(node, Button) and not node.is_attached:  # not mounted yet
            applied.append(node.id or "")
        apply(self, node, *args, **kwargs)

    class Both(App[None]):
        def compose(self) -> ComposeResult:
            yield Button("stock", id="stock", compact=True)
            yield styled_button("styled", id="styled", variant="primary")

    app = Both()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Stylesheet, "apply", counted)
        async with app.run_test() as pilot:
            await pilot.pause()
            assert applied.count("styled") == 0
            assert applied.count("stock") >= 1  # the count can tell
            styled = app.query_one("#styled", Button)
            styled.compact = False  # and the reactive still works both ways
            assert not styled.has_class("-textual-compact")
            styled.compact = True
            assert styled.has_class("-textual-compact")


async def test_the_first_frame_has_the_footer_keys(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unlock screen's footer draws its keys in the screen's first frame, as the focused
    key field shows them (Textual's Footer added them a frame later, with a second layout)."""
    monkeypatch.delenv("TUI_VAULT_KEY")
    first: list[str] = []
    original = VaultFooter.render_line

    def record(self: VaultFooter, y: int) -> Any:
        strip = original(self, y)
        if not first:
            first.append("".join(segment.text for segment in strip))
        return strip

    monkeypatch.setattr(VaultFooter, "render_line", record)
    app = make_app(vault_path=vault_env.path, use_keyring=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen) and first)
        [line] = first
        assert "^q Quit" in line and "^p palette" in line and "^t Show key" in line
        assert "? Help" not in line  # as with the key field focused


async def test_the_collector_waits_for_the_first_frame(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cyclic collector is off from the app's start to the entry screen's first frame
    (the screen is composed with it off), then on again with what the start made frozen."""
    import gc

    monkeypatch.delenv("TUI_VAULT_KEY")
    seen: list[bool] = []
    compose = UnlockScreen.compose

    def recording(self: UnlockScreen) -> Any:
        seen.append(gc.isenabled())
        return compose(self)

    monkeypatch.setattr(UnlockScreen, "compose", recording)
    gc.unfreeze()
    app = make_app(vault_path=vault_env.path, use_keyring=False)
    assert gc.isenabled()  # made, not running yet: nothing changed
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
            await wait_until(pilot, lambda: gc.isenabled())
            assert seen == [False]
            assert gc.get_freeze_count() > 10_000
        assert gc.isenabled() and gc.get_freeze_count() == 0  # unfrozen as the app closed
    finally:
        gc.enable()
        gc.unfreeze()


async def test_an_app_closed_before_its_first_frame_gives_the_collector_back(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    monkeypatch.delenv("TUI_VAULT_KEY")
    monkeypatch.setattr(VaultApp, "_resume_collector", lambda self: None)  # no first frame
    app = make_app(vault_path=vault_env.path, use_keyring=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
            assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        gc.enable()


async def test_an_unlock_turns_the_collector_on_if_the_first_frame_did_not(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever happened to the entry screen's first frame, the session runs collected."""
    import gc

    monkeypatch.delenv("TUI_VAULT_KEY")
    monkeypatch.setattr(VaultApp, "show_entry_screen", _entry_without_resume)
    app = make_app(vault_path=vault_env.path, use_keyring=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
            assert not gc.isenabled()  # still paused: the resume was never scheduled
            app.screen.query_one("#key-input", Input).value = vault_env.key_text
            app.screen.query_one("#open", Button).press()
            await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
            assert gc.isenabled()
    finally:
        gc.enable()


_show_entry = VaultApp.show_entry_screen


def _entry_without_resume(self: VaultApp, message: str = "", auto: bool = True) -> None:
    """show_entry_screen, with the collector's resume after the first frame left out."""
    paused, self._collector_paused = self._collector_paused, False
    _show_entry(self, message, auto)
    self._collector_paused = paused

"""Snapshot tests: every screen at 80x24 and at 100x30 with the repeatable demo vault.

Update after an intended change of looks: `pytest tests/ui/test_snapshots.py --snapshot-update`,
then look at the SVGs in tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tui_vault.core.vaultkey import encode_key
from tui_vault.ui import demo

SnapCompare = Callable[..., bool]


@pytest.fixture(params=[(80, 24), (100, 30)], ids=["80x24", "100x30"])
def size(request: pytest.FixtureRequest) -> tuple[int, int]:
    """Every screen at the smallest supported terminal and at a common one."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A focused Input/TextArea shows its cursor the whole time: a blinking one made the
    picture depend on how long the machine took to get there."""
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


@pytest.fixture
def demo_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    # A HOME of this test's own (tests run in parallel): the header shows the vault path
    # relative to it (~/...), the same on every machine.
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TUI_VAULT_NO_KEYRING", "1")
    monkeypatch.delenv("TUI_VAULT_KEY", raising=False)
    monkeypatch.setattr("tui_vault.ui.screens.create.generate_key", lambda: demo.DEMO_KEY)
    return home


def vault_dir(home: Path) -> Path:
    return home / ".local" / "share" / "tui-vault"


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def after_pressing(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A run_before that presses `keys` on the settled app ("_": settle once more)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            if key == "_":
                await settle(pilot)
            else:
                await pilot.press(key)
        await settle(pilot)

    return run_before


def unlocked_app(home: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    path = demo.build_demo_vault(vault_dir(home), kw.pop("secrets", None))
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(demo.DEMO_KEY))
    return demo.demo_app(path, **kw)


def test_create_screen(snap_compare: SnapCompare, demo_home: Path, size: tuple[int, int]) -> None:
    import shutil

    shutil.rmtree(demo_home, ignore_errors=True)
    app = demo.demo_app(vault_dir(demo_home) / "vault.json")
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_unlock_screen_wrong_key(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    path = demo.build_demo_vault(vault_dir(demo_home))
    app = demo.demo_app(path)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(*"TV1-0000")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_secrets_table(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app = unlocked_app(demo_home, monkeypatch)
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_secrets_reveal_all(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    """Reveal all with a long name and a long value: Status stays, the detail line shows."""
    from tui_vault.core.model import Secret

    long = Secret(
        "payments-team-production-signing-key",
        "eyJhbGciOiJIUzI1NiJ9." + "Zm9vYmFy" * 40,
        allowed_domains=["api.example.com", "*.payments.example.org"],
        created=demo.DEMO_NOW - 86_400,
    )
    app = unlocked_app(demo_home, monkeypatch, secrets=[*demo.demo_secrets(), long])

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("down", "down", "down")  # the long one: its value in full below
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_secrets_empty_state(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app = unlocked_app(demo_home, monkeypatch, secrets=[])
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_secrets_filtered_and_revealed(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app = unlocked_app(demo_home, monkeypatch)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("slash", *"pass", "enter", "r")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def add_form_typed_into(home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The app, and a run_before that opens Add and types a name and a value."""
    app = unlocked_app(home, monkeypatch)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"new-api-key", "tab", *"value")
        await pilot.pause()

    return app, run_before


def test_add_secret_form(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app, run_before = add_form_typed_into(demo_home, monkeypatch)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_add_secret_form_in_a_narrow_pane(
    snap_compare: SnapCompare, demo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tmux split: the value's buttons go under it, the long label wraps.
    app, run_before = add_form_typed_into(demo_home, monkeypatch)
    assert snap_compare(app, terminal_size=(48, 24), run_before=run_before)


def test_export_dialog_in_a_narrow_pane(
    snap_compare: SnapCompare, demo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tmux split: the encrypted format's label wraps under its text instead of ending in …
    app = unlocked_app(demo_home, monkeypatch)
    assert snap_compare(app, terminal_size=(52, 24), run_before=after_pressing("x"))


def test_delete_confirm(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app = unlocked_app(demo_home, monkeypatch)
    assert snap_compare(app, terminal_size=size, run_before=after_pressing("d"))


def test_help_screen(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app = unlocked_app(demo_home, monkeypatch)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_bulk_add_form(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app = unlocked_app(demo_home, monkeypatch)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize(
    ("keys", "name"),
    [
        (["comma"], "settings_general"),
        (["comma", "_", "2"], "settings_key"),
        (["comma", "_", "3"], "settings_integrations"),
        (["comma", "_", "4"], "settings_danger"),
        (["t"], "troubleshoot"),
        (["x"], "export"),
        (["i"], "import"),
        (["l"], "link"),
        (["H"], "history"),
    ],
)
def test_other_screens(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    keys: list[str],
    name: str,
    size: tuple[int, int],
) -> None:
    app = unlocked_app(demo_home, monkeypatch)
    assert snap_compare(app, terminal_size=size, run_before=after_pressing(*keys)), name


def test_connect_form(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app = unlocked_app(demo_home, monkeypatch)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("comma")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.click("#connect-aws")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_clear_vault_typed_confirm(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    app = unlocked_app(demo_home, monkeypatch)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("comma")
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await pilot.click("#clear-vault")
        await settle(pilot)
        await pilot.press(*"CLE")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_import_duplicates_dialog(
    snap_compare: SnapCompare,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    from tui_vault.ui.screens.transfer import DuplicatesDialog

    app = unlocked_app(demo_home, monkeypatch)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.app.push_screen(DuplicatesDialog(["db-password", "stripe-api-key"]))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

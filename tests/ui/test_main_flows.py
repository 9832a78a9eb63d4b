"""Pilot tests of the main flows: first run, unlock, the secrets table, clipboard, lock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Label

from tui_vault.core.clipboard import LocalClipboard
from tui_vault.core.model import Secret
from tui_vault.core.settings import Settings
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import decode_key, encode_key, generate_key
from tui_vault.ui.app import VaultApp, make_app
from tui_vault.ui.screens.create import CreateScreen
from tui_vault.ui.screens.secrets import COLUMNS, SecretsScreen
from tui_vault.ui.screens.unlock import UnlockScreen
from tui_vault.ui.widgets.virtual_table import VirtualTable

MARKER = "MARKER-ui-5d1e-SECRET"


class NoLocalClipboard(LocalClipboard):
    def available(self) -> bool:
        return False


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUI_VAULT_NO_KEYRING", "1")
    monkeypatch.delenv("TUI_VAULT_KEY", raising=False)
    monkeypatch.delenv("TMUX", raising=False)


def build(tmp_path: Path, **settings: object) -> VaultApp:
    return make_app(
        vault_path=tmp_path / "vault" / "vault.json",
        settings=Settings(**settings),  # type: ignore[arg-type]
        settings_file=tmp_path / "settings.toml",
        local_clipboard=NoLocalClipboard(),
        use_keyring=False,
        clock=Clock(),
    )


async def settle(app: VaultApp, pilot: object) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]


def notifications(app: VaultApp) -> str:
    return "\n".join(str(n.message) + " " + str(n.title) for n in app._notifications)


def make_vault(tmp_path: Path, secrets: list[Secret]) -> tuple[Path, bytes]:
    path = tmp_path / "vault" / "vault.json"
    vault, key = Vault.create(path, generate_key())
    for s in secrets:
        vault.add(s)
    return path, key


async def test_first_run_shows_key_then_table(tmp_path: Path) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CreateScreen)
        key_text = screen.key_text
        assert not app.vault_path.exists()  # nothing is created before "Open vault"
        await pilot.press("c")
        assert app.clipboard == key_text
        assert key_text not in notifications(app)
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, SecretsScreen)
        assert app.vault_path.exists()
        assert (app.vault_path.parent.stat().st_mode & 0o777) == 0o700
        assert (app.vault_path.stat().st_mode & 0o777) == 0o600
        # The key shown is the key of the vault on disk.
        Vault.open(app.vault_path, decode_key(key_text))
        assert app.screen.query_one("#empty").display is True


async def test_add_secret_saves_encrypted_and_masks(tmp_path: Path) -> None:
    path, key = make_vault(tmp_path, [])
    app = build(tmp_path)
    app.key_file = None
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, UnlockScreen)
        app.screen.query_one("#key-input", Input).value = encode_key(key)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SecretsScreen)
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        form.query_one("#name", Input).value = "db-password"
        form.query_one("#value", Input).value = MARKER
        form.query_one("#domains", Input).value = "*.example.com"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SecretsScreen)
        on_disk = Vault.open(path, key).data.secrets["db-password"]
        assert on_disk.value == MARKER
        assert on_disk.allowed_domains == ["*.example.com"]
        assert MARKER.encode() not in path.read_bytes()
        table = app.screen.query_one("#table", VirtualTable)
        assert table.row_count == 1
        assert str(table.cell(0, 1)) == "••••••••"
        assert MARKER not in notifications(app)
        # Reveal shows it; reveal again hides it.
        await pilot.press("r")
        assert str(table.cell(0, 1)) == MARKER
        await pilot.press("r")
        assert str(table.cell(0, 1)) == "••••••••"


async def test_unlock_distinguishes_typo_from_wrong_key(tmp_path: Path) -> None:
    _path, key = make_vault(tmp_path, [])
    app = build(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        typo = encode_key(key)
        typo = typo[:-1] + ("0" if typo[-1] != "0" else "1")
        screen.query_one("#key-input", Input).value = typo
        await pilot.press("enter")
        await settle(app, pilot)
        error = str(screen.query_one("#unlock-error", Label).render())
        assert "not a valid vault key" in error
        screen.query_one("#key-input", Input).value = encode_key(generate_key())
        await pilot.press("enter")
        await settle(app, pilot)
        error = str(screen.query_one("#unlock-error", Label).render())
        assert "Wrong key for this vault" in error
        assert app.vault is None
        screen.query_one("#key-input", Input).value = encode_key(key).lower().replace("-", " ")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SecretsScreen)


async def test_auto_unlock_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _path, key = make_vault(tmp_path, [Secret("a", "1")])
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    app = build(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, SecretsScreen)
        assert app.screen.query_one("#table", VirtualTable).row_count == 1


async def start_unlocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secrets: list[Secret], **settings: object
) -> tuple[VaultApp, Path, bytes]:
    path, key = make_vault(tmp_path, secrets)
    monkeypatch.setenv("TUI_VAULT_KEY", encode_key(key))
    return build(tmp_path, **settings), path, key


async def test_edit_rename_toggle_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, path, key = await start_unlocked(
        tmp_path, monkeypatch, [Secret("alpha", "one"), Secret("beta", "two")]
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#table", VirtualTable)
        assert table.row_count == 2
        # Edit alpha: rename it and change its value.
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        form.query_one("#name", Input).value = "alpha2"
        form.query_one("#value", Input).value = "uno"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        secrets = Vault.open(path, key).data.secrets
        assert "alpha" not in secrets and secrets["alpha2"].value == "uno"
        # Toggle the selected one (alpha2 stays selected after the rename).
        await pilot.press("space")
        await settle(app, pilot)
        assert Vault.open(path, key).data.secrets["alpha2"].enabled is False
        # Delete asks first; cancel keeps it, confirm removes it.
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("escape")
        await settle(app, pilot)
        assert "alpha2" in Vault.open(path, key).data.secrets
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert set(Vault.open(path, key).data.secrets) == {"beta"}


async def test_filter_and_sort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, _ = await start_unlocked(
        tmp_path,
        monkeypatch,
        [
            Secret("zeta", "1"),
            Secret("alpha", "2", allowed_domains=["api.example.com"]),
            Secret("mid", ""),
        ],
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#table", VirtualTable)
        names = [str(table.cell(r, 0)) for r in range(table.row_count)]
        assert names == ["alpha", "mid", "zeta"]
        await pilot.press("slash")
        await pilot.press(*"example")
        await pilot.pause()
        assert table.row_count == 1 and str(table.cell(0, 0)) == "alpha"
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == 3
        # Clicking the Key header (the table's first line) again reverses the order.
        await pilot.click("#table", offset=(2, 0))
        await pilot.pause()
        names = [str(table.cell(r, 0)) for r in range(table.row_count)]
        assert names == ["zeta", "mid", "alpha"]
        # Sorting and reversing leave the unfiltered order alone (the rows of an empty
        # filter are the index's own list, shared, never sorted in place).
        for _ in range(len(COLUMNS)):  # each other column, then Key ascending again
            await pilot.press("o")
            await pilot.pause()
        names = [str(table.cell(r, 0)) for r in range(table.row_count)]
        assert names == ["alpha", "mid", "zeta"]


async def test_copy_value_clears_later_and_copy_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, _ = await start_unlocked(
        tmp_path, monkeypatch, [Secret("tok", MARKER)], clipboard_clear_seconds=1
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        assert app.clipboard == MARKER
        assert MARKER not in notifications(app)
        assert "clears in 1 s" in notifications(app)
        await asyncio.sleep(1.3)
        await pilot.pause()
        assert app.clipboard == ""
        await pilot.press("y")
        assert app.clipboard == "{{vault:tok}}"


async def test_newer_copy_is_not_cleared_by_older_timer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, _ = await start_unlocked(
        tmp_path, monkeypatch, [Secret("a", "first-value")], clipboard_clear_seconds=1
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await asyncio.sleep(0.6)
        await pilot.press("y")  # the person copied something else since
        await asyncio.sleep(0.7)
        await pilot.pause()
        assert app.clipboard == "{{vault:a}}"


async def test_bulk_add(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, path, key = await start_unlocked(tmp_path, monkeypatch, [])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("b")
        await pilot.pause()
        from textual.widgets import TextArea

        area = app.screen.query_one("#lines", TextArea)
        area.text = "# comment\nONE=1\nexport TWO='two words'\n\nbad name=3\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "line 5" in str(app.screen.query_one("#bulk-error").render())
        area.text = "ONE=1\nexport TWO='two words'\n"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        secrets = Vault.open(path, key).data.secrets
        assert secrets["ONE"].value == "1" and secrets["TWO"].value == "two words"


async def test_lock_forgets_key_and_idle_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, path, key = await start_unlocked(
        tmp_path, monkeypatch, [Secret("a", "1")], idle_lock_minutes=1
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.vault is not None
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        # Locked, even though TUI_VAULT_KEY could unlock it: a lock needs a gesture to undo.
        assert app.vault is None and app.session is None
        assert isinstance(app.screen, UnlockScreen)
        app.screen.query_one("#key-input", Input).value = encode_key(key)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SecretsScreen)
        clock = app.clock
        assert isinstance(clock, Clock)
        clock.now += 59
        app._check_idle()
        assert app.vault is not None
        clock.now += 2
        app._check_idle()
        await settle(app, pilot)
        assert app.vault is None
        assert isinstance(app.screen, UnlockScreen)
        assert path.exists()  # locking never deletes secrets
        await pilot.click("#saved-key")
        await settle(app, pilot)
        assert isinstance(app.screen, SecretsScreen)


async def test_reset_vault_from_unlock_screen(tmp_path: Path) -> None:
    path, _ = make_vault(tmp_path, [Secret("a", "1")])
    app = build(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        confirm = app.screen.query_one("#confirm")
        assert confirm.disabled
        await pilot.press(*"RESET")
        await pilot.press("enter")
        await settle(app, pilot)
        assert not path.exists()
        assert isinstance(app.screen, CreateScreen)


async def test_help_lists_bindings_with_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, _ = await start_unlocked(tmp_path, monkeypatch, [])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        table = app.screen.query_one("#keys", DataTable)
        ids = {str(table.get_cell_at((r, 3))) for r in range(table.row_count)}
        assert {"secrets.add", "secrets.copy", "secrets.reveal", "lock", "help"} <= ids
        # What it does comes before the id (the last column is the one cut at 80 columns).
        labels = [str(c.label) for c in table.ordered_columns]
        assert labels == ["Key", "Action", "What it does", "Id"]
        row = next(r for r in range(table.row_count) if table.get_cell_at((r, 3)) == "secrets.add")
        assert str(table.get_cell_at((row, 2))) == "Add a secret"
        # Every row says what its key does (Tab has no description of its own).
        rows = [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]
        assert all(action and what for _, action, what, _ in rows), rows
        assert ["tab", "Next field", "Move to the next field or button", ""] in rows


async def test_user_keymap_rebinds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, path, key = await start_unlocked(
        tmp_path, monkeypatch, [Secret("a", "1")], keymap={"secrets.toggle": "ctrl+t"}
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert Vault.open(path, key).data.secrets["a"].enabled is False


async def test_palette_jump_to_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _, _ = await start_unlocked(
        tmp_path, monkeypatch, [Secret(f"s{i:02d}", "v") for i in range(20)]
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"jump s17")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.selected_name() == "s17"


async def test_table_holds_every_secret_and_jumps_beyond_the_first_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, _ = await start_unlocked(
        tmp_path, monkeypatch, [Secret(f"s{i:03d}", "v") for i in range(120)]
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        table = screen.query_one("#table", VirtualTable)
        assert table.row_count == 120  # no window: every secret can be scrolled to
        assert "120 secrets" in str(screen.query_one("#count", Label).render())
        assert 110 not in table.visible_rows()
        screen.jump_to("s110")  # far below the first screen: scrolled into view
        await pilot.pause()
        assert screen.selected_name() == "s110"
        assert 110 in table.visible_rows()
        await pilot.press("slash", "1")  # the filter searches every secret
        await pilot.pause()
        names = [table.row_key(r) for r in range(table.row_count)]
        assert names == [f"s{i:03d}" for i in range(120) if "1" in f"s{i:03d}"]
        assert f"{len(names)} of 120" in str(screen.query_one("#count", Label).render())

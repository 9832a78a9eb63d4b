"""Pilot tests of the all-day-use fixes (issue 13): a table that fits, no lost input, an
honest clipboard toast, every action findable, live state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.events import Paste
from textual.widgets import Button, Input, Static, TextArea

from tests.ui.conftest import VaultEnv, keys_in_one_read, opened, typed, wait_until
from tui_vault.core.cache import Cache
from tui_vault.core.model import Link, Secret
from tui_vault.core.resolver import Resolution
from tui_vault.core.settings import Settings
from tui_vault.core.unlock import write_key_file
from tui_vault.ui.app import VaultApp
from tui_vault.ui.commands import VaultCommands
from tui_vault.ui.screens.dialogs import ConfirmDialog, PathDialog
from tui_vault.ui.screens.export_dialog import ExportDialog
from tui_vault.ui.screens.import_dialog import DuplicatesDialog, ImportDialog
from tui_vault.ui.screens.link import LinkDialog
from tui_vault.ui.screens.secret_form import BulkAddForm, SecretForm
from tui_vault.ui.screens.secrets import COLUMNS, SecretsScreen, fit_widths, natural_key
from tui_vault.ui.screens.settings import SettingsScreen
from tui_vault.ui.screens.troubleshoot import TroubleshootScreen
from tui_vault.ui.screens.unlock import UnlockScreen
from tui_vault.ui.widgets.footer import VaultFooter, choose
from tui_vault.ui.widgets.toggles import Checkbox, RadioButton
from tui_vault.ui.widgets.virtual_table import VirtualTable

MARKER = "MARKER-daily-7f3a-SECRET"
JWT = "eyJhbGciOiJIUzI1NiJ9." + "x" * 600
LINK = Link("hashicorp", {"engine": "secret", "path": "app", "key": "pw"})


def table_of(app: VaultApp) -> VirtualTable[Any]:
    return app.screen.query_one("#table", VirtualTable)


def notes(app: VaultApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


def spans_fit(app: VaultApp) -> tuple[int, int]:
    """(cells the columns take, cells the table has)."""
    table = table_of(app)
    return table.table_width, table.scrollable_content_region.width


def cell_text(app: VaultApp, name: str, column: str) -> str:
    """The cell as the table draws it (cut to its column, with an ellipsis)."""
    table = table_of(app)
    row = table.index_of(name)
    assert row is not None, name
    return str(table.cell(row, COLUMNS.index(column)))


def column_width(app: VaultApp, column: str) -> int:
    return table_of(app).column_widths[COLUMNS.index(column)]


def column_label(app: VaultApp, column: str) -> str:
    return str(table_of(app).column_labels[COLUMNS.index(column)])


# ---------------------------------------------------------------------- 1. the table fits


def test_fit_widths_keeps_status_and_uses_the_width() -> None:
    natural = {"Key": 60, "Value": 620, "Domains": 45, "Source": 9, "Status": 26}
    narrow = fit_widths(natural, 56)
    assert sum(narrow.values()) <= 56 and narrow["Status"] >= 12
    wide = fit_widths(natural, 180)
    assert sum(wide.values()) == 180  # the whole width
    assert wide["Key"] == 60 and wide["Status"] == 26  # room for everything but Value
    small = fit_widths({c: 4 for c in COLUMNS}, 150)
    assert sum(small.values()) == 150


async def test_reveal_all_at_80x24_keeps_status_visible_and_shrinks_back(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add_many(
        [
            Secret("a-really-long-secret-name-for-the-payments-team", JWT),
            Secret("two-domains", "v", allowed_domains=["api.example.com", "*.example.org"]),
            Secret("plain", "short"),
        ]
    )
    async with unlocked_app(size=(80, 24)) as (app, pilot):
        used, room = spans_fit(app)
        assert used <= room
        masked_value_width = column_width(app, "Value")
        await pilot.press("R")  # reveal all: the 600-character JWT too
        await pilot.pause()
        used, room = spans_fit(app)
        assert used <= room, (used, room)
        assert cell_text(app, "plain", "Status") == "ok"
        key_cell = cell_text(app, "a-really-long-secret-name-for-the-payments-team", "Key")
        assert key_cell.endswith("…")
        # The full value is in the detail line under the table.
        row = table_of(app).index_of("a-really-long-secret-name-for-the-payments-team")
        assert row is not None
        table_of(app).move_cursor(row)
        await pilot.pause()
        detail = app.screen.query_one("#detail", Static)
        assert detail.display and JWT in str(detail.render())
        await pilot.press("R")
        await pilot.pause()
        assert column_width(app, "Value") <= max(masked_value_width, 32)
        assert not app.screen.query_one("#detail").display


async def test_widths_follow_resize_and_use_200_columns(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add_many([Secret("k", JWT), Secret("b", "1")])
    async with unlocked_app(size=(80, 24)) as (app, pilot):
        await pilot.press("R")
        await pilot.resize_terminal(200, 50)
        await pilot.pause(0.2)
        used, room = spans_fit(app)
        assert room > 180 and used == room  # the whole width, no horizontal scrolling
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        used, room = spans_fit(app)
        assert used <= room < 80


async def test_multiline_values_render_as_one_line(unlocked_app: Any, vault_env: VaultEnv) -> None:
    vault_env.open().add(Secret("pem", "-----BEGIN-----\nabc\n-----END-----"))
    async with unlocked_app() as (app, pilot):
        await pilot.press("r")
        await pilot.pause()
        assert cell_text(app, "pem", "Value").startswith("-----BEGIN-----⏎abc⏎")


# ---------------------------------------------------------------------- 10. sorting


def test_natural_key() -> None:
    assert sorted(["n10", "n2", "N1", "n1a"], key=natural_key) == ["N1", "n1a", "n2", "n10"]


async def test_sort_indicator_reverse_natural_order_ties_by_name(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add_many(
        [Secret(n, "v", allowed_domains=["same.example"]) for n in ("n10", "n2", "n1")]
        + [Secret("a", "v", allowed_domains=["z.example"])]
    )
    async with unlocked_app() as (app, pilot):
        table = table_of(app)

        def names() -> list[str]:
            return [s.name for s in table_of(app).rows]

        assert names() == ["a", "n1", "n2", "n10"]
        assert column_label(app, "Key") == "Key ▲"
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        await pilot.press("O")
        assert names() == ["n10", "n2", "n1", "a"]
        assert column_label(app, "Key") == "Key ▼"
        await pilot.press("O")
        # Domains: ties broken by name in natural order.
        screen.sort_column = 2
        screen.refresh_table()
        assert names() == ["n1", "n2", "n10", "a"]
        assert column_label(app, "Domains") == "Domains ▲"
        # A click on the Domains header (line 0 of the table, inside its third column).
        x = sum(w + 2 for w in table.column_widths[:2]) + 1
        await pilot.click("#table", offset=(x, 0))
        await pilot.pause()
        assert names()[0] == "a"  # a second press on the header reverses


# ---------------------------------------------------------------------- 2. troubleshoot


async def test_troubleshoot_edit_domains_focuses_domains_not_value(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("scoped", MARKER, allowed_domains=["api.example.com"]))
    async with unlocked_app() as (app, pilot):
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TroubleshootScreen))
        await wait_until(pilot, lambda: not app.screen.checking)  # type: ignore[attr-defined]
        app.screen.query_one("#trouble-table").focus()
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "domains"
        await pilot.press(*", other.example.com")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, TroubleshootScreen))
        await app.workers.wait_for_complete()
        saved = vault_env.open().get("scoped")
        assert saved.value == MARKER
        assert saved.allowed_domains == ["api.example.com", "other.example.com"]


# ---------------------------------------------------------------------- 4. no lost input


async def test_add_with_an_existing_name_keeps_the_form_and_the_value(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("taken", "old"))
    async with unlocked_app() as (app, pilot):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        form = app.screen
        form.query_one("#name", Input).value = "taken"
        form.query_one("#value", Input).value = MARKER
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert app.screen is form
        assert "already exists" in str(form.query_one("#form-error", Static).render())
        assert form.query_one("#value", Input).value == MARKER
        assert MARKER not in notes(app)
        form.query_one("#name", Input).value = "fresh"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        assert vault_env.open().get("fresh").value == MARKER
        assert vault_env.open().get("taken").value == "old"


async def test_a_failed_write_keeps_the_form_open(
    unlocked_app: Any, vault_env: VaultEnv, monkeypatch: Any
) -> None:
    from tui_vault.core.errors import StorageError
    from tui_vault.ui.screens import secret_form

    def refuse(vault: Any, draft: Any) -> Any:
        raise StorageError("cannot write the vault: disk full")

    async with unlocked_app() as (app, pilot):
        monkeypatch.setattr(secret_form, "apply_draft", refuse)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        form = app.screen
        form.query_one("#name", Input).value = "n"
        form.query_one("#value", Input).value = MARKER
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is form
        assert "disk full" in str(form.query_one("#form-error", Static).render())
        assert form.query_one("#value", Input).value == MARKER
        assert not form.query_one("#save", Button).disabled


async def test_multiline_value_added_through_the_text_area(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    pem = "-----BEGIN KEY-----\nAAAA\nBBBB\n-----END KEY-----"
    async with unlocked_app() as (app, pilot):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        form = app.screen
        form.query_one("#name", Input).value = "pem"
        form.query_one("#value", Input).focus()
        await pilot.pause()
        # A paste of several lines switches to the multi-line box and keeps every line.
        form.query_one("#value", Input).post_message(Paste(pem))
        await pilot.pause()
        assert form.has_class("-multiline")
        assert form.query_one("#value-area", TextArea).text == pem
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        assert vault_env.open().get("pem").value == pem
        # Editing it opens the multi-line box again with the value in it.
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        assert app.screen.has_class("-multiline")
        assert app.screen.query_one("#value-area", TextArea).text == pem


async def test_bulk_paste_with_duplicates_offers_skip_replace_keep_both(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("dup", "old"))
    async with unlocked_app() as (app, pilot):
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, BulkAddForm))
        form = app.screen
        form.query_one("#lines", TextArea).text = f"dup=new\nfresh={MARKER}\n"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, DuplicatesDialog))
        hint = str(app.screen.query_one(".hint", Static).render())
        assert "takes the pasted line's" in hint and "file" not in hint  # no file here
        await pilot.press("escape")  # cancel: back in the form, nothing lost
        await wait_until(pilot, lambda: app.screen is form)
        assert form.query_one("#lines", TextArea).text.startswith("dup=new")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, DuplicatesDialog))
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        vault = vault_env.open()
        assert vault.get("dup").value == "old"
        assert vault.get("dup-imported").value == "new"
        assert vault.get("fresh").value == MARKER
        assert "kept both" in notes(app)


async def test_save_key_to_an_existing_file_is_reported_in_the_dialog(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    existing = home / "key.txt"
    existing.write_text("something else\n")
    async with unlocked_app() as (app, pilot):
        await pilot.press("comma")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await app.screen.run_action("save_key_file")
        await wait_until(pilot, lambda: isinstance(app.screen, PathDialog))
        dialog = app.screen
        dialog.query_one("#path", Input).value = str(existing)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        assert "already exists" in str(dialog.query_one("#path-error", Static).render())
        assert existing.read_text() == "something else\n"
        dialog.query_one("#path", Input).value = str(home / "new-key.txt")
        await pilot.press("enter")
        await wait_until(pilot, lambda: (home / "new-key.txt").exists())
        await wait_until(pilot, lambda: app.settings.key_file == str(home / "new-key.txt"))


async def test_rejected_connect_keeps_the_form_filled(
    unlocked_app: Any, vault_env: VaultEnv, monkeypatch: Any
) -> None:
    from tui_vault.core.errors import VaultError
    from tui_vault.core.session import Session
    from tui_vault.ui.screens.provider_form import FieldsForm

    async def refuse(self: Session, provider: str, config: dict[str, str]) -> None:
        raise VaultError("HashiCorp Vault refused the token (permission denied)")

    monkeypatch.setattr(Session, "verify", refuse)
    async with unlocked_app(size=(80, 24)) as (app, pilot):
        await pilot.press("comma")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await app.screen.run_action("connect('hashicorp')")
        await wait_until(pilot, lambda: isinstance(app.screen, FieldsForm))
        form = app.screen
        url = form.query_one("#f-url", Input)
        url.value = "http://127.0.0.1:8200"
        form.query_one("#f-token", Input).value = "s.bad-token"
        # 6: at 80x24 the buttons are on screen.
        for button_id in ("#cancel", "#submit"):
            region = form.query_one(button_id).region
            assert region.height and region.bottom <= 24, (button_id, region)
        form.query_one("#submit", Button).press()
        await wait_until(
            pilot, lambda: isinstance(app.screen, FieldsForm) and app.screen is not form
        )
        await pilot.pause()
        again = app.screen
        assert again.query_one("#f-url", Input).value == "http://127.0.0.1:8200"
        assert again.query_one("#f-token", Input).value == "s.bad-token"
        assert "refused the token" in str(again.query_one("#fields-error", Static).render())


# ---------------------------------------------------------------------- 5. unlock


async def test_unlock_show_toggle_saved_key_and_key_from_file(
    vault_env: VaultEnv, home: Path, monkeypatch: Any
) -> None:
    from tests.ui.conftest import NoLocalClipboard
    from tui_vault.ui.app import make_app

    monkeypatch.delenv("TUI_VAULT_KEY")
    key_file = home / "tui-vault-key.txt"
    app = make_app(
        vault_path=vault_env.path,
        settings=Settings(),
        settings_file=vault_env.settings_path,
        local_clipboard=NoLocalClipboard(),
        use_keyring=False,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert not screen.query("#saved-key")  # nothing saved: not offered
        field = screen.query_one("#key-input", Input)
        assert field.password
        screen.query_one("#show-key", Button).press()
        await pilot.pause()
        assert not field.password
        # Key from file…
        write_key_file(key_file, vault_env.key_text)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.query_one("#path", Input).value = str(key_file)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        # The app remembers a key file it saved; after a lock it is offered.
        app.update_settings(key_file=str(key_file))
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        await wait_until(pilot, lambda: bool(app.screen.query("#saved-key")))
        saved = app.screen.query_one("#saved-key", Button)
        assert "key file" in str(saved.label)
        # Offered between "Open vault" and "Key from file…", in the same row.
        assert [b.id for b in saved.parent.query(Button)] == ["open", "saved-key", "key-file"]  # type: ignore[union-attr]
        app.screen.query_one("#saved-key", Button).press()
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))


# ---------------------------------------------------------------------- 7. masking off


async def test_masking_off_shows_cached_linked_values(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault = vault_env.open()
    vault.set_integration("hashicorp", {"url": "http://127.0.0.1:9", "auth": "token", "token": "t"})
    vault.add(Secret("linked", link=LINK))
    cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    cache.put_many({LINK.fingerprint: MARKER})
    async with unlocked_app(settings=Settings(mask_values=False)) as (app, pilot):
        await wait_until(pilot, lambda: cell_text(app, "linked", "Value") != "fetching…")
        assert MARKER in cell_text(app, "linked", "Value")
        assert cell_text(app, "linked", "Status").startswith("cached")


# ---------------------------------------------------------------------- 8. link confirm


async def test_linking_a_local_value_warns_up_front_and_confirms(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("local", MARKER))
    async with unlocked_app() as (app, pilot):
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LinkDialog))
        warning = str(app.screen.query_one("#link-replace", Static).render())
        assert "holds a local value" in warning
        app.screen.query_one("#next", Button).press()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LinkDialog))
        assert vault_env.open().get("local").value == MARKER


# ---------------------------------------------------------------------- 9. findable


def test_footer_choice_keeps_help_and_quit() -> None:
    keys = [(f"a{i}", "x", "Something long") for i in range(12)]
    keys += [("quit", "^q", "Quit"), ("help", "?", "Help"), ("command_palette", "^p", "palette")]
    shown = choose(keys, 78)
    assert {"quit", "help", "command_palette"} <= shown
    assert len(shown) < len(keys)


async def test_footer_at_80_columns_shows_help_and_quit(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    async with unlocked_app(size=(80, 24)) as (app, pilot):
        await pilot.pause(0.2)
        actions = app.screen.query_one(VaultFooter).shown_actions()
        for action in ("help", "quit", "command_palette"):
            assert action in actions, sorted(actions)
            assert actions[action][1] <= 80


async def test_palette_finds_every_action_with_its_key(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().set_integration(
        "hashicorp", {"url": "http://127.0.0.1:9", "auth": "token", "token": "t"}
    )
    async with unlocked_app() as (app, pilot):
        provider = VaultCommands(app.screen)

        async def titles(query: str) -> list[str]:
            return [str(hit.text) async for hit in provider.search(query)]

        expect = {
            "enable": "Enable/disable  (space)",
            "cache": "Reset cache",
            "integrations": "Settings: Integrations",
            "vault key": "Vault key: copy",
            "disconnect": "Disconnect HashiCorp",
            "clear": "Clear vault…",
            "lock": "Lock  (^l)",
        }
        for query, title in expect.items():
            found = await titles(query)
            assert any(t.startswith(title) for t in found), (query, found)
        discovered = [str(h.text) async for h in provider.discover()]
        assert all(t.endswith(")") for t in discovered), discovered  # each shows its key
        hits = [h async for h in provider.search("reset cache")]
        hits[0].command()
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(
            pilot, lambda: "Cache" in "".join(str(n.title) for n in app._notifications)
        )


# ---------------------------------------------------------------------- smaller ones


async def test_focus_after_clear_vault_is_not_the_filter(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("x", "1"))
    async with unlocked_app() as (app, pilot):
        await pilot.press("comma")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await app.screen.run_action("clear_vault")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "TypedConfirmDialog")
        await pilot.press(*"CLEAR")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.vault is not None and not app.vault.data.secrets)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.pause()
        assert app.focused is None or app.focused.id != "filter"
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))


async def test_ctrl_l_locks_from_inside_a_dialog(unlocked_app: Any, vault_env: VaultEnv) -> None:
    async with unlocked_app() as (app, pilot):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert app.vault is None


async def test_keys_typed_right_after_tab_land_in_the_new_field(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    async with unlocked_app() as (app, pilot):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        await pilot.press(*"name1", "tab", *"value1")  # no pause between them
        await pilot.pause()
        assert app.screen.query_one("#name", Input).value == "name1"
        assert app.screen.query_one("#value", Input).value == "value1"


async def test_idle_lock_message_grammar(unlocked_app: Any, vault_env: VaultEnv) -> None:
    async with unlocked_app(settings=Settings(idle_lock_minutes=1)) as (app, pilot):
        app.last_activity -= 61
        app._check_idle()
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        message = str(app.screen.query_one("#unlock-message", Static).render())
        assert "Locked after 1 idle minute." in message


async def test_cache_status_counts_down_and_reset_cache_drops_values(
    vault_env: VaultEnv,
) -> None:
    from tests.ui.conftest import NoLocalClipboard
    from tui_vault.ui.app import make_app

    clock = [1_800_000_000.0]
    vault = vault_env.open()
    vault.set_integration("hashicorp", {"url": "http://127.0.0.1:9", "auth": "token", "token": "t"})
    vault.add(Secret("linked", link=LINK))
    cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    cache.put_many({LINK.fingerprint: MARKER}, now=clock[0] - 58 * 60)
    app = make_app(
        vault_path=vault_env.path,
        settings=Settings(),
        settings_file=vault_env.settings_path,
        local_clipboard=NoLocalClipboard(),
        use_keyring=False,
        clock=lambda: clock[0],
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.pause()
        assert cell_text(app, "linked", "Status") == "cached · 2 min left"
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        assert screen._status_timer is not None  # counting down while visible
        clock[0] += 90
        screen._tick_statuses()
        assert cell_text(app, "linked", "Status") == "cached · 30 s left"
        clock[0] += 60
        screen._tick_statuses()
        assert cell_text(app, "linked", "Status").startswith("cache expired")
        assert screen._status_timer is None  # nothing left to count: no timer
        # Reset cache: a value fetched before is not shown any more.
        assert app.session is not None
        app.session.resolutions["linked"] = Resolution("linked", "resolved", MARKER)
        await pilot.press("comma")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "linked" not in app.session.resolutions)  # type: ignore[union-attr]


async def test_a_cli_change_shows_up_while_the_app_is_open(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    async with unlocked_app() as (app, pilot):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        form = app.screen
        form.query_one("#name", Input).value = "typed-in-the-dialog"
        vault_env.open().add(Secret("from-cli", "1"))  # another process writes the file
        # The file is watched every WATCH_SECONDS (1.5 s) and read in a worker thread: under
        # a loaded full suite that took over 5 s once, so the default wait (15 s) applies.
        await wait_until(
            pilot, lambda: app.vault is not None and "from-cli" in app.vault.data.secrets
        )
        assert app.screen is form  # the open dialog keeps its input
        assert form.query_one("#name", Input).value == "typed-in-the-dialog"
        await pilot.press("escape")  # what was typed: asked first, then discarded
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("tab", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        assert "from-cli" in [s.name for s in table_of(app).rows]


# ---------------------------------------------------------------------- keys read together


async def test_slash_and_a_letter_read_in_one_batch_filter_instead_of_adding(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    # Over SSH or in a paste, "/" and the next keys arrive in one read: they are queued
    # together. The letter must land in the filter, not trigger the table's "a" (Add).
    vault_env.open().add(Secret("alpha", "v1"))
    vault_env.open().add(Secret("beta", "v2"))
    async with unlocked_app() as (app, pilot):
        keys_in_one_read(app, *typed("/alp"))  # "a" alone would be Add
        await pilot.pause()
        await wait_until(pilot, lambda: app.screen.query_one("#filter", Input).value == "alp")
        assert isinstance(app.screen, SecretsScreen)
        table = table_of(app)
        assert table.row_count == 1
        # A "/" typed while in the filter keeps the filter as it is (nothing can hold one).
        keys_in_one_read(app, *typed("/h"))
        await wait_until(pilot, lambda: app.screen.query_one("#filter", Input).value == "alph")
        assert table.row_count == 1


async def test_add_form_fits_a_narrow_pane(unlocked_app: Any) -> None:
    # A tmux split of 48 columns: the value field keeps room to read (its buttons move to
    # the next line), every button is whole, and the long label wraps instead of being cut.
    # Widened back to 80 columns, the buttons sit beside the value again.
    async with unlocked_app(size=(48, 24)) as (app, pilot):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        form = app.screen
        await pilot.pause()
        value = form.query_one("#value", Input).region
        buttons = [
            form.query_one(f"#{b}", Button).region for b in ("show", "generate", "multiline")
        ]
        box = form.query_one("#value-row").region
        assert value.width >= 30
        assert all(b.y == value.y + 1 for b in buttons)
        assert all(box.x <= b.x and b.right <= box.right for b in buttons)
        label = next(w for w in form.query("Label.field") if "Allowed domains" in str(w.content))
        assert label.region.height == 2 and label.region.right <= box.right
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        value = form.query_one("#value", Input).region
        assert all(
            form.query_one(f"#{b}", Button).region.y == value.y
            for b in ("show", "generate", "multiline")
        )


async def test_toggle_labels_wrap_in_a_narrow_pane(unlocked_app: Any) -> None:
    # At 52 columns the export format and the import's rewrite option do not fit on one
    # line: their labels wrap (later lines under the text, not the button) instead of
    # ending in "…", and the toggles still work. At 80 columns they are one line again.
    async with unlocked_app(size=(52, 24)) as (_app, pilot):
        export = await opened(pilot, "x", ExportDialog)
        encrypted = export.query_one("#fmt-encrypted", RadioButton)
        assert encrypted.region.height == 2
        lines = encrypted.render().plain.split("\n")
        assert lines[0].startswith("▐●▌ Encrypted with a password")
        assert lines[1].startswith("    A") and lines[1].strip().endswith("AES-256-GCM)")
        assert "…" not in encrypted.render().plain
        plaintext = export.query_one("#fmt-plaintext", RadioButton)
        assert plaintext.region.y == encrypted.region.bottom  # right below both lines
        # The two password rules, too long for one line here, go one under the other.
        rules = export.query_one("#password-rule", Static).render().plain.split("\n")
        assert [r.split(" ", 1)[0] for r in rules] == ["✗", "✗"]
        assert rules[1] == "✗ passwords match"
        await pilot.click(plaintext)
        await wait_until(pilot, lambda: plaintext.value and not encrypted.value)
        await pilot.press("escape")
        importing = await opened(pilot, "i", ImportDialog)
        rewrite = importing.query_one("#import-rewrite", Checkbox)
        assert rewrite.region.height == 2
        words = " ".join(line.strip() for line in rewrite.render().plain.split("\n"))
        assert words == "▐X▌ Write a sanitized copy (Postman: values become references)"
        rewrite.focus()
        await pilot.press("space")
        await wait_until(pilot, lambda: importing.query_one("#rewrite-box").display)
        assert rewrite.value
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert rewrite.region.height == 1
        assert "\n" not in rewrite.render().plain
        await pilot.press("escape")
        export = await opened(pilot, "x", ExportDialog)
        assert export.query_one("#fmt-encrypted", RadioButton).region.height == 1
        rules = export.query_one("#password-rule", Static).render().plain
        assert "\n" not in rules and rules.endswith("✗ passwords match")


async def test_escape_asks_before_dropping_what_was_typed_in_a_form(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    """Escape in Edit or Bulk add closes at once when nothing was typed; else it asks, on
    Keep editing (Enter or Escape keep the form, its input intact), and Discard closes. The
    Cancel button closes without asking: it says what it does."""
    vault_env.open().add(Secret("svc", "v6"))
    async with unlocked_app() as (app, pilot):
        form = await opened(pilot, "e", SecretForm)
        await pilot.press("escape")  # nothing typed
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))

        form = await opened(pilot, "e", SecretForm)
        await wait_until(pilot, lambda: app.focused is form.query_one("#value", Input))
        await pilot.press("end", *"_abc")
        for keep in ("enter", "escape"):
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            assert "Keep editing" in str(app.focused.label)  # type: ignore[union-attr]
            await pilot.press(keep)
            await wait_until(pilot, lambda: app.screen is form)
            assert form.query_one("#value", Input).value == "v6_abc"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("tab", "enter")  # Discard
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        assert vault_env.open().get("svc").value == "v6"

        form = await opened(pilot, "e", SecretForm)
        form.query_one("#name", Input).value = "renamed"
        form.query_one("#cancel", Button).press()  # the button: no question
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))

        bulk = await opened(pilot, "b", BulkAddForm)
        bulk.query_one("#lines", TextArea).text = "A=1\n"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")  # Keep editing
        await wait_until(pilot, lambda: app.screen is bulk)
        assert bulk.query_one("#lines", TextArea).text == "A=1\n"
    assert list(vault_env.open().data.secrets) == ["svc"]

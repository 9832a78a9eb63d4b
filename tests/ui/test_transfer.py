"""Export and import dialogs: files written 0600 that import back, the admin policy, duplicates,
wrong passwords and bad files that change nothing, Postman environments."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, RadioButton, Static

from tests.ui.conftest import VaultEnv, wait_until
from tui_vault.core import transfer
from tui_vault.core.model import Secret, VaultData
from tui_vault.integrations.registry import validate_link
from tui_vault.ui.app import VaultApp
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.screens.transfer import (
    DuplicatesDialog,
    ExportDialog,
    ImportDialog,
    ImportSummaryDialog,
)

PASSWORD = "correct horse battery"
VALUE = "MARKER-ui-transfer-value"


def notifications(app: VaultApp) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


def seed(env: VaultEnv, *secrets: Secret) -> None:
    env.open().add_many(list(secrets))


async def open_export(app: VaultApp, pilot: Any) -> ExportDialog:
    await pilot.press("x")
    await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
    dialog = app.screen
    assert isinstance(dialog, ExportDialog)
    await wait_until(pilot, lambda: dialog.policy is not None)
    await pilot.pause()
    return dialog


async def open_import(app: VaultApp, pilot: Any, path: Path) -> ImportDialog:
    await pilot.press("i")
    await wait_until(pilot, lambda: isinstance(app.screen, ImportDialog))
    dialog = app.screen
    assert isinstance(dialog, ImportDialog)
    dialog.query_one("#import-path", Input).value = str(path)
    await pilot.pause()
    return dialog


def error_text(dialog: Any, selector: str) -> str:
    return str(dialog.query_one(selector, Static).content)


# ============================================================================ export


async def test_export_encrypted_writes_0600_and_imports_back(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    seed(vault_env, Secret("api", VALUE, allowed_domains=["api.example.com"]), Secret("e", ""))
    target = home / "out.json"
    async with unlocked_app() as (app, pilot):
        dialog = await open_export(app, pilot)
        dialog.query_one("#export-path", Input).value = str(target)
        dialog.query_one("#export-password", Input).value = PASSWORD
        dialog.query_one("#export-repeat", Input).value = PASSWORD
        await pilot.pause()
        assert not dialog.query_one("#export", Button).disabled
        await pilot.click("#export")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen), timeout=30)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        raw = target.read_bytes()
        assert VALUE.encode() not in raw
        incoming = transfer.read_import(raw, PASSWORD, validate_link=validate_link)
        by_name = {s.name: s for s in incoming.secrets}
        assert by_name["api"].value == VALUE
        assert by_name["api"].allowed_domains == ["api.example.com"]
        assert by_name["e"].value == ""
        texts = notifications(app)
        assert any("Exported 2 secrets" in t and str(target) in t for t in texts)
        assert all(VALUE not in t for t in texts)


async def test_export_password_rule_is_live_and_blocks_export(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    seed(vault_env, Secret("api", VALUE))
    async with unlocked_app() as (app, pilot):
        dialog = await open_export(app, pilot)
        export = dialog.query_one("#export", Button)
        dialog.query_one("#export-password", Input).value = "short"
        dialog.query_one("#export-repeat", Input).value = "short"
        await pilot.pause()
        assert export.disabled
        assert "(5/12)" in error_text(dialog, "#password-rule")
        dialog.query_one("#export-password", Input).value = PASSWORD
        dialog.query_one("#export-repeat", Input).value = PASSWORD + "x"
        await pilot.pause()
        assert export.disabled
        dialog.query_one("#export-repeat", Input).value = PASSWORD
        await pilot.pause()
        assert not export.disabled
        assert f"({len(PASSWORD)} typed)" in error_text(dialog, "#password-rule")
        dialog.query_one("#export-password", Input).value = PASSWORD + "more"
        await pilot.pause()
        assert f"({len(PASSWORD) + 4} typed)" in error_text(dialog, "#password-rule")


async def test_export_plaintext_warns_and_writes_values(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    seed(vault_env, Secret("api", VALUE))
    target = home / "plain.json"
    async with unlocked_app() as (app, pilot):
        dialog = await open_export(app, pilot)
        assert not dialog.query_one("#plaintext-warning").display
        dialog.query_one("#fmt-plaintext", RadioButton).value = True
        await pilot.pause()
        assert dialog.query_one("#plaintext-warning").display
        assert not dialog.query_one("#passwords").display
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.pause()
        await pilot.click("#export")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen), timeout=30)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        entries = json.loads(target.read_text(encoding="utf-8"))
        assert [(e["name"], e["value"]) for e in entries] == [("api", VALUE)]
        assert all(VALUE not in t for t in notifications(app))


async def test_export_asks_before_replacing_a_file(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    from tui_vault.ui.screens.dialogs import ConfirmDialog

    seed(vault_env, Secret("api", VALUE))
    target = home / "exists.json"
    target.write_text("keep me", encoding="utf-8")
    async with unlocked_app() as (app, pilot):
        dialog = await open_export(app, pilot)
        dialog.query_one("#fmt-plaintext", RadioButton).value = True
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.pause()
        await pilot.click("#export")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.click("#cancel")
        await wait_until(pilot, lambda: app.screen is dialog)
        assert target.read_text(encoding="utf-8") == "keep me"
        assert "exists" in error_text(dialog, "#export-error")
        await pilot.click("#export")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen), timeout=30)
        assert json.loads(target.read_text(encoding="utf-8"))[0]["value"] == VALUE


async def test_policy_forbids_plaintext_export(
    unlocked_app: Any, vault_env: VaultEnv, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = home / "policy.toml"
    policy.write_text('[export]\nallow = ["encrypted"]\n', encoding="utf-8")
    monkeypatch.setenv("TUI_VAULT_POLICY", str(policy))
    seed(vault_env, Secret("api", VALUE))
    async with unlocked_app() as (app, pilot):
        dialog = await open_export(app, pilot)
        plaintext = dialog.query_one("#fmt-plaintext", RadioButton)
        assert plaintext.disabled
        assert not dialog.query_one("#fmt-encrypted", RadioButton).disabled
        note = error_text(dialog, "#policy-note")
        assert "Plaintext export is not allowed" in note and str(policy) in note


async def test_policy_forbids_every_export(
    unlocked_app: Any, vault_env: VaultEnv, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = home / "policy.toml"
    policy.write_text("[export]\nallow = []\n", encoding="utf-8")
    monkeypatch.setenv("TUI_VAULT_POLICY", str(policy))
    seed(vault_env, Secret("api", VALUE))
    async with unlocked_app() as (app, pilot):
        dialog = await open_export(app, pilot)
        dialog.query_one("#export-password", Input).value = PASSWORD
        dialog.query_one("#export-repeat", Input).value = PASSWORD
        await pilot.pause()
        assert dialog.query_one("#export", Button).disabled
        assert dialog.query_one("#fmt-encrypted", RadioButton).disabled
        assert dialog.query_one("#fmt-plaintext", RadioButton).disabled
        assert "Export is disabled" in error_text(dialog, "#policy-note")


async def test_export_dialog_fits_80x24(unlocked_app: Any, vault_env: VaultEnv) -> None:
    seed(vault_env, Secret("api", VALUE))
    async with unlocked_app(size=(80, 24)) as (app, pilot):
        dialog = await open_export(app, pilot)
        assert dialog.query_one("#export", Button).region.bottom <= 24
        assert dialog.query_one("#export-repeat", Input).region.height == 1


# ============================================================================ import


def write_export(path: Path, secrets: list[Secret], password: str | None = None) -> Path:
    data = VaultData(secrets={s.name: s for s in secrets})
    blob = (
        transfer.export_encrypted(data, password) if password else transfer.export_plaintext(data)
    )
    path.write_bytes(blob)
    return path


async def test_import_plaintext_adds_secrets_and_shows_a_summary(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    source = write_export(home / "in.json", [Secret("new-one", VALUE), Secret("new-two", "2")])
    async with unlocked_app() as (app, pilot):
        await open_import(app, pilot, source)
        await pilot.click("#import")
        await wait_until(pilot, lambda: isinstance(app.screen, ImportSummaryDialog), timeout=30)
        summary = app.screen
        text = " ".join(str(w.content) for w in summary.query(Static))
        assert "Imported 2 new" in text and VALUE not in text
        assert vault_env.open().get("new-one").value == VALUE
        await pilot.click("#ok")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        assert "2 secrets" in str(app.screen.query_one("#count").render())


@pytest.mark.parametrize(
    ("button", "expected"),
    [
        ("#dup-skip", {"api": "old", "fresh": "f"}),
        ("#dup-replace", {"api": "new", "fresh": "f"}),
        ("#dup-keep-both", {"api": "old", "api-imported": "new", "fresh": "f"}),
    ],
)
async def test_duplicates_dialog_choice_changes_the_vault_as_chosen(
    unlocked_app: Any, vault_env: VaultEnv, home: Path, button: str, expected: dict[str, str]
) -> None:
    seed(vault_env, Secret("api", "old"))
    source = write_export(home / "dup.json", [Secret("api", "new"), Secret("fresh", "f")])
    async with unlocked_app() as (app, pilot):
        await open_import(app, pilot, source)
        await pilot.click("#import")
        await wait_until(pilot, lambda: isinstance(app.screen, DuplicatesDialog), timeout=30)
        names = [str(w.content) for w in app.screen.query("#dup-names Label")]
        assert names == ["• api"]
        await pilot.click(button)
        await wait_until(pilot, lambda: isinstance(app.screen, ImportSummaryDialog), timeout=30)
        on_disk = vault_env.open().data.secrets
        assert {n: s.value for n, s in on_disk.items()} == expected


async def test_duplicates_dialog_cancel_changes_nothing(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    seed(vault_env, Secret("api", "old"))
    before = vault_env.open().generation
    source = write_export(home / "dup.json", [Secret("api", "new"), Secret("fresh", "f")])
    async with unlocked_app() as (app, pilot):
        dialog = await open_import(app, pilot, source)
        await pilot.click("#import")
        await wait_until(pilot, lambda: isinstance(app.screen, DuplicatesDialog), timeout=30)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is dialog)
        assert "nothing changed" in error_text(dialog, "#import-status")
        after = vault_env.open()
        assert after.generation == before and list(after.data.secrets) == ["api"]


async def test_import_encrypted_asks_for_the_password(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    source = write_export(home / "enc.json", [Secret("api", VALUE)], PASSWORD)
    async with unlocked_app() as (app, pilot):
        dialog = await open_import(app, pilot, source)
        assert not dialog.query_one("#password-box").display
        await pilot.click("#import")
        await wait_until(pilot, lambda: dialog.query_one("#password-box").display)
        assert app.focused is dialog.query_one("#import-password", Input)
        await pilot.press(*PASSWORD)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ImportSummaryDialog), timeout=30)
        assert vault_env.open().get("api").value == VALUE


async def test_wrong_password_leaves_the_vault_unchanged(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    seed(vault_env, Secret("mine", "1"))
    before = vault_env.open().generation
    source = write_export(home / "enc.json", [Secret("api", VALUE)], PASSWORD)
    async with unlocked_app() as (app, pilot):
        dialog = await open_import(app, pilot, source)
        await pilot.click("#import")
        await wait_until(pilot, lambda: dialog.query_one("#password-box").display)
        assert app.focused is dialog.query_one("#import-password", Input)
        await pilot.press(*"not the password")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "password" in error_text(dialog, "#import-error"), 30)
        assert "Wrong password" in error_text(dialog, "#import-error")
        assert app.screen is dialog
        assert dialog.query_one("#import-password", Input).value == ""
        after = vault_env.open()
        assert after.generation == before and list(after.data.secrets) == ["mine"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'[{"name": "bad name!", "value": "x"}]', "Entry 1"),
        (b'{"something": "else"}', "not a tui-vault export"),
    ],
)
async def test_malformed_file_gives_one_message_and_changes_nothing(
    unlocked_app: Any, vault_env: VaultEnv, home: Path, content: bytes, message: str
) -> None:
    seed(vault_env, Secret("mine", "1"))
    before = vault_env.open().generation
    source = home / "bad.json"
    source.write_bytes(content)
    async with unlocked_app() as (app, pilot):
        dialog = await open_import(app, pilot, source)
        await pilot.click("#import")
        await wait_until(pilot, lambda: error_text(dialog, "#import-error") != "", 30)
        text = error_text(dialog, "#import-error")
        assert message in text
        # Every failure says the vault is unchanged, once, as the CLI's do.
        assert text.endswith("nothing was imported") and text.count("nothing was") == 1
        if message == "not valid JSON":  # found while reading the file: named as it is
            assert text.startswith("bad.json: the file is not valid JSON")
        assert app.screen is dialog
        assert vault_env.open().generation == before


async def test_missing_file_is_reported(unlocked_app: Any, home: Path) -> None:
    async with unlocked_app() as (app, pilot):
        dialog = await open_import(app, pilot, home / "nope.json")
        await pilot.press("enter")
        await wait_until(pilot, lambda: error_text(dialog, "#import-error") != "", 30)
        text = error_text(dialog, "#import-error")
        assert "does not exist" in text and text.endswith("; nothing was imported")
        assert text.count("nope.json") == 1  # the message names it: not named twice


async def test_file_without_secrets_imports_nothing(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    seed(vault_env, Secret("mine", "1"))
    before = vault_env.open().generation
    source = write_export(home / "empty.json", [])
    async with unlocked_app() as (app, pilot):
        dialog = await open_import(app, pilot, source)
        await pilot.click("#import")
        await wait_until(pilot, lambda: error_text(dialog, "#import-error") != "", 30)
        text = error_text(dialog, "#import-error")
        assert text == "The file holds no secrets; nothing was imported"
        assert app.screen is dialog
        assert vault_env.open().generation == before


async def test_postman_environment_import(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    source = home / "postman.json"
    source.write_text(
        json.dumps(
            {
                "name": "dev",
                "values": [
                    {"key": "api_key", "value": VALUE, "type": "secret", "enabled": True},
                    {"key": "old token", "value": "t", "type": "default", "enabled": False},
                ],
                "_postman_variable_scope": "environment",
            }
        ),
        encoding="utf-8",
    )
    async with unlocked_app() as (app, pilot):
        await open_import(app, pilot, source)
        await pilot.click("#import")
        await wait_until(pilot, lambda: isinstance(app.screen, ImportSummaryDialog), timeout=30)
        text = " ".join(str(w.content) for w in app.screen.query(Static))
        assert "Postman" in text and "old_token" in text
        secrets = vault_env.open().data.secrets
        assert secrets["api_key"].value == VALUE and secrets["api_key"].enabled
        assert not secrets["old_token"].enabled

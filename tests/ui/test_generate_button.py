"""The secret form's Generate button (ctrl+g): a random value, masked, saved only with Save."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input

from tui_vault.core.model import Link, Secret
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key
from tui_vault.ui.screens.secret_form import SecretForm
from tui_vault.ui.screens.secrets import SecretsScreen
from tui_vault.ui.screens.unlock import UnlockScreen

from .test_main_flows import _isolated, build, make_vault, notifications, settle

__all__ = ["_isolated"]


@pytest.mark.parametrize("how", ["click", "key"])
async def test_generate_fills_a_masked_random_value(tmp_path: Path, how: str) -> None:
    path, key = make_vault(tmp_path, [])
    app = build(tmp_path)
    app.key_file = None
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, UnlockScreen)
        app.screen.query_one("#key-input", Input).value = encode_key(key)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, SecretForm)
        form.query_one("#name", Input).value = "api-token"
        if how == "click":
            await pilot.click("#generate")
        else:
            await pilot.press("ctrl+g")
        await pilot.pause()
        value = form.query_one("#value", Input)
        first = value.value
        assert len(first) == 32 and first.isalnum() and value.password
        assert first not in notifications(app) and "Generated 32" in notifications(app)
        assert Vault.open(path, key).names() == []  # nothing saved yet
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert value.value != first
        second = value.value
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SecretsScreen)
        assert Vault.open(path, key).data.secrets["api-token"].value == second


async def test_generate_is_off_for_a_linked_secret(tmp_path: Path) -> None:
    path, key = make_vault(tmp_path, [Secret("L", link=Link("aws", {"secret_id": "db"}))])
    app = build(tmp_path)
    app.key_file = None
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#key-input", Input).value = encode_key(key)
        await pilot.press("enter")
        await settle(app, pilot)
        app.push_screen(SecretForm(Vault.open(path, key).get("L")))
        await pilot.pause()
        assert app.screen.query_one("#generate", Button).disabled
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.screen.query_one("#value", Input).value == ""

"""Keys read together from the terminal (a paste, fast typing over SSH) are queued at once.

A key that opens a dialog and the keys after it arrive before the dialog has mounted its
fields: they must land in the dialog's first field, in order, not be lost or reach the
screen underneath."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tests.ui.conftest import VaultEnv, keys_in_one_read, typed, wait_until
from tui_vault.core.model import Secret
from tui_vault.ui.screens.secret_form import SecretForm
from tui_vault.ui.screens.secrets import SecretsScreen


async def test_add_and_a_name_read_in_one_batch_keep_every_letter(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    vault_env.open().add(Secret("alpha", "v1"))
    async with unlocked_app() as (app, pilot):
        assert isinstance(app.screen, SecretsScreen)
        keys_in_one_read(app, ("a", "a"), *typed("xyz-db_1"))
        await wait_until(pilot, lambda: isinstance(app.screen, SecretForm))
        form = app.screen
        await wait_until(pilot, lambda: form.query_one("#name", Input).value == "xyz-db_1")
        assert app.focused is form.query_one("#name", Input)
        # Typing goes on in the field as usual, after the replayed letters.
        await pilot.press("2")
        assert form.query_one("#name", Input).value == "xyz-db_12"


async def test_a_burst_with_escape_closes_the_dialog_it_opened(
    unlocked_app: Any, vault_env: VaultEnv
) -> None:
    # "a", "q", Escape in one read: the dialog opens, gets "q", then closes; nothing is added
    # and the Escape does not leak to the screen below.
    vault_env.open().add(Secret("alpha", "v1"))
    async with unlocked_app() as (app, pilot):
        keys_in_one_read(app, ("a", "a"), ("q", "q"), ("escape", None))
        await pilot.pause()
        await wait_until(pilot, lambda: isinstance(app.screen, SecretsScreen))
        await pilot.pause()
        assert isinstance(app.screen, SecretsScreen)
        assert list(vault_env.open().data.secrets) == ["alpha"]

"""The import dialog's "write a sanitized copy": the same rewrite as `import --rewrite`."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from textual.widgets import Checkbox, Input, Static

from tests.helpers import MARKER
from tests.ui.conftest import VaultEnv, wait_until
from tests.ui.test_transfer import error_text, open_import
from tui_vault.core.model import Secret
from tui_vault.ui.screens.transfer import ImportSummaryDialog


def postman(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "name": "dev",
                "values": [
                    {"key": "url", "value": "http://h", "type": "default", "enabled": True},
                    {"key": "api_key", "value": MARKER, "type": "secret", "enabled": True},
                    {"key": "dup", "value": MARKER + "2", "type": "secret", "enabled": True},
                ],
                "_postman_variable_scope": "environment",
            }
        ),
        encoding="utf-8",
    )
    return path


async def test_sanitized_copy_of_secret_variables(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    vault_env.open().add(Secret("dup", "mine"))
    source = postman(home / "env.json")
    async with unlocked_app() as (app, pilot):
        dialog = await open_import(app, pilot, source)
        dialog.query_one("#import-rewrite", Checkbox).value = True
        await pilot.pause()
        target = dialog.query_one("#import-rewrite-path", Input)
        # Suggested beside the input.
        assert Path(target.value).expanduser() == home / "env.sanitized.json"
        assert dialog.query_one("#rewrite-box").display
        dialog.query_one("#import-secrets-only", Checkbox).value = True
        await pilot.click("#import")
        await wait_until(pilot, lambda: app.screen is not dialog, timeout=30)
        await pilot.click("#dup-skip")
        await wait_until(pilot, lambda: isinstance(app.screen, ImportSummaryDialog), timeout=30)
        text = " ".join(str(w.content) for w in app.screen.query(Static))
        assert "env.sanitized.json (mode 0600)" in text and MARKER not in text
    out = home / "env.sanitized.json"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = json.loads(out.read_text())
    assert [v["value"] for v in doc["values"]] == ["http://h", "{{vault:api_key}}", "{{vault:dup}}"]
    secrets = vault_env.open().data.secrets
    assert set(secrets) == {"api_key", "dup"} and secrets["dup"].value == "mine"


async def test_sanitized_copy_refuses_an_existing_file(
    unlocked_app: Any, vault_env: VaultEnv, home: Path
) -> None:
    source = postman(home / "env.json")
    async with unlocked_app() as (app, pilot):
        dialog = await open_import(app, pilot, source)
        dialog.query_one("#import-rewrite", Checkbox).value = True
        dialog.query_one("#import-rewrite-path", Input).value = str(source)
        await pilot.pause()
        await pilot.click("#import")
        await wait_until(pilot, lambda: error_text(dialog, "#import-error") != "", 30)
        assert "exists" in error_text(dialog, "#import-error")
    assert vault_env.open().data.secrets == {}
    assert MARKER in source.read_text()

"""Secret values never reach exception messages (or their chains), logs or stray files."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import MARKER, files_under, read_import
from tui_vault.core.errors import VaultError
from tui_vault.core.model import Link, Secret
from tui_vault.core.transfer import Argon2Params, export_encrypted
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import decode_key

CHEAP = Argon2Params(iterations=1, lanes=1, memory_cost=8)


def no_marker_in(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    assert MARKER not in text, text
    assert MARKER not in repr(exc)


def failing_calls(vault: Vault) -> list[Callable[[], object]]:
    enc = export_encrypted(vault.data, "a long password", CHEAP)
    return [
        lambda: vault.set_value("LINKED", MARKER),
        lambda: vault.update("LINKED", value=MARKER),
        lambda: vault.set_value(f"bad name {MARKER}"[:20], MARKER),
        lambda: vault.add(Secret("A", MARKER)),
        lambda: Secret.from_json({"name": "X", "value": MARKER, "enabled": "maybe"}),
        lambda: Secret.from_json({"name": "X", "value": MARKER, "allowed_domains": ["*"]}),
        lambda: read_import(json.dumps([{"name": "Z", "value": MARKER, "link": 5}]).encode()),
        lambda: read_import(json.dumps([{"name": "Z", "value": [MARKER]}]).encode()),
        lambda: read_import(
            b'{"values": [{"key": "k", "value": {"v": "' + MARKER.encode() + b'"}}]'
            b', "_postman_variable_scope": "environment"}'
        ),
        lambda: read_import(enc, MARKER),
        lambda: read_import(MARKER.encode()),
        lambda: decode_key(MARKER),
        lambda: export_encrypted(vault.data, MARKER[:8], CHEAP),
    ]


def test_core_errors_never_carry_values(vault: Vault) -> None:
    vault.set_value("A", MARKER)
    vault.link("LINKED", Link("aws", {"secret_id": "x"}))
    calls = failing_calls(vault)
    for i, call in enumerate(calls):
        with pytest.raises(VaultError) as info:
            call()
            pytest.fail(f"call {i} did not fail")
        no_marker_in(info.value)


def test_no_plaintext_left_in_files_or_logs(
    vault: Vault, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    vault.set_value("A", MARKER)
    vault.set_value("B", "x" + MARKER, allowed_domains="x.io")
    vault.update("A", new_name="A2")
    vault.set_integration("aws", {"secret_access_key": MARKER})
    vault.delete("B")
    enc = export_encrypted(vault.data, "a long password", CHEAP)
    (home / "export.json").write_bytes(enc)
    for path in files_under(home):
        assert MARKER.encode() not in path.read_bytes(), path
    assert MARKER not in caplog.text

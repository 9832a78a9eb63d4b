"""What `list` shows per secret: never a value; cache age and expiry for linked secrets."""

from __future__ import annotations

import json
import time

from tui_vault.core.cache import Cache
from tui_vault.core.model import Link
from tui_vault.core.status import secret_status
from tui_vault.core.vault import Vault

MARKER = "MARKER-7f3a9c-SECRET"
AWS = Link("aws", {"secret_id": "db"})


def test_rows(vault: Vault) -> None:
    vault.set_value("A", MARKER, allowed_domains="x.io")
    vault.set_value("E", "")
    vault.set_value("OFF", MARKER, enabled=False)
    vault.link("L", AWS)
    vault.link("LC", Link("azure", {"secret_id": "s"}))
    vault.set_integration("aws", {"region": "r"})
    cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    now = time.time()
    rows = {n: secret_status(vault, cache, 3600, n, now) for n in vault.names()}
    assert MARKER not in json.dumps(rows)
    assert rows["A"]["status"] == "ok" and rows["A"]["allowed_domains"] == ["x.io"]
    assert rows["E"]["status"] == "empty"
    assert rows["OFF"]["status"] == "unresolved: disabled" and rows["OFF"]["enabled"] is False
    assert rows["L"]["source"] == "aws" and rows["L"]["state"] == "not-fetched"
    assert rows["L"]["cache_age_seconds"] is None
    assert rows["LC"]["status"] == "unresolved: integration disconnected"
    for r in rows.values():
        assert {"name", "enabled", "allowed_domains", "source", "status"} <= set(r)
        assert "value" not in r

    cache.put_many({AWS.fingerprint: MARKER}, now=now - 120)
    row = secret_status(vault, cache, 3600, "L", now)
    assert row["state"] == "cached" and row["cache_age_seconds"] == 120.0
    assert row["cache_expires_in_seconds"] == 3480.0
    assert "58 min left" in row["status"]
    row = secret_status(vault, cache, 60, "L", now)
    assert row["state"] == "expired" and row["cache_expires_in_seconds"] == 0.0
    assert MARKER not in json.dumps(row)

"""The vault: secrets CRUD, times, links, clear, integrations, transactions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tui_vault.core.errors import (
    InvalidSecretError,
    SecretNotFoundError,
    WrongKeyError,
)
from tui_vault.core.model import Link, Secret
from tui_vault.core.vault import Vault, peek_vault_id

AWS = Link("aws", {"secret_id": "prod/db"})


def reopen(v: Vault) -> Vault:
    return Vault.open(v.path, v.key)


def test_create_and_open(vault: Vault) -> None:
    assert vault.data.secrets == {} and vault.data.integrations == {}
    again = reopen(vault)
    assert again.vault_id == vault.vault_id == peek_vault_id(vault.path)
    assert len(vault.vault_id) == 32
    assert again.generation == 1


def test_create_with_a_given_key(vault_file: Path) -> None:
    key = bytes(range(32))
    v, k = Vault.create(vault_file, key)
    assert k == key and v.key == key
    Vault.open(vault_file, key)


def test_set_value_adds_then_updates(vault: Vault) -> None:
    before = time.time()
    s = vault.set_value("A", "one", allowed_domains="Example.com")
    assert s.value == "one" and s.enabled and s.allowed_domains == ["example.com"]
    assert before <= s.created == pytest.approx(s.updated, abs=0.01)
    time.sleep(0.01)
    t = vault.set_value("A", "two")
    assert t.value == "two"
    assert t.allowed_domains == ["example.com"], "domains kept when not given"
    assert t.created == s.created and t.updated > s.updated
    u = vault.set_value("A", "three", allowed_domains="", enabled=False)
    assert u.allowed_domains == [] and not u.enabled
    assert reopen(vault).get("A") == u


def test_set_value_validates_before_writing(vault: Vault) -> None:
    raw = vault.path.read_bytes()
    with pytest.raises(InvalidSecretError):
        vault.set_value("bad name", "x")
    with pytest.raises(InvalidSecretError):
        vault.set_value("A", "x", allowed_domains="*")
    assert vault.path.read_bytes() == raw


def test_add_refuses_duplicates(vault: Vault) -> None:
    vault.add(Secret("A", "1"))
    with pytest.raises(InvalidSecretError) as info:
        vault.add(Secret("A", "2"))
    assert "already exists" in str(info.value)
    assert vault.get("A").value == "1"


def test_add_many_is_all_or_nothing(vault: Vault) -> None:
    vault.add(Secret("B", "1"))
    with pytest.raises(InvalidSecretError) as info:
        vault.add_many([Secret("A", "x"), Secret("B", "y"), Secret("C", "z")])
    assert "B" in str(info.value)
    assert vault.names() == ["B"]
    vault.add_many([Secret("A", "x"), Secret("C", "z")])
    assert vault.names() == ["A", "B", "C"]


def test_edit_rename_enable_disable(vault: Vault) -> None:
    vault.set_value("A", "1")
    created = vault.get("A").created
    time.sleep(0.01)
    s = vault.update("A", new_name="B", value="2", enabled=False, allowed_domains="*.x.io")
    assert s.name == "B" and s.value == "2" and not s.enabled
    assert s.allowed_domains == ["*.x.io"]
    assert s.created == created and s.updated > created
    assert vault.names() == ["B"]
    with pytest.raises(SecretNotFoundError):
        vault.get("A")
    assert vault.update("B", enabled=True).enabled is True
    assert vault.update("B", enabled=False).enabled is False
    assert reopen(vault).get("B").enabled is False


def test_rename_onto_an_existing_name_is_refused(vault: Vault) -> None:
    vault.set_value("A", "1")
    vault.set_value("B", "2")
    with pytest.raises(InvalidSecretError):
        vault.update("A", new_name="B")
    assert vault.get("A").value == "1" and vault.get("B").value == "2"
    with pytest.raises(InvalidSecretError):
        vault.update("A", new_name="no spaces")


def test_update_missing_secret(vault: Vault) -> None:
    with pytest.raises(SecretNotFoundError) as info:
        vault.update("nope", value="x")
    assert "'nope'" in str(info.value)


def test_delete(vault: Vault) -> None:
    vault.set_value("A", "1")
    vault.delete("A")
    assert vault.names() == [] and reopen(vault).names() == []
    with pytest.raises(SecretNotFoundError):
        vault.delete("A")


def test_names_are_sorted_case_insensitively(vault: Vault) -> None:
    for n in ("b", "A", "C", "a2"):
        vault.set_value(n, "x")
    assert vault.names() == ["A", "a2", "b", "C"]


def test_link_creates_and_unlink_empties(vault: Vault) -> None:
    s = vault.link("NEW", AWS)
    assert s.link == AWS and s.value == "" and s.source == "aws"
    vault.set_value("OLD", "local value")
    t = vault.link("OLD", AWS)
    assert t.value == "" and t.link == AWS
    with pytest.raises(InvalidSecretError) as info:
        vault.set_value("OLD", "x")
    assert "linked" in str(info.value)
    with pytest.raises(InvalidSecretError):
        vault.update("OLD", value="x")
    u = vault.unlink("OLD")
    assert u.link is None and u.value == ""
    vault.set_value("OLD", "local again")
    with pytest.raises(InvalidSecretError):
        vault.unlink("OLD")
    with pytest.raises(SecretNotFoundError):
        vault.unlink("missing")
    assert reopen(vault).get("NEW").link == AWS


def test_update_can_relink_or_unlink(vault: Vault) -> None:
    vault.link("L", AWS)
    other = Link("azure", {"secret_id": "https://v.vault.azure.net/secrets/s"})
    assert vault.update("L", link=other).link == other
    s = vault.update("L", link=None, value="now local")
    assert s.link is None and s.value == "now local"


def test_clear_keeps_key_and_integrations(vault: Vault) -> None:
    vault.set_value("A", "1")
    vault.set_value("B", "2")
    vault.set_integration("aws", {"region": "eu-west-1"})
    assert vault.clear() == 2
    again = reopen(vault)
    assert again.names() == []
    assert again.data.integrations == {"aws": {"region": "eu-west-1"}}


def test_integrations(vault: Vault) -> None:
    vault.set_integration("hashicorp", {"url": "http://h", "token": "t"})
    vault.set_integration("hashicorp", {"url": "http://h2", "token": "t2"})
    assert reopen(vault).data.integrations == {"hashicorp": {"url": "http://h2", "token": "t2"}}
    assert vault.remove_integration("hashicorp") is True
    assert vault.remove_integration("hashicorp") is False
    assert reopen(vault).data.integrations == {}


def test_transactions_work_on_the_latest_state(vault: Vault) -> None:
    """Two handles on one file (the CLI and the TUI) never lose each other's changes."""
    other = reopen(vault)
    vault.set_value("A", "from first")
    other.set_value("B", "from second")
    vault.set_value("C", "first again")
    final = reopen(vault)
    assert final.names() == ["A", "B", "C"]
    assert vault.data.secrets.keys() == final.data.secrets.keys()
    other.delete("A")
    vault.update("B", value="edited")
    assert reopen(vault).names() == ["B", "C"]
    assert reopen(vault).get("B").value == "edited"


def test_failed_change_writes_nothing(vault: Vault) -> None:
    vault.set_value("A", "1")
    raw = vault.path.read_bytes()
    gen = vault.generation

    def boom(d: object) -> None:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        vault.change(boom)
    assert vault.path.read_bytes() == raw and vault.generation == gen
    assert vault.get("A").value == "1"


def test_change_returns_the_callbacks_value(vault: Vault) -> None:
    assert vault.change(lambda d: len(d.secrets)) == 0


def test_another_vaults_key_is_wrong(home: Path) -> None:
    a, _ = Vault.create(home / "a.json")
    b, _ = Vault.create(home / "b.json")
    with pytest.raises(WrongKeyError):
        Vault.open(a.path, b.key)


def test_subkeys_differ_per_purpose_and_vault(home: Path) -> None:
    a, key = Vault.create(home / "a.json")
    b, _ = Vault.create(home / "b.json", key)
    assert a.subkey("cache") != a.subkey("vault") != key
    assert a.subkey("cache") != b.subkey("cache")

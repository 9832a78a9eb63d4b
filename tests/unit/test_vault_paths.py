"""Where the vault's files go: symlinked vault paths, and reset refusing other files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_vault.core.errors import VaultError
from tui_vault.core.model import Secret
from tui_vault.core.unlock import reset_vault_files
from tui_vault.core.vault import Vault


def test_a_symlinked_vault_path_is_followed_on_save(tmp_path: Path) -> None:
    real = tmp_path / "sync" / "vault.json"
    Vault.create(real, b"k" * 32)
    link = tmp_path / "vault.json"
    link.symlink_to(real)
    vault = Vault.open(link, b"k" * 32)
    vault.add(Secret("a", "1"))
    assert link.is_symlink()  # the link survives the atomic replace
    assert Vault.open(real, b"k" * 32).data.secrets["a"].value == "1"
    assert vault.paths.backup.parent == real.parent


def test_reset_refuses_a_file_that_is_not_a_vault(tmp_path: Path) -> None:
    other = tmp_path / "id_rsa"
    other.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    with pytest.raises(VaultError, match="not a tui-vault file"):
        reset_vault_files(other)
    assert other.read_text().startswith("-----BEGIN")


def test_reset_deletes_a_damaged_vault(tmp_path: Path) -> None:
    path = tmp_path / "vault.json"
    Vault.create(path, b"k" * 32)
    path.write_bytes(path.read_bytes()[:200])  # truncated, still recognisably ours
    reset_vault_files(path)
    assert not path.exists()

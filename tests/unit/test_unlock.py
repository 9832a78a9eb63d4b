"""Where the key comes from (env, key file, keyring) and typo vs wrong key when opening."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import keyring
import pytest

from tui_vault.core import keystore
from tui_vault.core.errors import InvalidKeyError, VaultError, VaultNotFoundError, WrongKeyError
from tui_vault.core.hygiene import forget_env_key
from tui_vault.core.unlock import (
    KeySource,
    find_key,
    open_with,
    read_key_file,
    reset_vault_files,
    write_key_file,
)
from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key, generate_key

from .test_keystore import MemoryKeyring


@pytest.fixture
def made(vault_file: Path) -> tuple[Vault, str]:
    v, key = Vault.create(vault_file)
    return v, encode_key(key)


def test_order_env_then_key_file_then_keyring(
    made: tuple[Vault, str], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v, _ = made
    key_file = home / "key.txt"
    write_key_file(key_file, "from-file")
    previous = keyring.get_keyring()
    monkeypatch.delenv("TUI_VAULT_NO_KEYRING")
    keystore.status.cache_clear()
    keyring.set_keyring(MemoryKeyring())
    try:
        keystore.save(v.vault_id, "from-keyring")
        monkeypatch.setenv("TUI_VAULT_KEY", "from-env")
        assert find_key(v.path, key_file) == KeySource("from-env", "environment")
        assert "TUI_VAULT_KEY" not in os.environ  # taken out of the environment at once
        assert find_key(v.path, None) == KeySource("from-env", "environment")  # and kept
        forget_env_key()
        assert find_key(v.path, key_file) == KeySource("from-file", "key file")
        assert find_key(v.path, None) == KeySource("from-keyring", "keyring")
        assert find_key(v.path, None, use_keyring=False) is None
        assert find_key(v.path, None, use_keyring=False, use_agent=False) is None
        assert find_key(v.path.with_name("other.json"), None) is None
    finally:
        keyring.set_keyring(previous)
        keystore.status.cache_clear()


def test_nothing_found(made: tuple[Vault, str]) -> None:
    assert find_key(made[0].path, None) is None


def test_key_file_is_private_and_never_overwritten(home: Path) -> None:
    path = home / "k.txt"
    write_key_file(path, "TV1-X")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path) == "TV1-X"
    with pytest.raises(VaultError) as info:
        write_key_file(path, "TV1-Y")
    assert "already exists" in str(info.value)
    assert read_key_file(path) == "TV1-X"
    with pytest.raises(VaultError):
        write_key_file(home / "missing-dir" / "k.txt", "TV1-Z")


def test_read_key_file_errors(home: Path) -> None:
    with pytest.raises(VaultError) as info:
        read_key_file(home / "nope")
    assert "does not exist" in str(info.value)
    bad = home / "bin"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(VaultError):
        read_key_file(bad)


def test_open_with_typo_vs_wrong_key(made: tuple[Vault, str]) -> None:
    v, text = made
    assert open_with(v.path, KeySource(text.lower(), "prompt")).vault_id == v.vault_id
    i = 6
    typo = text[:i] + ("0" if text[i] != "0" else "1") + text[i + 1 :]
    with pytest.raises(InvalidKeyError) as invalid:
        open_with(v.path, KeySource(typo, "prompt"))
    with pytest.raises(WrongKeyError) as wrong:
        open_with(v.path, KeySource(encode_key(generate_key()), "prompt"))
    assert str(invalid.value) == "not a valid vault key"
    assert str(wrong.value) == "wrong key for this vault"


def test_missing_vault_is_reported_before_the_key(vault_file: Path) -> None:
    with pytest.raises(VaultNotFoundError):
        open_with(vault_file, KeySource("garbage", "prompt"))


def test_reset_vault_files(made: tuple[Vault, str]) -> None:
    v, _ = made
    v.set_value("A", "1")
    v.paths.cache.write_bytes(b"x")
    reset_vault_files(v.path)
    assert not v.path.exists() and not v.paths.backup.exists() and not v.paths.cache.exists()
    reset_vault_files(v.path)  # nothing left: still fine

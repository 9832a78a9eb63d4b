"""A save is refused before anything is written when the file would be larger than a vault
file may be read back (store.MAX_FILE_BYTES): such a vault could never be opened again.

The limit is patched small here (the real one is 512 MiB)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from tui_vault.core import store
from tui_vault.core.errors import StorageError
from tui_vault.core.vault import Vault

LIMIT = 64 * 1024


def test_a_save_past_the_read_limit_is_refused_and_changes_nothing(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.set_value("small", "x")
    vault.set_value("small", "y")  # a backup exists too
    backup = vault.paths.backup
    before, backup_before = vault.path.read_bytes(), backup.read_bytes()
    monkeypatch.setattr(store, "MAX_FILE_BYTES", LIMIT)
    with pytest.raises(StorageError) as caught:
        vault.set_value("big", "A" * LIMIT)
    message = caught.value.message
    assert f"over the {LIMIT} bytes limit" in message  # names the limit
    assert "unchanged" in message and "A" * 10 not in message
    assert vault.path.read_bytes() == before and backup.read_bytes() == backup_before
    assert "big" not in vault.data.secrets
    assert sorted(p.name for p in vault.path.parent.iterdir() if ".tmp-" in p.name) == []
    # Under the limit, saving goes on; what was saved reads back.
    vault.set_value("fits", "B" * (LIMIT // 2))
    assert Vault.open(vault.path, vault.key).get("fits").value == "B" * (LIMIT // 2)


@pytest.mark.parametrize("ciphertext_bytes", [10, 100_000])
def test_the_limit_is_the_exact_file_size(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ciphertext_bytes: int
) -> None:
    env = store.Envelope("vault", "ab" * 16, b"k" * 16, 7, b"n" * 12, b"c" * ciphertext_bytes)
    size = len(env.to_bytes())
    monkeypatch.setattr(store, "MAX_FILE_BYTES", size)
    store.check_writable_size(tmp_path / "v.json", env)  # at the limit: readable, saved
    monkeypatch.setattr(store, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(StorageError, match=f"over the {size - 1} bytes limit"):
        store.check_writable_size(tmp_path / "v.json", env)


def test_cli_set_past_the_limit_is_one_line_and_exit_1(
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from tui_vault.cli import main
    from tui_vault.core.vaultkey import encode_key

    key_file = tmp_path / "key"
    key_file.write_text(encode_key(vault.key) + "\n")
    key_file.chmod(0o600)
    before = vault.path.read_bytes()
    monkeypatch.setattr(store, "MAX_FILE_BYTES", LIMIT)
    stdin = io.TextIOWrapper(io.BytesIO(b"A" * LIMIT))
    monkeypatch.setattr(sys, "stdin", stdin)
    code = main(["--vault", str(vault.path), "--key-file", str(key_file), "set", "big"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and f"{LIMIT} bytes limit" in err, err
    assert vault.path.read_bytes() == before

"""Fixtures for the command-line tests: a vault made in-process (fast), used by subprocesses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tui_vault.core.vault import Vault
from tui_vault.core.vaultkey import encode_key


@pytest.fixture(autouse=True)
def _isolated(home: Path) -> None:
    """No test here reads the real HOME, keyring, vault, settings or policy."""


@dataclass
class Made:
    """A vault on disk and what the program needs to open it."""

    path: Path
    key: str
    vault: Vault

    @property
    def env(self) -> dict[str, str]:
        return {"TUI_VAULT_PATH": str(self.path), "TUI_VAULT_KEY": self.key}


@pytest.fixture
def made(vault_file: Path) -> Made:
    v, key = Vault.create(vault_file)
    return Made(vault_file, encode_key(key), v)

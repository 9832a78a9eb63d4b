"""Fixtures for the core unit tests: every test runs with an isolated HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_vault.core.vault import Vault


@pytest.fixture(autouse=True)
def _isolated(home: Path) -> None:
    """No test here reads the real HOME, keyring, vault, settings or policy."""


@pytest.fixture
def vault(vault_file: Path) -> Vault:
    """A fresh, empty vault on disk."""
    v, _ = Vault.create(vault_file)
    return v

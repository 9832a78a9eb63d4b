"""Default locations and their overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_vault.core.paths import DEFAULT_POLICY, default_vault_path, policy_path, settings_path


def test_defaults_follow_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUI_VAULT_POLICY")
    assert default_vault_path() == home / ".local" / "share" / "tui-vault" / "vault.json"
    assert settings_path() == home / ".config" / "tui-vault" / "settings.toml"
    assert policy_path() == DEFAULT_POLICY == Path("/etc/tui-vault/policy.toml")


def test_environment_overrides(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_VAULT_PATH", "~/v/my.json")
    monkeypatch.setenv("TUI_VAULT_SETTINGS", str(home / "s.toml"))
    monkeypatch.setenv("TUI_VAULT_POLICY", str(home / "p.toml"))
    assert default_vault_path() == home / "v" / "my.json"
    assert settings_path() == home / "s.toml"
    assert policy_path() == home / "p.toml"

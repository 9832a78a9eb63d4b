"""Where things live by default; every path can be overridden for scripts and tests."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tui-vault"
ENV_VAULT_PATH = "TUI_VAULT_PATH"
ENV_SETTINGS = "TUI_VAULT_SETTINGS"
ENV_POLICY = "TUI_VAULT_POLICY"
DEFAULT_POLICY = Path("/etc/tui-vault/policy.toml")


def default_vault_path() -> Path:
    env = os.environ.get(ENV_VAULT_PATH)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "vault.json"


def settings_path() -> Path:
    env = os.environ.get(ENV_SETTINGS)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "settings.toml"


def policy_path() -> Path:
    env = os.environ.get(ENV_POLICY)
    return Path(env).expanduser() if env else DEFAULT_POLICY


def user_policy_path() -> Path | None:
    """The extra policy file named by TUI_VAULT_POLICY (it can only add restrictions to the
    admin's DEFAULT_POLICY, which always applies: see core/policy.py)."""
    env = os.environ.get(ENV_POLICY)
    return Path(env).expanduser() if env else None

"""Where things live by default; every path can be overridden for scripts and tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "tui-vault"
ENV_VAULT_PATH = "TUI_VAULT_PATH"
ENV_SETTINGS = "TUI_VAULT_SETTINGS"
ENV_POLICY = "TUI_VAULT_POLICY"
DEFAULT_POLICY = Path("/etc/tui-vault/policy.toml")


# XDG base directory variable -> the default below $HOME (the XDG spec, as platformdirs reads it).
_XDG_DEFAULTS = {
    "XDG_DATA_HOME": ".local/share",
    "XDG_CONFIG_HOME": ".config",
    "XDG_STATE_HOME": ".local/state",
}


def user_dir(variable: str) -> Path:
    """platformdirs' user data, config or state path of this app (`variable`: the XDG
    variable naming it), the same Path.

    On Linux the plain cases are the XDG spec itself, decided here: the variable when it
    holds an absolute path, else ~/DEFAULT with an absolute $HOME (or none: the password
    database, through expanduser, as platformdirs does). Anything else, and every other
    platform, asks platformdirs. Importing it costs a command ~10 ms (its unix module loads
    tempfile, and with it shutil, bz2, lzma and random); tests/unit/test_paths.py compares
    the two over a matrix of environments.
    """
    if sys.platform == "linux":
        value = os.environ.get(variable, "")
        if value.startswith("/"):
            return Path(value) / APP_NAME
        home = os.environ.get("HOME")
        if home is None or home.startswith("/"):
            # os.path's expanduser, as platformdirs calls it (Path.expanduser raises instead
            # of returning "~/..." when no home directory can be found).
            base = os.path.expanduser("~/" + _XDG_DEFAULTS[variable])  # noqa: PTH111
            if base.startswith("/"):
                return Path(base) / APP_NAME
    import platformdirs

    if variable == "XDG_DATA_HOME":
        return platformdirs.user_data_path(APP_NAME)
    if variable == "XDG_CONFIG_HOME":
        return platformdirs.user_config_path(APP_NAME)
    return platformdirs.user_state_path(APP_NAME)


def default_vault_path() -> Path:
    env = os.environ.get(ENV_VAULT_PATH)
    if env:
        return Path(env).expanduser()
    return user_dir("XDG_DATA_HOME") / "vault.json"


def settings_path() -> Path:
    env = os.environ.get(ENV_SETTINGS)
    if env:
        return Path(env).expanduser()
    return user_dir("XDG_CONFIG_HOME") / "settings.toml"


def policy_path() -> Path:
    env = os.environ.get(ENV_POLICY)
    return Path(env).expanduser() if env else DEFAULT_POLICY


def user_policy_path() -> Path | None:
    """The extra policy file named by TUI_VAULT_POLICY (it can only add restrictions to the
    admin's DEFAULT_POLICY, which always applies: see core/policy.py)."""
    env = os.environ.get(ENV_POLICY)
    return Path(env).expanduser() if env else None

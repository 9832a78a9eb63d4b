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


@pytest.mark.parametrize("variable", ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"])
@pytest.mark.parametrize("value", [None, "", "relative/x", "/abs/x", "/abs/x/", "~/x", " /abs"])
@pytest.mark.parametrize("home", [None, "", "relative", "/home/u", "/", "/home/u/"])
def test_user_dirs_are_platformdirs_own(
    variable: str, value: str | None, home: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """paths.user_dir decides the plain XDG cases itself: the same path platformdirs gives,
    in every environment (or the same error)."""
    import platformdirs

    from tui_vault.core.paths import APP_NAME, user_dir

    for name, v in ((variable, value), ("HOME", home)):
        if v is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, v)
    theirs = {
        "XDG_DATA_HOME": platformdirs.user_data_path,
        "XDG_CONFIG_HOME": platformdirs.user_config_path,
        "XDG_STATE_HOME": platformdirs.user_state_path,
    }[variable]
    try:
        expected: Path | str = theirs(APP_NAME)
    except RuntimeError as e:
        expected = f"error: {e}"
    try:
        ours: Path | str = user_dir(variable)
    except RuntimeError as e:
        ours = f"error: {e}"
    assert ours == expected

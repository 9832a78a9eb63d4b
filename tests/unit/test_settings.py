"""settings.toml: defaults, round trip, types and ranges, broken files give a clear error."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui_vault.core.settings import (
    SETTINGS_FIELDS,
    Settings,
    SettingsError,
    load_settings,
    save_settings,
    settings_from_dict,
)


def test_defaults(home: Path) -> None:
    s = load_settings(home / "missing.toml")
    assert s == Settings()
    assert s.expiration_minutes == 60
    assert s.clipboard_clear_seconds == 30
    assert s.mask_values is True
    assert s.fetch_timeout_seconds == 10.0


def test_default_location_is_under_the_config_dir(home: Path) -> None:
    s = Settings(expiration_minutes=5)
    save_settings(s)
    saved = home / ".config" / "tui-vault" / "settings.toml"
    assert saved.exists()
    assert load_settings() == s


def test_round_trip_and_modes(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = home / "conf" / "settings.toml"
    monkeypatch.setenv("TUI_VAULT_SETTINGS", str(path))
    s = Settings(expiration_minutes=5, theme="nord", keymap={"reveal": "ctrl+r"})
    save_settings(s)
    assert load_settings() == s
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_bad_toml_is_a_clear_error(home: Path) -> None:
    path = home / "settings.toml"
    path.write_text("expiration_minutes = = 5\n")
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    msg = str(info.value)
    assert str(path) in msg and "not valid TOML" in msg
    assert "\n" not in msg


def test_not_utf8_is_a_clear_error(home: Path) -> None:
    path = home / "settings.toml"
    path.write_bytes(b"theme = '\xff'\n")
    with pytest.raises(SettingsError):
        load_settings(path)


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"expiration_minutes": "60"}, "expiration_minutes must be an int"),
        ({"expiration_minutes": True}, "expiration_minutes"),
        ({"expiration_minutes": 0}, "at least 1 minute"),
        ({"clipboard_clear_seconds": -1}, "negative"),
        ({"fetch_timeout_seconds": 0}, "positive"),
        ({"mask_values": "yes"}, "mask_values"),
        ({"keymap": {"reveal": 1}}, "keymap"),
    ],
)
def test_bad_values_are_named(doc: dict[str, object], words: str) -> None:
    with pytest.raises(SettingsError) as info:
        settings_from_dict(doc, "settings.toml")
    assert words in str(info.value)


def test_ints_are_fine_for_floats_and_unknown_keys_are_ignored() -> None:
    s = settings_from_dict({"fetch_timeout_seconds": 3, "from_the_future": 1})
    assert s.fetch_timeout_seconds == 3.0 and isinstance(s.fetch_timeout_seconds, float)


def test_settings_never_hold_secrets() -> None:
    names = set(SETTINGS_FIELDS)
    assert not {n for n in names if any(w in n for w in ("key_text", "token", "password"))}


def test_warnings_for_a_missing_settings_file_and_the_keymap(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_vault.core.settings import settings_warnings

    missing = home / "nope.toml"
    monkeypatch.setenv("TUI_VAULT_SETTINGS", str(missing))
    assert settings_warnings(Settings()) == [
        f"TUI_VAULT_SETTINGS names {missing}, which does not exist; using defaults"
    ]
    missing.write_text("")
    assert settings_warnings(Settings()) == []
    defaults = {"secrets.reveal": "r", "secrets.copy": "c", "form.save": "ctrl+s"}
    keymap = {"secrets.reveal": "c", "secrets.nope": "x", "form.cancel": "q"}
    problems = settings_warnings(Settings(keymap=keymap), missing, defaults)
    assert problems == [
        "keymap: unknown binding ids form.cancel, secrets.nope (the help screen lists every id)",
        "keymap: c is bound to both secrets.copy and secrets.reveal",
    ]
    # The same key on two screens is no conflict; without the defaults only user clashes count.
    assert settings_warnings(Settings(keymap={"secrets.copy": "ctrl+s"}), missing, defaults) == []
    clash = {"a.x": "k", "a.y": "k"}
    assert settings_warnings(Settings(keymap=clash), missing) == [
        "keymap: k is bound to both a.x and a.y"
    ]

"""The admin policy file: none, encrypted-only, forbid, and unreadable -> fail closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_vault.core.errors import PolicyError
from tui_vault.core.policy import Policy, load_policy


def write(home: Path, text: str | bytes) -> Path:
    p = home / "policy.toml"
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def test_no_policy_file_allows_everything(home: Path) -> None:
    p = load_policy(home / "missing.toml")
    assert p == Policy()
    p.check_export("encrypted")
    p.check_export("plaintext")
    assert p.allows("plaintext")


def test_environment_variable_names_the_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(home, '[export]\nallow = ["encrypted"]\n')
    monkeypatch.setenv("TUI_VAULT_POLICY", str(path))
    assert load_policy().source == str(path)
    assert load_policy().export_formats == ("encrypted",)


def test_encrypted_only(home: Path) -> None:
    p = load_policy(write(home, '[export]\nallow = ["encrypted"]\n'))
    p.check_export("encrypted")
    with pytest.raises(PolicyError) as info:
        p.check_export("plaintext")
    assert "not allowed" in str(info.value) and "use encrypted" in str(info.value)
    assert not p.allows("plaintext") and p.allows("encrypted")


def test_forbid_export(home: Path) -> None:
    p = load_policy(write(home, "[export]\nallow = []\n"))
    for fmt in ("encrypted", "plaintext"):
        with pytest.raises(PolicyError) as info:
            p.check_export(fmt)
        assert "disabled by the admin policy" in str(info.value)


def test_empty_file_means_defaults(home: Path) -> None:
    assert load_policy(write(home, "")).export_formats == ("encrypted", "plaintext")


@pytest.mark.parametrize(
    "content",
    [
        "[export\nallow = [",
        b"\xff\xfe",
        'export = "no"\n',
        '[export]\nallow = "encrypted"\n',
        '[export]\nallow = ["zip"]\n',
        "[export]\nallow = [1]\n",
    ],
    ids=["bad-toml", "not-utf8", "not-a-table", "not-a-list", "unknown-format", "not-strings"],
)
def test_broken_policy_fails_closed(home: Path, content: str | bytes) -> None:
    p = load_policy(write(home, content))
    assert p.problem
    for fmt in ("encrypted", "plaintext"):
        assert not p.allows(fmt)
        with pytest.raises(PolicyError) as info:
            p.check_export(fmt)
        assert "export is disabled" in str(info.value) and "policy.toml" in str(info.value)


def test_unreadable_policy_fails_closed(home: Path) -> None:
    directory = home / "policy.toml"
    directory.mkdir()
    p = load_policy(directory)
    assert p.problem == "cannot be read"
    with pytest.raises(PolicyError):
        p.check_export("encrypted")

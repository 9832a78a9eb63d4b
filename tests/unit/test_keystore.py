"""The key in the OS password manager, with an in-memory keyring backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from tests.helpers import files_under
from tui_vault.core import keystore
from tui_vault.core.errors import KeyringUnavailableError

MARKER = "MARKER-7f3a9c-SECRET"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked(f"locked {MARKER}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"refused {password}")


@pytest.fixture
def use_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    previous = keyring.get_keyring()
    monkeypatch.delenv("TUI_VAULT_NO_KEYRING", raising=False)

    def install(cls: type) -> KeyringBackend:
        backend: KeyringBackend = cls()
        keyring.set_keyring(backend)
        keystore.status.cache_clear()
        return backend

    yield install  # type: ignore[misc]
    keyring.set_keyring(previous)
    keystore.status.cache_clear()


def test_save_load_forget(use_backend: type) -> None:
    backend = use_backend(MemoryKeyring)  # type: ignore[operator]
    st = keystore.status()
    assert st.available and st.reason == "MemoryKeyring"
    keystore.save("vid1", "TV1-KEY-ONE")
    keystore.save("vid2", "TV1-KEY-TWO")
    assert backend.items[("tui-vault", "vault:vid1")] == "TV1-KEY-ONE"
    assert keystore.load("vid1") == "TV1-KEY-ONE"
    assert keystore.load("vid2") == "TV1-KEY-TWO"
    assert keystore.load("other") is None
    assert keystore.forget("vid1") is True
    assert keystore.load("vid1") is None
    assert keystore.forget("vid1") is False
    assert keystore.load("vid2") == "TV1-KEY-TWO"


def test_turned_off_by_environment(use_backend: type, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = use_backend(MemoryKeyring)  # type: ignore[operator]
    backend.items[("tui-vault", "vault:v")] = "saved"
    monkeypatch.setenv("TUI_VAULT_NO_KEYRING", "1")
    keystore.status.cache_clear()
    st = keystore.status()
    assert not st.available and "TUI_VAULT_NO_KEYRING" in st.reason
    assert keystore.load("v") is None
    assert keystore.forget("v") is False
    with pytest.raises(KeyringUnavailableError) as info:
        keystore.save("v", "k")
    assert "TUI_VAULT_NO_KEYRING" in str(info.value)
    assert backend.items == {("tui-vault", "vault:v"): "saved"}


def test_no_backend_on_a_headless_machine(use_backend: type) -> None:
    use_backend(fail.Keyring)  # type: ignore[operator]
    st = keystore.status()
    assert not st.available and "headless" in st.reason
    assert keystore.load("v") is None
    with pytest.raises(KeyringUnavailableError):
        keystore.save("v", "k")


def test_a_failing_backend_never_leaks_or_crashes(use_backend: type) -> None:
    use_backend(BrokenKeyring)  # type: ignore[operator]
    assert keystore.load("v") is None
    with pytest.raises(KeyringUnavailableError) as info:
        keystore.save("v", MARKER)
    assert MARKER not in str(info.value)
    assert "PasswordSetError" in str(info.value)
    assert keystore.forget("v") is False


def test_a_plaintext_fallback_keyring_is_not_a_password_manager(
    use_backend: type, home: Path
) -> None:
    """keyrings.alt's PlaintextKeyring writes keys to a file in plain text: never use it."""
    from keyrings.alt.file import PlaintextKeyring

    use_backend(PlaintextKeyring)  # type: ignore[operator]
    st = keystore.status()
    assert not st.available and "PlaintextKeyring" in st.reason
    with pytest.raises(KeyringUnavailableError):
        keystore.save("v", MARKER)
    assert keystore.load("v") is None
    assert files_under(home) == []


def test_a_low_priority_backend_is_not_used(use_backend: type) -> None:
    class Fallback(MemoryKeyring):
        priority = 0.5  # type: ignore[assignment]

    use_backend(Fallback)  # type: ignore[operator]
    assert not keystore.status().available

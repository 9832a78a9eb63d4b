"""The vault key in the OS password manager (keyring), when the machine has one.

Headless and SSH machines usually have no backend; then `status()` says why and callers fall
back to a typed key, --key-file or TUI_VAULT_KEY. Set TUI_VAULT_NO_KEYRING=1 to never use it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from tui_vault.core.errors import KeyringUnavailableError

SERVICE = "tui-vault"
ENV_DISABLE = "TUI_VAULT_NO_KEYRING"


@dataclass(frozen=True)
class KeyringStatus:
    available: bool
    reason: str  # why not, or the backend's name


@lru_cache(maxsize=1)
def status() -> KeyringStatus:
    if os.environ.get(ENV_DISABLE):
        return KeyringStatus(False, f"turned off by {ENV_DISABLE}")
    try:
        import keyring
        from keyring.backends import fail
    except Exception as e:  # broken install: treat as absent
        return KeyringStatus(False, f"keyring library unusable ({type(e).__name__})")
    try:
        backend = keyring.get_keyring()
    except Exception as e:
        return KeyringStatus(False, f"no password manager ({type(e).__name__})")
    if isinstance(backend, fail.Keyring):
        return KeyringStatus(False, "no system password manager found (headless or SSH session)")
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return KeyringStatus(False, "no system password manager found (headless or SSH session)")
    name = type(backend).__name__
    if "null" in type(backend).__module__:
        return KeyringStatus(False, "keyring is turned off (null backend)")
    try:
        priority = float(backend.priority)
    except Exception:
        priority = 0.0
    if priority < 1:
        # keyring's own bar for a recommended backend: below it are fallbacks such as
        # keyrings.alt's PlaintextKeyring, which writes the key to a file in plain text.
        return KeyringStatus(
            False, f"no system password manager found (only the fallback {name}, not safe)"
        )
    return KeyringStatus(True, name)


def _username(vault_id: str) -> str:
    return f"vault:{vault_id}"


def save(vault_id: str, key_text: str) -> None:
    st = status()
    if not st.available:
        raise KeyringUnavailableError(f"cannot save to the password manager: {st.reason}")
    import keyring

    try:
        keyring.set_password(SERVICE, _username(vault_id), key_text)
    except Exception as e:
        raise KeyringUnavailableError(
            f"the password manager refused to store the key ({type(e).__name__})"
        ) from None


def load(vault_id: str) -> str | None:
    """The saved key text, or None (also when no backend works: that is not an error)."""
    if not status().available:
        return None
    import keyring

    try:
        return keyring.get_password(SERVICE, _username(vault_id))
    except Exception:
        return None


def forget(vault_id: str) -> bool:
    if not status().available:
        return False
    import keyring

    try:
        keyring.delete_password(SERVICE, _username(vault_id))
    except Exception:
        return False
    return True

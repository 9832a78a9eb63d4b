"""Non-secret preferences in settings.toml. Never holds a key, a token or a value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui_vault.core.errors import VaultError
from tui_vault.core.paths import ENV_SETTINGS, settings_path
from tui_vault.core.store import atomic_write, ensure_private_dir, read_checked, trusted_uids
from tui_vault.core.words import article, noun

MAX_SETTINGS_BYTES = 1024 * 1024

MAX_STALE_HOURS = 24 * 90


# The fields, in order (settings.toml's keys).
SETTINGS_FIELDS = (
    "expiration_minutes",
    "clipboard_clear_seconds",
    "mask_values",
    "idle_lock_minutes",
    "agent_max_hours",
    "tui_unlocks_agent",
    "fetch_timeout_seconds",
    "serve_stale_hours",
    "theme",
    "access_log",
    "keymap",
    "key_file",
)


class Settings:
    """The preferences: keyword (or positional, in this order) arguments, each defaulted;
    mutable, equal by their fields. A plain class, not a dataclass (core/frozen.py says
    why); `replace` is dataclasses.replace, `as_dict` dataclasses.asdict."""

    expiration_minutes: int
    """How long a value fetched from an external vault stays in the local cache."""

    clipboard_clear_seconds: int
    """Clear the clipboard this many seconds after a copy, if it still holds our value."""

    mask_values: bool
    """Show values as dots in the table until revealed."""

    idle_lock_minutes: int
    """Lock the TUI after this many minutes without a key press (0 turns it off); the session
    agent forgets a key after this many minutes without use (0: only agent_max_hours)."""

    agent_max_hours: float
    """The session agent forgets a key this many hours after `unlock` at the latest."""

    tui_unlocks_agent: bool
    """Typing the key (or passphrase) in the TUI also gives it to the session agent."""

    fetch_timeout_seconds: float
    """Give up on one external fetch after this many seconds."""

    serve_stale_hours: int
    """When a cached value has expired and its provider is unreachable or times out, serve
    the expired value (marked stale) for at most this many hours past its expiry (0: never)."""

    theme: str
    """The Textual theme the TUI starts with."""

    access_log: bool
    """Record every resolution (get, inject, run, copy, reveal) in the local access log."""

    keymap: dict[str, str]
    """Binding id -> keys, e.g. {"reveal" = "ctrl+r"}, applied over the defaults."""

    key_file: str
    """Where Settings → Vault key last saved the key (a path, never the key): the TUI's
    unlock screen offers it ("Use saved key"); the command line does not read it."""

    __slots__ = SETTINGS_FIELDS

    def __init__(
        self,
        expiration_minutes: int = 60,
        clipboard_clear_seconds: int = 30,
        mask_values: bool = True,
        idle_lock_minutes: int = 15,
        agent_max_hours: float = 8.0,
        tui_unlocks_agent: bool = True,
        fetch_timeout_seconds: float = 10.0,
        serve_stale_hours: int = 0,
        theme: str = "textual-dark",
        access_log: bool = True,
        keymap: dict[str, str] | None = None,
        key_file: str = "",
    ) -> None:
        self.expiration_minutes = expiration_minutes
        self.clipboard_clear_seconds = clipboard_clear_seconds
        self.mask_values = mask_values
        self.idle_lock_minutes = idle_lock_minutes
        self.agent_max_hours = agent_max_hours
        self.tui_unlocks_agent = tui_unlocks_agent
        self.fetch_timeout_seconds = fetch_timeout_seconds
        self.serve_stale_hours = serve_stale_hours
        self.theme = theme
        self.access_log = access_log
        self.keymap = {} if keymap is None else keymap
        self.key_file = key_file

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in SETTINGS_FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in SETTINGS_FIELDS)
        return f"Settings({inner})"

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` (field names; any other name is a TypeError)."""
        return Settings(**{**{name: getattr(self, name) for name in SETTINGS_FIELDS}, **changes})

    def as_dict(self) -> dict[str, Any]:
        """Every field, in order; the keymap copied."""
        out = {name: getattr(self, name) for name in SETTINGS_FIELDS}
        out["keymap"] = dict(self.keymap)
        return out

    def validate(self) -> Settings:
        if self.expiration_minutes < 1:
            raise VaultError("secret expiration duration must be at least 1 minute")
        if self.clipboard_clear_seconds < 0:
            raise VaultError("clipboard clear delay cannot be negative")
        if self.idle_lock_minutes < 0:
            raise VaultError("idle lock minutes cannot be negative")
        if not 0 < self.agent_max_hours <= 168:
            raise VaultError("agent_max_hours must be more than 0 and at most 168 (a week)")
        if not 0 <= self.serve_stale_hours <= MAX_STALE_HOURS:
            raise VaultError(f"serve_stale_hours must be between 0 and {MAX_STALE_HOURS}")
        if self.fetch_timeout_seconds <= 0:
            raise VaultError("fetch timeout must be positive")
        return self


class SettingsError(VaultError):
    pass


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a missing file gives the defaults, a broken one a clear error."""
    path = path or settings_path()
    try:
        raw = read_checked(path, "settings file", MAX_SETTINGS_BYTES, owners=trusted_uids())
    except FileNotFoundError:
        return Settings()
    except VaultError as e:
        raise SettingsError(e.message) from None
    import tomllib  # only when there is a file to parse (not on every `get` without one)

    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SettingsError(f"{path} is not valid TOML: {e}") from None
    return settings_from_dict(doc, str(path))


def settings_warnings(
    settings: Settings,
    path: Path | None = None,
    default_keys: Mapping[str, str] | None = None,
) -> list[str]:
    """What is odd about the settings but not fatal, one sentence each (shown once).

    A TUI_VAULT_SETTINGS naming a missing file (a typo would silently give the defaults);
    keymap ids that no binding has (when `default_keys`, id -> keys, is given: only the TUI
    knows its bindings); a key given to two bindings of one screen (ids `screen.action`).
    """
    out: list[str] = []
    env = os.environ.get(ENV_SETTINGS)
    if env and path is None:
        named = Path(env).expanduser()
        if not named.exists():
            out.append(f"{ENV_SETTINGS} names {named}, which does not exist; using defaults")
    keymap = settings.keymap
    if default_keys is not None:
        unknown = sorted(k for k in keymap if k not in default_keys)
        if unknown:
            out.append(
                f"keymap: unknown binding {noun(len(unknown), 'id')} {', '.join(unknown)} "
                "(the help screen lists every id)"
            )
    bound = {**(default_keys or {}), **keymap}
    by_key: dict[tuple[str, str], list[str]] = {}
    for binding_id, keys in bound.items():
        scope = binding_id.rpartition(".")[0]
        for key in keys.split(","):
            if key.strip():
                by_key.setdefault((scope, key.strip()), []).append(binding_id)
    for (_, key), ids in sorted(by_key.items()):
        if len(ids) > 1 and any(i in keymap for i in ids):
            out.append(f"keymap: {key} is bound to both {' and '.join(sorted(ids))}")
    return out


def settings_from_dict(doc: dict[str, Any], where: str = "settings") -> Settings:
    known = frozenset(SETTINGS_FIELDS)
    values: dict[str, Any] = {}
    defaults = Settings()
    for k, v in doc.items():
        if k not in known:
            continue  # newer or older settings: ignore rather than refuse to start
        want = type(getattr(defaults, k))
        if want is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if not isinstance(v, want) or (want is int and isinstance(v, bool)):
            raise SettingsError(f"{where}: {k} must be {article(want.__name__)}")
        if k == "keymap" and not all(isinstance(x, str) for x in v.values()):
            raise SettingsError(f"{where}: keymap values must be strings")
        values[k] = v
    try:
        return Settings(**values).validate()
    except VaultError as e:
        raise SettingsError(f"{where}: {e.message}") from None


def save_settings(settings: Settings, path: Path | None = None) -> None:
    import tomli_w

    path = path or settings_path()
    ensure_private_dir(path.parent)
    atomic_write(path, tomli_w.dumps(settings.validate().as_dict()).encode())

"""The admin policy: can forbid export, or allow only encrypted export.

    [export]
    allow = ["encrypted"]          # formats users may export; [] forbids export

Two files, layered (DESIGN.md §7): /etc/tui-vault/policy.toml, the admin's, always applies;
TUI_VAULT_POLICY names a second file that can only add restrictions (the formats allowed
are those both allow). Neither can lift the other: a missing TUI_VAULT_POLICY file adds
nothing, and the admin's file still applies. A file that exists but cannot be read (not a
regular file, not valid TOML, too large, unreadable) forbids export (fail closed).

The policy guards export, the one way to take every secret out at once; it does not guard
`get`, which prints one value to the vault's owner.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from tui_vault.core import paths
from tui_vault.core.errors import PolicyError, VaultError
from tui_vault.core.store import read_checked, trusted_uids

FORMATS = ("encrypted", "plaintext")


@dataclass(frozen=True)
class Policy:
    export_formats: tuple[str, ...] = FORMATS
    source: str = "default"
    problem: str = ""

    def check_export(self, fmt: str) -> None:
        if self.problem:
            raise PolicyError(f"export is disabled: the admin policy {self.source} {self.problem}")
        if not self.export_formats:
            raise PolicyError(f"export is disabled by the admin policy ({self.source})")
        if fmt not in self.export_formats:
            allowed = " or ".join(self.export_formats)
            raise PolicyError(
                f"{fmt} export is not allowed by the admin policy ({self.source}); use {allowed}"
            )

    def allows(self, fmt: str) -> bool:
        return not self.problem and fmt in self.export_formats


MAX_POLICY_BYTES = 64 * 1024


def load_policy(path: Path | None = None, *, admin: Path | None = None) -> Policy:
    """The policy in force: the admin's file, narrowed by the user's (`path`, else
    $TUI_VAULT_POLICY). `admin` defaults to /etc/tui-vault/policy.toml (tests point it away)."""
    admin_path = admin if admin is not None else paths.DEFAULT_POLICY
    user_path = path if path is not None else paths.user_policy_path()
    result = _read_one(admin_path)
    if user_path is not None and user_path != admin_path:
        result = _narrow(result, _read_one(user_path))
    return result


def _narrow(first: Policy, second: Policy) -> Policy:
    """Both policies at once: a problem in either forbids; otherwise the formats both allow."""
    for p in (first, second):
        if p.problem:
            return p
    if second.source == "default":
        return first
    if first.source == "default":
        return second
    formats = tuple(f for f in first.export_formats if f in second.export_formats)
    # Name the file that did the restricting (the admin's when both restrict equally).
    source = first.source if formats == first.export_formats else second.source
    return Policy(formats, source)


def _read_one(path: Path) -> Policy:
    try:
        raw = read_checked(path, "policy file", MAX_POLICY_BYTES, owners=trusted_uids())
        doc = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        return Policy()
    except (VaultError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return Policy((), str(path), "cannot be read")
    export = doc.get("export", {})
    if not isinstance(export, dict):
        return Policy((), str(path), "has an invalid [export] table")
    allow = export.get("allow", list(FORMATS))
    if not isinstance(allow, list) or not all(a in FORMATS for a in allow):
        return Policy((), str(path), "has an invalid export.allow list")
    return Policy(tuple(allow), str(path))

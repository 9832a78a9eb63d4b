"""The admin policy file: can forbid export, or allow only encrypted export.

/etc/tui-vault/policy.toml (or TUI_VAULT_POLICY):

    [export]
    allow = ["encrypted"]          # formats users may export; [] forbids export

A policy file that exists but cannot be read forbids export (fail closed).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from tui_vault.core.errors import PolicyError
from tui_vault.core.paths import policy_path

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


def load_policy(path: Path | None = None) -> Policy:
    path = path or policy_path()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Policy()
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return Policy((), str(path), "cannot be read")
    export = doc.get("export", {})
    if not isinstance(export, dict):
        return Policy((), str(path), "has an invalid [export] table")
    allow = export.get("allow", list(FORMATS))
    if not isinstance(allow, list) or not all(a in FORMATS for a in allow):
        return Policy((), str(path), "has an invalid export.allow list")
    return Policy(tuple(allow), str(path))

"""Browsing an external vault to link to it: what a listing holds, shared by the CLI's
`browse` and the link dialog. A listing never holds a value: only names of mounts, folders,
secrets, JSON keys, versions, vaults, items and fields.

Paths, per provider (what `browse PROVIDER [PATH]` takes and an entry's `path` gives):
  hashicorp  ""  mounts · "MOUNT/" or "MOUNT/FOLDER/"  a folder · "MOUNT/SECRET"  its keys
  aws        ""  secrets (paginated, name filter on the server) · "SECRET-ID"  its JSON keys
  azure      "https://VAULT"  its secrets · "https://VAULT/secrets/NAME"  its versions
  1password  ""  vaults · "op://VAULT"  items · "op://VAULT/ITEM"  fields
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from tui_vault.core.display import visible as visible  # server names shown escaped
from tui_vault.core.providers import ProviderFailure


@dataclass(frozen=True)
class Entry:
    """One row of a listing: something to open (`path`), or a leaf to link to (`link`)."""

    name: str
    kind: str  # mount, folder, secret, key, value, version, vault, item, field
    path: str = ""
    link: Mapping[str, str] | None = None
    detail: str = ""

    @property
    def openable(self) -> bool:
        return bool(self.path)


@dataclass(frozen=True)
class Listing:
    path: str
    entries: tuple[Entry, ...] = field(default_factory=tuple)
    next_page: str | None = None  # pass as `page` for the rest; None when complete

    def filtered(self, text: str) -> Listing:
        """Entries whose name contains `text` (case-insensitive); all when it is empty."""
        needle = text.strip().lower()
        if not needle:
            return self
        return replace(self, entries=tuple(e for e in self.entries if needle in e.name.lower()))


class BrowseDenied(ProviderFailure):
    """The server refused to list here (its policy); a typed path may still be readable."""

    def __init__(self, where: str) -> None:
        super().__init__(f"not allowed to list {where} — type the path")
        self.where = where


@runtime_checkable
class Browsable(Protocol):
    async def browse(
        self, path: str, *, page: str | None = None, name_filter: str = ""
    ) -> Listing: ...

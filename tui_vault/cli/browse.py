"""`browse PROVIDER [PATH]`: what an external vault holds, to link to it (never values)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import TYPE_CHECKING, Any

from tui_vault.cli.common import (
    PROG,
    PROVIDER_CHOICES,
    AddCommand,
    load_settings_or_defaults,
    open_vault,
    say,
)
from tui_vault.core.errors import VaultError

if TYPE_CHECKING:
    from tui_vault.integrations.base import Provider
    from tui_vault.integrations.browse import Entry, Listing

# Pages followed for one command (AWS and Azure answer 100 or so names a page).
MAX_PAGES = 200
LINK_FLAGS = {
    "engine": "--engine",
    "path": "--path",
    "key": "--key",
    "secret_id": "--secret-id",
    "json_key": "--json-key",
    "ref": "--ref",
}


def connected_provider(vault: Any, name: str, timeout: float) -> Provider:
    """The provider for an integration that is connected, or a clear error (exit 1)."""
    from tui_vault.core.model import PROVIDERS
    from tui_vault.integrations.registry import make_provider

    config = vault.data.integrations.get(name)
    if config is None:
        raise VaultError(
            f"{PROVIDERS[name]} is not connected: `{PROG} integration connect {name} ...`"
        )
    return make_provider(name, config, timeout=timeout)


async def collect(provider: Provider, path: str, name_filter: str, timeout: float) -> Listing:
    """Every page of a listing (up to MAX_PAGES), each page bounded by the fetch timeout."""
    import asyncio
    from dataclasses import replace

    from tui_vault.core.model import Reason
    from tui_vault.integrations.base import FetchError
    from tui_vault.integrations.browse import Browsable

    if not isinstance(provider, Browsable):  # pragma: no cover - every provider browses
        raise VaultError(f"{provider.label} cannot be browsed")
    entries: list[Entry] = []
    page: str | None = None
    first: Listing | None = None
    for _ in range(MAX_PAGES):
        try:
            listing = await asyncio.wait_for(
                provider.browse(path, page=page, name_filter=name_filter), timeout
            )
        except TimeoutError:
            raise FetchError(
                Reason.TIMED_OUT, f"{provider.label} did not answer in {timeout:g}s"
            ) from None
        first = first or listing
        entries.extend(listing.entries)
        page = listing.next_page
        if page is None:
            break
    assert first is not None
    return replace(first, entries=tuple(entries), next_page=page)


def _link_flags(entry: Entry) -> str:
    assert entry.link is not None
    return " ".join(
        f"{LINK_FLAGS.get(k, '--' + k.replace('_', '-'))} {shlex.quote(v)}"
        for k, v in entry.link.items()
    )


def cmd_browse(args: argparse.Namespace) -> int:
    import asyncio

    from tui_vault.integrations.browse import visible

    vault = open_vault(args)
    settings = load_settings_or_defaults()
    provider = connected_provider(vault, args.provider, settings.fetch_timeout_seconds)
    try:
        listing = asyncio.run(
            collect(provider, args.path or "", args.filter or "", settings.fetch_timeout_seconds)
        )
    finally:
        provider.close()
    if args.json:
        doc = {
            "provider": args.provider,
            "path": listing.path,
            "complete": listing.next_page is None,
            "entries": [
                {
                    "name": e.name,
                    "kind": e.kind,
                    "detail": e.detail,
                    **({"path": e.path} if e.path else {}),
                    **({"link": dict(e.link)} if e.link else {}),
                }
                for e in listing.entries
            ],
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 0
    if not listing.entries:
        say("Nothing here" + (f" matches {args.filter!r}" if args.filter else ""))
        return 0
    rows = []
    for e in listing.entries:
        kind = f"{e.kind} · {e.detail}" if e.detail else e.kind
        if e.path:
            hint = f"{PROG} browse {args.provider} {shlex.quote(e.path)}"
        else:
            hint = f"{PROG} link NAME --provider {args.provider} {_link_flags(e)}"
        rows.append((visible(e.name), visible(kind), visible(hint)))
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    for name, kind, hint in rows:
        print(f"{name.ljust(width[0])}  {kind.ljust(width[1])}  {hint}")
    if listing.next_page is not None:
        say(f"(only the first {MAX_PAGES} pages are shown: narrow it with --filter)")
    return 0


def register(add: AddCommand) -> None:
    p = add("browse", cmd_browse, "list what an external vault holds, to link to it (never values)")
    p.add_argument(
        "provider",
        choices=PROVIDER_CHOICES,
        metavar="PROVIDER",
        help="; ".join(
            (
                "hashicorp: MOUNT/ or MOUNT/FOLDER/ lists, MOUNT/SECRET shows its keys",
                "aws: no PATH lists secrets, a secret id shows its JSON keys",
                "azure: https://VAULT lists secrets, .../secrets/NAME its versions",
                "1password: op://VAULT lists items, op://VAULT/ITEM fields",
            )
        ),
    )
    p.add_argument("path", nargs="?", metavar="PATH", help="where to look (default: the top)")
    p.add_argument(
        "--filter", metavar="TEXT", help="only names containing TEXT (AWS: on the server)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object with the entries")

"""`push NAME`: write a local secret's value to HashiCorp Vault or AWS, then link NAME to it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui_vault.cli.common import (
    AddCommand,
    check_name,
    load_settings_or_defaults,
    open_vault,
    say,
)
from tui_vault.core.errors import UsageError, VaultError

if TYPE_CHECKING:
    from tui_vault.core.model import Link


def push_link(provider: str, params: dict[str, str]) -> Link:
    """The link a push writes to, checked offline (a usage error names what is wrong)."""
    from tui_vault.integrations.push import PUSH_PROVIDERS
    from tui_vault.integrations.registry import validate_link

    if provider not in PUSH_PROVIDERS:
        raise UsageError(f"push writes to {' or '.join(PUSH_PROVIDERS)}, not {provider}")
    try:
        return validate_link(provider, params)
    except VaultError as e:
        raise UsageError(e.message) from None


def cmd_push(args: argparse.Namespace) -> int:
    import asyncio

    from tui_vault.core.model import PROVIDERS

    check_name(args.name)  # a bad name is a usage error (exit 2), as for set and link
    if args.provider == "hashicorp":
        if args.secret_id or args.json_key:
            raise UsageError("--secret-id and --json-key are for --provider aws")
        params = {"engine": args.engine or "", "path": args.path or "", "key": args.key or ""}
    else:
        if args.engine or args.path or args.key:
            raise UsageError("--engine, --path and --key are for --provider hashicorp")
        params = {"secret_id": args.secret_id or "", "json_key": args.json_key or ""}
    link = push_link(args.provider, params)
    vault = open_vault(args)
    settings = load_settings_or_defaults()
    from tui_vault.integrations.push import push_secret

    outcome = asyncio.run(
        push_secret(
            vault, args.name, link, force=args.force, timeout=settings.fetch_timeout_seconds
        )
    )
    done = {"created": "written", "updated": "replaced", "unchanged": "already there"}[outcome]
    say(
        f"Pushed {args.name} to {PROVIDERS[link.provider]} {link.describe()} ({done}); "
        f"{args.name} is now linked to it"
    )
    return 0


def register(add: AddCommand) -> None:
    p = add(
        "push",
        cmd_push,
        "write a local secret's value to HashiCorp Vault or AWS, then link it there",
    )
    p.add_argument("name", metavar="NAME", help="a local secret (its value is sent, never shown)")
    p.add_argument(
        "--provider", required=True, choices=("hashicorp", "aws"), help="the external vault"
    )
    p.add_argument("--engine", metavar="MOUNT", help="HashiCorp: the KV mount")
    p.add_argument("--path", metavar="PATH", help="HashiCorp: the secret's path in the mount")
    p.add_argument("--key", metavar="KEY", help="HashiCorp: the key at that path")
    p.add_argument("--secret-id", metavar="ID", help="AWS: the secret's name (or ARN to update)")
    p.add_argument("--json-key", metavar="K", help="AWS: store as this key of a JSON secret")
    p.add_argument(
        "--force", action="store_true", help="replace a different value that is already there"
    )

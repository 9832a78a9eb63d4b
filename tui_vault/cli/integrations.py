"""`integration status|connect|disconnect`, `link` and `unlink`: external vaults."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from tui_vault.cli.common import (
    PROG,
    PROVIDER_CHOICES,
    AddCommand,
    Parser,
    add_globals,
    needs_action,
    open_session,
    open_vault,
    read_stdin_secret,
    say,
)
from tui_vault.core.errors import UsageError

if TYPE_CHECKING:
    pass


def cmd_integration_status(args: argparse.Namespace) -> int:
    import asyncio

    session = open_session(args)
    rows = asyncio.run(session.integration_statuses(check=not args.no_check))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        line = f"{r['provider']:<10} {r['status']}"
        if r.get("detail"):
            line += f" ({r['detail']})"
        print(line)
    return 0


def _connect_config(args: argparse.Namespace) -> dict[str, str]:
    p = args.provider
    cfg: dict[str, str] = {}
    if p == "hashicorp":
        cfg = {"url": args.url, "auth": args.auth}
        if args.namespace:
            cfg["namespace"] = args.namespace
        if args.ca_bundle:
            cfg["ca_bundle"] = str(Path(args.ca_bundle).expanduser())
        if args.auth == "token":
            cfg["token"] = read_stdin_secret("Vault token (hidden): ", "token")
        elif args.auth == "approle":
            if not args.role_id:
                raise UsageError("--auth approle needs --role-id (the secret id comes on stdin)")
            cfg["role_id"] = args.role_id
            cfg["secret_id"] = read_stdin_secret("AppRole secret id (hidden): ", "secret id")
        else:
            if not args.username:
                raise UsageError("--auth userpass needs --username (the password comes on stdin)")
            cfg["username"] = args.username
            cfg["password"] = read_stdin_secret("Password (hidden): ", "password")
    elif p == "aws":
        cfg = {"region": args.region}
        if args.profile and args.access_key_id:
            raise UsageError("use either --profile or --access-key-id, not both")
        if args.profile:
            cfg["profile"] = args.profile
        if args.endpoint_url:
            cfg["endpoint_url"] = args.endpoint_url
        if args.access_key_id:
            cfg["access_key_id"] = args.access_key_id
            text = read_stdin_secret("Secret access key (hidden): ", "secret access key")
            lines = text.splitlines() or [""]
            cfg["secret_access_key"] = lines[0].strip()
            if len(lines) > 1 and lines[1].strip():
                cfg["session_token"] = lines[1].strip()
            if not cfg["secret_access_key"]:
                raise UsageError("the secret access key on stdin is empty")
    elif p == "azure":
        if bool(args.tenant_id) != bool(args.client_id):
            raise UsageError("--tenant-id and --client-id go together")
        if args.client_id:
            cfg["tenant_id"] = args.tenant_id
            cfg["client_id"] = args.client_id
            cfg["client_secret"] = read_stdin_secret("Client secret (hidden): ", "client secret")
        if args.ca_bundle:
            cfg["ca_bundle"] = str(Path(args.ca_bundle).expanduser())
        if args.authority:
            cfg["authority"] = args.authority
        if args.no_verify_challenge_resource:
            cfg["verify_challenge_resource"] = "false"
    else:
        cfg["token"] = read_stdin_secret("Service-account token (hidden): ", "token")
    for k in ("token", "secret_id", "password", "client_secret"):
        if k in cfg and not cfg[k]:
            raise UsageError(f"the {k.replace('_', ' ')} on stdin is empty")
    return cfg


def cmd_integration_connect(args: argparse.Namespace) -> int:
    from tui_vault.core.model import PROVIDERS
    from tui_vault.integrations.registry import validate_config

    session = open_session(args)
    config = validate_config(args.provider, _connect_config(args))
    label = PROVIDERS[args.provider]
    if not args.no_verify:
        import asyncio

        asyncio.run(session.verify(args.provider, config))
    session.connect(args.provider, config)
    say(f"Connected {label}" + ("" if args.no_verify else " (credentials checked)"))
    return 0


def cmd_integration_disconnect(args: argparse.Namespace) -> int:
    from tui_vault.core.model import PROVIDERS

    session = open_session(args)
    vault = session.vault
    removed = session.disconnect(args.provider)
    label = PROVIDERS[args.provider]
    if not removed:
        say(f"{label} was not connected")
        return 0
    linked = [
        s.name for s in vault.data.secrets.values() if s.link and s.link.provider == args.provider
    ]
    say(f"Disconnected {label}; its credentials were deleted from the vault")
    if linked:
        say(f"{len(linked)} linked secrets keep their links and are unresolved until you reconnect")
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    from tui_vault.core.model import validate_name
    from tui_vault.integrations.registry import validate_link

    validate_name(args.name)
    p = args.provider
    params: dict[str, str] = {}
    if p == "hashicorp":
        params = {"engine": args.engine or "", "path": args.path or "", "key": args.key or ""}
    elif p == "aws":
        params = {
            "secret_id": args.secret_id or "",
            "json_key": args.json_key or "",
            "version_id": args.version_id or "",
            "version_stage": args.version_stage or "",
            "role_arn": args.role_arn or "",
        }
    elif p == "azure":
        params = {"secret_id": args.secret_id or ""}
    else:
        params = {"ref": args.ref or ""}
    link = validate_link(p, params)
    vault = open_vault(args)
    existed = args.name in vault.data.secrets
    vault.link(args.name, link)
    verb = "Linked" if existed else "Created and linked"
    say(f"{verb} {args.name} to {link.provider}: {link.describe()}")
    if p not in vault.data.integrations:
        say(f"note: {p} is not connected yet: `{PROG} integration connect {p} ...`")
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    vault = open_vault(args)
    vault.unlink(args.name)
    say(f"Unlinked {args.name}; it is now a local secret with an empty value")
    return 0


# --------------------------------------------------------------------------- parser


def register(add: AddCommand) -> None:
    p = add("integration", needs_action("integration"), "external vault connections")
    isub = p.add_subparsers(dest="integration_command", metavar="ACTION", parser_class=Parser)
    ip = isub.add_parser("status", help="which integrations are connected and working")
    add_globals(ip, suppress=True)
    ip.add_argument("--json", action="store_true")
    ip.add_argument("--no-check", action="store_true", help="do not contact the servers")
    ip.set_defaults(func=cmd_integration_status)
    ip = isub.add_parser("disconnect", help="forget an integration's credentials")
    add_globals(ip, suppress=True)
    ip.add_argument("provider", choices=PROVIDER_CHOICES, metavar="PROVIDER")
    ip.set_defaults(func=cmd_integration_disconnect)
    ip = isub.add_parser("connect", help="connect an external vault (secrets come on stdin)")
    add_globals(ip, suppress=True)
    csub2 = ip.add_subparsers(dest="provider", metavar="PROVIDER", parser_class=Parser)
    csub2.required = True
    hp = csub2.add_parser("hashicorp", help="HashiCorp Vault / OpenBao")
    hp.add_argument("--url", required=True)
    hp.add_argument("--namespace", metavar="NS")
    hp.add_argument("--auth", required=True, choices=("token", "approle", "userpass"))
    hp.add_argument("--role-id", metavar="ID")
    hp.add_argument("--username", metavar="USER")
    hp.add_argument("--ca-bundle", metavar="PEM")
    ap = csub2.add_parser("aws", help="AWS Secrets Manager")
    ap.add_argument("--region", required=True, metavar="R")
    ap.add_argument("--profile", metavar="P")
    ap.add_argument("--access-key-id", metavar="ID")
    ap.add_argument("--endpoint-url", metavar="URL")
    zp = csub2.add_parser("azure", help="Azure Key Vault")
    zp.add_argument("--tenant-id", metavar="T")
    zp.add_argument("--client-id", metavar="C")
    zp.add_argument("--ca-bundle", metavar="PEM")
    zp.add_argument("--authority", metavar="HOST", help=argparse.SUPPRESS)
    # Only for a vault outside *.vault.azure.net (a local emulator): see integrations/azure.py.
    zp.add_argument("--no-verify-challenge-resource", action="store_true", help=argparse.SUPPRESS)
    op = csub2.add_parser("1password", help="1Password (service account)")
    for cp2 in (hp, ap, zp, op):
        add_globals(cp2, suppress=True)
        cp2.add_argument(
            "--no-verify", action="store_true", help="store without checking the credentials"
        )
        cp2.set_defaults(func=cmd_integration_connect)

    p = add("link", cmd_link, "link a secret to an external vault (creates NAME if needed)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--provider", required=True, choices=PROVIDER_CHOICES)
    p.add_argument("--engine", metavar="MOUNT")
    p.add_argument("--path", metavar="PATH")
    p.add_argument("--key", metavar="KEY")
    p.add_argument("--secret-id", metavar="ID_OR_ARN_OR_URL")
    p.add_argument("--json-key", metavar="K")
    vg = p.add_mutually_exclusive_group()
    vg.add_argument("--version-id", metavar="V")
    vg.add_argument("--version-stage", metavar="S")
    p.add_argument("--role-arn", metavar="ARN")
    p.add_argument("--ref", metavar="op://VAULT/ITEM/FIELD")

    p = add("unlink", cmd_unlink, "remove a secret's link (it becomes local and empty)")
    p.add_argument("name", metavar="NAME")

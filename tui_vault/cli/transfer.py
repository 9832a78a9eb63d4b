"""`export` and `import`: secrets in and out of JSON files."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui_vault.cli.common import (
    AddCommand,
    open_vault,
    read_password,
    say,
    write_private,
)
from tui_vault.core.errors import VaultError


def cmd_export(args: argparse.Namespace) -> int:
    from tui_vault.core.policy import load_policy
    from tui_vault.core.transfer import export_encrypted, export_plaintext

    load_policy().check_export(args.format)
    out = Path(args.output).expanduser()
    vault = open_vault(args)
    if args.format == "encrypted":
        password = read_password(args, confirm=True)
        data = export_encrypted(vault.data, password)
    else:
        data = export_plaintext(vault.data)
    write_private(out, data)
    if args.format == "plaintext":  # said after writing: a failure stays one line
        say(
            f"warning: {out} holds every secret in plain text; anyone who can read it can "
            "read them. Prefer --format encrypted."
        )
    linked = sum(1 for s in vault.data.secrets.values() if s.link)
    say(f"Exported {len(vault.data.secrets)} secrets to {out} ({args.format}, mode 0600)")
    if linked:
        say(f"{linked} linked secrets were exported as links; integration credentials never are")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from tui_vault.core.transfer import merge, read_import, read_import_bytes, sniff
    from tui_vault.integrations.registry import validate_link

    path = Path(args.file).expanduser()
    raw = read_import_bytes(path)
    try:
        sniffed = sniff(raw)
    except VaultError as e:
        raise type(e)(f"{path}: {e.message}") from None
    vault = open_vault(args)
    password = read_password(args, confirm=False) if sniffed[0] == "encrypted" else None
    try:
        incoming = read_import(raw, password, sniffed, validate_link=validate_link)
    except VaultError as e:
        raise type(e)(f"{path}: {e.message}") from None
    summary = vault.change(lambda d: merge(d, incoming.secrets, args.on_duplicate))
    summary.notes.extend(incoming.notes)
    if incoming.kind == "postman":
        summary.notes.insert(0, "read a Postman environment export")
    if any(s.link for s in incoming.secrets):
        summary.notes.append("linked secrets stay unresolved until their integration is connected")
    for line in summary.lines():
        print(line)
    return 0


def register(add: AddCommand) -> None:
    p = add("export", cmd_export, "export secrets to a JSON file (encrypted or plaintext)")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--format", required=True, choices=("encrypted", "plaintext"))
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )

    p = add("import", cmd_import, "import a tui-vault export or a Postman environment file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument(
        "--on-duplicate",
        choices=("skip", "replace", "keep-both"),
        default="skip",
        help="what to do with names already in the vault (default: skip, and say so)",
    )

"""`export` and `import`: secrets in and out of JSON files."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui_vault.cli.common import (
    AddCommand,
    check_output,
    open_vault,
    read_password,
    say,
    stdout_closed,
    vault_path,
    write_private,
    write_stdout_bytes,
)
from tui_vault.core.errors import StdoutError, UsageError, VaultError
from tui_vault.core.words import noun, plural


def cmd_export(args: argparse.Namespace) -> int:
    from tui_vault.core.policy import load_policy
    from tui_vault.core.transfer import export_encrypted, export_plaintext

    load_policy().check_export(args.format)  # for standard output too
    # `-o -`: standard output, as `-` conventionally means (never a file named "-").
    out = None if args.output == "-" else Path(args.output).expanduser()
    if out is not None:
        check_output(out, args)  # before the password is asked for
    elif stdout_closed():
        raise StdoutError("it is closed")
    vault = open_vault(args)
    if args.format == "encrypted":
        password = read_password(args, confirm=True)
        data = export_encrypted(vault.data, password)
    else:
        data = export_plaintext(vault.data)
    if out is None:
        write_stdout_bytes(data)
        where, what = "standard output", ""
    else:
        where, what = str(out), f", {write_private(out, data, args)}"
    if args.format == "plaintext":  # said after writing: a failure stays one line
        holder = "the export on standard output" if out is None else where
        say(
            f"warning: {holder} holds every secret in plain text; anyone who can read it can "
            "read them. Prefer --format encrypted."
        )
    linked = sum(1 for s in vault.data.secrets.values() if s.link)
    say(f"Exported {plural(len(vault.data.secrets), 'secret')} to {where} ({args.format}{what})")
    if linked:
        were = noun(linked, "was", "were")
        say(
            f"{plural(linked, 'linked secret')} {were} exported as links; "
            "integration credentials never are"
        )
    return 0


def _nothing_imported(error: VaultError, prefix: str) -> VaultError:
    """The same error (its type keeps the exit code), saying that the vault is unchanged:
    every failure of `import` ends with "nothing was imported", once."""
    from tui_vault.core.transfer import nothing_imported

    return type(error)(nothing_imported(prefix + error.message))


def cmd_import(args: argparse.Namespace) -> int:
    from tui_vault.core.transfer import (
        check_rewrite_target,
        merge,
        read_import,
        read_import_bytes,
        rewrite_postman,
        sniff,
    )
    from tui_vault.integrations.registry import validate_link

    path = Path(args.file).expanduser()
    try:
        raw = read_import_bytes(path)
    except VaultError as e:
        raise _nothing_imported(e, "") from None
    try:
        sniffed = sniff(raw)
    except VaultError as e:
        raise _nothing_imported(e, f"{path}: ") from None
    rewrite = Path(args.rewrite).expanduser() if args.rewrite else None
    if (rewrite is not None or args.secrets_only) and sniffed[0] != "postman":
        raise UsageError(
            f"{path} is not a Postman environment: --rewrite and --secrets-only work with "
            "Postman environment exports only"
        )
    if args.force and rewrite is None:
        raise UsageError("--force goes with --rewrite OUT.json")
    if rewrite is not None:
        check_rewrite_target(rewrite, path, vault_path(args), args.force)
    vault = open_vault(args)
    password = read_password(args, confirm=False) if sniffed[0] == "encrypted" else None
    try:
        incoming = read_import(
            raw, password, sniffed, validate_link=validate_link, secrets_only=args.secrets_only
        )
    except VaultError as e:
        raise _nothing_imported(e, f"{path}: ") from None
    if rewrite is not None and not incoming.secrets:
        what = "variables of type secret" if args.secrets_only else "variables"
        raise VaultError(f"{path} holds no {what}: nothing imported, {rewrite} not written")
    summary = vault.change(lambda d: merge(d, incoming.secrets, args.on_duplicate))
    summary.notes.extend(incoming.notes)
    if incoming.kind == "postman":
        summary.notes.insert(0, "read a Postman environment export")
    if any(s.link for s in incoming.secrets):
        summary.notes.append("linked secrets stay unresolved until their integration is connected")
    for line in summary.lines():
        say(line)  # a message for the person, like every other command's (stdout stays clean)
    if rewrite is not None:
        data, names = rewrite_postman(incoming, summary)
        try:
            what = write_private(rewrite, data, args)
        except VaultError as e:
            raise VaultError(
                f"the secrets were imported, but the sanitized copy was not written: {e.message}"
            ) from None
        say(
            f"wrote {rewrite} ({what}): {plural(len(names), 'variable')} now "
            f"{noun(len(names), 'holds', 'hold')} {{{{vault:NAME}}}} "
            f"references; render it with `tui-vault inject -i {rewrite}`"
        )
        disabled = [s.name for s in incoming.secrets if not s.enabled]
        if disabled:
            say(
                f"note: disabled in the file, so disabled in the vault: {', '.join(disabled)}; "
                "`inject` reports their references unresolved until enabled "
                "(tui-vault set NAME --enable)"
            )
    return 0


def register(add: AddCommand) -> None:
    p = add("export", cmd_export, "export secrets to a JSON file (encrypted or plaintext)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="the file to write (0600); - for standard output",
    )
    p.add_argument(
        "--format",
        required=True,
        choices=("encrypted", "plaintext"),
        help="encrypted (with a password, Argon2id + AES-256-GCM) or plaintext JSON",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it exists (never the vault, its files or the key file)",
    )
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )

    p = add("import", cmd_import, "import a tui-vault export or a Postman environment file")
    p.add_argument("file", metavar="FILE", help="the export or Postman environment to read")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read an encrypted export's password from stdin's first line",
    )
    p.add_argument(
        "--rewrite",
        metavar="OUT",
        help="also write the Postman environment with each imported value replaced by its "
        "{{vault:NAME}} reference (0600)",
    )
    p.add_argument(
        "--secrets-only",
        action="store_true",
        help="of a Postman environment, import (and rewrite) only variables of type secret",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="with --rewrite: replace OUT if it exists, even when it is the input file",
    )
    p.add_argument(
        "--on-duplicate",
        choices=("skip", "replace", "keep-both"),
        default="skip",
        help="what to do with names already in the vault (default: skip, and say so)",
    )

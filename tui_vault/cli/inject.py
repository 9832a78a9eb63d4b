"""`inject`: fill {{vault:NAME}} references in a template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui_vault.cli.common import (
    AddCommand,
    check_output,
    open_vault,
    read_text_file,
    report_unresolved,
    resolve_names,
    say,
    url_arg,
    write_private,
)
from tui_vault.core.errors import ExitCode, VaultError
from tui_vault.core.words import plural


def cmd_inject(args: argparse.Namespace) -> int:
    from tui_vault.core.references import find_references, render

    if args.input and args.input != "-":
        template = read_text_file(Path(args.input), "template")
    else:
        # Bytes, not text mode: text mode would turn CRLF (HTTP, Windows files) into LF.
        raw = sys.stdin.buffer.read() if sys.stdin is not None else b""
        try:
            template = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError("the template on stdin is not UTF-8 text") from None
    out = Path(args.output).expanduser() if args.output and args.output != "-" else None
    if out is not None:
        check_output(out, args)  # before anything is resolved
    names = find_references(template)
    results = resolve_names(open_vault(args), names, args.url, "inject") if names else {}
    if not report_unresolved(results):
        return ExitCode.UNRESOLVED
    values = {n: r.value or "" for n, r in results.items()}
    if values:
        from tui_vault.core.transfer import is_postman_environment, json_string_body

        if is_postman_environment(template):
            # References there sit inside JSON strings (a rewritten environment): a value
            # with a quote, backslash or newline must stay one valid JSON string.
            values = {n: json_string_body(v) for n, v in values.items()}
    output = render(template, values)
    if out is not None:
        what = write_private(out, output.encode("utf-8"), args)
        filled = plural(len(results), "reference")
        size = plural(len(output.encode("utf-8")), "byte")
        say(f"Wrote {out} ({size}, {filled} filled, {what})")
    else:
        sys.stdout.write(output)
    return 0


INJECT_EXAMPLES = """\
examples:
  tui-vault inject -i config.yml.tpl -o config.yml
  echo 'token={{vault:api-key}}' | tui-vault inject
  tui-vault inject --url https://api.example.com < request.http.tpl"""


def register(add: AddCommand) -> None:
    p = add(
        "inject",
        cmd_inject,
        "fill {{vault:NAME}} references in a template",
        epilog=INJECT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-i", "--input", metavar="IN", help="template file (default: stdin)")
    p.add_argument(
        "-o", "--output", metavar="OUT", help="output file, 0600 (default, or -: stdout)"
    )
    p.add_argument(
        "--url",
        type=url_arg,
        help="the URL the values are for (needed for domain-restricted secrets)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace OUT if it exists (never the vault, its files or the key file)",
    )

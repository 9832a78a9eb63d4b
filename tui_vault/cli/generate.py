"""`generate`: store a new random value (never printed unless --print)."""

from __future__ import annotations

import argparse
import sys

from tui_vault.cli.common import AddCommand, check_arg, check_name, open_vault, say
from tui_vault.core.generator import (
    CLASSES,
    DEFAULT_CLASSES,
    DEFAULT_LENGTH,
    MAX_LENGTH,
    MIN_LENGTH,
    generate_value,
    parse_classes,
)


def cmd_generate(args: argparse.Namespace) -> int:
    from tui_vault.core.generator import check_length
    from tui_vault.core.model import parse_domains

    check_name(args.name)
    classes = parse_classes(args.chars) if args.chars else DEFAULT_CLASSES
    check_length(args.length, classes)
    if args.allowed_domains is not None:
        check_arg(parse_domains, args.allowed_domains)
    vault = open_vault(args)
    value = generate_value(args.length, classes)
    existed = args.name in vault.data.secrets
    vault.set_value(args.name, value, allowed_domains=args.allowed_domains)
    verb = "Replaced the value of" if existed else "Added"
    say(f"{verb} {args.name}: {args.length} random characters ({', '.join(classes)})")
    if args.print:
        sys.stdout.write(value + "\n")
    return 0


def _length(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def register(add: AddCommand) -> None:
    p = add(
        "generate",
        cmd_generate,
        "store a new random value in NAME (printed only with --print)",
        description="Store a new random value in NAME (created, or its value replaced), made "
        f"with Python's `secrets`. Classes: {', '.join(f'{k} ({v})' for k, v in CLASSES.items())}"
        "; every class asked for appears at least once.",
    )
    p.add_argument("name", metavar="NAME", help="the secret to fill")
    p.add_argument(
        "--length",
        type=_length,
        default=DEFAULT_LENGTH,
        metavar="N",
        help=f"how many characters (default {DEFAULT_LENGTH}; {MIN_LENGTH} to {MAX_LENGTH})",
    )
    p.add_argument(
        "--chars",
        metavar="CLASSES",
        help=f"comma-separated classes from {','.join(CLASSES)} "
        f"(default {','.join(DEFAULT_CLASSES)})",
    )
    p.add_argument(
        "--allowed-domains",
        metavar="LIST",
        help="comma-separated domains the value may be used for (*.example.com for subdomains)",
    )
    p.add_argument("--print", action="store_true", help="also print the new value on stdout (once)")

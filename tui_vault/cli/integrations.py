"""`integration status|connect|disconnect`, `link` and `unlink`: external vaults."""

from __future__ import annotations

import argparse
import getpass
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tui_vault.cli.common import (
    PROG,
    PROVIDER_CHOICES,
    AddCommand,
    Parser,
    add_globals,
    check_name,
    needs_action,
    open_session,
    open_vault,
    read_stdin_secret,
    say,
    stdin_is_tty,
)
from tui_vault.core.display import visible
from tui_vault.core.errors import InvalidSecretError, UsageError
from tui_vault.core.words import plural

if TYPE_CHECKING:
    from tui_vault.core.fields import Field, ProviderSpec


def cmd_integration_status(args: argparse.Namespace) -> int:
    import asyncio

    from tui_vault.core.integrations_status import state_text

    session = open_session(args)
    rows = asyncio.run(session.integration_statuses(check=not args.no_check))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        linked = plural(r["linked_secrets"], "linked secret")
        # the detail is a server's message
        print(visible(f"{r['provider']:<10} {state_text(r['status'], r['detail'])} · {linked}"))
    return 0


def _cli_fields(fields: Sequence[Field]) -> list[Field]:
    """The fields that are command-line options (secrets come on stdin instead)."""
    return [f for f in fields if f.cli and not f.secret]


def _given(args: argparse.Namespace, fields: Sequence[Field]) -> dict[str, str]:
    """The values of the fields' options that were given."""
    values: dict[str, str] = {}
    for f in _cli_fields(fields):
        raw = getattr(args, f.dest, None)
        value = (f.switch if raw else "") if f.switch else (raw or "")
        if value:
            values[f.name] = value
    return values


def _check_combinations(fields: Sequence[Field], values: dict[str, str]) -> None:
    """Options that do not go together, or one that another needs (exit 2, before stdin)."""
    by_name = {f.name: f for f in fields}
    for f in _cli_fields(fields):
        if f.conflicts and values.get(f.name) and values.get(f.conflicts):
            other = by_name[f.conflicts].option
            raise UsageError(f"use either {f.option} or {other}, not both")
        if f.required and f.when is not None and f.applies(values) and not values.get(f.name):
            when = by_name[f.when[0]]
            raise UsageError(f"{when.option} {f.when[1]} needs {f.option}")


def _read_secrets(fields: Sequence[Field], values: dict[str, str]) -> dict[str, str]:
    """The secret fields that apply, from stdin: one value, or one per line for several.

    The first is needed (empty is refused); later ones (AWS's session token) are optional.
    """
    wanted = [
        f
        for f in fields
        if f.secret and f.applies(values) and (not f.stdin_if or values.get(f.stdin_if))
    ]
    if not wanted:
        return {}
    out: dict[str, str] = {}
    if len(wanted) == 1:
        f = wanted[0]
        out[f.name] = read_stdin_secret(f"{f.label} (hidden): ", f.label.lower())
    elif stdin_is_tty():
        for i, f in enumerate(wanted):
            hint = "" if i == 0 else ", Enter for none"
            out[f.name] = getpass.getpass(f"{f.label} (hidden{hint}): ").strip()
    else:
        lines = read_stdin_secret("", "values").splitlines()
        for i, f in enumerate(wanted):
            out[f.name] = lines[i].strip() if i < len(lines) else ""
    first = wanted[0]
    if not out[first.name]:
        raise UsageError(f"the {first.label.lower()} on stdin is empty")
    return {k: v for k, v in out.items() if v}


def _connect_config(args: argparse.Namespace) -> dict[str, str]:
    from tui_vault.integrations.registry import provider_spec

    spec = provider_spec(args.provider)
    values = _given(args, spec.connect_fields)
    _check_combinations(spec.connect_fields, values)
    values.update(_read_secrets(spec.connect_fields, values))
    return values


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
        keep = "keeps its link and is" if len(linked) == 1 else "keep their links and are"
        say(f"{plural(len(linked), 'linked secret')} {keep} unresolved until you reconnect")
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    from tui_vault.integrations.registry import provider_spec, provider_specs, validate_link

    check_name(args.name)
    spec = provider_spec(args.provider)
    own = {f.dest for f in spec.link_fields}
    for other in provider_specs():
        for f in _cli_fields(other.link_fields):
            if f.dest not in own and getattr(args, f.dest, None):
                raise UsageError(f"{f.option} is not an option of --provider {spec.name}")
    params = _given(args, spec.link_fields)
    _check_combinations(spec.link_fields, params)
    try:
        link = validate_link(spec.name, params)
    except InvalidSecretError as e:
        raise UsageError(e.message) from None
    vault = open_vault(args)
    existed = args.name in vault.data.secrets
    vault.link(args.name, link)
    verb = "Linked" if existed else "Created and linked"
    say(f"{verb} {args.name} to {link.provider}: {link.describe()}")
    if spec.name not in vault.data.integrations:
        say(f"note: {spec.name} is not connected yet: `{PROG} integration connect {spec.name} ...`")
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    check_name(args.name, existing=True)
    vault = open_vault(args)
    vault.unlink(args.name)
    say(f"Unlinked {args.name}; it is now a local secret with an empty value")
    return 0


# --------------------------------------------------------------------------- parser


def _add_option(group: Any, f: Field, *, required: bool = False, help_: str = "") -> None:
    """One field as a command-line option (switch, choice or value)."""
    text = help_ or f.description
    if f.switch:
        group.add_argument(f.option, dest=f.dest, action="store_true", help=text)
    elif f.choices:
        group.add_argument(f.option, dest=f.dest, choices=f.choices, required=required, help=text)
    else:
        metavar = f.metavar or f.name.upper()
        group.add_argument(f.option, dest=f.dest, metavar=metavar, required=required, help=text)


def _synopsis(spec: ProviderSpec, fields: Sequence[Field]) -> str:
    """`--url URL --auth {...} [--namespace NS]`: a provider's options in one line."""
    parts = []
    for f in _cli_fields(fields):
        shown = f.option
        if f.choices and not f.switch:
            shown += " " + "|".join(f.choices)
        elif not f.switch:
            shown += " " + (f.metavar or f.name.upper())
        needed = f.required and f.when is None
        parts.append(shown if needed else f"[{shown}]")
    return " ".join(parts)


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def _register_connect(isub: Any) -> None:
    ip = isub.add_parser(
        "connect",
        help="connect an external vault (secrets come on stdin)",
        description="Connect an external vault: its credentials are checked with the server,\n"
        "then stored inside the encrypted vault. Secrets (tokens, keys, passwords) come on\n"
        "stdin, never on the command line.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_globals(ip, suppress=True)
    ip.defer(_build_connect)


def _build_connect(ip: Parser) -> None:
    """The connect subcommands, one per provider, from the providers' connect fields."""
    import textwrap

    from tui_vault.integrations.registry import provider_specs

    specs = provider_specs()
    lines = ["providers and their options (more: `connect PROVIDER --help`):"]
    for spec in specs:
        text = f"{spec.name}: {spec.summary}. {_synopsis(spec, spec.connect_fields)}".strip()
        lines += textwrap.wrap(text, 78, initial_indent="  ", subsequent_indent="      ")
        if spec.stdin_note:
            lines += textwrap.wrap(_sentence(spec.stdin_note), 78, initial_indent="      ",
                                   subsequent_indent="      ")  # fmt: skip
    ip.epilog = "\n".join(lines)
    csub = ip.add_subparsers(dest="provider", metavar="PROVIDER", parser_class=Parser)
    csub.required = True
    for spec in specs:
        description = f"Connect {spec.summary}." + (
            f" {spec.stdin_note}." if spec.stdin_note else ""
        )
        cp = csub.add_parser(spec.name, help=spec.summary, description=description)
        group = cp.add_argument_group(f"{spec.name} options")
        for f in _cli_fields(spec.connect_fields):
            _add_option(group, f, required=f.required and f.when is None)
        add_globals(cp, suppress=True)
        cp.add_argument(
            "--no-verify", action="store_true", help="store without checking the credentials"
        )
        cp.set_defaults(func=cmd_integration_connect)


def _register_link_options(p: Parser) -> None:
    """Each provider's link fields, as options grouped by provider; a flag two providers
    share (--secret-id) is defined once and named in the other group's description."""
    from tui_vault.core.fields import Field
    from tui_vault.integrations.registry import provider_specs

    specs = provider_specs()
    users: dict[str, list[tuple[ProviderSpec, Field]]] = {}
    for spec in specs:
        for f in _cli_fields(spec.link_fields):
            users.setdefault(f.option, []).append((spec, f))
    defined: set[str] = set()
    for spec in specs:
        shared = [
            f"{f.option} {f.metavar}: {f.description}"
            for f in _cli_fields(spec.link_fields)
            if f.option in defined
        ]
        group = p.add_argument_group(
            f"--provider {spec.name}: {spec.summary}",
            description=("also " + "; ".join(shared)) if shared else None,
        )
        for f in _cli_fields(spec.link_fields):
            if f.option in defined:
                continue
            defined.add(f.option)
            sharing = users[f.option]
            if len(sharing) > 1:
                f = Field(
                    f.name,
                    f.label,
                    metavar="/".join(dict.fromkeys(g.metavar for _, g in sharing)),
                    help="; ".join(f"{s.name}: {g.description}" for s, g in sharing),
                    flag=f.flag,
                )
            _add_option(group, f)


def register(add: AddCommand) -> None:
    names = ", ".join(PROVIDER_CHOICES)
    p = add("integration", needs_action("integration"), "external vault connections")
    isub = p.add_subparsers(dest="integration_command", metavar="ACTION", parser_class=Parser)
    ip = isub.add_parser(
        "status",
        help="which integrations are connected and working",
        description="Which integrations are connected and working (checked with each server).",
    )
    add_globals(ip, suppress=True)
    ip.add_argument(
        "--json",
        action="store_true",
        help="a JSON array, one object per provider (status, detail, settings without secrets)",
    )
    ip.add_argument("--no-check", action="store_true", help="do not contact the servers")
    ip.set_defaults(func=cmd_integration_status)
    ip = isub.add_parser(
        "disconnect",
        help="forget an integration's credentials",
        description="Forget an integration's credentials; its links stay, unresolved.",
    )
    add_globals(ip, suppress=True)
    ip.add_argument(
        "provider", choices=PROVIDER_CHOICES, metavar="PROVIDER", help=f"one of {names}"
    )
    ip.set_defaults(func=cmd_integration_disconnect)
    _register_connect(isub)

    p = add("link", cmd_link, "link a secret to an external vault (creates NAME if needed)")
    p.add_argument("name", metavar="NAME", help="the secret to link")
    p.add_argument("--provider", required=True, choices=PROVIDER_CHOICES, help="the external vault")
    assert isinstance(p, Parser)
    p.defer(_register_link_options)

    p = add("unlink", cmd_unlink, "remove a secret's link (it becomes local and empty)")
    p.add_argument("name", metavar="NAME", help="the linked secret")

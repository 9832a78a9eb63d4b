"""How a provider describes itself: its connect fields, link fields and checks.

Each provider module declares one `ProviderSpec` on its provider class; the CLI builds the
`integration connect` subcommands and the `link` options from it, and the TUI builds its
connect and link forms from the same declarations. Nothing here imports an SDK or Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui_vault.core.errors import UsageError

# A provider-specific check of cleaned values: returns them normalised, or raises a
# VaultError naming the field (never its value).
Check = Callable[[dict[str, str]], dict[str, str]]


def _unchanged(values: dict[str, str]) -> dict[str, str]:
    return values


@dataclass(frozen=True)
class Field:
    """One input of a connect or link form, and of the matching command line.

    `when` = (other_field, value): the field only applies (and `required` only holds) when
    the other field has that value, e.g. HashiCorp's `role_id` when `auth` is `approle`.
    `secret` fields are masked in the UI and never get a CLI option: the CLI reads them from
    stdin (`stdin_if` names a field that must be given for it to read them at all; several
    secrets on stdin come one per line, in declaration order).
    `advanced` fields are rarely needed (custom endpoints, test servers).
    `flag` is the CLI option (default: `--` + the name with `-`); `cli=False` keeps a field
    off the command line; `switch` makes the option a flag that sets this value.
    `path` fields name a file that must exist; `conflicts` names a field that cannot be
    given together with this one.
    """

    name: str
    label: str
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()
    default: str = ""
    help: str = ""
    when: tuple[str, str] | None = None
    advanced: bool = False
    flag: str = ""
    metavar: str = ""
    cli: bool = True
    switch: str = ""
    stdin_if: str = ""
    path: bool = False
    conflicts: str = ""  # another field that cannot be given with this one
    hint: str | None = None  # the form's placeholder, when `help` speaks of options

    @property
    def form_hint(self) -> str:
        """The placeholder a form shows (the help text unless a hint is given)."""
        return self.help if self.hint is None else self.hint

    def applies(self, values: Mapping[str, str]) -> bool:
        """Whether this field is relevant given the other values of the form."""
        if self.when is None:
            return True
        other, wanted = self.when
        return (values.get(other) or "") == wanted

    @property
    def option(self) -> str:
        """The command-line option of this field."""
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        """The argparse attribute that holds this field's option."""
        return self.option.lstrip("-").replace("-", "_")

    @property
    def description(self) -> str:
        """A one-line description for `--help` (the label when there is no help text)."""
        return self.help or self.label


@dataclass(frozen=True)
class ProviderSpec:
    """Everything the CLI and the TUI need to know about one provider, offline."""

    name: str  # "hashicorp", ...: the PROVIDER argument
    label: str  # "HashiCorp", ...: shown to people
    summary: str  # one line for `integration connect --help`
    connect_fields: tuple[Field, ...]
    link_fields: tuple[Field, ...]
    check_config: Check = _unchanged
    check_link: Check = _unchanged
    stdin_note: str = ""  # what `connect` reads on stdin, for --help

    def connect_field(self, name: str) -> Field:
        return next(f for f in self.connect_fields if f.name == name)


class InvalidConfigError(UsageError):
    """Connection settings for an integration are incomplete or inconsistent.

    A usage error (exit 2): the settings come from the user's flags or form. The message
    names the setting, never its value.
    """


def need(spec: ProviderSpec, values: Mapping[str, str], *names: str, why: str = "") -> None:
    """Raise InvalidConfigError for the first of these settings that is missing."""
    for name in names:
        if not values.get(name):
            raise InvalidConfigError(
                f"{spec.label} needs {spec.connect_field(name).label.lower()}{why}"
            )


def check_url(url: str, label: str, *, https_only: bool = False) -> None:
    """Refuse a URL that is malformed, of another scheme, hostless or carrying credentials."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise InvalidConfigError(f"{label} is not a valid URL") from None
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname:
        raise InvalidConfigError(f"{label} must be an {' or '.join(schemes)} URL with a host")
    if parts.username or parts.password:
        raise InvalidConfigError(f"{label} must not carry credentials; use the auth settings")

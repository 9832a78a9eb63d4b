"""Provider lookup, offline validation of links and connection settings, and form metadata.

Nothing here imports an SDK at module level: the CLI and the UI import this module to build
forms and validate input, and must start fast. Validation that needs an SDK (1Password's
reference parser, Azure's identifier parser) is delegated to the provider module, lazily.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.fields import Field, InvalidConfigError, ProviderSpec, check_url, need
from tui_vault.core.model import PROVIDERS, Link
from tui_vault.core.providers import Provider, safe_url

__all__ = [
    "CONFIG_FIELDS",
    "LINK_FIELDS",
    "PROVIDER_CLASSES",
    "FieldSpec",
    "InvalidConfigError",
    "check_url",
    "make_provider",
    "need",
    "provider_class",
    "provider_spec",
    "provider_specs",
    "safe_url",
    "validate_config",
    "validate_link",
]


# The providers, by PROVIDER argument: module and class. Adding a provider is one new module
# (whose class declares its `spec`) and one line here.
PROVIDER_CLASSES: dict[str, tuple[str, str]] = {
    "hashicorp": ("tui_vault.integrations.hashicorp", "HashiCorpProvider"),
    "aws": ("tui_vault.integrations.aws", "AwsProvider"),
    "azure": ("tui_vault.integrations.azure", "AzureProvider"),
    "1password": ("tui_vault.integrations.onepassword", "OnePasswordProvider"),
}

# The old name of Field, kept for callers and tests that still use it.
FieldSpec = Field


def provider_spec(name: str) -> ProviderSpec:
    """A provider's self-description (imports its module, not its SDK)."""
    return provider_class(name).spec


def provider_specs() -> list[ProviderSpec]:
    """Every provider's self-description, in the order of PROVIDER_CLASSES."""
    return [provider_spec(name) for name in PROVIDER_CLASSES]


class _FieldTable(Mapping[str, list[Field]]):
    """provider -> its connect (or link) fields, read from the providers' specs on use."""

    def __init__(self, which: str) -> None:
        self.which = which

    def __getitem__(self, provider: str) -> list[Field]:
        spec = provider_spec(provider) if provider in PROVIDER_CLASSES else None
        if spec is None:
            raise KeyError(provider)
        return list(spec.connect_fields if self.which == "connect" else spec.link_fields)

    def __iter__(self) -> Iterator[str]:
        return iter(PROVIDER_CLASSES)

    def __len__(self) -> int:
        return len(PROVIDER_CLASSES)


CONFIG_FIELDS: Mapping[str, list[Field]] = _FieldTable("connect")
LINK_FIELDS: Mapping[str, list[Field]] = _FieldTable("link")

_MAX_PARAM = 2048


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise InvalidSecretError(
            f"unknown provider {provider!r}: choose one of {', '.join(PROVIDERS)}"
        )


def provider_class(name: str) -> type[Provider]:
    """The provider class for a name, importing only its module (not yet its SDK)."""
    _check_provider(name)
    module_name, class_name = PROVIDER_CLASSES[name]
    cls: type[Provider] = getattr(importlib.import_module(module_name), class_name)
    return cls


def make_provider(
    name: str,
    config: Mapping[str, str],
    executor: Executor | None = None,
    timeout: float = 10.0,
    **kwargs: Any,
) -> Provider:
    """Build a connected-but-lazy provider: settings are validated, nothing is sent yet."""
    cleaned = validate_config(name, config)
    return provider_class(name)(cleaned, executor=executor, timeout=timeout, **kwargs)


def _clean(
    provider: str, values: Mapping[str, str], specs: Sequence[Field], what: str
) -> dict[str, str]:
    """Drop empty values, reject unknown names, strip whitespace around non-secret values."""
    known = {s.name: s for s in specs}
    out: dict[str, str] = {}
    for key, raw in values.items():
        if raw is None or raw == "":
            continue
        if key not in known:
            raise InvalidSecretError(
                f"unknown {what} {key!r} for {PROVIDERS[provider]}: "
                f"expected one of {', '.join(known)}"
            )
        if not isinstance(raw, str):
            raise InvalidSecretError(f"{what} {key!r} must be text")
        value = raw if known[key].secret else raw.strip()
        if value:
            out[key] = value
    return out


# ---------------------------------------------------------------------------- links


def validate_link(provider: str, params: Mapping[str, str]) -> Link:
    """Check a link's parameters offline and return the normalised Link.

    Raises InvalidSecretError naming the parameter that is wrong.
    """
    _check_provider(provider)
    spec = provider_spec(provider)
    p = _clean(provider, params, spec.link_fields, "link parameter")
    for field in spec.link_fields:
        if field.required and field.applies(p) and not p.get(field.name):
            raise InvalidSecretError(f"{spec.label} link needs {field.label.lower()}")
    for key, value in p.items():
        if len(value) > _MAX_PARAM:
            raise InvalidSecretError(f"link parameter {key!r} is too long")
        if any(ord(c) < 32 for c in value):
            raise InvalidSecretError(f"link parameter {key!r} contains control characters")
    return Link(provider=provider, params=spec.check_link(p))


def validate_config(provider: str, config: Mapping[str, str]) -> dict[str, str]:
    """Check connection settings offline; return them without empty values.

    Generic rules come from the provider's fields (choices, defaults of choices, required
    fields that apply, files that must exist); the provider's own check does the rest.
    Raises InvalidConfigError naming the missing or conflicting setting (never its value).
    """
    try:
        _check_provider(provider)
        spec = provider_spec(provider)
        c = _clean(provider, config, spec.connect_fields, "setting")
    except InvalidSecretError as e:
        raise InvalidConfigError(e.message) from None
    for field in spec.connect_fields:
        if field.choices and field.default and field.name not in c:
            c[field.name] = field.default
        value = c.get(field.name)
        if value and field.choices and value.lower() not in field.choices:
            raise InvalidConfigError(
                f"{spec.label} {field.label.lower()} {value!r} is not one of "
                f"{', '.join(field.choices)}"
            )
        if value and field.choices:
            c[field.name] = value.lower()
    for field in spec.connect_fields:
        if field.required and field.applies(c) and not c.get(field.name):
            why = ""
            if field.when is not None:
                other = spec.connect_field(field.when[0])
                why = f" for {field.when[1]} {other.label.lower()}"
            raise InvalidConfigError(f"{spec.label} needs {field.label.lower()}{why}")
        if field.path and c.get(field.name):
            path = Path(c[field.name]).expanduser()
            if not path.is_file():
                raise InvalidConfigError(
                    f"{spec.label} {field.label.lower()}: {path} is not a readable file"
                )
            c[field.name] = str(path)
    return spec.check_config(c)

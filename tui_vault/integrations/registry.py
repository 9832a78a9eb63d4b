"""Provider lookup, offline validation of links and connection settings, and form metadata.

Nothing here imports an SDK at module level: the CLI and the UI import this module to build
forms and validate input, and must start fast. Validation that needs an SDK (1Password's
reference parser, Azure's identifier parser) is delegated to the provider module, lazily.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import Any
from urllib.parse import urlsplit

from tui_vault.core.errors import InvalidSecretError, UsageError
from tui_vault.core.model import PROVIDERS, Link
from tui_vault.core.providers import FieldSpec, Provider, safe_url

__all__ = [
    "CONFIG_FIELDS",
    "LINK_FIELDS",
    "FieldSpec",
    "InvalidConfigError",
    "make_provider",
    "provider_class",
    "safe_url",
    "validate_config",
    "validate_link",
]


class InvalidConfigError(UsageError):
    """Connection settings for an integration are incomplete or inconsistent.

    A usage error (exit 2): the settings come from the user's flags or form. The message
    names the setting, never its value.
    """


HASHICORP_AUTH_METHODS = ("token", "approle", "userpass")

CONFIG_FIELDS: dict[str, list[FieldSpec]] = {
    "hashicorp": [
        FieldSpec("url", "Server URL", required=True, help="e.g. https://vault.example.com:8200"),
        FieldSpec("namespace", "Namespace", help="Vault Enterprise / OpenBao namespace"),
        FieldSpec(
            "auth",
            "Auth method",
            required=True,
            choices=HASHICORP_AUTH_METHODS,
            default="token",
        ),
        FieldSpec("token", "Token", required=True, secret=True, when=("auth", "token")),
        FieldSpec("role_id", "Role ID", required=True, when=("auth", "approle")),
        FieldSpec("secret_id", "Secret ID", required=True, secret=True, when=("auth", "approle")),
        FieldSpec("username", "Username", required=True, when=("auth", "userpass")),
        FieldSpec("password", "Password", required=True, secret=True, when=("auth", "userpass")),
        FieldSpec(
            "auth_mount",
            "Auth mount path",
            help="where the AppRole/userpass method is mounted (default: its name)",
            advanced=True,
        ),
        FieldSpec("ca_bundle", "CA bundle (PEM path)", advanced=True),
    ],
    "aws": [
        FieldSpec("region", "Region", required=True, default="us-east-1"),
        FieldSpec("profile", "Profile", help="a profile from ~/.aws; leave empty for keys"),
        FieldSpec("access_key_id", "Access key ID"),
        FieldSpec("secret_access_key", "Secret access key", secret=True),
        FieldSpec("session_token", "Session token", secret=True, advanced=True),
        FieldSpec(
            "endpoint_url",
            "Endpoint URL",
            help="custom endpoint for Secrets Manager and STS",
            advanced=True,
        ),
    ],
    "azure": [
        FieldSpec(
            "tenant_id", "Tenant ID", help="leave all three empty for DefaultAzureCredential"
        ),
        FieldSpec("client_id", "Client ID"),
        FieldSpec("client_secret", "Client secret", secret=True),
        FieldSpec("ca_bundle", "CA bundle (PEM path)", advanced=True),
        FieldSpec(
            "authority",
            "Authority host",
            help="token endpoint host for sovereign clouds or test servers",
            advanced=True,
        ),
        FieldSpec(
            "verify_challenge_resource",
            "Verify challenge resource",
            choices=("true", "false"),
            default="true",
            help="'false' only for vaults outside *.vault.azure.net (e.g. a local emulator)",
            advanced=True,
        ),
    ],
    "1password": [
        FieldSpec("token", "Service account token", required=True, secret=True),
    ],
}

LINK_FIELDS: dict[str, list[FieldSpec]] = {
    "hashicorp": [
        FieldSpec("engine", "Engine (mount)", required=True, default="secret"),
        FieldSpec("path", "Path", required=True),
        FieldSpec("key", "Key", required=True),
    ],
    "aws": [
        FieldSpec("secret_id", "Secret name or ARN", required=True),
        FieldSpec("json_key", "JSON key", help="take this key of a JSON secret"),
        FieldSpec("version_id", "Version ID"),
        FieldSpec("version_stage", "Version stage", help="e.g. AWSCURRENT or AWSPREVIOUS"),
        FieldSpec("role_arn", "Role ARN to assume"),
    ],
    "azure": [
        FieldSpec(
            "secret_id",
            "Secret identifier",
            required=True,
            help="https://VAULT.vault.azure.net/secrets/NAME[/VERSION]",
        ),
    ],
    "1password": [
        FieldSpec("ref", "Secret reference", required=True, help="op://vault/item[/section]/field"),
    ],
}

_MODULES: dict[str, tuple[str, str]] = {
    "hashicorp": ("tui_vault.integrations.hashicorp", "HashiCorpProvider"),
    "aws": ("tui_vault.integrations.aws", "AwsProvider"),
    "azure": ("tui_vault.integrations.azure", "AzureProvider"),
    "1password": ("tui_vault.integrations.onepassword", "OnePasswordProvider"),
}

_ROLE_ARN_RE = re.compile(r"\Aarn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+\Z")
_AWS_SECRET_ID_RE = re.compile(r"\A[\w/+=.@:-]+\Z")
_MAX_PARAM = 2048


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise InvalidSecretError(
            f"unknown provider {provider!r}: choose one of {', '.join(PROVIDERS)}"
        )


def provider_class(name: str) -> type[Provider]:
    """The provider class for a name, importing only its module (not yet its SDK)."""
    _check_provider(name)
    module_name, class_name = _MODULES[name]
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
    provider: str, values: Mapping[str, str], specs: list[FieldSpec], what: str
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
    p = _clean(provider, params, LINK_FIELDS[provider], "link parameter")
    for spec in LINK_FIELDS[provider]:
        if spec.required and not p.get(spec.name):
            raise InvalidSecretError(f"{PROVIDERS[provider]} link needs {spec.label.lower()}")
    for key, value in p.items():
        if len(value) > _MAX_PARAM:
            raise InvalidSecretError(f"link parameter {key!r} is too long")
        if any(ord(c) < 32 for c in value):
            raise InvalidSecretError(f"link parameter {key!r} contains control characters")
    if provider == "hashicorp":
        p = _validate_hashicorp_link(p)
    elif provider == "aws":
        _validate_aws_link(p)
    elif provider == "azure":
        from tui_vault.integrations.azure import parse_secret_id

        vault_url, name, version = parse_secret_id(p["secret_id"])
        p["secret_id"] = f"{vault_url}/secrets/{name}" + (f"/{version}" if version else "")
    else:
        from tui_vault.integrations.onepassword import validate_ref

        validate_ref(p["ref"])
    return Link(provider=provider, params=p)


def _validate_hashicorp_link(p: dict[str, str]) -> dict[str, str]:
    engine = p["engine"].strip("/")
    path = p["path"].strip("/")
    if not engine:
        raise InvalidSecretError("HashiCorp link needs an engine (mount path)")
    if not path:
        raise InvalidSecretError("HashiCorp link needs a secret path")
    for label, value in (("engine", engine), ("path", path)):
        segments = value.split("/")
        if any(s in ("", ".", "..") for s in segments):
            raise InvalidSecretError(
                f"HashiCorp {label} {value!r} has an empty or relative segment"
            )
    return {**p, "engine": engine, "path": path}


def _validate_aws_link(p: dict[str, str]) -> None:
    if p.get("version_id") and p.get("version_stage"):
        raise InvalidSecretError("AWS link: give a version id or a version stage, not both")
    sid = p["secret_id"]
    if not _AWS_SECRET_ID_RE.match(sid):
        raise InvalidSecretError(
            f"AWS secret id {sid!r} may only contain letters, digits and /_+=.@-:"
        )
    if sid.startswith("arn:") and ":secretsmanager:" not in sid:
        raise InvalidSecretError(f"AWS secret id {sid!r} is an ARN but not a Secrets Manager one")
    role = p.get("role_arn")
    if role and not _ROLE_ARN_RE.match(role):
        raise InvalidSecretError(
            f"AWS role ARN {role!r} is not of the form arn:aws:iam::ACCOUNT:role/NAME"
        )
    for key in ("version_id", "version_stage"):
        value = p.get(key)
        if value and not re.match(r"^[\w.-]+$", value):
            raise InvalidSecretError(f"AWS {key.replace('_', ' ')} {value!r} is not valid")


# ---------------------------------------------------------------------------- config


def validate_config(provider: str, config: Mapping[str, str]) -> dict[str, str]:
    """Check connection settings offline; return them without empty values.

    Raises InvalidConfigError naming the missing or conflicting setting (never its value).
    """
    try:
        _check_provider(provider)
        c = _clean(provider, config, CONFIG_FIELDS[provider], "setting")
    except InvalidSecretError as e:
        raise InvalidConfigError(e.message) from None
    label = PROVIDERS[provider]

    def need(*names: str, why: str = "") -> None:
        for n in names:
            if not c.get(n):
                spec = next(s for s in CONFIG_FIELDS[provider] if s.name == n)
                raise InvalidConfigError(f"{label} needs {spec.label.lower()}{why}")

    if provider == "hashicorp":
        need("url")
        _check_url(c["url"], "HashiCorp server URL", provider)
        c["url"] = c["url"].rstrip("/")
        method = c.setdefault("auth", "token")
        if method not in HASHICORP_AUTH_METHODS:
            choices = ", ".join(HASHICORP_AUTH_METHODS)
            raise InvalidConfigError(f"HashiCorp auth method {method!r} is not one of {choices}")
        required = {"token": ("token",), "approle": ("role_id", "secret_id")}
        need(*required.get(method, ("username", "password")), why=f" for {method} auth")
        if c.get("namespace"):
            c["namespace"] = c["namespace"].strip("/")
    elif provider == "aws":
        need("region")
        if not re.match(r"^[a-z]{2}(-[a-z]+)+-\d+$", c["region"]):
            raise InvalidConfigError(f"AWS region {c['region']!r} is not a region name")
        if c.get("profile") and c.get("access_key_id"):
            raise InvalidConfigError("AWS: use a profile or an access key, not both")
        if c.get("access_key_id") or c.get("secret_access_key"):
            need("access_key_id", "secret_access_key", why=" (both keys are needed)")
        if c.get("session_token") and not c.get("access_key_id"):
            raise InvalidConfigError("AWS: a session token needs an access key id and secret")
        if c.get("endpoint_url"):
            _check_url(c["endpoint_url"], "AWS endpoint URL", provider)
    elif provider == "azure":
        trio = ("tenant_id", "client_id", "client_secret")
        if any(c.get(n) for n in trio):
            need(*trio, why=" (client-secret sign-in needs tenant, client id and secret)")
        if c.get("tenant_id") and not re.match(r"^[\w.-]+$", c["tenant_id"]):
            raise InvalidConfigError("Azure tenant id may only contain letters, digits, '.-_'")
        if c.get("authority"):
            authority = c["authority"]
            if "://" not in authority:
                authority = f"https://{authority}"
            _check_url(authority, "Azure authority", provider, https_only=True)
            c["authority"] = authority.rstrip("/")
        flag = c.get("verify_challenge_resource", "true").lower()
        if flag not in ("true", "false"):
            raise InvalidConfigError("Azure verify_challenge_resource must be true or false")
        c["verify_challenge_resource"] = flag
    else:
        need("token")
        if not c["token"].startswith("ops_"):
            raise InvalidConfigError(
                "1Password needs a service account token (it starts with 'ops_')"
            )
    return c


def _check_url(url: str, label: str, provider: str, *, https_only: bool = False) -> None:
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

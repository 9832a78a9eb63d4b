"""Integrations import their SDKs lazily, and the registry validates offline.

Importing a provider module, building a provider, or building forms from the registry must
not import any SDK (nor Textual): the CLI starts fast and the SDKs load only when a provider
first talks to its server. Each check runs in a fresh interpreter so nothing is cached.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tui_vault.core.errors import InvalidSecretError, UsageError
from tui_vault.integrations.registry import (
    CONFIG_FIELDS,
    LINK_FIELDS,
    FieldSpec,
    InvalidConfigError,
    validate_config,
    validate_link,
)

pytestmark = pytest.mark.timeout(120)

SDK_ROOTS = (
    "hvac",
    "boto3",
    "botocore",
    "azure",
    "msal",
    "onepassword",
    "requests",
    "pydantic",
    "textual",
)
MODULES = ["base", "registry", "hashicorp", "aws", "azure", "onepassword"]


def imported_sdks(code: str) -> list[str]:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"roots = {SDK_ROOTS!r}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(roots))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    result: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("module", MODULES)
def test_importing_a_module_imports_no_sdk(module: str) -> None:
    assert imported_sdks(f"import tui_vault.integrations.{module}") == []


def test_building_providers_imports_no_sdk() -> None:
    code = """
from tui_vault.integrations.registry import make_provider, CONFIG_FIELDS, LINK_FIELDS
make_provider("hashicorp", {"url": "http://127.0.0.1:1", "token": "t"}).close()
make_provider("aws", {"region": "us-east-1", "access_key_id": "a", "secret_access_key": "b"})
make_provider("azure", {"tenant_id": "t", "client_id": "c", "client_secret": "s"})
make_provider("1password", {"token": "ops_x"})
"""
    assert imported_sdks(code) == []


def test_offline_link_validation_imports_no_sdk_for_hashicorp_and_aws() -> None:
    code = """
from tui_vault.integrations.registry import validate_link
validate_link("hashicorp", {"engine": "secret", "path": "a/b", "key": "k"})
validate_link("aws", {"secret_id": "prod/db", "json_key": "password"})
"""
    assert imported_sdks(code) == []


# ----------------------------------------------------------------------------- links


def test_hashicorp_link_normalised_and_empty_params_dropped() -> None:
    link = validate_link(
        "hashicorp", {"engine": "/secret/", "path": "/app/db/", "key": "pw", "unused": ""}
    )
    assert link.provider == "hashicorp"
    assert link.params == {"engine": "secret", "path": "app/db", "key": "pw"}


@pytest.mark.parametrize(
    "params",
    [
        {"engine": "secret", "path": "app"},
        {"engine": "", "path": "app", "key": "k"},
        {"engine": "secret", "path": "a/../b", "key": "k"},
        {"engine": "secret", "path": "a//b", "key": "k"},
        {"engine": "secret", "path": "app", "key": "k", "bogus": "x"},
        {"engine": "secret", "path": "app\n", "key": "k\x00"},
    ],
)
def test_hashicorp_bad_links(params: dict[str, str]) -> None:
    with pytest.raises(InvalidSecretError):
        validate_link("hashicorp", params)


def test_aws_links() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
    assert validate_link("aws", {"secret_id": arn, "version_stage": ""}).params == {
        "secret_id": arn
    }
    full = {
        "secret_id": "prod/db",
        "json_key": "password",
        "version_stage": "AWSPREVIOUS",
        "role_arn": "arn:aws:iam::123456789012:role/reader",
    }
    assert validate_link("aws", full).params == full


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"secret_id": "x", "version_id": "v1", "version_stage": "AWSCURRENT"}, "not both"),
        ({"secret_id": ""}, "secret name or arn"),
        ({"secret_id": "bad name"}, "only contain"),
        ({"secret_id": "arn:aws:s3:::bucket"}, "Secrets Manager"),
        ({"secret_id": "x", "role_arn": "reader"}, "role/NAME"),
    ],
)
def test_aws_bad_links(params: dict[str, str], match: str) -> None:
    with pytest.raises(InvalidSecretError, match=match):
        validate_link("aws", params)


def test_unknown_provider() -> None:
    with pytest.raises(InvalidSecretError, match="unknown provider"):
        validate_link("gcp", {"x": "y"})


# ----------------------------------------------------------------------------- config


def test_hashicorp_config() -> None:
    c = validate_config(
        "hashicorp", {"url": " https://vault:8200/ ", "auth": "approle", "role_id": "r",
                      "secret_id": "s", "token": ""}
    )  # fmt: skip
    assert c == {"url": "https://vault:8200", "auth": "approle", "role_id": "r", "secret_id": "s"}
    assert validate_config("hashicorp", {"url": "http://v", "token": "t"})["auth"] == "token"


@pytest.mark.parametrize(
    ("provider", "config", "match"),
    [
        ("hashicorp", {"url": "http://v", "auth": "userpass", "username": "u"}, "password"),
        ("hashicorp", {"url": "http://v", "auth": "approle", "role_id": "r"}, "secret id"),
        ("hashicorp", {"url": "http://v", "auth": "oidc"}, "auth method"),
        ("hashicorp", {"url": "ftp://v", "token": "t"}, "http"),
        ("hashicorp", {"url": "https://user:pw@v", "token": "t"}, "credentials"),
        ("hashicorp", {"token": "t"}, "server url"),
        ("aws", {"access_key_id": "a", "secret_access_key": "b"}, "region"),
        ("aws", {"region": "us-east-1", "access_key_id": "a"}, "secret access key"),
        ("aws", {"region": "us-east-1", "profile": "p", "access_key_id": "a"}, "not both"),
        ("aws", {"region": "nowhere"}, "region"),
        ("aws", {"region": "us-east-1", "session_token": "t"}, "session token"),
        ("azure", {"tenant_id": "t", "client_id": "c"}, "client secret"),
        ("azure", {"authority": "http://login.example"}, "https"),
        ("1password", {}, "token"),
        ("1password", {"token": "not-a-service-token"}, "ops_"),
        ("aws", {"region": "us-east-1", "colour": "blue"}, "unknown setting"),
    ],
)
def test_bad_configs(provider: str, config: dict[str, str], match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match) as info:
        validate_config(provider, config)
    assert isinstance(info.value, UsageError)


def test_config_errors_never_show_values() -> None:
    marker = "SUPERSECRETVALUE"
    cases = [
        ("hashicorp", {"url": "https://user:pw@v", "token": marker}),
        ("aws", {"region": "us-east-1", "secret_access_key": marker}),
        ("azure", {"client_secret": marker}),
        ("1password", {"token": marker}),
    ]
    for provider, config in cases:
        with pytest.raises(InvalidConfigError) as info:
            validate_config(provider, config)
        assert marker not in str(info.value) and marker not in repr(info.value)


def test_secret_values_are_kept_verbatim() -> None:
    c = validate_config("azure", {"tenant_id": " t ", "client_id": "c", "client_secret": " s "})
    assert c["tenant_id"] == "t" and c["client_secret"] == " s "
    assert c["verify_challenge_resource"] == "true"


def test_azure_authority_gets_https() -> None:
    c = validate_config("azure", {"authority": "login.microsoftonline.us/"})
    assert c["authority"] == "https://login.microsoftonline.us"


# ----------------------------------------------------------------------------- forms


def test_field_specs_cover_every_provider() -> None:
    for table in (CONFIG_FIELDS, LINK_FIELDS):
        assert set(table) == {"hashicorp", "aws", "azure", "1password"}
        for specs in table.values():
            names = [s.name for s in specs]
            assert len(names) == len(set(names))
            assert all(isinstance(s, FieldSpec) and s.label for s in specs)


def test_secret_fields_are_marked() -> None:
    secret = {(p, s.name) for p, specs in CONFIG_FIELDS.items() for s in specs if s.secret}
    assert secret == {
        ("hashicorp", "token"),
        ("hashicorp", "secret_id"),
        ("hashicorp", "password"),
        ("aws", "secret_access_key"),
        ("aws", "session_token"),
        ("azure", "client_secret"),
        ("1password", "token"),
    }


def test_conditional_fields() -> None:
    role_id = next(s for s in CONFIG_FIELDS["hashicorp"] if s.name == "role_id")
    assert role_id.applies({"auth": "approle"})
    assert not role_id.applies({"auth": "token"})
    url = next(s for s in CONFIG_FIELDS["hashicorp"] if s.name == "url")
    assert url.applies({})

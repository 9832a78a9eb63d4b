"""Names, allowed domains (wildcards, schemes, ports), links and (de)serialisation."""

from __future__ import annotations

import pytest

from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.model import (
    Link,
    Secret,
    VaultData,
    domain_allowed,
    parse_domains,
    validate_name,
)

MARKER = "MARKER-7f3a9c-SECRET"


@pytest.mark.parametrize("name", ["A", "api_key", "db.password", "x-1", "a" * 128, "0", "..."])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "a b", "a/b", "a:b", "{{x}}", "é", "a" * 129, "tab\t", "new\nline", "a$", "*"],
)
def test_invalid_names(name: str) -> None:
    with pytest.raises(InvalidSecretError):
        validate_name(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, []),
        ("", []),
        (" , ,", []),
        ("Example.COM", ["example.com"]),
        ("a.com, b.com,a.com", ["a.com", "b.com"]),
        ("*.example.com", ["*.example.com"]),
        ("https://api.example.com/path?q=1", ["https://api.example.com"]),
        ("api.example.com:8443", ["api.example.com:8443"]),
        ("http://*.example.com:8080", ["http://*.example.com:8080"]),
        (["x.io", " Y.io "], ["x.io", "y.io"]),
        ("localhost", ["localhost"]),
        ("10.0.0.1:9000", ["10.0.0.1:9000"]),
    ],
)
def test_parse_domains(text: str | list[str] | None, expected: list[str]) -> None:
    assert parse_domains(text) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "*",
        "*.",
        "foo*.com",
        "a.*.com",
        "a b.com",
        "https://",
        "ex_ample.com",
        "exämple.com",
        "**.example.com",
        "example.com:",
        "example.com:http",
        "example.com:99999",
    ],
)
def test_invalid_domains_are_refused(bad: str) -> None:
    with pytest.raises(InvalidSecretError) as info:
        parse_domains(f"ok.com,{bad}")
    assert "invalid allowed domain" in str(info.value)


@pytest.mark.parametrize(
    ("allowed", "url", "ok"),
    [
        ([], None, True),
        ([], "https://anything.test", True),
        (["example.com"], None, False),
        (["example.com"], "", False),
        (["example.com"], "https://example.com/x", True),
        (["example.com"], "https://EXAMPLE.com", True),
        (["example.com"], "example.com", True),
        (["example.com"], "https://api.example.com", False),
        (["example.com"], "https://example.com.evil.io", False),
        # userinfo is refused outright (a URL parser differential: see parse_url)
        (["example.com"], "https://user@example.com:444/x", False),
        (["*.example.com"], "https://api.example.com", True),
        (["*.example.com"], "https://a.b.example.com", True),
        (["*.example.com"], "https://example.com", False),
        (["*.example.com"], "https://evilexample.com", False),
        (["*.example.com"], "https://example.com.evil.io", False),
        (["https://example.com"], "https://example.com", True),
        (["https://example.com"], "http://example.com", False),
        (["example.com:8443"], "https://example.com:8443/x", True),
        (["example.com:8443"], "https://example.com/x", False),
        (["example.com:8443"], "https://example.com:9443", False),
        (["example.com:443"], "https://example.com/x", True),
        (["example.com:80"], "http://example.com/x", True),
        (["https://*.example.com:8443"], "https://a.example.com:8443", True),
        (["https://*.example.com:8443"], "http://a.example.com:8443", False),
        (["a.io", "b.io"], "https://b.io", True),
    ],
)
def test_domain_allowed(allowed: list[str], url: str | None, ok: bool) -> None:
    assert domain_allowed(allowed, url) is ok


@pytest.mark.parametrize(
    "url", ["https://example.com:99999/", "https://example.com:abc", "http://[::1", "://"]
)
def test_malformed_urls_are_not_allowed_and_do_not_crash(url: str) -> None:
    assert domain_allowed(["example.com"], url) is False


def test_link_fingerprint_identity() -> None:
    a = Link("aws", {"secret_id": "db", "json_key": ""})
    b = Link("aws", {"json_key": "", "secret_id": "db"})
    c = Link("aws", {"secret_id": "db", "json_key": "password"})
    d = Link("azure", {"secret_id": "db"})
    assert a.fingerprint == b.fingerprint == Link("aws", {"secret_id": "db"}).fingerprint
    assert len({a.fingerprint, c.fingerprint, d.fingerprint}) == 3


def test_link_needs_a_known_provider() -> None:
    with pytest.raises(InvalidSecretError) as info:
        Link("keepass", {})
    assert "unknown provider" in str(info.value)


@pytest.mark.parametrize(
    ("link", "text"),
    [
        (
            Link("hashicorp", {"engine": "secret", "path": "app/db", "key": "pw"}),
            "secret/app/db#pw",
        ),
        (Link("aws", {"secret_id": "prod/db", "json_key": "password"}), "prod/db#password"),
        (Link("azure", {"secret_id": "https://v.vault.azure.net/secrets/s"}), "https://v."),
        (Link("1password", {"ref": "op://v/i/f"}), "op://v/i/f"),
    ],
)
def test_link_describe(link: Link, text: str) -> None:
    assert link.describe().startswith(text)


def test_secret_json_round_trip() -> None:
    s = Secret(
        "A",
        "v",
        enabled=False,
        allowed_domains=["*.x.io"],
        created=1.5,
        updated=2.5,
    )
    assert Secret.from_json(s.to_json()) == s
    linked = Secret("L", link=Link("1password", {"ref": "op://a/b/c"}), created=1, updated=1)
    assert Secret.from_json(linked.to_json()) == linked
    assert linked.source == "1password" and s.source == "local"


def test_linked_secret_drops_a_local_value() -> None:
    raw = Secret("L", link=Link("aws", {"secret_id": "x"})).to_json() | {"value": MARKER}
    assert Secret.from_json(raw).value == ""


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {},
        {"name": 5},
        {"name": "bad name"},
        {"name": "A", "value": 5},
        {"name": "A", "value": MARKER, "enabled": "yes"},
        {"name": "A", "value": MARKER, "allowed_domains": [1]},
        {"name": "A", "value": MARKER, "allowed_domains": "*"},
        {"name": "A", "value": MARKER, "link": "aws"},
        {"name": "A", "value": MARKER, "link": {"provider": "x", "params": {}}},
        {"name": "A", "value": MARKER, "link": {"provider": "aws", "params": {"a": 1}}},
        {"name": "A", "value": MARKER, "created": "yesterday"},
    ],
)
def test_bad_secret_json_is_refused_without_the_value(raw: object) -> None:
    with pytest.raises(InvalidSecretError) as info:
        Secret.from_json(raw)
    assert MARKER not in str(info.value)


def test_touched_updates_time_only() -> None:
    s = Secret("A", "v", created=1.0, updated=1.0)
    t = s.touched(value="w")
    assert t.created == 1.0 and t.updated > 1.0 and t.value == "w"


def test_vault_data_json() -> None:
    data = VaultData(
        secrets={"A": Secret("A", "1", created=1, updated=2)},
        integrations={"aws": {"region": "r"}},
    )
    assert VaultData.from_json(data.to_json()) == data
    with pytest.raises(InvalidSecretError):
        VaultData.from_json({"secrets": {}})
    with pytest.raises(InvalidSecretError):
        VaultData.from_json({"secrets": [], "integrations": []})


@pytest.mark.parametrize("name", ["abc\n", "abc\r\n", "\nabc", "a\nb"])
def test_a_name_with_a_newline_is_refused(name: str) -> None:
    with pytest.raises(InvalidSecretError):
        validate_name(name)

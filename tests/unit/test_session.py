"""The one session core (core/session.py) the CLI and the TUI stand on: built with the
provider factory it is given, it resolves, connects, disconnects, forgets and clears."""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import Executor

import pytest

from tui_vault.core.errors import VaultError
from tui_vault.core.model import Link, Reason
from tui_vault.core.providers import NeedsReauth, Provider
from tui_vault.core.session import Session
from tui_vault.core.status import secret_health
from tui_vault.core.vault import Vault

MARKER = "MARKER-7f3a9c-SECRET"
AWS = Link("aws", {"secret_id": "db"})


class Fake(Provider):
    """Answers `secret_id` params from `values`; `reauth` refuses the credentials."""

    name = "aws"
    label = "Fake"
    values: dict[str, str] = {}
    built: list[str] = []

    async def fetch(self, link: Link) -> str:
        sid = link.params["secret_id"]
        if sid == "reauth":
            raise NeedsReauth("token expired")
        return self.values[sid]

    async def verify(self) -> None:
        if self.config.get("region") == "bad":
            raise NeedsReauth("token expired")


def factory(
    name: str, config: Mapping[str, str], executor: Executor | None = None, timeout: float = 10.0
) -> Provider:
    Fake.built.append(name)
    return Fake(config, executor, timeout)


@pytest.fixture
def session(vault: Vault) -> Session:
    Fake.values, Fake.built = {"db": MARKER, "": ""}, []
    vault.set_value("LOCAL", "v")
    vault.link("L", AWS)
    vault.link("R", Link("aws", {"secret_id": "reauth"}))
    vault.set_integration("aws", {"region": "eu-west-1"})
    return Session(vault, factory, expiration_minutes=60, fetch_timeout_seconds=2)


def test_a_local_get_needs_no_resolver(session: Session) -> None:
    assert session.resolve_blocking(["LOCAL"])["LOCAL"].value == "v"
    assert session._resolver is None and Fake.built == []


def test_resolve_with_the_factory_given_then_from_the_cache(session: Session) -> None:
    first = session.resolve_blocking(["L", "LOCAL"])
    assert first["L"].value == MARKER and Fake.built == ["aws"]
    session.close()
    again = Session(session.vault, factory).resolve_blocking(["L"])["L"]
    assert again.value == MARKER and again.origin == "cache"


async def test_owner_resolutions_are_kept_and_shape_health(session: Session) -> None:
    results = await session.resolve_for_owner(["L", "R"])
    assert session.resolutions == results
    assert session.needs_reauth == {"aws"}
    health = session.health(session.vault.get("R"))
    assert health.status == f"unresolved: {Reason.NEEDS_REAUTH.value}"
    assert health.blocking and health.fix == "integrations"
    assert [p.name for p in session.problems()] == ["L", "R"]  # same provider: both
    session.forget("R")
    assert "R" not in session.resolutions
    session.connection_changed("aws")
    assert session.resolutions == {} and session.needs_reauth == set()
    session.close()


async def test_connect_checks_then_drops_what_was_fetched(session: Session) -> None:
    await session.resolve_for_owner(["L"])
    assert session.cache.peek(AWS.fingerprint) is not None
    with pytest.raises(VaultError, match="needs re-authentication"):
        await session.verify("aws", {"region": "bad"})
    session.connect("aws", {"region": "us-east-1"})
    assert session.vault.data.integrations["aws"] == {"region": "us-east-1"}
    assert session.cache.peek(AWS.fingerprint) is None
    assert session.disconnect("aws") is True and session.disconnect("aws") is False
    assert (await session.resolve(["L"]))["L"].reason == Reason.DISCONNECTED
    session.close()


def test_reset_cache_and_clear(session: Session) -> None:
    session.resolve_blocking(["L"])
    assert session.reset_cache() is True and session.reset_cache() is False
    assert session.cache.peek(AWS.fingerprint) is None
    assert session.clear() == 3 and session.vault.data.secrets == {}
    assert "aws" in session.vault.data.integrations  # the integrations stay
    session.close()


def test_status_row_is_list_json_and_never_a_value(session: Session) -> None:
    session.resolve_blocking(["L"])
    row = session.status_row("L")
    assert row["state"] == "cached" and row["source"] == "aws"
    assert MARKER not in json.dumps(row)
    session.configure(expiration_minutes=0, fetch_timeout_seconds=1)
    assert session.status_row("L")["state"] == "expired"
    session.close()


def test_one_health_answer_for_every_state(vault: Vault) -> None:
    vault.set_value("OK", "v")
    vault.set_value("EMPTY", "")
    vault.set_value("OFF", "v", enabled=False)
    vault.set_value("DOM", "v", allowed_domains="x.io")
    vault.link("GONE", Link("hashicorp", {"engine": "e", "path": "p", "key": "k"}))

    def health(name: str) -> tuple[str, str, str | None, bool]:
        h = secret_health(vault, vault.get(name), None, 3600)
        return h.status, h.reason, h.fix, h.blocking

    assert health("OK") == ("ok", "", None, False)
    assert health("EMPTY") == ("empty", "empty", "edit", True)
    assert health("OFF") == ("unresolved: disabled", "disabled", "enable", True)
    assert health("DOM") == ("ok", "only for x.io", "edit", False)
    assert health("GONE") == (
        "unresolved: integration disconnected",
        "integration disconnected (HashiCorp)",
        "integrations",
        True,
    )

"""`list --json` builds its rows in one pass (core/status.py: status_rows_json): each row's
text must be exactly what the old encoder wrote, `json.dumps(secret_status(...))`, joined by
the old `write_json_array`, on hostile names, domains, times and values too."""

from __future__ import annotations

import contextlib
import io
import json
import math
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_vault.cli.common import write_json_texts
from tui_vault.core.cache import Cache
from tui_vault.core.model import Link, Secret, VaultData
from tui_vault.core.status import secret_status, status_rows_json
from tui_vault.core.vault import Vault

# Names and domains as no vault file would hold them (Secret objects can still be built
# with them): quotes, backslashes, control characters, non-ASCII, lone surrogates.
HOSTILE = st.text(max_size=12) | st.sampled_from(
    ['a"b', "a\\b", "\x00\x1f\x7f", "é∂😀", "\ud800", "\u2028", "</script>"]
)
TIMES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from([0.0, -0.0, 1e16, 1.5e-7, 1733000000.123456, 2.0**53]),
)


def _old_output(rows: list[dict[str, Any]]) -> str:
    """The encoder `list --json` had before (cli/common.py write_json_array)."""
    out = io.StringIO()
    out.write("[\n" if rows else "[")
    out.write(",\n".join(json.dumps(r) for r in rows))
    out.write("\n]\n" if rows else "]\n")
    return out.getvalue()


def _new_output(texts: list[str]) -> str:
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        write_json_texts(texts)
    return sink.getvalue()


def _secret(draw: st.DrawFn, i: int) -> Secret:
    link = draw(st.none() | st.just(Link("aws", {"secret_id": draw(HOSTILE)})))
    return Secret(
        name=f"{draw(HOSTILE)}#{i}",  # unique
        value=draw(st.sampled_from(["", "v", 'x"\\\n'])),
        enabled=draw(st.booleans()),
        allowed_domains=draw(st.lists(HOSTILE, max_size=3)),
        link=link,
        created=draw(TIMES),
        updated=draw(TIMES),
    )


@st.composite
def vault_contents(draw: st.DrawFn) -> list[Secret]:
    return [_secret(draw, i) for i in range(draw(st.integers(0, 6)))]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(contents=vault_contents())
def test_rows_are_byte_for_byte_the_old_encoder(vault: Vault, contents: list[Secret]) -> None:
    vault.data = VaultData(secrets={s.name: s for s in contents}, integrations={"aws": {}})
    cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    now = time.time()
    names = vault.names()
    old = [secret_status(vault, cache, 3600, n, now) for n in names]
    new = status_rows_json(vault, cache, 3600, names, now)
    assert new == [json.dumps(r) for r in old]
    assert _new_output(new) == _old_output(old)


def test_local_rows_take_the_template_and_match(vault: Vault) -> None:
    vault.set_value("PLAIN", "v")
    vault.set_value("EMPTY", "")
    vault.set_value("OFF", "v", enabled=False)
    vault.set_value("WEB", "v", allowed_domains='*.example.com, h"é\x01://x.io:8443')
    vault.link("L", Link("aws", {"secret_id": "db"}))
    names = vault.names()
    now = time.time()
    old = [secret_status(vault, None, 60, n, now) for n in names]
    assert status_rows_json(vault, None, 60, names, now) == [json.dumps(r) for r in old]
    assert "\\u00e9" in json.dumps(old)  # the escaping was exercised
    assert {r["state"] for r in old} == {"ok", "empty", "disabled", "disconnected"}


def test_unusual_times_fall_back_to_json_dumps(vault: Vault) -> None:
    for i, t in enumerate([math.inf, -math.inf, math.nan, 7, 1e300]):
        vault.data.secrets[f"S{i}"] = Secret(f"S{i}", "v", created=t, updated=t)  # type: ignore[arg-type]
    names = vault.names()
    old = [json.dumps(secret_status(vault, None, 60, n, 1.0)) for n in names]
    assert status_rows_json(vault, None, 60, names, 1.0) == old
    assert any("Infinity" in r for r in old) and any("NaN" in r for r in old)


def test_empty_vault_output(vault: Vault) -> None:
    assert _new_output(status_rows_json(vault, None, 60, [], 1.0)) == _old_output([]) == "[]\n"


class _Session:
    """What write_rows_json uses of a Session, over a vault; records each `now` it gets."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.nows: list[float | None] = []

    def status_rows_json(
        self,
        names: list[str],
        now: float | None = None,
        secrets: list[Secret] | None = None,
        first: int | None = None,
    ) -> list[str]:
        self.nows.append(now)
        if secrets is not None:  # handed over with their names, in the same order
            assert [s.name for s in secrets] == names
        return status_rows_json(self.vault, None, 60, names, now, secrets=secrets, first=first)


@pytest.mark.parametrize("count", [0, 1, 4095, 4096, 4097, 9000])
def test_list_writes_the_rows_a_chunk_at_a_time_with_the_same_bytes(
    vault: Vault, count: int
) -> None:
    from tui_vault.cli import secrets as cli_secrets

    contents = [Secret(f"s{i:05d}", "v" if i % 3 else "", i % 7 != 0) for i in range(count)]
    contents += [Secret("linked", link=Link("aws", {"secret_id": "x"}))] if count else []
    vault.data = VaultData(secrets={s.name: s for s in contents}, integrations={"aws": {}})
    session = _Session(vault)
    names = vault.names()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        cli_secrets.write_rows_json(session)  # type: ignore[arg-type]
    now = session.nows[0] if session.nows else 1.0
    assert sink.getvalue() == _new_output(status_rows_json(vault, None, 60, names, now))
    assert len(set(session.nows)) <= 1 and None not in session.nows  # one `now` for all
    assert len(session.nows) == -(-len(names) // cli_secrets._ROWS_AT_ONCE)

"""`list --json` a column at a time (core/status.py: _rows_by_column): the same text as the
straightforward encoder, `json.dumps(secret_status(...))` per row joined by the old
`write_json_array`, and proof that the fast path really ran on the inputs it should take."""

from __future__ import annotations

import contextlib
import io
import json
import random
import struct
import time

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_vault.cli import common
from tui_vault.cli.common import write_json_texts
from tui_vault.core import status
from tui_vault.core.cache import Cache
from tui_vault.core.model import Link, Secret, VaultData
from tui_vault.core.status import secret_status, status_rows_json
from tui_vault.core.vault import Vault


def _reference(vault: Vault, cache: Cache | None, names: list[str], now: float) -> list[str]:
    return [json.dumps(secret_status(vault, cache, 3600, n, now)) for n in names]


def _old_document(rows: list[str]) -> str:
    return "[\n" + ",\n".join(rows) + "\n]\n" if rows else "[]\n"


def _written(texts: list[str]) -> str:
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        write_json_texts(texts)
    return sink.getvalue()


# ------------------------------------------------------------------ times spelled by msgspec


def _msgspec_spelling(values: list[float]) -> list[str]:
    return msgspec.json.encode(values)[1:-1].decode().split(",")


def test_msgspec_spells_floats_like_repr_in_the_range_it_is_used_for() -> None:
    rng = random.Random(15)
    lo, hi = (
        struct.unpack("<q", struct.pack("<d", 1e-4))[0],
        struct.unpack("<q", struct.pack("<d", 1e16))[0],
    )
    values = [
        struct.unpack("<d", struct.pack("<q", rng.randrange(lo, hi)))[0] for _ in range(400_000)
    ]
    values += [rng.uniform(1.0e9, 2.2e9) for _ in range(400_000)]  # Unix times, 2001-2039
    values += [time.time() + rng.random() for _ in range(50_000)]
    values += [round(rng.uniform(1e9, 2e9), rng.randrange(0, 8)) for _ in range(50_000)]
    values += [1e-4, 0.0001000000000000001, 9999999999999998.0, 1e15, 123456789012345.6, 1.5, 5e-4]
    values += [float(2**k) for k in range(-13, 54)] + [10.0**k for k in range(-4, 16)]
    assert all(1e-4 <= v < 1e16 for v in values)
    assert _msgspec_spelling(values) == list(map(float.__repr__, values))


@given(st.lists(st.floats(min_value=1e-4, max_value=1e16, exclude_max=True), min_size=1))
def test_times_in_range_are_spelled_as_repr(values: list[float]) -> None:
    assert status._spell_times(values) == list(map(float.__repr__, values))


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1))
def test_any_float_gets_repr_or_a_refusal(values: list[float]) -> None:
    spelled = status._spell_times(values)
    if all(abs(v) < float("inf") for v in values):
        assert spelled == list(map(float.__repr__, values))
    else:
        assert spelled is None  # NaN or an infinity: json.dumps spells those its own way


# ------------------------------------------------------------------ whole rows

SAFE_NAME = st.from_regex(r"\A[A-Za-z0-9._-]{1,12}\Z")
DOMAIN = st.sampled_from(["api.example.com", "*.example.org", "https://x.io:8443", "a"]) | st.text(
    max_size=6
)
TIME = st.one_of(
    st.floats(min_value=1e-4, max_value=1e16, exclude_max=True),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1733000000.123456, 1e16, 5e-5]),
)


@st.composite
def plain_vaults(draw: st.DrawFn) -> list[Secret]:
    names = draw(st.lists(SAFE_NAME, unique=True, max_size=12))
    out = []
    for name in names:
        linked = draw(st.integers(0, 5)) == 0
        out.append(
            Secret(
                name=name,
                value="" if linked else draw(st.sampled_from(["", "v", 'x"\\\n'])),
                enabled=draw(st.booleans()),
                allowed_domains=draw(st.lists(DOMAIN, max_size=3)),
                link=Link("aws", {"secret_id": name}) if linked else None,
                created=draw(TIME),
                updated=draw(TIME),
            )
        )
    return out


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(contents=plain_vaults())
def test_column_rows_are_the_reference_rows(vault: Vault, contents: list[Secret]) -> None:
    vault.data = VaultData(secrets={s.name: s for s in contents}, integrations={"aws": {}})
    cache = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)
    now = time.time()
    names = vault.names()
    reference = _reference(vault, cache, names, now)
    assert status_rows_json(vault, cache, 3600, names, now) == reference
    assert _written(status_rows_json(vault, cache, 3600, names, now)) == _old_document(reference)
    # These names, domains and finite times are all the column path's to take.
    assert status._rows_by_column(vault.data.secrets, names) is not None
    # With the secrets handed over in name order (what `list --json` does), the same rows:
    # the vault's dict is in the order hypothesis drew, rarely name order.
    in_order, secrets = vault.data.in_name_order()
    assert in_order == names
    assert [s.name for s in secrets] == names
    assert status_rows_json(vault, cache, 3600, names, now, secrets=secrets) == reference


def test_hostile_values_fall_back_with_the_same_bytes(vault: Vault) -> None:
    many = [Secret(f"s{i:05d}", "v", created=1.7e9 + i, updated=1.7e9 + i) for i in range(9000)]
    hostile: list[Secret] = [
        Secret('q"uote', "v"),
        Secret("back\\slash", "v"),
        Secret("é", "v"),
        Secret("s99999", "v", allowed_domains=['h"é\x01']),
        Secret("t-int", "v", created=7, updated=7),
        Secret("t-nan", "v", created=float("nan")),
        Secret("t-inf", "v", updated=float("-inf")),
        Secret("v-none", None),  # type: ignore[arg-type]
        Secret("e-int", "v", enabled=1),  # type: ignore[arg-type]
        Secret("d-tuple", "v", allowed_domains=("a.com",)),  # type: ignore[arg-type]
        Secret("d-none", "v", allowed_domains=None),  # type: ignore[arg-type]
    ]
    for bad in hostile:
        # the bad secret in the second block of rows (the path works in blocks of 8192)
        vault.data = VaultData(secrets={s.name: s for s in [*many, bad]})
        names = vault.names()
        try:
            reference = _reference(vault, None, names, 1.0)
        except TypeError:
            reference = None  # json.dumps (or list()) refuses it: so must the fast path
        if reference is None:
            try:
                status_rows_json(vault, None, 3600, names, 1.0)
            except TypeError:
                continue
            raise AssertionError(f"{bad.name}: accepted what json.dumps refuses")
        assert status_rows_json(vault, None, 3600, names, 1.0) == reference, bad.name
        # Domains are escaped by the column path itself; everything else sends it row by row.
        taken = status._rows_by_column(vault.data.secrets, names) is not None
        assert taken == (bad.name == "s99999"), bad.name


def test_a_big_vault_takes_the_column_path_in_blocks(vault: Vault) -> None:
    secrets = [
        Secret(
            f"s{i:05d}",
            "" if i % 7 == 0 else "v",
            enabled=i % 5 != 0,
            allowed_domains=["api.example.com", "*.example.org"] if i % 10 == 0 else [],
            link=Link("aws", {"secret_id": f"id{i}"}) if i % 997 == 0 else None,
            created=1.7e9 + i / 3,
            updated=1.7e9 + i / 7,
        )
        for i in range(20_000)
    ]
    vault.data = VaultData(secrets={s.name: s for s in secrets}, integrations={"aws": {}})
    names = vault.names()
    fast = status._rows_by_column(vault.data.secrets, names)
    assert fast is not None
    assert fast[1] == [i for i in range(20_000) if i % 997 == 0]
    reference = _reference(vault, None, names, 1.0)
    rows = status_rows_json(vault, None, 3600, names, 1.0)
    assert rows == reference
    assert _written(rows) == _old_document(reference)
    assert {json.loads(r)["state"] for r in rows} == {"ok", "empty", "disabled", "not-fetched"}


def test_unknown_names_fail_as_before(vault: Vault) -> None:
    vault.set_value("A", "v")
    for path in (status_rows_json, status._rows_one_by_one):
        try:
            path(vault, None, 3600, ["A", "missing"], 1.0, 0)
        except Exception as e:  # the same exception type either way
            assert type(e).__name__ == "SecretNotFoundError"
        else:
            raise AssertionError("an unknown name was listed")


def test_written_in_pieces_is_the_same_document(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [json.dumps({"n": i}) for i in range(10)]
    for per_write in (1, 3, 10, 4096):
        monkeypatch.setattr(common, "_ROWS_PER_WRITE", per_write)
        assert _written(rows) == _old_document(rows)
        assert _written(rows[:1]) == _old_document(rows[:1])
        assert _written([]) == "[]\n"


# ------------------------------------------------------------------ rows of decoded secrets


def _decoded_vault(vault: Vault, count: int) -> VaultData:
    """The vault's contents as read back from its file (the msgspec path decodes them)."""
    secrets = {
        f"s{i:05d}": Secret(
            f"s{i:05d}",
            "" if i % 7 == 0 else "v",
            enabled=i % 5 != 0,
            allowed_domains=["api.example.com"] if i % 10 == 0 else [],
            created=1.7e9 + i / 3,
            updated=1.7e9 + i / 7,
        )
        for i in range(count)
    }
    data = VaultData.from_json_bytes(VaultData(secrets=secrets).to_json_bytes())
    assert data._decoded is not None  # (the msgspec path: a few thousand secrets)
    vault.data = data
    return data


def test_decoded_secrets_are_known_as_such_until_the_dict_changes(vault: Vault) -> None:
    data = _decoded_vault(vault, 3000)
    values = list(data.secrets.values())
    assert data.decoded_as_read(values, 0)
    assert data.decoded_as_read(values[1000:1500], 1000)
    assert not data.decoded_as_read(values[1000:1500], 999)  # another position
    assert not data.decoded_as_read(values[2990:], 2995)  # runs past the end
    assert not data.decoded_as_read([], 0)
    data.secrets["s00042"] = data.secrets["s00042"].replace(value="x")  # replaced in place
    assert not data.decoded_as_read(list(data.secrets.values())[:100], 0)
    assert data.decoded_as_read(list(data.secrets.values())[100:], 100)
    assert not VaultData(secrets=dict(data.secrets)).decoded_as_read(values[100:], 100)
    assert VaultData.from_json(json.loads(data.to_json_bytes()))._decoded is None


def _chunked_rows(vault: Vault, names: list[str], secrets: list[Secret]) -> list[str]:
    """The rows as `list --json` asks for them: a chunk at a time, each with its position."""
    rows: list[str] = []
    for start in range(0, len(names), 4096):
        end = start + 4096
        chunk = secrets[start:end]
        rows += status_rows_json(
            vault, None, 3600, names[start:end], 1.0, secrets=chunk, first=start
        )
    return rows


def test_rows_of_decoded_secrets_skip_the_type_checks_with_the_same_text(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _decoded_vault(vault, 20_000)
    names, secrets = data.in_name_order()
    assert names == list(data.secrets)  # read back in name order, as saved
    reference = _reference(vault, None, names, 1.0)
    blocks: list[bool] = []
    real = status._block_rows

    def spy(block: list[Secret], spelled: dict, checked: bool = False) -> list[str] | None:  # type: ignore[type-arg]
        blocks.append(checked)
        return real(block, spelled, checked)

    monkeypatch.setattr(status, "_block_rows", spy)
    rows = _chunked_rows(vault, names, secrets)
    assert rows == reference
    assert blocks and all(blocks)
    # One secret replaced by one the decoder never saw, of a type json.dumps spells its own
    # way (an int time): its block is checked, falls back row by row, and reads the same.
    blocks.clear()
    odd = data.secrets["s12345"].replace(created=7)
    data.secrets["s12345"] = odd
    names, secrets = data.in_name_order()
    reference = _reference(vault, None, names, 1.0)
    rows = _chunked_rows(vault, names, secrets)
    assert rows == reference
    assert '"created": 7,' in rows[12345]
    assert blocks.count(False) == 1

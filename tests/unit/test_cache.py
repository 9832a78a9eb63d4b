"""The encrypted cache of fetched values: ttl, expiry, reset, foreign or corrupt files."""

from __future__ import annotations

import json
import math
import stat
import time
from pathlib import Path

import pytest

from tui_vault.core.cache import Cache, CacheEntry, reset_cache_file
from tui_vault.core.model import Link
from tui_vault.core.store import Envelope
from tui_vault.core.vault import Vault

MARKER = "MARKER-7f3a9c-SECRET"
FP = Link("aws", {"secret_id": "db"}).fingerprint


def cache_of(v: Vault) -> Cache:
    return Cache(v.paths.cache, v.paths.lock, v.key, v.vault_id)


def test_put_get_and_persist(vault: Vault) -> None:
    c = cache_of(vault)
    assert c.get(FP, 3600) is None
    c.put_many({FP: MARKER})
    entry = c.get(FP, 3600)
    assert entry is not None and entry.value == MARKER
    again = cache_of(vault).get(FP, 3600)
    assert again is not None and again.value == MARKER
    assert stat.S_IMODE(vault.paths.cache.stat().st_mode) == 0o600
    raw = vault.paths.cache.read_bytes()
    assert MARKER.encode() not in raw and b"secret_id" not in raw
    assert json.loads(raw)["kind"] == "cache"


def test_ttl_and_expiry(vault: Vault) -> None:
    c = cache_of(vault)
    now = time.time()
    c.put_many({FP: "v"}, now=now - 600)
    assert c.get(FP, 601) is not None
    assert c.get(FP, 599) is None
    peek = c.peek(FP)
    assert peek is not None and 599 < peek.age() < 700
    assert peek.expires_in(3600, now) == 3000


def test_entry_age_math() -> None:
    e = CacheEntry("v", fetched=1000.0)
    assert e.age(1060.0) == 60 and e.expires_in(120, 1060.0) == 60
    assert e.age(900.0) == 0  # a clock that went backwards never gives a negative age


def test_put_many_merges_with_what_is_on_disk(vault: Vault) -> None:
    a, b = cache_of(vault), cache_of(vault)
    a.put_many({"one": "1"})
    b.put_many({"two": "2"})
    merged = cache_of(vault).entries()
    assert {k: e.value for k, e in merged.items()} == {"one": "1", "two": "2"}
    a.put_many({})  # nothing to write


def test_reset(vault: Vault) -> None:
    c = cache_of(vault)
    c.put_many({FP: "v"})
    c.reset()
    assert not vault.paths.cache.exists()
    assert c.get(FP, 3600) is None and cache_of(vault).entries() == {}
    assert reset_cache_file(vault.paths.cache) is False
    c.put_many({FP: "v"})
    assert reset_cache_file(vault.paths.cache) is True


def test_changed_link_is_a_different_entry(vault: Vault) -> None:
    c = cache_of(vault)
    c.put_many({FP: "old"})
    for changed in (
        Link("aws", {"secret_id": "db", "json_key": "password"}),
        Link("aws", {"secret_id": "db2"}),
        Link("azure", {"secret_id": "db"}),
    ):
        assert changed.fingerprint != FP
        assert c.get(changed.fingerprint, 3600) is None


def test_corrupt_cache_is_ignored(vault: Vault) -> None:
    c = cache_of(vault)
    c.put_many({FP: "v"})
    raw = vault.paths.cache.read_bytes()
    for bad in (b"", b"garbage", raw[:-5], raw.replace(b'"ciphertext": "', b'"ciphertext": "AAAA')):
        vault.paths.cache.write_bytes(bad)
        assert cache_of(vault).entries() == {}
    # ...and the next write replaces it with a good one.
    cache_of(vault).put_many({FP: "new"})
    got = cache_of(vault).get(FP, 60)
    assert got is not None and got.value == "new"


def test_cache_of_another_vault_or_key_is_ignored(home: Path) -> None:
    a, key = Vault.create(home / "a" / "vault.json")
    b, _ = Vault.create(home / "b" / "vault.json", key)
    c, _ = Vault.create(home / "c" / "vault.json")
    cache_of(b).put_many({FP: "from b"})
    b.paths.cache.replace(a.paths.cache)
    assert cache_of(a).entries() == {}
    cache_of(c).put_many({FP: "from c"})
    c.paths.cache.replace(a.paths.cache)
    assert cache_of(a).entries() == {}


def test_cache_bad_json_inside_is_ignored(vault: Vault) -> None:
    """Authentic ciphertext whose plaintext has the wrong shape: ignored, no crash."""
    from tui_vault.core import crypto

    c = cache_of(vault)
    for body in (b"[]", b'{"fp": 5}', b'{"fp": {"value": "v"}}', b"not json"):
        probe = Envelope("cache", vault.vault_id, c._check, 1, b"", b"")
        nonce, ct = crypto.seal(c._key, body, probe.aad())
        env = Envelope("cache", vault.vault_id, c._check, 1, nonce, ct)
        vault.paths.cache.write_bytes(env.to_bytes())
        assert cache_of(vault).entries() == {}


def test_cache_file_is_not_a_vault_file(vault: Vault) -> None:
    cache_of(vault).put_many({FP: "v"})
    vault.paths.cache.replace(vault.path)
    try:
        Vault.open(vault.path, vault.key)
    except Exception as e:
        assert "'cache' file" in str(e)
    else:
        raise AssertionError("a cache file was opened as a vault")


def test_a_long_lived_cache_sees_another_process_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running TUI must notice `cache reset` or a reconnect done from the command line."""
    import tui_vault.core.cache as cache_module

    path, lock = tmp_path / "v.cache", tmp_path / "v.lock"
    key, vault_id = b"k" * 32, "ab" * 16
    tui = Cache(path, lock, key, vault_id)
    cli = Cache(path, lock, key, vault_id)
    assert tui.entries() == {}
    cli.put_many({"hashicorp:key=k": "fresh"})
    clock = [cache_module.time.monotonic() + 5]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: clock[0])
    assert tui.entries()["hashicorp:key=k"].value == "fresh"
    cli.reset()
    clock[0] += 5
    assert tui.entries() == {}


def _write_plain(vault: Vault, plain: bytes) -> None:
    """Seal `plain` as the cache file's document (what only a holder of the key can do),
    one generation above the newest this machine has seen (not a replayed older file)."""
    from tui_vault.core import crypto

    c = cache_of(vault)
    generation = c._guard.cache_floor() + 1
    probe = Envelope("cache", vault.vault_id, c._check, generation, b"", b"")
    nonce, ct = crypto.seal(c._key, plain, probe.aad())
    env = Envelope("cache", vault.vault_id, c._check, generation, nonce, ct)
    vault.paths.cache.write_bytes(env.to_bytes())


def _index(vault: Vault) -> tuple[str, dict[str, str]]:
    doc = cache_of(vault)._current()
    return doc.vault, dict(doc.named)


FP2 = Link("hashicorp", {"engine": "kv", "path": "app", "key": "k"}).fingerprint


def test_the_format_before_the_name_index_is_still_read(vault: Vault) -> None:
    """A cache written before format 2 (the entries object alone): read as it was, then
    written in format 2 by the next save, every entry kept."""
    now = time.time()
    old = {
        FP: {"value": MARKER, "fetched": now},
        FP2: {"value": "v2", "fetched": now - 9, "stale": "x"},
    }
    _write_plain(vault, json.dumps(old).encode())
    c = cache_of(vault)
    assert c.entries() == {FP: CacheEntry(MARKER, now), FP2: CacheEntry("v2", now - 9, "x")}
    assert c.named(vault.tagged[1], 3600, now) == {}
    c.put_many({"aws:secret_id=other": "3"}, tag=vault.tagged[1], index={"DB": FP})
    again = cache_of(vault)
    assert again.entries()[FP] == CacheEntry(MARKER, now)
    assert again.entries()[FP2] == CacheEntry("v2", now - 9, "x")
    assert again.named(vault.tagged[1], 3600, time.time()) == {"DB": MARKER}
    assert again.named("another file's tag", 3600, time.time()) == {}
    assert again.named("", 3600, time.time()) == {}
    assert again.named(vault.tagged[1], 0, time.time()) == {}  # ttl 0: nothing is fresh


def test_a_lone_surrogate_in_a_value_or_name_survives_the_general_path(vault: Vault) -> None:
    """json.dumps writes a lone surrogate escaped; msgspec refuses it: the general path
    reads the head and the body alike."""
    odd = "x\ud83d"
    tag = vault.tagged[1]
    c = cache_of(vault)
    c.put_many({FP: odd, FP2: "plain"}, tag=tag, index={"A": FP, odd: FP2, "B": FP})
    fresh = cache_of(vault)
    assert fresh.named(tag, 3600, time.time()) == {"A": odd, odd: "plain", "B": odd}
    assert fresh.entries()[FP].value == odd and fresh.entries()[FP2].value == "plain"
    assert fresh._current().index == {"A": FP, odd: FP2, "B": FP}


def test_stale_marks_and_forgetting_a_provider_keep_the_index_right(vault: Vault) -> None:
    tag = vault.tagged[1]
    c = cache_of(vault)
    c.put_many({FP: "aws-value", FP2: "hc-value"}, tag=tag, index={"A": FP, "H": FP2})
    c.mark_stale({FP2: "HashiCorp Vault unreachable"})
    fresh = cache_of(vault)
    assert fresh.entries()[FP2].stale == "HashiCorp Vault unreachable"
    assert fresh.entries()[FP].stale == ""
    assert _index(vault) == (tag, {"A": "aws-value", "H": "hc-value"})
    assert fresh.forget_provider("hashicorp") == 1
    assert _index(vault) == (tag, {"A": "aws-value"})
    assert set(cache_of(vault).entries()) == {FP}
    assert cache_of(vault).forget_provider("aws") == 1
    assert _index(vault) == ("", {})


def test_a_body_that_does_not_match_its_head_is_read_as_nothing(vault: Vault) -> None:
    head = {"v": 2, "vault": vault.tagged[1], "oldest": time.time(), "named": {"A": "1", "B": "2"}}
    for body in ({"fps": [FP], "fetched": [1.0]}, {"fps": [FP, FP2], "fetched": [1.0]}, "[]"):
        _write_plain(vault, json.dumps(head).encode() + b"\n" + json.dumps(body).encode())
        c = cache_of(vault)
        assert c.entries() == {}
        c.put_many({FP: "v"})  # a writer starts again from what it can trust: nothing
        assert cache_of(vault).entries() == {FP: cache_of(vault).entries()[FP]}
    _write_plain(vault, json.dumps({**head, "v": 3}).encode() + b"\n{}")
    assert cache_of(vault).entries() == {} and _index(vault) == ("", {})


def test_the_vault_tag_is_the_digest_of_the_file_its_contents_came_from(vault: Vault) -> None:
    import hashlib

    def file_digest() -> str:
        return hashlib.sha256(vault.path.read_bytes()).hexdigest()

    data, tag = vault.tagged
    assert data is vault.data and tag == file_digest()
    vault.set_value("A", "1")
    data2, tag2 = vault.tagged
    assert data2 is vault.data and tag2 == file_digest() != tag
    vault.reload()  # nothing changed on disk: the same pair
    assert vault.tagged == (data2, tag2)
    other = Vault.open(vault.path, vault.key)
    other.set_value("B", "2")  # another process saves
    vault.reload()
    assert vault.tagged[1] == file_digest() == other.tagged[1] != tag2
    assert vault.tagged[0] is vault.data and set(vault.data.secrets) == {"A", "B"}


def test_a_stale_mark_out_of_range_is_read_as_nothing(vault: Vault) -> None:
    tag = vault.tagged[1]
    head = {"v": 2, "vault": tag, "oldest": 1.0, "named": {"A": "1"}, "fetched": [1.0]}
    for i in (1, -1, 7):
        body = {"fps": [FP], "stale": [[i, "down"]], "rest": {}}
        _write_plain(vault, json.dumps(head).encode() + b"\n" + json.dumps(body).encode())
        assert cache_of(vault).entries() == {}
    body = {"fps": [FP], "stale": [[0, "down"]], "rest": {}}
    _write_plain(vault, json.dumps(head).encode() + b"\n" + json.dumps(body).encode())
    assert cache_of(vault).entries() == {FP: CacheEntry("1", 1.0, "down")}


def test_odd_numbers_in_a_document_read_as_nothing(vault: Vault) -> None:
    """Numbers json.loads takes but no float holds (1e400 is inf; a 400-digit integer
    overflows float()): read as a damaged file, never a traceback."""
    tag = vault.tagged[1]
    huge = "9" * 400
    for head in (
        f'{{"v": 1e400, "vault": "{tag}", "named": {{}}, "fetched": []}}',
        f'{{"v": 2, "vault": "{tag}", "oldest": {huge}, '
        '"named": {"A": "\\ud83d"}, "fetched": [1]}',
        f'{{"v": 2, "vault": "{tag}", "oldest": 1, "named": {{"A": "x"}}, "fetched": [{huge}]}}',
    ):
        _write_plain(vault, head.encode() + b"\n" + json.dumps({"fps": [FP]}).encode())
        c = cache_of(vault)
        assert c.named(tag, 3600, time.time()) == {}
        assert c.entries() == {}
        c.put_many({FP2: "v"})
        assert set(cache_of(vault).entries()) == {FP2}
    rest = f'{{"fps": [], "rest": {{"{FP}": {{"value": "x", "fetched": {huge}}}}}}}'
    _write_plain(vault, b'{"v": 2}\n' + rest.encode())
    assert cache_of(vault).entries() == {}


def test_an_entry_with_a_time_no_clock_gives_writes_no_index(vault: Vault) -> None:
    """A NaN fetch time (never from time.time()) would make the index's oldest time
    meaningless: no index is written, every name goes by the rule (which never serves it)."""
    tag = vault.tagged[1]
    c = cache_of(vault)
    c.put_many({FP: "odd"}, now=float("nan"))
    c.put_many({FP2: "fine"}, tag=tag, index={"A": FP, "B": FP2})
    again = cache_of(vault)
    assert again.named(tag, 3600, time.time()) == {}
    assert again.get(FP2, 3600) is not None
    assert set(again.entries()) == {FP, FP2}  # nothing lost
    assert math.isnan(again.entries()[FP].fetched)


def test_the_index_answers_its_fresh_names_only(vault: Vault) -> None:
    tag = vault.tagged[1]
    now = time.time()
    c = cache_of(vault)
    c.put_many({FP: "old"}, now=now - 7200)
    c.put_many({FP2: "new"}, tag=tag, index={"A": FP, "B": FP2, "C": FP2})
    again = cache_of(vault)
    assert again.named(tag, 3600, now) == {"B": "new", "C": "new"}
    assert again.named(tag, 9000, now) == {"A": "old", "B": "new", "C": "new"}
    assert again.named(tag, 0, now) == {}


def test_a_reader_while_the_entries_are_decoded_sees_them_all(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread asking for the entries while one thread decodes them (the TUI warms
    them in a worker while the table peeks) gets them all, never an empty cache."""
    import threading

    import tui_vault.core.cache as cache_module

    tag = vault.tagged[1]
    cache_of(vault).put_many({FP: "a", FP2: "b"}, tag=tag, index={"A": FP})
    doc = cache_of(vault)._current()
    seen: list[set[str]] = []
    real = cache_module._parse_entries

    def with_a_reader_in_between(plain: bytes) -> dict[str, CacheEntry]:
        if not seen:
            seen.append(set())
            other = threading.Thread(target=lambda: seen.append(set(doc.entries)))
            other.start()
            other.join()
        return real(plain)

    monkeypatch.setattr(cache_module, "_parse_entries", with_a_reader_in_between)
    assert set(doc.entries) == {FP, FP2}
    assert seen[1] == {FP, FP2}

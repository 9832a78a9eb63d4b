"""SHA-256 and HMAC-SHA256 through cryptography (core/crypto.py) instead of hashlib and hmac
(which load the system's OpenSSL a second time): the same digests, MACs and verdicts, and
the generation records (core/rollback.py) old versions wrote still read the same."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core import crypto, rollback

blobs = st.binary(max_size=300)


@settings(max_examples=300, deadline=None)
@given(st.lists(blobs, max_size=4))
def test_sha256_is_hashlibs(pieces: list[bytes]) -> None:
    assert crypto.sha256(*pieces) == hashlib.sha256(b"".join(pieces)).digest()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=100), blobs, blobs)
def test_hmac_is_the_hmac_modules(key: bytes, data: bytes, other: bytes) -> None:
    mac = hmac.new(key, data, hashlib.sha256).digest()
    assert crypto.hmac_sha256(key, data) == mac
    assert crypto.hmac_sha256_verify(key, data, mac)
    assert crypto.hmac_sha256_verify(key, other, mac) == (other == data)
    assert not crypto.hmac_sha256_verify(key, data, mac[:-1])
    assert not crypto.hmac_sha256_verify(key, data, mac + b"\0")
    assert not crypto.hmac_sha256_verify(key, data, bytes([mac[0] ^ 1]) + mac[1:])


def test_key_check_is_unchanged() -> None:
    master, salt = bytes(range(32)), bytes(16)
    check_key = crypto.derive_subkey(master, salt, "key-check")
    old = hmac.new(check_key, b"tui-vault key check", hashlib.sha256).digest()[:16]
    assert crypto.key_check(master, salt) == old


# ------------------------------------------------------------------ generation records


def _old_mac(key: bytes, vault_id: str, rec: tuple[int, str, int]) -> str:
    """The MAC as the hmac module computed it (rollback.Guard._mac before)."""
    body = json.dumps([vault_id, *rec]).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _write(guard: rollback.Guard, rec: tuple[int, str, int], mac: object) -> None:
    guard.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    doc = {
        "vault_id": guard.vault_id,
        "vault_generation": rec[0],
        "vault_digest": rec[1],
        "cache_generation": rec[2],
        "mac": mac,
    }
    guard.path.write_text(json.dumps(doc, sort_keys=True) + "\n")


@pytest.fixture
def guard(tmp_path: Path) -> rollback.Guard:
    return rollback.Guard("ab" * 16, bytes(range(32)), tmp_path / "generations")


def test_a_record_written_before_reads_the_same(guard: rollback.Guard) -> None:
    rec = (7, "d1g357", 3)
    _write(guard, rec, _old_mac(guard._key, guard.vault_id, rec))
    assert guard.load() == rollback.Record(*rec)
    guard.update(vault=(8, "n3w"))
    assert guard.load() == rollback.Record(8, "n3w", 3)
    # What is written now is what the old code wrote (and would have read).
    doc = json.loads(guard.path.read_text())
    assert doc["mac"] == _old_mac(guard._key, guard.vault_id, (8, "n3w", 3))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda m: m.upper(),  # the old string comparison refused it too
        lambda m: m[:-2],
        lambda m: m + "00",
        lambda m: " " + m,  # bytes.fromhex would skip spaces: refused
        lambda m: m[:32] + " " + m[32:],
        lambda m: ("1" if m[0] != "1" else "2") + m[1:],
        lambda m: "zz" + m[2:],
        lambda m: "",
        lambda m: 5,
        lambda m: None,
        lambda m: [m],
    ],
)
def test_a_changed_mac_is_refused(guard: rollback.Guard, spoil: object) -> None:
    rec = (7, "d1g357", 3)
    mac = _old_mac(guard._key, guard.vault_id, rec)
    assert callable(spoil)
    _write(guard, rec, spoil(mac))
    assert guard.load() is None


def test_a_changed_record_or_key_is_refused(guard: rollback.Guard) -> None:
    rec = (7, "d1g357", 3)
    mac = _old_mac(guard._key, guard.vault_id, rec)
    _write(guard, (8, "d1g357", 3), mac)
    assert guard.load() is None
    _write(guard, rec, mac)
    other = rollback.Guard(guard.vault_id, bytes(32), guard.directory)
    assert other.load() is None
    assert guard.load() == rollback.Record(*rec)


# ------------------------------------------------------------------ AES-GCM and HKDF classes


def test_aesgcm_and_hkdf_are_cryptographys_public_classes() -> None:
    """crypto.py takes them from the Rust binding (skipping the `ciphers` package's import):
    they must be the very classes the public modules hand out, so a cryptography whose layout
    differs is caught here, not in a user's vault."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    assert crypto.AESGCM is AESGCM
    assert crypto.HKDF is HKDF


def test_sealing_and_subkeys_match_the_public_classes() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    master, salt = bytes(range(32)), bytes(range(16))
    key = crypto.derive_subkey(master, salt, "vault")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"tui-vault/v1/vault")
    assert key == hkdf.derive(master)
    nonce, ct = crypto.seal(key, b"marker-plaintext", b"aad")
    assert AESGCM(key).decrypt(nonce, ct, b"aad") == b"marker-plaintext"
    assert crypto.unseal(key, nonce, ct, b"aad") == b"marker-plaintext"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unseal(key, nonce, ct, b"other aad")

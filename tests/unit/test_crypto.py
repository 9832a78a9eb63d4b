"""AES-256-GCM sealing and HKDF subkeys."""

from __future__ import annotations

import pytest

from tui_vault.core import crypto


def test_seal_unseal_round_trip() -> None:
    key = bytes(range(32))
    nonce, ct = crypto.seal(key, b"hello", b"header")
    assert len(nonce) == crypto.NONCE_BYTES == 12
    assert b"hello" not in ct
    assert crypto.unseal(key, nonce, ct, b"header") == b"hello"


def test_fresh_nonce_every_time() -> None:
    key = bytes(32)
    sealed = [crypto.seal(key, b"same", b"") for _ in range(50)]
    assert len({n for n, _ in sealed}) == 50
    assert len({c for _, c in sealed}) == 50


@pytest.mark.parametrize(
    "change",
    ["key", "nonce", "ciphertext", "aad", "short-nonce", "truncated"],
)
def test_any_change_fails_authentication(change: str) -> None:
    key = bytes(range(32))
    nonce, ct = crypto.seal(key, b"payload", b"aad")
    args = {"key": key, "nonce": nonce, "ciphertext": ct, "aad": b"aad"}
    if change == "key":
        args["key"] = bytes(32)
    elif change == "nonce":
        args["nonce"] = bytes([nonce[0] ^ 1]) + nonce[1:]
    elif change == "ciphertext":
        args["ciphertext"] = ct[:-1] + bytes([ct[-1] ^ 0x80])
    elif change == "aad":
        args["aad"] = b"aae"
    elif change == "short-nonce":
        args["nonce"] = nonce[:8]
    else:
        args["ciphertext"] = ct[:10]
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unseal(args["key"], args["nonce"], args["ciphertext"], args["aad"])


def test_empty_ciphertext_fails_cleanly() -> None:
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unseal(bytes(32), bytes(12), b"", b"")


def test_subkeys_are_separate_and_deterministic() -> None:
    master, salt = bytes(range(32)), b"s" * 16
    vault = crypto.derive_subkey(master, salt, "vault")
    cache = crypto.derive_subkey(master, salt, "cache")
    check = crypto.derive_subkey(master, salt, "key-check")
    assert len({vault, cache, check, master}) == 4
    assert all(len(k) == 32 for k in (vault, cache, check))
    assert crypto.derive_subkey(master, salt, "vault") == vault
    assert crypto.derive_subkey(master, b"t" * 16, "vault") != vault
    assert crypto.derive_subkey(bytes(32), salt, "vault") != vault


def test_key_check_tells_keys_apart_without_being_a_subkey() -> None:
    salt = b"x" * 16
    a = crypto.key_check(bytes(range(32)), salt)
    b = crypto.key_check(bytes(32), salt)
    assert a != b
    assert len(a) == 16
    assert a == crypto.key_check(bytes(range(32)), salt)
    assert a not in crypto.derive_subkey(bytes(range(32)), salt, "vault")

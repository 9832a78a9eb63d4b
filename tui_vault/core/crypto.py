"""AES-256-GCM sealing and HKDF subkeys: vault, cache and key check never share a key."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
CIPHER_NAME = "AES-256-GCM"
KDF_NAME = "HKDF-SHA256"


class DecryptionFailed(Exception):
    """Authentication failed: wrong key, or the data or its header was changed."""


def derive_subkey(master: bytes, salt: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=salt,
        info=b"tui-vault/v1/" + purpose.encode(),
    ).derive(master)


def key_check(master: bytes, salt: bytes) -> bytes:
    """A value that tells a wrong key from a damaged file without revealing the key."""
    check_key = derive_subkey(master, salt, "key-check")
    return hmac.new(check_key, b"tui-vault key check", hashlib.sha256).digest()[:16]


def seal(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    if len(nonce) != NONCE_BYTES:
        raise DecryptionFailed
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise DecryptionFailed from None

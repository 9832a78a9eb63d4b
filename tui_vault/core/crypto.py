"""AES-256-GCM sealing and HKDF subkeys: vault, cache and key check never share a key.

SHA-256 and HMAC-SHA256 come from cryptography's OpenSSL too (sha256, hmac_sha256,
hmac_sha256_verify), not hashlib and hmac: those load the system's OpenSSL a second time
(_hashlib), ~4 ms of a local `get` (bench/PROFILING.md, round 4, `pget`).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC

try:
    # The classes cryptography's own `ciphers.aead` and `kdf.hkdf` modules hand out (each is
    # an alias of its Rust binding's class): taken from the binding, they skip the `ciphers`
    # package's import of every cipher, mode and decrepit algorithm, ten modules a `get`
    # never uses (bench/PROFILING.md round 8: fewer files read; no time difference this
    # machine could show). Any other layout falls back to the public modules; a test checks
    # these are the public classes.
    from cryptography.hazmat.bindings._rust import openssl as _rust

    AESGCM = _rust.aead.AESGCM
    HKDF = _rust.kdf.HKDF
except (ImportError, AttributeError):  # pragma: no cover - another cryptography's layout
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
    return hmac_sha256(check_key, b"tui-vault key check")[:16]


def sha256(*pieces: bytes) -> bytes:
    """SHA-256 of the pieces, one after another (hashlib.sha256(b"".join(pieces)).digest())."""
    h = hashes.Hash(hashes.SHA256())
    for piece in pieces:
        h.update(piece)
    return h.finalize()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 (hmac.new(key, data, hashlib.sha256).digest())."""
    h = HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def hmac_sha256_verify(key: bytes, data: bytes, mac: bytes) -> bool:
    """Whether `mac` is HMAC-SHA256(key, data), compared in constant time (OpenSSL's
    CRYPTO_memcmp, as hmac.compare_digest)."""
    h = HMAC(key, hashes.SHA256())
    h.update(data)
    try:
        h.verify(mac)
    except InvalidSignature:
        return False
    return True


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

"""The vault key: 32 random bytes, written as grouped Crockford base32 with a checksum.

Layout: ``TV1-`` then 52 data symbols (256 bits + 4 zero padding bits) and 2 check symbols,
in groups of five. The check symbols make every codeword satisfy two equations over GF(32):

    sum(s_i) = 0            catches every single-symbol typo (the error e != 0 shows up)
    sum(a^i * s_i) = 0      catches every swap of neighbours i, i+1: the difference is
                            a^i * (s_i+1 - s_i) * (1 - a), non-zero when the symbols differ

where a is a primitive element of GF(32). Non-zero padding bits are rejected, so each key
has exactly one spelling (apart from case and Crockford's I/L=1, O=0 aliases).
"""

from __future__ import annotations

import os

from tui_vault.core.errors import InvalidKeyError

KEY_BYTES = 32
PREFIX = "TV1"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(ALPHABET)}
_DECODE.update({"I": 1, "L": 1, "O": 0})
DATA_SYMBOLS = 52  # ceil(256 / 5)
PAD_BITS = DATA_SYMBOLS * 5 - KEY_BYTES * 8  # 4
TOTAL_SYMBOLS = DATA_SYMBOLS + 2
GROUP = 5

# GF(32) with the primitive polynomial x^5 + x^2 + 1; generator a = 2.
_EXP: list[int] = []
_LOG: dict[int, int] = {}
_x = 1
for _i in range(31):
    _EXP.append(_x)
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x20:
        _x ^= 0x25


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[(_LOG[a] + _LOG[b]) % 31]


def _inv(a: int) -> int:
    return _EXP[(31 - _LOG[a]) % 31]


def _alpha(i: int) -> int:
    return _EXP[i % 31]


def _check_symbols(data: list[int]) -> tuple[int, int]:
    """Solve c_a + c_b = S0 and a^n*c_a + a^(n+1)*c_b = S1 (GF(2^5): minus is xor)."""
    s0 = 0
    s1 = 0
    for i, s in enumerate(data):
        s0 ^= s
        s1 ^= _mul(_alpha(i), s)
    n = len(data)
    an, an1 = _alpha(n), _alpha(n + 1)
    # c_a = S0 + c_b  ->  an*(S0 + c_b) + an1*c_b = S1  ->  c_b*(an + an1) = S1 + an*S0
    c_b = _mul(s1 ^ _mul(an, s0), _inv(an ^ an1))
    c_a = s0 ^ c_b
    return c_a, c_b


def generate_key() -> bytes:
    return os.urandom(KEY_BYTES)  # what secrets.token_bytes does, without importing random


def encode_key(key: bytes) -> str:
    if len(key) != KEY_BYTES:
        raise ValueError("a vault key is 32 bytes")
    number = int.from_bytes(key, "big") << PAD_BITS
    data = [(number >> (5 * (DATA_SYMBOLS - 1 - i))) & 31 for i in range(DATA_SYMBOLS)]
    symbols = data + list(_check_symbols(data))
    text = "".join(ALPHABET[s] for s in symbols)
    groups = [text[i : i + GROUP] for i in range(0, len(text), GROUP)]
    return "-".join([PREFIX, *groups])


def decode_key(text: str) -> bytes:
    """Parse a typed key; forgiving of case, hyphens and spaces. Raises InvalidKeyError."""
    cleaned = "".join(ch for ch in text.upper() if ch not in "- \t\r\n")
    if cleaned.startswith(PREFIX) and len(cleaned) == len(PREFIX) + TOTAL_SYMBOLS:
        cleaned = cleaned[len(PREFIX) :]
    if len(cleaned) != TOTAL_SYMBOLS:
        raise InvalidKeyError()
    try:
        symbols = [_DECODE[ch] for ch in cleaned]
    except KeyError:
        raise InvalidKeyError() from None
    data = symbols[:DATA_SYMBOLS]
    expected = _check_symbols(data)
    # Both check symbols compared at once, without an early exit (was hmac.compare_digest;
    # `hmac` loads the system's OpenSSL, ~4 ms of a `get`).
    diff = (expected[0] ^ symbols[DATA_SYMBOLS]) | (expected[1] ^ symbols[DATA_SYMBOLS + 1])
    if diff:
        raise InvalidKeyError()
    number = 0
    for s in data:
        number = (number << 5) | s
    if number & ((1 << PAD_BITS) - 1):
        raise InvalidKeyError()
    return (number >> PAD_BITS).to_bytes(KEY_BYTES, "big")


def looks_like_key(text: str) -> bool:
    try:
        decode_key(text)
    except InvalidKeyError:
        return False
    return True

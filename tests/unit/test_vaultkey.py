"""The vault key codec: round trip, forgiving input, typo detection, one spelling per key."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_vault.core import vaultkey
from tui_vault.core.errors import ExitCode, InvalidKeyError, VaultError, WrongKeyError
from tui_vault.core.vaultkey import ALPHABET, decode_key, encode_key, generate_key, looks_like_key

keys = st.binary(min_size=32, max_size=32)


def symbols_of(text: str) -> str:
    """The 54 data+check symbols of a key string (prefix and hyphens removed)."""
    assert text.startswith("TV1-")
    return text[4:].replace("-", "")


def spell(symbols: str) -> str:
    groups = [symbols[i : i + 5] for i in range(0, len(symbols), 5)]
    return "-".join(["TV1", *groups])


def test_round_trip_generated_key() -> None:
    key = generate_key()
    assert len(key) == 32
    assert decode_key(encode_key(key)) == key


def test_generated_keys_differ() -> None:
    assert len({generate_key() for _ in range(20)}) == 20


def test_shape_of_the_written_key() -> None:
    text = encode_key(bytes(range(32)))
    assert text.startswith("TV1-")
    groups = text.split("-")[1:]
    assert all(len(g) == 5 for g in groups[:-1])
    assert 1 <= len(groups[-1]) <= 5
    body = "".join(groups)
    assert len(body) == vaultkey.TOTAL_SYMBOLS == 54
    assert set(body) <= set(ALPHABET)
    assert not set(body) & set("*~$=ILOU")


def test_encode_refuses_wrong_length() -> None:
    with pytest.raises(ValueError):
        encode_key(b"short")


@pytest.mark.parametrize(
    "transform",
    [
        str.lower,
        lambda t: t.replace("-", ""),
        lambda t: t.replace("-", " "),
        lambda t: "  " + t.replace("-", " - ") + "\n",
        lambda t: t.removeprefix("TV1-"),
        lambda t: t.removeprefix("TV1-").lower().replace("-", ""),
        lambda t: "\t".join(t.split("-")),
    ],
    ids=["lower", "no-hyphens", "spaces", "padded", "no-prefix", "bare-lower", "tabs"],
)
def test_input_is_forgiving(transform: object) -> None:
    key = generate_key()
    text = encode_key(key)
    assert decode_key(transform(text)) == key  # type: ignore[operator]


def test_crockford_aliases_read_as_their_digit() -> None:
    # Find a key whose spelling contains a 1 and a 0, then type them as I/L and O.
    for _ in range(100):
        key = generate_key()
        text = encode_key(key)
        body = symbols_of(text)
        if "1" in body and "0" in body:
            break
    else:
        pytest.skip("no key with both 1 and 0 found")  # practically impossible
    aliased = "TV1-" + body.replace("1", "l").replace("0", "O")
    assert decode_key(aliased) == key
    assert decode_key("TV1-" + body.replace("1", "I")) == key


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "TV1",
        "TV1-",
        "hello world",
        "TV1-" + "0" * 53,
        "TV1-" + "0" * 55,
        "TV1-" + "U" * 54,
        "TV1-" + "*" * 54,
        "TV2-" + "0" * 54,
        "é" * 54,
    ],
)
def test_not_a_key_is_invalid(bad: str) -> None:
    with pytest.raises(InvalidKeyError) as info:
        decode_key(bad)
    assert str(info.value) == "not a valid vault key"
    assert info.value.exit_code == ExitCode.BAD_KEY == 3
    assert not looks_like_key(bad)


def test_invalid_and_wrong_key_are_distinct_errors() -> None:
    invalid, wrong = InvalidKeyError(), WrongKeyError()
    assert str(invalid) == "not a valid vault key"
    assert str(wrong) == "wrong key for this vault"
    assert invalid.exit_code == wrong.exit_code == 3
    assert not isinstance(invalid, WrongKeyError)
    assert not isinstance(wrong, InvalidKeyError)
    assert isinstance(invalid, VaultError) and isinstance(wrong, VaultError)


def test_all_zero_key_encodes_and_checksum_is_not_trivial() -> None:
    assert decode_key(encode_key(bytes(32))) == bytes(32)
    assert decode_key(encode_key(b"\xff" * 32)) == b"\xff" * 32


# ---------------------------------------------------------------------------- properties


@given(keys)
def test_any_32_bytes_round_trip(key: bytes) -> None:
    text = encode_key(key)
    assert decode_key(text) == key
    assert decode_key(text.lower().replace("-", " ")) == key
    assert looks_like_key(text)


@settings(max_examples=15, deadline=None)
@given(keys)
def test_every_single_symbol_substitution_is_rejected(key: bytes) -> None:
    body = symbols_of(encode_key(key))
    for i, original in enumerate(body):
        for replacement in ALPHABET:
            if replacement == original:
                continue
            typo = body[:i] + replacement + body[i + 1 :]
            with pytest.raises(InvalidKeyError):
                decode_key(spell(typo))


@settings(max_examples=50, deadline=None)
@given(keys)
def test_every_adjacent_swap_is_rejected(key: bytes) -> None:
    body = symbols_of(encode_key(key))
    for i in range(len(body) - 1):
        if body[i] == body[i + 1]:
            continue
        swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
        with pytest.raises(InvalidKeyError):
            decode_key(spell(swapped))


@settings(max_examples=50, deadline=None)
@given(keys)
def test_swapping_neighbouring_characters_of_the_text_never_gives_another_key(
    key: bytes,
) -> None:
    """Swaps across hyphens or the prefix either fail or spell the very same key."""
    text = encode_key(key)
    for i in range(len(text) - 1):
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        with contextlib.suppress(InvalidKeyError):
            assert decode_key(swapped) == key


@settings(max_examples=50, deadline=None)
@given(keys, st.integers(min_value=1, max_value=(1 << vaultkey.PAD_BITS) - 1))
def test_no_second_spelling_through_padding_bits(key: bytes, pad: int) -> None:
    """A spelling with non-zero padding bits and a correct checksum is still refused."""
    number = (int.from_bytes(key, "big") << vaultkey.PAD_BITS) | pad
    n = vaultkey.DATA_SYMBOLS
    data = [(number >> (5 * (n - 1 - i))) & 31 for i in range(n)]
    check = vaultkey._check_symbols(data)
    text = spell("".join(ALPHABET[s] for s in [*data, *check]))
    assert text != encode_key(key)
    with pytest.raises(InvalidKeyError):
        decode_key(text)


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_arbitrary_text_is_either_a_key_or_invalid(text: str) -> None:
    try:
        key = decode_key(text)
    except InvalidKeyError:
        return
    assert len(key) == 32

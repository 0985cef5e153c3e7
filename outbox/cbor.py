"""Deterministic CBOR (RFC 8949 §4.2.1) on top of cbor2, and a strict decoder.

cbor2's `canonical=True` sorts map keys length-first (the old "canonical CBOR" of §4.2.3);
core deterministic encoding sorts them by their encoded bytes. So maps are put in that
order here and cbor2 writes them as given (`canonical=False` keeps insertion order); it
always writes shortest-form integers and lengths and definite-length containers. Records
carry no floats, which keeps float width rules out of the picture.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cbor2

from outbox.errors import RecordError

_SCALARS = frozenset({bytes, str, int, bool, type(None)})


def _ordered(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Mapping):
        if all(type(k) is str for k in value):
            # Text keys share a major type, so their encoded order is by UTF-8 length,
            # then bytes: no need to encode each key to sort.
            keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        else:
            keys = [k for _, k in sorted((encode(k), k) for k in value)]
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list | tuple):
        return [_ordered(v) for v in value]
    if isinstance(value, cbor2.CBORTag):
        return cbor2.CBORTag(value.tag, _ordered(value.value))
    if isinstance(value, float):
        raise RecordError("floats are not used in records; scale to an integer")
    return value


def encode(value: Any) -> bytes:
    """Deterministic encoding: maps sorted by encoded key bytes, shortest forms.

    Where every map's keys are all text or all unsigned integers (records' maps are),
    cbor2's canonical (length-first) order is that order, and cbor2 sorts in C."""
    if _simple(value, 0):
        return cbor2.dumps(value, canonical=True)
    return cbor2.dumps(_ordered(value))


def _simple(value: Any, depth: int) -> bool:
    """Only scalars, arrays, integer tags and maps whose keys are all text or all
    unsigned integers (nothing to re-order by hand, nothing to refuse)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if depth > MAX_DEPTH:
        return False
    if kind is dict:
        keys = value.keys()
        if not (all(type(k) is str for k in keys) or all(type(k) is int and k >= 0 for k in keys)):
            return False
        return all(type(v) in _SCALARS or _simple(v, depth + 1) for v in value.values())
    if kind is list or kind is tuple:
        return all(type(v) in _SCALARS or _simple(v, depth + 1) for v in value)
    if kind is cbor2.CBORTag:
        return type(value.tag) is int and _simple(value.value, depth + 1)
    return False


def decode(data: bytes, what: str = "record") -> Any:
    """Decode exactly one item in deterministic encoding.

    Duplicate map keys, trailing bytes and any other encoding of the same value are
    refused: what was signed must be the only way to write it. The value is written back
    and compared. Where every map's keys are all text or all unsigned integers (records'
    maps are), cbor2's length-first canonical order is the bytewise order of §4.2.1 and
    cbor2 sorts; elsewhere a walk checks the key order and cbor2 writes the maps as read.
    """
    try:
        value = cbor2.loads(data, allow_duplicate_keys=False)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, EOFError) as exc:
        raise RecordError(f"{what} is not valid CBOR: {exc}") from None
    simple = _check_plain(value, what, 0, check_order=False)
    if not simple:
        _check_plain(value, what, 0, check_order=True)
    try:
        again = cbor2.dumps(value, canonical=simple)
    except (cbor2.CBOREncodeError, ValueError, TypeError, RecursionError) as exc:
        raise RecordError(f"{what} cannot be re-encoded deterministically: {exc}") from None
    if again != data:
        if data.startswith(again):
            raise RecordError(f"{what} has {len(data) - len(again)} trailing bytes")
        raise RecordError(f"{what} is not in deterministic CBOR encoding")
    return value


MAX_DEPTH = 16  # records nest three levels; anything deeper is not ours


def _check_plain(value: Any, what: str, depth: int, check_order: bool) -> bool:
    """Only the data model records use: byte and text strings, integers, booleans, null,
    arrays, maps and the COSE tag. cbor2 turns other tags into Python objects (dates,
    regular expressions, MIME messages, sets ...) that are refused here, by name.

    Returns whether every map's keys are all text or all unsigned integers; with
    `check_order`, also checks that every map's keys are in deterministic order."""
    if depth > MAX_DEPTH:
        raise RecordError(f"{what} nests deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if kind in _SCALARS:
        return True
    simple = True
    if kind is list or kind is tuple:  # cbor2 gives tuples inside tags and keys
        for item in value:
            if type(item) not in _SCALARS:
                simple = _check_plain(item, what, depth + 1, check_order) and simple
    elif kind is cbor2.CBORTag:
        if type(value.tag) is not int:
            raise RecordError(f"{what} holds a tag that is not an integer")
        return _check_plain(value.value, what, depth + 1, check_order)
    elif kind is dict or isinstance(value, Mapping):  # cbor2 gives frozendicts inside tags
        keys = list(value)
        if all(type(k) is str for k in keys):
            in_order = not check_order or keys == sorted(keys, key=_text_order)
        elif all(type(k) is int and k >= 0 for k in keys):
            in_order = not check_order or keys == sorted(keys)
        else:
            simple = False
            for key in keys:
                _check_plain(key, what, depth + 1, check_order)
            in_order = not check_order or _in_encoded_order(keys, what)
        if not in_order:
            raise RecordError(f"{what} is not in deterministic CBOR encoding (map key order)")
        for item in value.values():
            if type(item) not in _SCALARS:
                simple = _check_plain(item, what, depth + 1, check_order) and simple
    else:
        raise RecordError(f"{what} holds a {kind.__name__}, which records never contain")
    return simple


def _in_encoded_order(keys: list[Any], what: str) -> bool:
    try:
        encoded = [encode(k) for k in keys]
    except (cbor2.CBOREncodeError, ValueError, TypeError, RecursionError) as exc:
        raise RecordError(f"{what} has a map key that cannot be encoded: {exc}") from None
    return encoded == sorted(encoded)


def _text_order(key: str) -> tuple[int, bytes]:
    """Text keys share a major type: encoded order is UTF-8 length, then bytes."""
    data = key.encode()
    return len(data), data

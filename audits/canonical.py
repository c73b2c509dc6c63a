"""Canonical JSON and SHA-256: the byte forms every digest in the audit trail is taken over.

Byte format (auditors reimplement this exactly):

- The value is a tree of ``dict`` (keys must be ``str``), ``list`` (a ``tuple`` is written as
  a list), ``str``, ``int``, ``bool`` and ``None``. Anything else is refused with
  `CanonicalJSONError`: floats (``1.0`` and ``1`` would hash differently, and floats are
  inexact), ``Fraction`` and ``Decimal`` (the caller converts them to an exact string such as
  ``"1234/5"`` or ``"12.50"``), bytes (the caller writes lowercase hex), NaN, sets.
- Integers have any size and are written in plain decimal (no exponent, no leading zeros).
- Objects have their keys sorted by Unicode code point (Python's ``sorted`` on ``str``; note
  that RFC 8785 sorts by UTF-16 code units, which differs only for characters beyond U+FFFF).
- No whitespace: separators are ``,`` and ``:``.
- Strings are written as Python's ``json.dumps(..., ensure_ascii=False)`` writes them: only
  ``"``, ``\\``, and control characters U+0000..U+001F are escaped (``\\n``, ``\\t``, ``\\"``,
  ``\\\\``, ``\\b``, ``\\f``, ``\\r``, otherwise ``\\u00XX`` lowercase hex); everything else,
  including non-ASCII letters, is written as itself. Strings holding lone surrogates are refused.
- The text is encoded as UTF-8 with no byte-order mark and no trailing newline.

The SHA-256 of those bytes, as 64 lowercase hex characters, is what manifests and receipts name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CanonicalJSONError",
    "canonical_json",
    "parse_canonical",
    "parse_json",
    "sha256",
    "sha256_hex",
    "unhex",
]


class CanonicalJSONError(ValueError):
    """A value cannot be written as canonical JSON, or bytes are not canonical JSON."""


def _check(value: Any, path: str) -> Any:
    """Return `value` with tuples turned into lists, refusing any non-canonical type."""
    if value is None or isinstance(value, bool | int | str):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise CanonicalJSONError(f"{path}: string is not valid Unicode ({exc})") from exc
        return value
    if isinstance(value, float):
        raise CanonicalJSONError(
            f"{path}: floats are not allowed in canonical JSON (got {value!r}); "
            "use an integer (money in pence) or an exact string"
        )
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(f"{path}: object keys must be strings (got {key!r})")
            out[key] = _check(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_check(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise CanonicalJSONError(
        f"{path}: {type(value).__name__} is not allowed in canonical JSON (got {value!r}); "
        "convert Fractions and Decimals to exact strings and bytes to hex"
    )


def canonical_json(obj: Any) -> bytes:
    """Return the canonical JSON bytes of `obj` (see the module docstring)."""
    checked = _check(obj, "$")
    text = json.dumps(
        checked, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _refuse_float(text: str) -> Any:
    raise CanonicalJSONError(f"floats are not allowed in canonical JSON (got {text})")


def _refuse_constant(text: str) -> Any:
    raise CanonicalJSONError(f"{text} is not allowed in canonical JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CanonicalJSONError(f"duplicate key {key!r} in JSON object")
        out[key] = value
    return out


def parse_json(data: bytes | str) -> Any:
    """Parse JSON strictly: refuse floats, NaN/Infinity and duplicate keys; any layout allowed."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalJSONError(f"JSON is not valid UTF-8: {exc}") from exc
    else:
        text = data
    try:
        return json.loads(
            text,
            parse_float=_refuse_float,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise CanonicalJSONError(f"not valid JSON: {exc}") from exc


def parse_canonical(data: bytes) -> Any:
    """Parse `data` and check it is exactly the canonical encoding of what it holds."""
    value = parse_json(data)
    if canonical_json(value) != data:
        raise CanonicalJSONError("JSON is valid but not in canonical form")
    return value


def sha256(data: bytes) -> bytes:
    """Return the 32-byte SHA-256 digest of `data`."""
    return hashlib.sha256(data).digest()


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 digest of `data` as 64 lowercase hex characters."""
    return hashlib.sha256(data).hexdigest()


def unhex(value: object, size: int, name: str) -> bytes:
    """Return the bytes of exactly `size` bytes written as lowercase hex, or raise ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise ValueError(f"{name} is not hex") from exc
    # Only one spelling per value: uppercase or spaced hex would give the same bytes.
    if len(raw) != size or raw.hex() != value:
        raise ValueError(f"{name} must be {2 * size} lowercase hex characters")
    return raw

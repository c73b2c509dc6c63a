"""The round's hash chain (the bulletin board) and tracker codes.

Every accepted ballot gets a random 16-byte tracker from the caller and becomes one leaf of the
round's chain. Sequences start at 1 and increase by one, in the order ballots were accepted.

Byte formats (all integers big-endian, ``H`` is SHA-256, ``||`` concatenation,
``utf8(s)`` the UTF-8 bytes of a string, ``u32``/``u64`` fixed-width unsigned integers)::

    genesis(round)  = H( b"decide/chain/genesis/v1\\x00" || u32(len(utf8(round))) || utf8(round) )

    leaf            = H( b"decide/chain/leaf/v1\\x00"
                         || u32(len(utf8(round))) || utf8(round)
                         || u64(sequence)
                         || tracker                      (exactly 16 bytes)
                         || u64(len(ballot)) || ballot ) (ballot = the canonical ballot bytes)

    head_0          = genesis(round)
    head_n          = H( b"decide/chain/head/v1\\x00" || head_{n-1} || leaf_n )

Every variable-length field carries its length, so no two different (round, sequence,
tracker, ballot) tuples share an encoding; the distinct ``\\x00``-terminated prefixes keep a
leaf from being mistaken for a head or a genesis value. The chain head after the last ballot
is what the manifest records as ``chain_head``. Leaves, heads and trackers are written in
JSON as lowercase hex.

Tracker codes for people: the tracker's 128 bits written in Crockford base32 (alphabet
``0123456789ABCDEFGHJKMNPQRSTVWXYZ``, most significant bits first, the final 2 bits padded
with zeros to 26 characters). `tracker_code` shows the first 12 characters in three groups of
four (``7K2F-9QXM-A4D1``, 60 bits); `tracker_code_full` shows all 26 in groups of four.
Reading a code, case is ignored, ``I``/``L`` read as ``1``, ``O`` as ``0``, and hyphens and
spaces are dropped.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

__all__ = [
    "TRACKER_BYTES",
    "ChainCheck",
    "ChainEntry",
    "append",
    "genesis",
    "leaf_hash",
    "next_head",
    "normalise_code",
    "parse_tracker",
    "tracker_code",
    "tracker_code_full",
    "tracker_hex",
    "tracker_matches_code",
    "verify_chain",
]

TRACKER_BYTES = 16
GENESIS_PREFIX = b"decide/chain/genesis/v1\x00"
LEAF_PREFIX = b"decide/chain/leaf/v1\x00"
HEAD_PREFIX = b"decide/chain/head/v1\x00"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: c for c in CROCKFORD} | {"I": "1", "L": "1", "O": "0"}


def _round_bytes(round_id: str) -> bytes:
    if not isinstance(round_id, str) or not round_id:
        raise ValueError("round id must be a non-empty string")
    data = round_id.encode("utf-8")
    return struct.pack(">I", len(data)) + data


@functools.lru_cache(maxsize=64)
def _leaf_state(round_id: str) -> Any:
    # Every leaf of a round starts with the same bytes; hash them once and copy the state.
    return hashlib.sha256(LEAF_PREFIX + _round_bytes(round_id))


def _check_tracker(tracker: bytes) -> None:
    if not isinstance(tracker, bytes | bytearray) or len(tracker) != TRACKER_BYTES:
        raise ValueError(f"a tracker is exactly {TRACKER_BYTES} bytes")


def genesis(round_id: str) -> bytes:
    """Return the chain head before any ballot: a hash of the round id."""
    return hashlib.sha256(GENESIS_PREFIX + _round_bytes(round_id)).digest()


def leaf_hash(round_id: str, sequence: int, tracker: bytes, ballot_bytes: bytes) -> bytes:
    """Return the 32-byte leaf hash of one ballot on the board."""
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence < 2**64:
        raise ValueError("sequence must be an integer from 1")
    _check_tracker(tracker)
    h = _leaf_state(round_id).copy()
    h.update(struct.pack(">Q", sequence))
    h.update(bytes(tracker))
    h.update(struct.pack(">Q", len(ballot_bytes)))
    h.update(ballot_bytes)
    return bytes(h.digest())


def next_head(prev: bytes, leaf: bytes) -> bytes:
    """Return the chain head after appending `leaf` to a chain whose head is `prev`."""
    if len(prev) != 32 or len(leaf) != 32:
        raise ValueError("heads and leaves are 32-byte SHA-256 digests")
    return hashlib.sha256(HEAD_PREFIX + prev + leaf).digest()


def append(
    prev: bytes, round_id: str, sequence: int, tracker: bytes, ballot_bytes: bytes
) -> tuple[bytes, bytes]:
    """Return (leaf, new head) for appending one ballot after head `prev`."""
    leaf = leaf_hash(round_id, sequence, tracker, ballot_bytes)
    return leaf, next_head(prev, leaf)


@dataclass(frozen=True)
class ChainEntry:
    """One ballot on the board; `leaf` and `head` are the stored values to check, if any."""

    sequence: int
    tracker: bytes
    ballot_bytes: bytes
    leaf: bytes | None = None
    head: bytes | None = None


@dataclass(frozen=True)
class ChainCheck:
    """The result of re-verifying a chain: its recomputed head and leaves, or the first fault.

    On failure `first_bad_sequence` is the sequence number (1-based position) at which the
    chain first goes wrong; `count`, `head` and `leaves` cover the good part before it.
    """

    ok: bool
    count: int
    head: bytes
    leaves: tuple[bytes, ...]
    first_bad_sequence: int | None = None
    reason: str = ""


def verify_chain(round_id: str, entries: Iterable[ChainEntry]) -> ChainCheck:
    """Recompute every leaf and head; name the first sequence that is wrong or out of order."""
    head = genesis(round_id)
    leaves: list[bytes] = []
    seen: set[bytes] = set()
    expected = 1

    def fail(entry: ChainEntry, reason: str) -> ChainCheck:
        # The first bad sequence is the position where the chain stops being right.
        return ChainCheck(False, len(leaves), head, tuple(leaves), len(leaves) + 1, reason)

    for entry in entries:
        bad = partial(fail, entry)
        if entry.sequence != expected:
            return bad(f"sequence {entry.sequence} found where {expected} was expected")
        try:
            leaf = leaf_hash(round_id, entry.sequence, entry.tracker, entry.ballot_bytes)
        except ValueError as exc:
            return bad(f"sequence {entry.sequence}: {exc}")
        if bytes(entry.tracker) in seen:
            return bad(f"sequence {entry.sequence}: tracker {entry.tracker.hex()} repeats")
        seen.add(bytes(entry.tracker))
        if entry.leaf is not None and entry.leaf != leaf:
            return bad(f"sequence {entry.sequence}: stored leaf does not match the ballot")
        new_head = next_head(head, leaf)
        if entry.head is not None and entry.head != new_head:
            return bad(f"sequence {entry.sequence}: stored head does not follow the chain")
        head = new_head
        leaves.append(leaf)
        expected += 1
    return ChainCheck(True, len(leaves), head, tuple(leaves))


def _base32(data: bytes) -> str:
    bits = len(data) * 8
    number = int.from_bytes(data, "big")
    chars = -(-bits // 5)
    number <<= chars * 5 - bits
    return "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in range(chars - 1, -1, -1))


def _group(text: str) -> str:
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def tracker_code(tracker: bytes) -> str:
    """Return the short code people read and type, e.g. ``7K2F-9QXM-A4D1`` (first 60 bits)."""
    _check_tracker(tracker)
    return _group(_base32(bytes(tracker))[:12])


def tracker_code_full(tracker: bytes) -> str:
    """Return all 128 bits of the tracker in Crockford base32, grouped by four."""
    _check_tracker(tracker)
    return _group(_base32(bytes(tracker)))


def tracker_hex(tracker: bytes) -> str:
    """Return the tracker's full form: 32 lowercase hex characters."""
    _check_tracker(tracker)
    return bytes(tracker).hex()


def normalise_code(text: str) -> str:
    """Return a typed code in canonical Crockford letters without separators, or raise."""
    out = []
    for ch in text.upper():
        if ch in "- ":
            continue
        if ch not in _DECODE:
            raise ValueError(f"{ch!r} is not a letter used in tracker codes")
        out.append(_DECODE[ch])
    return "".join(out)


def parse_tracker(text: str) -> bytes:
    """Return the 16-byte tracker from its 32-hex form or its full 26-letter code."""
    stripped = text.strip().replace("-", "").replace(" ", "")
    if len(stripped) == 32:
        try:
            return bytes.fromhex(stripped)
        except ValueError:
            pass
    code = normalise_code(stripped)
    if len(code) != 26:
        raise ValueError("a full tracker is 32 hex characters or 26 code letters")
    number = 0
    for ch in code:
        number = number * 32 + CROCKFORD.index(ch)
    if number & 0b11:
        raise ValueError("not a valid tracker code (padding bits set)")
    return (number >> 2).to_bytes(TRACKER_BYTES, "big")


def tracker_matches_code(tracker: bytes, code: str) -> bool:
    """Return whether a typed (possibly short) code is a prefix of the tracker's full code."""
    typed = normalise_code(code)
    return bool(typed) and _base32(bytes(tracker)).startswith(typed)

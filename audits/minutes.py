"""The hash chain of a round's approved panel minutes.

Each approved set of minutes is a canonical JSON document (`audits.canonical`) of type
``decide-minutes/v1``; minutes are chained per round in the order they were approved, so that
changing or removing an approved set changes the head the results manifest records
(``minutes_head``). Byte format (``H`` is SHA-256, ``||`` concatenation, ``u32``/``u64``
big-endian unsigned integers, ``utf8(s)`` the UTF-8 bytes of a string)::

    genesis(round) = H( b"decide/minutes/genesis/v1\\x00" || u32(len(utf8(round))) || utf8(round) )
    entry_n        = H( b"decide/minutes/entry/v1\\x00" || u64(n) || H(minutes_n) )
    head_0         = genesis(round)
    head_n         = H( b"decide/minutes/head/v1\\x00" || head_{n-1} || entry_n )

``n`` counts from 1; ``minutes_n`` are the canonical JSON bytes of the n-th approved minutes.
The distinct ``\\x00``-terminated prefixes keep an entry from being read as a head or a genesis
value, as in `audits.chain`. Heads are written in JSON as 64 lowercase hex characters.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

__all__ = ["MINUTES_TYPE", "genesis", "minutes_head", "next_head"]

MINUTES_TYPE = "decide-minutes/v1"
GENESIS_PREFIX = b"decide/minutes/genesis/v1\x00"
ENTRY_PREFIX = b"decide/minutes/entry/v1\x00"
HEAD_PREFIX = b"decide/minutes/head/v1\x00"


def genesis(round_id: str) -> bytes:
    """Return the head of a round's minutes chain before any minutes are approved."""
    if not isinstance(round_id, str) or not round_id:
        raise ValueError("round id must be a non-empty string")
    data = round_id.encode("utf-8")
    return hashlib.sha256(GENESIS_PREFIX + struct.pack(">I", len(data)) + data).digest()


def next_head(prev: bytes, sequence: int, minutes_json: bytes) -> bytes:
    """Return the head after appending the `sequence`-th approved minutes to head `prev`."""
    if len(prev) != 32:
        raise ValueError("a head is a 32-byte SHA-256 digest")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence < 2**64:
        raise ValueError("sequence must be an integer from 1")
    entry = hashlib.sha256(
        ENTRY_PREFIX + struct.pack(">Q", sequence) + hashlib.sha256(minutes_json).digest()
    ).digest()
    return hashlib.sha256(HEAD_PREFIX + prev + entry).digest()


def minutes_head(round_id: str, minutes: Iterable[bytes]) -> bytes:
    """Return the head after every approved minutes of a round, in the order approved."""
    head = genesis(round_id)
    for sequence, document in enumerate(minutes, start=1):
        head = next_head(head, sequence, document)
    return head

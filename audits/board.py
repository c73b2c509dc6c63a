"""The commitment board and the plaintext ballot list, as the box is opened at close.

During voting each ballot is sealed with a fresh 32-byte salt; the voter's receipt holds a
random tracker and the ballot's commitment. At close the server opens the box and publishes
two lists that share nothing but their length:

- the **commitment board**: one line per ballot (tracker, commitment, route), sorted by
  tracker, which is random, so the order says nothing about time;
- the **plaintext list**: the canonical ballot bytes, sorted, with no tracker and no route.

The salts are deleted with the envelopes, so nobody (the voter included) can open a
commitment afterwards: a receipt proves that a ballot was sealed and counted, never what it
says. Opening the box is trusted; see docs/THREATS.md.

Byte formats (``H`` is SHA-256, ``||`` concatenation, ``u64`` big-endian)::

    commitment = H( b"decide/commit/v1\\x00" || salt (32 bytes) || u64(len(ballot)) || ballot )
    board leaf = audits.chain.leaf_hash(round, position, tracker, commitment)
                 (the chain's leaf with the 32-byte commitment in the ballot's place;
                 positions start at 1 in tracker order)
    board root = the RFC 6962 Merkle root (audits.merkle) over the board leaves
    board head = the chain head (audits.chain.next_head) over the board leaves

    board.json = canonical JSON {"type": "decide-board/v1", "round": str,
                 "entries": [{"tracker": 32 hex, "commitment": 64 hex, "route": str}, ...]}
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from audits.canonical import canonical_json
from audits.chain import TRACKER_BYTES, genesis, leaf_hash, next_head
from audits.merkle import MerkleTree

__all__ = [
    "BOARD_TYPE",
    "SALT_BYTES",
    "BoardLine",
    "OpenedBoard",
    "board_json",
    "board_leaf",
    "commitment",
    "list_id",
    "open_board",
    "parse_board",
]

BOARD_TYPE = "decide-board/v1"
COMMIT_PREFIX = b"decide/commit/v1\x00"
SALT_BYTES = 32


def commitment(salt: bytes, ballot: bytes) -> bytes:
    """Return the salted commitment to a ballot's canonical bytes."""
    if len(salt) != SALT_BYTES:
        raise ValueError("the salt is 32 bytes")
    return hashlib.sha256(COMMIT_PREFIX + salt + struct.pack(">Q", len(ballot)) + ballot).digest()


def board_leaf(round_id: str, position: int, tracker: bytes, commit: bytes) -> bytes:
    """Return the board leaf of the line at `position` (from 1)."""
    if len(commit) != 32:
        raise ValueError("a commitment is 32 bytes")
    return leaf_hash(round_id, position, tracker, commit)


def list_id(position: int) -> bytes:
    """Return the 16-byte id of the plaintext list's ballot at `position`: the number itself."""
    return position.to_bytes(TRACKER_BYTES, "big")


@dataclass(frozen=True)
class BoardLine:
    """One sealed ballot as opened at close: its tracker, commitment, route and bytes."""

    tracker: bytes
    commitment: bytes
    route: str
    ballot: bytes = b""  # empty when read back from a published board.json


@dataclass(frozen=True)
class OpenedBoard:
    """The commitment board in tracker order and the plaintext list in byte order."""

    round_id: str
    lines: tuple[BoardLine, ...]
    ballots: tuple[bytes, ...]
    leaves: tuple[bytes, ...]
    head: bytes
    root: bytes

    def routes(self) -> dict[str, int]:
        """Return how many ballots came by each route."""
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.route] = out.get(line.route, 0) + 1
        return dict(sorted(out.items()))


def open_board(round_id: str, lines: Iterable[BoardLine]) -> OpenedBoard:
    """Sort the opened ballots into the commitment board and the plaintext list."""
    board = tuple(sorted(lines, key=lambda line: line.tracker))
    for before, after in pairwise(board):
        if before.tracker == after.tracker:
            raise ValueError(f"tracker {after.tracker.hex()} appears twice in the box")
    leaves = tuple(
        board_leaf(round_id, i, line.tracker, line.commitment) for i, line in enumerate(board, 1)
    )
    head = genesis(round_id)
    for leaf in leaves:
        head = next_head(head, leaf)
    ballots = tuple(sorted(line.ballot for line in board))
    return OpenedBoard(round_id, board, ballots, leaves, head, MerkleTree(list(leaves)).root)


def board_json(round_id: str, lines: Sequence[BoardLine]) -> bytes:
    """Return board.json for lines already in tracker order."""
    return canonical_json(
        {
            "type": BOARD_TYPE,
            "round": round_id,
            "entries": [
                {"tracker": x.tracker.hex(), "commitment": x.commitment.hex(), "route": x.route}
                for x in lines
            ],
        }
    )


def parse_board(data: bytes, round_id: str) -> tuple[BoardLine, ...]:
    """Read board.json; raise ValueError unless it is this round's, sorted, with no repeats."""
    from audits.canonical import parse_json

    obj = parse_json(data)
    if not isinstance(obj, dict) or obj.get("type") != BOARD_TYPE:
        raise ValueError(f"board.json is not a {BOARD_TYPE} file")
    if obj.get("round") != round_id:
        raise ValueError("board.json belongs to another round")
    entries = obj.get("entries")
    if not isinstance(entries, list):
        raise ValueError("board.json has no list of entries")
    lines = []
    for n, e in enumerate(entries, 1):
        try:
            tracker = bytes.fromhex(e["tracker"])
            commit = bytes.fromhex(e["commitment"])
            route = e["route"]
        except (TypeError, KeyError, ValueError):
            raise ValueError(f"board.json line {n} is not tracker, commitment and route") from None
        if len(tracker) != TRACKER_BYTES or len(commit) != 32 or not isinstance(route, str):
            raise ValueError(f"board.json line {n} has a malformed tracker or commitment")
        lines.append(BoardLine(tracker, commit, route))
    for n, (before, after) in enumerate(pairwise(lines), 2):
        if not before.tracker < after.tracker:
            raise ValueError(f"board.json line {n} is out of tracker order or repeats a tracker")
    return tuple(lines)

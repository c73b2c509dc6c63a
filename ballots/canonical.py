"""Canonical bytes of a ballot, for hashing on the bulletin board.

The bytes depend only on the vote type and the choices, never on the voter id, the tracker or
any other field. Two ballots that mean the same thing give the same bytes.

Format, version 1 (auditors reimplement this exactly). The bytes are the UTF-8 encoding, with
no byte-order mark and no trailing newline, of this JSON object with no whitespace::

    {"choices":CHOICES,"type":TYPE,"v":1}

* keys in this order (which is code-point order, so the object is also canonical JSON as
  ``audits.canonical`` defines it);
* ``TYPE`` is the vote type: ``"approval"``, ``"cumulative"``, ``"ordinal"`` or ``"scoring"``.
  The app's kinds map onto them: approval and knapsack ballots are ``"approval"``, ranked
  ballots are ``"ordinal"``;
* ``CHOICES`` depends on the type:

  - approval: the list of the distinct project ids, sorted by Unicode code point (which is
    also UTF-8 byte order), e.g. ``["12","7"]``;
  - cumulative and scoring: the list of ``[id, points]`` pairs for the projects with non-zero
    points, sorted by id as above, e.g. ``[["12",3],["7",2]]``. If a project is listed more
    than once, its last points count (as `Ballot.points_by_project` and pabutools read it);
  - ordinal: the project ids in rank order, best first, each at its first place only,
    e.g. ``["7","12"]``;

* strings are written as Python's ``json.dumps(..., ensure_ascii=False)`` writes them: only
  ``"``, ``\\``, and U+0000..U+001F are escaped (``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``,
  ``\\b``, ``\\f``, else ``\\u00XX`` with lowercase hex); all other characters are written as
  themselves. Points are integers in plain decimal (no exponent, no leading zeros, ``-`` for
  negatives). Nothing else appears: no floats, no nulls.

Example: an approval ballot for projects 7 and 12 is the 44 bytes
``{"choices":["12","7"],"type":"approval","v":1}``.
"""

from __future__ import annotations

import json
from typing import Any

from ballots.model import VOTE_TYPE_OF_KIND, Ballot, VoteType

VERSION = 1
VOTE_TYPES: tuple[VoteType, ...] = ("approval", "cumulative", "ordinal", "scoring")


class CanonicalBallotError(ValueError):
    """A ballot that has no canonical form, or bytes that are not a canonical ballot."""


def vote_type_of(kind_or_vote_type: str) -> VoteType:
    """Return the vote type for an app ballot kind or a pabulib vote type."""
    if kind_or_vote_type in VOTE_TYPE_OF_KIND:
        return VOTE_TYPE_OF_KIND[kind_or_vote_type]
    for vt in VOTE_TYPES:
        if vt == kind_or_vote_type:
            return vt
    raise CanonicalBallotError(f"unknown ballot kind or vote type {kind_or_vote_type!r}")


def _dump(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalBallotError(f"a project id is not valid Unicode ({exc})") from exc


def _check_id(pid: object) -> str:
    if not isinstance(pid, str):
        raise CanonicalBallotError(f"project id {pid!r} is not a string")
    return pid


def canonical_choices(kind_or_vote_type: str, ballot: Ballot) -> list[Any]:
    """Return the CHOICES list of the canonical form (see the module docstring)."""
    vote_type = vote_type_of(kind_or_vote_type)
    ids = [_check_id(pid) for pid in ballot.projects]
    if vote_type == "approval":
        return sorted(set(ids))
    if vote_type == "ordinal":
        return list(dict.fromkeys(ids))
    if ballot.points is None or len(ballot.points) != len(ids):
        raise CanonicalBallotError(f"a {vote_type} ballot needs one points value per project")
    for value in ballot.points:
        if not isinstance(value, int) or isinstance(value, bool):
            raise CanonicalBallotError(f"points {value!r} are not an integer")
    last = dict(zip(ids, ballot.points))
    return [[pid, last[pid]] for pid in sorted(last) if last[pid] != 0]


def canonical_ballot_bytes(kind_or_vote_type: str, ballot: Ballot) -> bytes:
    """Return the canonical bytes of a ballot (format in the module docstring)."""
    vote_type = vote_type_of(kind_or_vote_type)
    choices = canonical_choices(vote_type, ballot)
    return _dump({"choices": choices, "type": vote_type, "v": VERSION})


def decode_canonical_ballot(data: bytes) -> tuple[VoteType, Ballot]:
    """Return the vote type and ballot (voter_id "") that canonical bytes encode.

    Raise CanonicalBallotError unless `data` is exactly the canonical form of what it encodes.
    """
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CanonicalBallotError(f"not UTF-8 JSON: {exc}") from exc
    if not isinstance(value, dict) or set(value) != {"choices", "type", "v"}:
        raise CanonicalBallotError("expected an object with keys choices, type and v")
    if value["v"] != VERSION or isinstance(value["v"], bool):
        raise CanonicalBallotError(f"unsupported version {value['v']!r}")
    vote_type = value["type"]
    if vote_type not in VOTE_TYPES:
        raise CanonicalBallotError(f"unknown vote type {vote_type!r}")
    choices = value["choices"]
    if not isinstance(choices, list):
        raise CanonicalBallotError("choices must be a list")
    if vote_type in ("approval", "ordinal"):
        ballot = Ballot(voter_id="", projects=tuple(_check_id(c) for c in choices))
    else:
        ids: list[str] = []
        points: list[int] = []
        for pair in choices:
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not isinstance(pair[1], int)
                or isinstance(pair[1], bool)
            ):
                raise CanonicalBallotError(f"expected [id, points], got {pair!r}")
            ids.append(_check_id(pair[0]))
            points.append(pair[1])
        ballot = Ballot(voter_id="", projects=tuple(ids), points=tuple(points))
    if canonical_ballot_bytes(vote_type, ballot) != data:
        raise CanonicalBallotError("bytes are not in canonical form")
    return vote_type, ballot

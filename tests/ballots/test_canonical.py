"""Tests for the canonical byte form of ballots."""

from __future__ import annotations

import hashlib
import json

import pytest

from ballots.canonical import (
    CanonicalBallotError,
    canonical_ballot_bytes,
    decode_canonical_ballot,
)
from ballots.model import Ballot


def test_documented_example() -> None:
    data = canonical_ballot_bytes("approval", Ballot("voter-9", ("7", "12")))
    assert data == b'{"choices":["12","7"],"type":"approval","v":1}'
    assert len(data) == 46


def test_known_digest_pins_the_format() -> None:
    # If this digest changes, every published leaf hash changes: bump the version instead.
    data = canonical_ballot_bytes("cumulative", Ballot("x", ("b", "a", "c"), (2, 3, 0)))
    assert data == b'{"choices":[["a",3],["b",2]],"type":"cumulative","v":1}'
    assert hashlib.sha256(data).hexdigest() == (
        "fd3b81fbeace89d2794ab83ad420fa6a27c47da0ba861d98cb62078569e95bda"
    )


def test_kinds_map_to_vote_types() -> None:
    ballot = Ballot("v", ("2", "1"))
    assert canonical_ballot_bytes("knapsack", ballot) == canonical_ballot_bytes("approval", ballot)
    assert canonical_ballot_bytes("ranked", ballot) == (
        b'{"choices":["2","1"],"type":"ordinal","v":1}'
    )


def test_voter_id_and_fields_do_not_matter() -> None:
    a = Ballot("alice", ("1", "2"), fields={"age": "30"})
    b = Ballot("bob", ("2", "1", "2"))
    assert canonical_ballot_bytes("approval", a) == canonical_ballot_bytes("approval", b)


def test_ordinal_keeps_rank_order_and_first_places() -> None:
    assert canonical_ballot_bytes("ordinal", Ballot("v", ("3", "1", "3", "2"))) == (
        b'{"choices":["3","1","2"],"type":"ordinal","v":1}'
    )


def test_non_ascii_and_control_characters() -> None:
    data = canonical_ballot_bytes("approval", Ballot("v", ("Łódź", 'a"b\n')))
    assert data == '{"choices":["a\\"b\\n","Łódź"],"type":"approval","v":1}'.encode()
    assert json.loads(data)["choices"] == ['a"b\n', "Łódź"]


@pytest.mark.parametrize(
    ("kind", "ballot"),
    [
        ("approval", Ballot("v", ("1", "3", "2"))),
        ("cumulative", Ballot("v", ("1", "3"), (5, -2))),
        ("scoring", Ballot("v", (), ())),
        ("ordinal", Ballot("v", ("9", "10"))),
    ],
)
def test_decode_inverts_encode(kind: str, ballot: Ballot) -> None:
    data = canonical_ballot_bytes(kind, ballot)
    vote_type, decoded = decode_canonical_ballot(data)
    assert vote_type == kind
    assert canonical_ballot_bytes(vote_type, decoded) == data
    assert decoded.voter_id == ""


@pytest.mark.parametrize(
    "data",
    [
        b'{"choices":["7","12"],"type":"approval","v":1}',  # not sorted
        b'{"choices":["1","1"],"type":"approval","v":1}',  # repeated
        b'{"choices": ["1"],"type":"approval","v":1}',  # whitespace
        b'{"choices":[["a",0]],"type":"cumulative","v":1}',  # zero points
        b'{"choices":[["a",1.0]],"type":"cumulative","v":1}',  # float points
        b'{"choices":["1"],"type":"approval","v":2}',
        b'{"choices":["1"],"type":"plurality","v":1}',
        b'{"choices":[1],"type":"approval","v":1}',
        b"\xff",
        b"[]",
    ],
)
def test_decode_refuses_non_canonical_bytes(data: bytes) -> None:
    with pytest.raises(CanonicalBallotError):
        decode_canonical_ballot(data)


def test_bad_ballots_have_no_canonical_form() -> None:
    with pytest.raises(CanonicalBallotError, match="points"):
        canonical_ballot_bytes("cumulative", Ballot("v", ("1",)))
    with pytest.raises(CanonicalBallotError, match="not an integer"):
        canonical_ballot_bytes("cumulative", Ballot("v", ("1",), (1.5,)))  # type: ignore[arg-type]
    with pytest.raises(CanonicalBallotError, match="unknown"):
        canonical_ballot_bytes("plurality", Ballot("v", ("1",)))
    with pytest.raises(CanonicalBallotError, match="Unicode"):
        canonical_ballot_bytes("approval", Ballot("v", ("\ud800",)))

from __future__ import annotations

import hashlib
import struct

import pytest

from audits.chain import (
    ChainEntry,
    append,
    genesis,
    leaf_hash,
    next_head,
    parse_tracker,
    tracker_code,
    tracker_code_full,
    tracker_hex,
    tracker_matches_code,
    verify_chain,
)

T = [bytes([i]) * 16 for i in range(1, 6)]


def entries(round_id="r1"):
    out, head = [], genesis(round_id)
    for seq, tracker in enumerate(T, start=1):
        ballot = f"ballot {seq}".encode()
        leaf, head = append(head, round_id, seq, tracker, ballot)
        out.append(ChainEntry(seq, tracker, ballot, leaf, head))
    return out


def test_leaf_byte_format_documented():
    rid = "round-7"
    expected = hashlib.sha256(
        b"decide/chain/leaf/v1\x00"
        + struct.pack(">I", 7)
        + rid.encode()
        + struct.pack(">Q", 3)
        + T[0]
        + struct.pack(">Q", 2)
        + b"{}"
    ).digest()
    assert leaf_hash(rid, 3, T[0], b"{}") == expected
    assert (
        genesis(rid)
        == hashlib.sha256(
            b"decide/chain/genesis/v1\x00" + struct.pack(">I", 7) + rid.encode()
        ).digest()
    )
    a, b = b"\x01" * 32, b"\x02" * 32
    assert next_head(a, b) == hashlib.sha256(b"decide/chain/head/v1\x00" + a + b).digest()


def test_encoding_is_unambiguous():
    assert leaf_hash("ab", 1, T[0], b"c") != leaf_hash("a", 1, T[0], b"bc")
    assert genesis("r1") != genesis("r2")


def test_verify_good_chain():
    es = entries()
    check = verify_chain("r1", es)
    assert check.ok and check.count == 5 and check.head == es[-1].head
    assert check.leaves == tuple(e.leaf for e in es)


def test_verify_empty_chain_is_genesis():
    check = verify_chain("r1", [])
    assert check.ok and check.head == genesis("r1")


@pytest.mark.parametrize(
    ("change", "bad_seq"),
    [
        (lambda es: es.__setitem__(2, es[2].__class__(3, T[2], b"other", es[2].leaf)), 3),
        (lambda es: es.pop(1), 2),
        (lambda es: es.__setitem__(slice(1, 3), [es[2], es[1]]), 2),
        (lambda es: es.__setitem__(3, ChainEntry(4, T[0], es[3].ballot_bytes)), 4),
        (lambda es: es.__setitem__(4, ChainEntry(5, T[4], b"ballot 5", None, b"\0" * 32)), 5),
    ],
)
def test_verify_names_first_bad_sequence(change, bad_seq):
    es = entries()
    change(es)
    check = verify_chain("r1", es)
    assert not check.ok
    assert check.first_bad_sequence == bad_seq
    assert check.reason


def test_other_round_fails_on_first_leaf():
    check = verify_chain("r2", entries("r1"))
    assert not check.ok and check.first_bad_sequence == 1


def test_bad_inputs():
    with pytest.raises(ValueError):
        leaf_hash("r", 1, b"short", b"")
    with pytest.raises(ValueError):
        leaf_hash("r", 0, T[0], b"")
    with pytest.raises(ValueError):
        leaf_hash("", 1, T[0], b"")


def test_tracker_codes():
    tracker = bytes(range(16))
    code = tracker_code(tracker)
    assert len(code) == 14 and code.count("-") == 2
    full = tracker_code_full(tracker)
    assert full.replace("-", "").startswith(code.replace("-", ""))
    assert parse_tracker(full) == tracker
    assert parse_tracker(tracker_hex(tracker)) == tracker
    assert parse_tracker(full.lower().replace("1", "l").replace("0", "o")) == tracker
    assert tracker_matches_code(tracker, code.lower())
    assert not tracker_matches_code(b"\xff" * 16, code)
    assert tracker_code(b"\x00" * 16) == "0000-0000-0000"
    assert tracker_code_full(b"\xff" * 16).replace("-", "") == "Z" * 25 + "W"
    with pytest.raises(ValueError):
        parse_tracker("U" * 26)

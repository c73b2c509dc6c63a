from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import pytest

from audits import bls
from audits.bundle import BoardBallot, RoundSpec, close_round, publish
from audits.canonical import sha256
from audits.manifest import Manifest, exact, parse_exact
from audits.verify import PinnedKeys, verdict, verify_pdf
from ballots.model import Ballot, Instance
from ballots.rules import BallotRules

from .conftest import projects


def test_exact_amounts():
    assert exact(Fraction(60000)) == "60000"
    assert exact(Fraction("2572946.76")) == "2572946.76"
    assert exact(Fraction(1, 3)) == "1/3"
    assert parse_exact("1/3") == Fraction(1, 3)
    for bad in ("1e3", "", 5, "1 000", "x"):
        with pytest.raises(ValueError):
            parse_exact(bad)


def test_manifest_round_trip_and_digest(full):
    m = full.closing.manifest
    data = m.to_json_bytes()
    assert Manifest.from_json_bytes(data) == m
    assert m.digest() == sha256(data)
    obj = json.loads(data)
    assert obj["type"] == "decide-manifest/v1"
    assert obj["threshold"] == 2
    assert obj["files"]["ballots.pb"] == full.closing.manifest.files["ballots.pb"]
    assert set(obj) >= {
        "round",
        "title",
        "budget",
        "currency",
        "ballot",
        "rule",
        "rule_parameters",
        "tie_break",
        "projects",
        "ballot_count",
        "ballots_by_channel",
        "merkle_root",
        "chain_head",
        "tally",
        "allocation",
        "software_version",
        "server_public_key",
    }
    assert obj["ballots_by_channel"] == {"online": 45, "paper": 15}


def test_manifest_rejects_non_canonical_and_missing_fields(full):
    data = full.closing.manifest.to_json_bytes()
    with pytest.raises(ValueError, match="canonical"):
        Manifest.from_json_bytes(json.dumps(json.loads(data), indent=1).encode())
    obj = json.loads(data)
    del obj["chain_head"]
    with pytest.raises(ValueError, match="chain_head"):
        Manifest.from_dict(obj)


def test_ballots_pb_rebuilds_the_chain(full):
    text = full.files["ballots.pb"].decode()
    votes = text.split("VOTES\n", 1)[1].splitlines()
    assert votes[0] == "voter_id;vote;sequence;channel"
    first = votes[1].split(";")
    assert first[0] == full.board[0].tracker.hex() and first[2] == "1"


@pytest.mark.parametrize(
    ("rules", "rule", "ballots"),
    [
        (
            BallotRules("cumulative", total_points=10, max_points_per_project=6),
            "greedy",
            [(("p1", "p2"), (6, 4)), (("p3",), (5,)), (("p2", "p8"), (3, 3))],
        ),
        (
            BallotRules("ranked", min_choices=1, rank_depth=3),
            "greedy",
            [(("p2", "p1", "p5"), None), (("p1",), None), (("p8", "p2"), None)],
        ),
        (
            BallotRules("knapsack", min_choices=1),
            "equal-shares",
            [(("p1", "p2"), None), (("p3",), None), (("p1", "p4"), None)],
        ),
    ],
)
def test_other_ballot_kinds_close_and_verify(panel, full, rules, rule, ballots):
    keys, public = panel
    spec = RoundSpec(
        round_id=f"round-{rules.kind}",
        title=f"A {rules.kind} round",
        currency="GBP",
        instance=Instance(Fraction(900_000), projects()),
        rules=rules,
        rule=rule,
        tie_break={"kind": "lex", "seed": None},
        threshold=1,
        threshold_reason="a test round signed by one key",
        panel=public[:1],
        server_public_key=full.server.public_key_hex,
        software_version="decide 0.1.0",
    )
    board = [
        BoardBallot(i, bytes([i]) * 16, Ballot("", p, pts), "online")
        for i, (p, pts) in enumerate(ballots * 4, start=1)
    ]
    closing = close_round(spec, board)
    sig = bls.sign_document(keys[0], closing.manifest.to_dict())
    pub = publish(closing, [sig])
    # k=1: only a pinned k of 1 (the round's keys.json) passes in full; members' key files
    # alone leave it consistent (see test_one_signer_needs_a_pinned_threshold).
    checks = verify_pdf(pub.pdf, pinned_keys=PinnedKeys(tuple(public[:1]), 1))
    statuses = [c.status for c in checks]
    assert statuses == ["PASS"] * 7 + ["SKIP", "PASS", "SKIP", "SKIP"], [c.line() for c in checks]


def test_one_signer_needs_a_pinned_threshold(full, panel):
    """Outside review of issue 13: one member's own key, pinned alone, let a manifest that set
    k=1 pass in full. Without a pinned k, a threshold below 2 is only consistent (exit 3)."""
    keys, public = panel
    spec = dataclasses.replace(
        full.spec, threshold=1, threshold_reason="forged: one member alone", panel=public[:1]
    )
    closing = close_round(spec, full.board)
    pub = publish(closing, [bls.sign_document(keys[0], closing.manifest.to_dict())])
    checks = verify_pdf(pub.pdf, pinned_keys=public)  # the members' own key files
    assert checks[5].status == "WARN", checks[5].line()
    assert "pin the round's keys.json" in checks[5].line()
    assert verdict(checks).status == 3
    # Pinned with the k the site stated when voting opened (2), it fails.
    assert verdict(verify_pdf(pub.pdf, pinned_keys=PinnedKeys(tuple(public), 2))).status == 1


def test_close_round_refuses_bad_boards(full):
    spec = full.spec
    b = full.board
    with pytest.raises(ValueError, match="sequence"):
        close_round(spec, [b[1], b[0]])
    dup = BoardBallot(2, b[0].tracker, b[1].ballot)
    with pytest.raises(ValueError, match="twice"):
        close_round(spec, [b[0], dup])

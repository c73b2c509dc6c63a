"""A real pabulib election (decimal budget) closed, published and verified end to end."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

from audits import bls
from audits.bundle import BoardBallot, RoundSpec, close_round, publish
from audits.manifest import Manifest
from audits.verify import PinnedKeys, verify_pdf
from ballots.model import Ballot
from ballots.pabulib import parse
from ballots.rules import rules_from_pabulib

PABULIB = Path(__file__).resolve().parents[2] / ".." / "shared" / "pabulib"
FILE = "Poland_Warszawa_2017_Przyczolek_Grochowski.pb"


def test_warszawa_round_verifies(panel, full):
    keys, public = panel
    pb = parse((PABULIB / FILE).read_text(encoding="utf-8"))
    assert pb.instance.budget == Fraction("102533.36")
    board = [
        BoardBallot(
            seq,
            # Test trackers only: the app draws them at random, never from the voter.
            hashlib.sha256(b.voter_id.encode()).digest()[:16],
            Ballot("", b.projects, b.points),
            b.fields.get("voting_method", "internet"),
        )
        for seq, b in enumerate(pb.profile.ballots, start=1)
    ]
    spec = RoundSpec(
        round_id="warszawa-2017-przyczolek",
        title="Przyczółek Grochowski 2017",
        currency="PLN",
        instance=pb.instance,
        rules=rules_from_pabulib(pb.instance, pb.profile.vote_type),
        rule="greedy",
        tie_break={"kind": "lex", "seed": None},
        threshold=1,
        threshold_reason="a research replay of a published city result",
        panel=public[:1],
        server_public_key=full.server.public_key_hex,
        software_version="decide 0.1.0",
    )
    closing = close_round(spec, board)
    m = Manifest.from_json_bytes(closing.manifest.to_json_bytes())
    assert m.budget == Fraction("102533.36")
    # The file's official winners (selected = 1) under greedy.
    assert sorted(m.allocation) == ["1772", "1774"]
    pub = publish(closing, [bls.sign_document(keys[0], closing.manifest.to_dict())])
    checks = verify_pdf(pub.pdf, pinned_keys=PinnedKeys(tuple(public), 1))
    statuses = [c.status for c in checks]
    assert statuses == ["PASS"] * 7 + ["SKIP", "PASS", "SKIP", "SKIP"], [c.line() for c in checks]

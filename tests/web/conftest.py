from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from tests.web.world import World, build_world


@pytest.fixture
def world(db) -> World:
    """Return a world with one account per role, a round taking proposals and a draft."""
    return build_world(db.session)


@pytest.fixture
def paid_round(db, world):
    """Return a published round whose manifest allocates £500 to project P1."""
    from audits.manifest import Manifest, ManifestProject
    from decide.models import Round, RoundManifest

    rnd = Round(title="Paid round", slug="paid-round", budget_pence=100_000, phase="published")
    db.session.add(rnd)
    db.session.flush()
    manifest = Manifest(
        round_id=str(rnd.id), title=rnd.title, budget=Fraction(100_000), currency="GBP",
        ballot={"kind": "approval"}, rule="greedy", rule_parameters={},
        tie_break={"kind": "lex", "seed": None},
        projects=(ManifestProject("P1", "Benches", Fraction(50_000), "Riverside Food Bank"),),
        ballot_count=0, ballots_by_channel={}, files={}, merkle_root="0" * 64,
        chain_head="0" * 64, tally={}, allocation={"P1": Fraction(50_000)},
        software_version="test", server_public_key="0" * 64, threshold=1,
    )  # fmt: skip
    db.session.add(
        RoundManifest(
            round_id=rnd.id,
            digest=manifest.digest_hex(),
            manifest_json=manifest.to_json_bytes(),
            ballots_pb=b"",
            keys_json=b"{}",
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    db.session.commit()
    return rnd

"""Published rounds for the learning dashboard and open-data tests, built quickly.

A round gets the demo's projects and ballots (tests.results.factory), a confirmed rule, and a
manifest with ballots.pb written by the same code publication uses (`audits.bundle`), minus
the panel's signatures (BLS is slow and the dashboard does not read them). Account voters with
postcodes give participation marks by area.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from audits import recompute
from audits.bundle import close_round
from decide.models import (
    Area,
    Participation,
    PostcodeArea,
    Round,
    RoundManifest,
    User,
)
from decide.services import manifests
from decide.services import results as results_service
from decide.services.closing import read_board
from tests.results.factory import closed_round, user


def published_round(
    session: Session,
    title: str,
    *,
    voters: list[tuple[str, tuple[str, ...]]],
    rule: str = "equal-shares",
    phase: str = "published",
    voting_close: dt.date | None = None,
) -> Round:
    """Create a round with public results and its manifest; commit; return it."""
    rnd = closed_round(session, title=title, voters=voters, allocation_rule=rule)
    rnd.voting_close = voting_close
    facilitator = user(session, "learning-facilitator@test.example", is_facilitator=True)
    result = results_service.confirm_rule(session, rnd.id, rule=rule, reason="", actor=facilitator)
    spec = manifests.round_spec(session, rnd, result)
    board = manifests._board(read_board(session, rnd.id))
    allocation = recompute.allocation(
        spec.rule,
        spec.instance,
        manifests._profile(spec, board),
        spec.rule_parameters,
        spec.tie_break,
    )
    closing = close_round(spec, board, allocation=allocation)
    session.add(
        RoundManifest(
            round_id=rnd.id,
            digest=closing.manifest.digest_hex(),
            manifest_json=closing.manifest.to_json_bytes(),
            ballots_pb=closing.ballots_pb,
            keys_json=closing.keys_json,
            area_deciles_json=json.dumps(dict(spec.area_deciles), sort_keys=True),
            created_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rnd.id),
        )
    )
    rnd.phase = phase
    session.commit()
    return rnd


def mark_voters(session: Session, rnd: Round, per_area: dict[str, int]) -> None:
    """Add "has voted" marks for account voters living in the given areas (by postcode)."""
    for slug, n in per_area.items():
        area = session.scalar(select(Area).where(Area.slug == slug))
        assert area is not None
        postcode = f"ZZ{area.id} 1AA"
        if session.scalar(select(PostcodeArea).where(PostcodeArea.postcode == postcode)) is None:
            session.add(PostcodeArea(round_id=None, postcode=postcode, area_id=area.id))
        for i in range(n):
            voter = user(session, f"voter-{slug}-{i}@test.example", postcode=postcode)
            session.add(
                Participation(
                    round_id=rnd.id, voter_key=f"user:{voter.id}", voted_on=dt.date(2026, 3, 1)
                )
            )
    session.commit()


def account(session: Session, email: str) -> User:
    """Return a test account (created if needed)."""
    return user(session, email)

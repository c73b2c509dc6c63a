"""The results manifest records the head of the panel's approved minutes and the shortlist
they name (issue 15): anyone with the minutes recomputes the head and compares the ballot."""

from __future__ import annotations

import datetime as dt

from audits.manifest import Manifest
from audits.minutes import minutes_head
from decide.models import PanelSession, ShortlistDecision
from decide.services import manifests
from decide.services.deliberation import minutes, sessions
from tests.publication.conftest import build_closed_round, panel_keys, register_both
from tests.web.world import make_proposal

__all__ = ["panel_keys"]  # the fixture, used below


def _approved_minutes(db, c, *, shortlist_codes: list[str]) -> bytes:
    panel_session = PanelSession(
        round_id=c.round.id, title="Shortlist", place="Hub",
        starts_at=dt.datetime(2026, 1, 5, 18, tzinfo=dt.UTC),
    )  # fmt: skip
    db.session.add(panel_session)
    db.session.commit()
    ids = [p.proposal_id for p in c.round.projects if p.code in shortlist_codes]
    if ids:
        db.session.add(
            ShortlistDecision(
                session_id=panel_session.id, method="threshold", places=len(ids),
                threshold="3", candidate_ids=ids, shortlist_ids=ids,
                transcript={"method": "threshold"}, decided_at=dt.datetime.now(dt.UTC),
            )
        )  # fmt: skip
        db.session.commit()
    sessions.record_attendance(db.session, panel_session, [m.id for m in c.members])
    sessions.close_session(db.session, panel_session)
    written = minutes.generate_minutes(db.session, panel_session)
    for member in c.members:
        minutes.approve_minutes(db.session, written, member)
    return written.document


def test_the_manifest_names_the_minutes_head_and_shortlist(app, db, panel_keys):
    c = build_closed_round(app, db.session)
    register_both(db.session, c, panel_keys)
    assert (
        "minutes_head"
        not in Manifest.from_json_bytes(
            manifests.write_manifest(db.session, c.round).manifest_json
        ).extra
    )  # a round without minutes keeps its manifest as before
    # Link two of the ballot's projects to the proposals behind them (the factory has none).
    for project in c.round.projects[:2]:
        project.proposal_id = make_proposal(db.session, c.round, c.citizen, project.title).id
    db.session.commit()
    codes = sorted(p.code for p in c.round.projects[:2])
    document = _approved_minutes(db, c, shortlist_codes=codes)
    m = Manifest.from_json_bytes(manifests.write_manifest(db.session, c.round).manifest_json)
    assert m.extra["minutes_head"] == minutes_head(str(c.round.id), [document]).hex()
    assert m.extra["minutes_count"] == 1
    assert m.extra["minutes_shortlist"] == codes

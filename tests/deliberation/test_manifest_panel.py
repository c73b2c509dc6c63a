"""The demo's deliberating round taken to its manifest: the manifest names the minutes' head,
the shortlist the minutes record (which is the ballot) and the sortition record's hash, and
decide-verify's check 11 passes on it, with the record as it is served."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from audits.manifest import Manifest
from audits.verify_panel import check_panel
from audits.verify_state import State, run_check
from decide.demo.catalogue import FACILITATOR_EMAIL
from decide.demo.deliberation import DELIBERATION_ROUND_SLUG, seed_deliberation
from decide.demo.foundation import seed_foundation
from decide.models import PostcodeArea, Round, User
from decide.services import manifests, signing, sortition
from decide.services.deliberation import minutes
from decide.services.eligibility import VoterKey
from decide.services.phases import change_phase
from decide.services.results.confirmation import confirm_rule
from decide.services.voting import cast_ballot, load_server_key
from tests.publication.conftest import panel_keys

__all__ = ["panel_keys"]  # the fixture, used below


def close_demo_round(app, session) -> Round:
    """Seed the deliberation demo, vote once on its ballot, close it and confirm its rule."""
    seed_foundation(session)
    seed_deliberation(session)
    rnd = session.scalar(select(Round).where(Round.slug == DELIBERATION_ROUND_SLUG))
    fay = session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    rnd.phase = "voting"
    voter = session.scalar(select(User).where(User.email == "kwame@example.org"))
    known = select(PostcodeArea.id).where(PostcodeArea.postcode == voter.postcode)
    if session.scalar(known) is None:
        session.add(PostcodeArea(postcode=voter.postcode, area_id=rnd.areas[0].id))
    session.commit()
    key = load_server_key(app.config["RECEIPT_KEY_FILE"])
    today = rnd.voting_open + dt.timedelta(days=1)
    cast_ballot(session, rnd.id, VoterKey("user", voter.id), [rnd.projects[0].code],
                server_key=key, today=today)  # fmt: skip
    change_phase(session, rnd, "closed", fay)
    confirm_rule(session, rnd.id, rule=rnd.allocation_rule, reason="", actor=fay)
    return rnd


def test_the_manifest_names_the_minutes_and_the_sortition_record(app, db, panel_keys):
    rnd = close_demo_round(app, db.session)
    for i, member in enumerate(rnd.panel[:2]):
        signing.register_key(db.session, rnd, member.user, panel_keys.public_json(i))
    m = Manifest.from_json_bytes(manifests.write_manifest(db.session, rnd).manifest_json)
    found = sortition.settings_of(db.session, rnd)
    assert m.extra["sortition_record"] == found.record_hash
    assert m.extra["minutes_head"] == minutes.minutes_head(db.session, rnd)[0]
    assert m.extra["minutes_shortlist"] == sorted(p.id for p in m.projects)
    check = run_check(11, lambda: check_panel(State({}, manifest=m), found.record))
    assert check.status == "PASS", check.line()
    dropped = dataclasses.replace(m, projects=m.projects[1:])
    check = run_check(11, lambda: check_panel(State({}, manifest=dropped), found.record))
    assert check.status == "FAIL" and "not the ballot's project list" in check.reason

"""The deliberation demo: two sessions with attendance, arguments (one hidden), rubric scores,
one conflict, an STV shortlist with its transcript, approved minutes, and the ballot from it."""

from __future__ import annotations

from sqlalchemy import select

from audits.minutes import minutes_head
from decide.demo.deliberation import DELIBERATION_ROUND_SLUG, seed_deliberation
from decide.demo.foundation import seed_foundation
from decide.models import Argument, ConflictOfInterest, Minutes, Round, Score
from decide.services.deliberation import minutes, sessions, shortlist


def test_the_deliberation_demo(db):
    seed_foundation(db.session)
    seed_deliberation(db.session)
    seed_deliberation(db.session)  # a second run adds nothing
    rnd = db.session.scalar(select(Round).where(Round.slug == DELIBERATION_ROUND_SLUG))
    first, second = sessions.sessions_of_round(db.session, rnd)
    assert all(a.present for a in first.attendance) and len(second.attendance) == 5
    assert db.session.scalar(select(ConflictOfInterest.reason)).startswith("I volunteer")
    assert db.session.scalars(select(Score)).all()
    hidden = [a for a in db.session.scalars(select(Argument)) if a.is_hidden]
    assert [a.hidden_reason for a in hidden] == ["Advertising a business."]
    decision = shortlist.decision_of(db.session, second)
    assert decision.transcript["method"] == "stv" and len(decision.shortlist_ids) == 3
    assert len(decision.reasons) == 3
    approved = db.session.scalars(select(Minutes).order_by(Minutes.sequence)).all()
    assert [m.sequence for m in approved] == [1, 2]
    head = minutes_head(str(rnd.id), [m.document for m in approved]).hex()
    assert minutes.minutes_head(db.session, rnd) == (head, 2)
    assert sorted(p.proposal_id for p in rnd.projects) == sorted(decision.shortlist_ids)


def test_the_demo_panel_was_drawn_by_lot_and_its_record_verifies(app, db, tmp_path):
    from click.testing import CliRunner

    from decide.cli.sortition import sortition_group
    from decide.demo.sortition import SEED
    from decide.models import PanelMember, SortitionSettings, Volunteer
    from decide.services import sortition

    seed_foundation(db.session)
    seed_deliberation(db.session)
    rnd = db.session.scalar(select(Round).where(Round.slug == DELIBERATION_ROUND_SLUG))
    found = sortition.settings_of(db.session, rnd)
    assert isinstance(found, SortitionSettings) and found.seed == SEED
    assert found.seed_announced_at < found.drawn_at and found.lottery_at < found.seed_announced_at
    assert len(sortition.volunteers_of(db.session, rnd)) == 150
    record = sortition.record_of(found)
    drawn = db.session.scalars(select(Volunteer).where(Volunteer.pseudonym.in_(record["selected"])))
    members = db.session.scalars(select(PanelMember.user_id).where(PanelMember.round_id == rnd.id))
    assert sorted(v.user_id for v in drawn) == sorted(members)
    # The record served for download passes `decide sortition verify` ...
    download = app.test_client().get(f"/rounds/{rnd.id}/panel/RECORD.json")
    assert download.status_code == 200 and download.data == found.record
    path = tmp_path / "RECORD.json"
    path.write_bytes(download.data)
    runner = CliRunner()
    passed = runner.invoke(sortition_group, ["verify", str(path)])
    assert passed.exit_code == 0, passed.output
    # ... and fails on a changed seed, panel or pool hash.
    import json

    for change in ("seed", "panel", "pool_hash"):
        tampered = json.loads(found.record)
        if change == "seed":
            tampered["seed"] = SEED[:-1] + ("0" if SEED[-1] != "0" else "1")
        elif change == "panel":
            others = [p["id"] for p in tampered["pool"] if p["id"] not in tampered["selected"]]
            tampered["selected"] = [*tampered["selected"][:-1], others[0]]
        else:
            tampered["pool_hash"] = "0" * 64
        path.write_text(json.dumps(tampered))
        failed = runner.invoke(sortition_group, ["verify", str(path)])
        assert failed.exit_code == 1, (change, failed.output)

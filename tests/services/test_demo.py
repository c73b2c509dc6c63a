"""The demo seed, `decide demo`, `decide accounts` and `decide rounds`."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from decide.models import Area, Membership, Organisation, PanelMember, Proposal, Round, User
from decide.services import demo


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_foundation_seed_has_what_the_issue_asks_for(db):
    demo.seed_foundation(db.session)
    areas = db.session.scalars(select(Area)).all()
    assert len(areas) == 6
    assert {a.deprivation_decile for a in areas} >= {1, 2}
    assert all(a.population > 0 for a in areas)
    orgs = db.session.scalars(select(Organisation)).all()
    assert len(orgs) == 8
    assert {"charity", "faith", "sports", "tenants", "social-prescribing"} <= {o.kind for o in orgs}
    assert all(o.memberships for o in orgs)
    rnd = db.session.scalar(select(Round).where(Round.slug == demo.FOUNDATION_ROUND_SLUG))
    assert rnd.phase == "proposals"
    proposals = db.session.scalars(select(Proposal).where(Proposal.round_id == rnd.id)).all()
    assert 10 <= len(proposals) <= 14
    assert all(p.cost_lines and p.versions for p in proposals)
    assert any(p.organisation_id is None for p in proposals)  # residents propose too
    facilitators = db.session.scalars(select(User).where(User.is_facilitator)).all()
    assert [u.email for u in facilitators] == [demo.FACILITATOR_EMAIL]
    assert _count(db, PanelMember) == 1
    citizens = [
        u
        for u in db.session.scalars(select(User)).all()
        if not u.is_facilitator and not u.memberships
    ]
    assert len(citizens) >= 4  # the panel member and several citizens
    user = db.session.scalar(select(User).where(User.email == "amira@example.org"))
    assert user.check_password(demo.DEMO_PASSWORD)


def test_seeding_twice_changes_nothing(db):
    demo.seed_foundation(db.session)
    counts = [_count(db, m) for m in (User, Area, Organisation, Membership, Round, Proposal)]
    demo.seed_foundation(db.session)
    assert [
        _count(db, m) for m in (User, Area, Organisation, Membership, Round, Proposal)
    ] == counts


def test_demo_commands(app, db, monkeypatch):
    # Only this part's seeder: the other parts' seeders (hundreds of ballots) test themselves.
    monkeypatch.setattr(demo, "DEMO_SEEDERS", ["decide.services.demo:seed_foundation"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data seeded" in result.output
    users = _count(db, User)
    again = runner.invoke(args=["demo", "--if-empty"])
    assert "demo not seeded" in again.output
    assert _count(db, User) == users

    accounts = runner.invoke(args=["accounts"]).output
    assert f"password for all: {demo.DEMO_PASSWORD}" in accounts
    first = accounts.splitlines()[1]
    assert demo.FACILITATOR_EMAIL in first and "facilitator" in first
    assert "panel member" in accounts and "asset member (" in accounts and "citizen" in accounts

    rounds = json.loads(runner.invoke(args=["rounds", "--json"]).output)
    assert {"title": "Healthy Northbridge 2027", "phase": "proposals"}.items() <= rounds[0].items()


def test_demo_pages_render(app, db):
    demo.seed_foundation(db.session)
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert "Healthy Northbridge 2027" in home
    rnd = db.session.scalar(select(Round).where(Round.slug == demo.FOUNDATION_ROUND_SLUG))
    listing = client.get(f"/rounds/{rnd.id}/proposals").get_data(as_text=True)
    assert "Saturday fresh food pantry" in listing and "Walk and Talk" in listing


def test_role_command_appoints_the_first_facilitator(app, db):
    from tests.web.world import make_user

    make_user(db.session, "lead@council.example", "Lead")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["role", "LEAD@council.example", "--facilitator"])
    assert result.exit_code == 0 and "facilitator" in result.output
    user = db.session.scalar(select(User).where(User.email == "lead@council.example"))
    db.session.refresh(user)
    assert user.is_facilitator
    missing = runner.invoke(args=["role", "nobody@council.example", "--officer"])
    assert missing.exit_code == 1 and "There is no account" in missing.output
    assert runner.invoke(args=["role", "lead@council.example"]).exit_code == 2

"""The demo seed, `decide demo`, `decide accounts` and `decide rounds`."""

from __future__ import annotations

import json

from markupsafe import escape
from sqlalchemy import func, select

from decide import demo
from decide.demo import catalogue, foundation
from decide.models import Area, Membership, Organisation, PanelMember, Proposal, Round, User


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_foundation_seed_has_what_the_issue_asks_for(db):
    foundation.seed_foundation(db.session)
    areas = db.session.scalars(select(Area)).all()
    assert len(areas) == 6
    assert {a.deprivation_decile for a in areas} >= {1, 2}
    assert all(a.population > 0 for a in areas)
    orgs = db.session.scalars(select(Organisation)).all()
    assert len(orgs) == 9
    assert {"charity", "faith", "sports", "tenants", "social-prescribing", "statutory"} <= {
        o.kind for o in orgs
    }  # the council is there to be paid for residents' projects no group hosts
    assert all(o.memberships for o in orgs)
    rnd = db.session.scalar(select(Round).where(Round.slug == catalogue.FOUNDATION_ROUND_SLUG))
    assert rnd.phase == "proposals"
    proposals = db.session.scalars(select(Proposal).where(Proposal.round_id == rnd.id)).all()
    assert 10 <= len(proposals) <= 14
    assert all(p.cost_lines and p.versions for p in proposals)
    assert any(p.organisation_id is None for p in proposals)  # residents propose too
    facilitators = db.session.scalars(select(User).where(User.is_facilitator)).all()
    assert [u.email for u in facilitators] == [catalogue.FACILITATOR_EMAIL]
    assert _count(db, PanelMember) == 1
    citizens = [
        u
        for u in db.session.scalars(select(User)).all()
        if not u.is_facilitator and not u.memberships
    ]
    assert len(citizens) >= 4  # the panel member and several citizens
    user = db.session.scalar(select(User).where(User.email == "amira@example.org"))
    assert user.check_password(catalogue.DEMO_PASSWORD)


def test_seeding_twice_changes_nothing(db):
    foundation.seed_foundation(db.session)
    counts = [_count(db, m) for m in (User, Area, Organisation, Membership, Round, Proposal)]
    foundation.seed_foundation(db.session)
    assert [
        _count(db, m) for m in (User, Area, Organisation, Membership, Round, Proposal)
    ] == counts


def test_demo_commands(app, db, monkeypatch):
    # Only this part's seeder: the other parts' seeders (hundreds of ballots) test themselves.
    monkeypatch.setattr(demo, "DEMO_SEEDERS", (foundation.seed_foundation,))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data seeded" in result.output
    users = _count(db, User)
    again = runner.invoke(args=["demo", "--if-empty"])
    assert "demo not seeded" in again.output
    assert _count(db, User) == users

    accounts = runner.invoke(args=["accounts"]).output
    assert f"password for all: {catalogue.DEMO_PASSWORD}" in accounts
    first = accounts.splitlines()[1]
    assert catalogue.FACILITATOR_EMAIL in first and "facilitator" in first
    assert "panel member" in accounts and "asset member (" in accounts and "citizen" in accounts

    rounds = json.loads(runner.invoke(args=["rounds", "--json"]).output)
    assert {"title": "Healthy Northbridge 2027", "phase": "proposals"}.items() <= rounds[0].items()


def test_demo_pages_render(app, db):
    foundation.seed_foundation(db.session)
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert "Healthy Northbridge 2027" in home
    rnd = db.session.scalar(select(Round).where(Round.slug == catalogue.FOUNDATION_ROUND_SLUG))
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


def test_every_demo_project_has_a_proposal_and_a_payee(demo_app, db, tmp_path, monkeypatch):
    """Issue 11, defect 7: every project on a demo ballot links to the proposal behind it."""
    app = demo_app  # the demo seeded (on SQLite, a copy of the worker's seeded snapshot)
    from decide.demo.published import PROJECTS as PUBLISHED_ITEMS
    from decide.demo.published import PUBLISHED_ROUND_SLUG
    from decide.demo.voting import DEMO_ROLL, VOTING_ROUND_SLUGS, ballot_items
    from decide.models import Project
    from decide.services import register
    from tests.web.world import login

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    proposals_before = _count(db, Proposal)
    demo.seed_demo(db.session)  # seeding again adds nothing
    assert _count(db, Proposal) == proposals_before

    client = app.test_client()
    projects = db.session.scalars(select(Project).order_by(Project.round_id, Project.code)).all()
    assert len(projects) >= 6 * 6
    for project in projects:
        proposal = db.session.get(Proposal, project.proposal_id) if project.proposal_id else None
        assert proposal is not None, f"{project.code} of round {project.round_id}"
        assert (proposal.round_id, proposal.title) == (project.round_id, project.title)
        assert proposal.area_id == project.area_id is not None
        assert proposal.ballot_cost_pence == project.cost_pence
        assert proposal.description_md and proposal.expected_outcomes and proposal.cost_lines
        assert proposal.feasibility == "feasible" and [v.number for v in proposal.versions] == [1]
        assert project.organisation_id is not None  # the ledger can pay every project
        assert project.organisation_id == proposal.payee_organisation.id
        if proposal.organisation_id is None:
            assert proposal.payee_id == project.organisation_id  # a resident's: chosen payee

    # The voting rounds list their proposals (not "0 proposals") and the ballot links to each.
    amira = db.session.scalar(select(User).where(User.email == "amira@example.org"))
    voter = login(app.test_client(), amira)
    expected = {slug: ballot_items(kind) for kind, slug in VOTING_ROUND_SLUGS.items()}
    expected[PUBLISHED_ROUND_SLUG] = PUBLISHED_ITEMS
    for slug, items in expected.items():
        rnd = db.session.scalar(select(Round).where(Round.slug == slug))
        listing = client.get(f"/rounds/{rnd.id}/proposals").get_data(as_text=True)
        assert f"{len(items)} proposals." in listing
        by_code = {p.code: p for p in rnd.projects}
        assert list(by_code) == [item.code for item in items]
        for item in items:
            proposal = db.session.get(Proposal, by_code[item.code].proposal_id)
            if "@" in item.proposer:
                assert (proposal.author.email, proposal.organisation) == (item.proposer, None)
                assert proposal.payee.slug == item.payee
            else:
                assert proposal.organisation.slug == item.proposer and proposal.payee is None
            assert tuple((c.item, c.amount_pence) for c in proposal.cost_lines) == item.lines
        if rnd.phase == "voting":  # the demo residents have not voted yet
            if register.has_roll(db.session, rnd.id):  # link the account to the roll first
                roll = {"reference": DEMO_ROLL[0][0], "date_of_birth": DEMO_ROLL[0][1]}
                assert voter.post(f"/rounds/{rnd.id}/vote/roll", data=roll).status_code == 302
            ballot = voter.get(f"/rounds/{rnd.id}/vote").get_data(as_text=True)
            for project in rnd.projects:
                assert f'href="/proposals/{project.proposal_id}"' in ballot

    # A resident's proposal page shows the proposer, area, cost lines and the payee.
    resident = db.session.scalar(
        select(Proposal).where(Proposal.organisation_id.is_(None), Proposal.payee_id.is_not(None))
    )
    page = client.get(f"/proposals/{resident.id}").get_data(as_text=True)
    assert f"{escape(resident.author.display_name)}, a local resident" in page
    assert escape(resident.area.name) in page and escape(resident.cost_lines[0].item) in page
    assert "Paid to, if funded" in page and escape(resident.payee.name) in page

    # The published round's results and board link every project to its proposal.
    published = db.session.scalar(select(Round).where(Round.slug == PUBLISHED_ROUND_SLUG))
    results = client.get(f"/rounds/{published.id}/results").get_data(as_text=True)
    board = client.get(f"/rounds/{published.id}/board").get_data(as_text=True)
    for project in published.projects:
        assert f'href="/proposals/{project.proposal_id}"' in results
        assert f'href="/proposals/{project.proposal_id}"' in board

    # Delivery of the three past rounds (issue 16, part 5).
    from tests.delivery.demo_checks import check_delivery_demo

    check_delivery_demo(db, client)

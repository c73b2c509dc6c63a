"""Access across organisations and rounds: members act only for their own organisation, and a
panel member reviews only their own round. Uses the foundation demo (eight organisations)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from decide.models import Organisation, PanelMember, Proposal, Round, User
from tests.web.world import login


@pytest.fixture
def demo(db):
    from decide.demo.foundation import seed_foundation

    seed_foundation(db.session)
    db.session.commit()
    return db.session


def _user(session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email)).one()


def _proposal_of(session, organisation_slug: str) -> Proposal:
    org = session.scalars(select(Organisation).where(Organisation.slug == organisation_slug)).one()
    return session.scalars(select(Proposal).where(Proposal.organisation_id == org.id)).first()


def test_member_of_another_organisation_cannot_edit_its_proposal_or_profile(app, demo):
    proposal = _proposal_of(demo, "riverside-community-food-bank")
    assert proposal is not None
    outsider = _user(demo, "harriers@example.org")
    assert not outsider.is_member_of(proposal.organisation_id)
    client = login(app.test_client(), outsider)
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 403
    assert client.post(f"/proposals/{proposal.id}/withdraw").status_code == 403
    assert client.get("/organisations/riverside-community-food-bank/edit").status_code == 403
    # The food bank's own member may edit the same proposal.
    insider = _user(demo, "foodbank@example.org")
    assert (
        login(app.test_client(), insider).get(f"/proposals/{proposal.id}/edit").status_code == 200
    )


def test_plain_member_cannot_edit_the_organisation_profile(app, demo, db):
    from decide.models import Membership

    org = demo.scalars(
        select(Organisation).where(Organisation.slug == "riverside-community-food-bank")
    ).one()
    citizen = _user(demo, "john@example.org")
    demo.add(Membership(user_id=citizen.id, organisation_id=org.id, role="member"))
    demo.commit()
    client = login(app.test_client(), citizen)
    assert client.get(f"/organisations/{org.slug}/edit").status_code == 403


def test_panel_member_of_another_round_cannot_review(app, demo):
    rnd = demo.scalars(select(Round).order_by(Round.id)).first()
    other = Round(
        title="Another round", slug="another-round", budget_pence=100_000, phase="proposals"
    )
    demo.add(other)
    demo.flush()
    panel_user = _user(demo, "panel@example.org")
    demo.add(PanelMember(round_id=other.id, user_id=_user(demo, "kwame@example.org").id))
    demo.commit()
    assert rnd.has_panel_member(panel_user.id)
    client = login(app.test_client(), panel_user)
    assert client.get(f"/rounds/{rnd.id}/review").status_code == 200
    assert client.get(f"/rounds/{other.id}/review").status_code == 403

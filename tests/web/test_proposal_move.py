"""A proposal cannot be moved to another organisation by a plain member (issue 12, item 5)."""

from __future__ import annotations

from tests.web.world import login


def test_a_plain_member_cannot_move_a_proposal_to_another_organisation(app, db, world):
    from decide.models import Membership, Organisation

    other = Organisation(name="Riverside Allotments", slug="riverside-allotments", kind="charity")
    db.session.add(other)
    volunteer = world.other_member.user
    admin = world.user("asset_member")
    db.session.add(Membership(user=volunteer, organisation=other, role="member"))
    db.session.add(Membership(user=admin, organisation=other, role="member"))
    db.session.commit()
    data = {
        "organisation_id": str(other.id),
        "title": "Fresh food pantry",
        "summary": "Moved.",
        "area_id": str(world.areas[0].id),
        "cost_lines-0-item": "Fridge",
        "cost_lines-0-amount": "480",
    }
    url = f"/proposals/{world.proposal.id}/edit"
    refused = login(app.test_client(), volunteer).post(url, data=data)
    assert refused.status_code == 200  # the form again, with the message next to the field
    assert "Only an administrator of the organisation" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert world.proposal.organisation_id == world.organisation.id
    assert login(app.test_client(), admin).post(url, data=data).status_code == 302
    db.session.expire_all()
    assert world.proposal.organisation_id == other.id

"""Review (feasibility, adjusted cost, accept onto the ballot), versions, and the list filters."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from decide.models import Project, ProposalVersion
from decide.services import proposals as service
from decide.services.errors import DomainError
from tests.web.world import login, make_proposal


def test_infeasible_needs_a_reason_shown_to_the_author(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    url = f"/proposals/{world.proposal.id}/review"
    html = client.post(url, data={"feasibility": "infeasible"}).get_data(as_text=True)
    assert 'id="feasibility_reason-error"' in html
    assert "Say why it is not feasible" in html
    db.session.expire_all()
    assert world.proposal.feasibility == "pending"

    reason = "The pantry needs a food hygiene rating first."
    client.post(url, data={"feasibility": "infeasible", "feasibility_reason": reason})
    author = login(app.test_client(), world.user("asset_member"))
    assert reason in author.get("/account").get_data(as_text=True)
    assert reason in author.get(f"/proposals/{world.proposal.id}").get_data(as_text=True)


def test_adjusted_cost_needs_a_reason_and_is_what_voters_see(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    url = f"/proposals/{world.proposal.id}/review"
    html = client.post(
        url, data={"feasibility": "feasible", "adjusted_cost_pence": "450"}
    ).get_data(as_text=True)
    assert "Say why the cost was adjusted" in html
    client.post(
        url,
        data={
            "feasibility": "feasible",
            "adjusted_cost_pence": "450.25",
            "cost_adjustment_reason": "Room hire is free at the library.",
        },
    )
    db.session.expire_all()
    assert world.proposal.adjusted_cost_pence == 45_025
    client.post(f"/proposals/{world.proposal.id}/accept")
    project = db.session.scalar(select(Project).where(Project.proposal_id == world.proposal.id))
    assert project.cost_pence == 45_025
    assert project.code == "P1"
    assert project.area_id == world.areas[0].id
    assert project.organisation_id == world.organisation.id


def test_only_feasible_proposals_can_be_accepted(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    client.post(f"/proposals/{world.proposal.id}/accept")
    assert db.session.scalar(select(func.count(Project.id))) == 0
    page = client.get(f"/proposals/{world.proposal.id}").get_data(as_text=True)
    assert "Only proposals marked feasible can be accepted onto the ballot." in page


def test_project_codes_are_stable_and_sequential(db, world):
    facilitator = world.user("facilitator")
    second = make_proposal(db.session, world.round, world.user("citizen"), "Play streets")
    for p in (world.proposal, second):
        p.feasibility = "feasible"
    db.session.commit()
    first = service.accept_onto_ballot(db.session, world.proposal, facilitator)
    # A resident's proposal needs a payee: here the food bank hosts it.
    other = service.accept_onto_ballot(
        db.session, second, facilitator, payee_id=world.organisation.id
    )
    assert (first.code, other.code) == ("P1", "P2")
    service.remove_from_ballot(db.session, world.proposal, facilitator)
    again = service.accept_onto_ballot(db.session, world.proposal, facilitator)
    assert again.code == "P3"  # a code is never reused for another project
    with pytest.raises(DomainError, match="already on the ballot"):
        service.accept_onto_ballot(db.session, world.proposal, facilitator)


def test_the_ballot_cannot_change_once_voting_opened(db, world):
    world.proposal.feasibility = "feasible"
    world.round.phase = "voting"
    db.session.commit()
    with pytest.raises(DomainError, match="voting has opened"):
        service.accept_onto_ballot(db.session, world.proposal, world.user("facilitator"))


def test_each_edit_adds_a_version_and_old_versions_stay_visible(app, db, world):
    client = login(app.test_client(), world.user("asset_member"))
    data = {
        "organisation_id": str(world.organisation.id),
        "title": "Fresh food pantry on Saturdays",
        "summary": "Now on Saturdays.",
        "area_id": str(world.areas[0].id),
        "cost_lines-0-item": "Fridge",
        "cost_lines-0-amount": "480",
    }
    assert client.post(f"/proposals/{world.proposal.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert world.proposal.version == 2
    assert [v.number for v in world.proposal.versions] == [1, 2]
    v1 = client.get(f"/proposals/{world.proposal.id}/versions/1").get_data(as_text=True)
    assert "Fresh food pantry" in v1 and "Leader training" in v1 and "£500.00" in v1
    v2 = client.get(f"/proposals/{world.proposal.id}/versions/2").get_data(as_text=True)
    assert "Fresh food pantry on Saturdays" in v2 and "£480.00" in v2
    listing = client.get(f"/proposals/{world.proposal.id}/versions").get_data(as_text=True)
    assert "Version 1" in listing and "Version 2" in listing
    assert client.get(f"/proposals/{world.proposal.id}/versions/9").status_code == 404


def test_edits_stop_at_the_deadline(app, db, world):
    world.round.proposals_close = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    client = login(app.test_client(), world.user("asset_member"))
    data = {"title": "Late change", "summary": "x", "area_id": str(world.areas[0].id),
            "cost_lines-0-item": "Fridge", "cost_lines-0-amount": "480"}  # fmt: skip
    html = client.post(f"/proposals/{world.proposal.id}/edit", data=data).get_data(as_text=True)
    assert "The deadline for proposals was" in html
    assert db.session.scalar(select(func.count(ProposalVersion.id))) == 1


def test_filters_work_as_a_plain_form_and_as_an_htmx_fragment(app, db, world):
    make_proposal(db.session, world.round, world.user("citizen"), "Moor walks", area=world.areas[1])
    db.session.commit()
    client = app.test_client()
    url = f"/rounds/{world.round.id}/proposals"
    full = client.get(url).get_data(as_text=True)
    assert "Fresh food pantry" in full and "Moor walks" in full and "<html" in full
    plain = client.get(url + "?area=moorfield").get_data(as_text=True)
    assert "Moor walks" in plain and "Fresh food pantry" not in plain and "<html" in plain
    response = client.get(url + "?theme=healthy-food", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and 'id="proposal-list"' in fragment
    assert "Fresh food pantry" in fragment and "Moor walks" not in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_organisation_page_lists_members_and_proposals(app, world):
    html = app.test_client().get(f"/organisations/{world.organisation.slug}").get_data(as_text=True)
    assert "Ash Member" in html and "(admin)" in html
    assert "Fresh food pantry" in html
    assert "Riverside" in html


def test_organisation_admin_edits_profile_and_bad_email_is_refused(app, db, world):
    client = login(app.test_client(), world.user("asset_member"))
    url = f"/organisations/{world.organisation.slug}/edit"
    data = {"name": "Riverside Community Food Bank", "kind": "charity", "contact_email": "nope"}
    html = client.post(url, data=data).get_data(as_text=True)
    assert 'id="contact_email-error"' in html
    data["contact_email"] = "hello@foodbank.example"
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert world.organisation.name == "Riverside Community Food Bank"
    assert world.organisation.slug == "riverside-food-bank"


def test_facilitator_creates_an_organisation_and_adds_a_member(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post(
        "/organisations/new",
        data={"name": "New", "kind": "sports", "area_ids": [str(world.areas[1].id)]},
    )
    assert response.status_code == 302
    slug = response.location.rsplit("/", 1)[-1]
    assert slug != "new"  # a route word is never used as a slug
    client.post(
        f"/organisations/{slug}/members", data={"email": "citizen@test.example", "role": "member"}
    )
    db.session.expire_all()
    assert world.user("citizen").is_asset_member


def test_history_restore_gets_the_full_page(app, world):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = app.test_client().get(f"/rounds/{world.round.id}/proposals", headers=headers)
    assert "<html" in html.get_data(as_text=True)


def test_author_withdraws_a_proposal(app, db, world):
    client = login(app.test_client(), world.user("asset_member"))
    assert client.post(f"/proposals/{world.proposal.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert world.proposal.withdrawn
    public = app.test_client()
    listing = public.get(f"/rounds/{world.round.id}/proposals").get_data(as_text=True)
    assert "Fresh food pantry" not in listing
    page = public.get(f"/proposals/{world.proposal.id}").get_data(as_text=True)
    assert "Withdrawn." in page
    # A withdrawn proposal can be neither edited nor accepted.
    world.proposal.feasibility = "feasible"
    db.session.commit()
    with pytest.raises(DomainError, match="withdrawn by its author"):
        service.accept_onto_ballot(db.session, world.proposal, world.user("facilitator"))
    html = client.post(
        f"/proposals/{world.proposal.id}/edit",
        data={"title": "x", "summary": "y", "area_id": str(world.areas[0].id),
              "cost_lines-0-item": "a", "cost_lines-0-amount": "1"},
    ).get_data(as_text=True)  # fmt: skip
    assert "withdrawn, so it can no longer be changed" in html
    # And it no longer counts towards the deliberation guard.
    from decide.services import phases

    assert phases.phase_problems(db.session, world.round, "deliberation") == [
        "Deliberation needs at least one proposal."
    ]


def test_pages_with_many_forms_have_unique_ids(app, db, world):
    second = make_proposal(db.session, world.round, world.user("citizen"), "Play streets")
    for p in (world.proposal, second):
        p.feasibility = "feasible"
    db.session.commit()
    client = login(app.test_client(), world.user("facilitator"))
    for url in (
        f"/rounds/{world.round.id}/review",
        f"/rounds/{world.round.id}",
        f"/rounds/{world.round.id}/panel",
        f"/organisations/{world.organisation.slug}",
        f"/proposals/{world.proposal.id}",
    ):
        html = client.get(url).get_data(as_text=True)
        ids = re.findall(r'\bid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (url, sorted({i for i in ids if ids.count(i) > 1}))

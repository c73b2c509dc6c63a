"""Issue 11, defect 9: "Accept" on the review list updates its row in place with htmx, and
works as a plain POST that redirects back to the list without JavaScript."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from decide.models import Organisation, Project, Proposal
from tests.web.world import login, make_proposal

HTMX = {"HX-Request": "true"}


@pytest.fixture
def council(db) -> Organisation:
    org = Organisation(name="Northbridge City Council", slug="council", kind="statutory")
    db.session.add(org)
    db.session.commit()
    return org


@pytest.fixture
def resident(db, world) -> Proposal:
    proposal = make_proposal(
        db.session,
        world.round,
        world.user("citizen"),
        "Sunday play streets",
        feasibility="feasible",
    )
    db.session.commit()
    return proposal


def _row(html: str, proposal_id: int) -> str:
    match = re.search(rf'<tr id="proposal-{proposal_id}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for proposal {proposal_id}"
    return match.group(0)


def test_each_row_posts_in_place_and_also_as_a_plain_form(app, db, world, resident):
    client = login(app.test_client(), world.user("facilitator"))
    html = client.get(f"/rounds/{world.round.id}/review").get_data(as_text=True)
    row = _row(html, resident.id)
    url = f"/proposals/{resident.id}/accept"
    assert f'method="post" action="{url}"' in row
    assert f'hx-post="{url}" hx-target="closest tr" hx-swap="outerHTML"' in row
    assert 'name="csrf_token"' in row
    assert 'id="review-status" role="status"' in html  # where htmx reports each outcome


def test_accepting_with_htmx_returns_the_updated_row_and_summary(app, db, world, resident, council):
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post(
        f"/proposals/{resident.id}/accept", data={"payee_id": str(council.id)}, headers=HTMX
    )
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith(f'<tr id="proposal-{resident.id}"')
    row = _row(html, resident.id)
    assert "<form" not in row  # accepted: no button any more
    assert f'<strong id="accept-{resident.id}" tabindex="-1">P1</strong>' in row  # keeps focus
    assert "Paid to Northbridge City Council" in row
    summary = html.split('<div id="review-summary" hx-swap-oob="true">', 1)[1]
    assert "1 on the ballot, costing £500.00" in summary
    status = html.split('<div id="review-status" hx-swap-oob="innerHTML">', 1)[1]
    assert "Sunday play streets: Accepted onto the ballot as project P1." in status
    assert "flash-success" in status
    project = db.session.scalar(select(Project).where(Project.proposal_id == resident.id))
    assert (project.code, project.organisation_id) == ("P1", council.id)


def test_a_refused_acceptance_shows_the_reason_in_the_row_and_changes_nothing(
    app, db, world, resident
):
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post(f"/proposals/{resident.id}/accept", data={"payee_id": ""}, headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    row = _row(html, resident.id)
    assert f'id="payee-{resident.id}-error"' in row and 'aria-invalid="true"' in row
    # The refusal takes the warning's place: the same advice once (newcomer review, finding 2).
    assert f'aria-describedby="payee-{resident.id}-error"' in row
    assert f'id="payee-{resident.id}-warning"' not in row
    assert "Choose who will be paid" in row
    assert f'id="accept-{resident.id}"' in row  # the button is still there, and keeps focus
    assert "flash-error" in html.split('id="review-status"', 1)[1]
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_without_javascript_accept_redirects_back_to_the_row(app, db, world, resident, council):
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post(f"/proposals/{resident.id}/accept", data={"payee_id": str(council.id)})
    assert response.status_code == 303
    assert response.location.endswith(f"/rounds/{world.round.id}/review#proposal-{resident.id}")
    assert "HX-Request" in response.headers["Vary"]
    page = client.get(response.location).get_data(as_text=True)
    assert "Accepted onto the ballot as project P1." in page
    assert "Paid to Northbridge City Council" in _row(page, resident.id)


def test_only_facilitators_accept_in_place(app, db, world, resident, council):
    for role in ("panel_member", "citizen", "asset_member"):
        client = login(app.test_client(), world.user(role))
        response = client.post(
            f"/proposals/{resident.id}/accept", data={"payee_id": str(council.id)}, headers=HTMX
        )
        assert response.status_code == 403
    anonymous = app.test_client().post(
        f"/proposals/{resident.id}/accept", data={"payee_id": str(council.id)}, headers=HTMX
    )
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert db.session.scalar(select(func.count(Project.id))) == 0
    # The panel sees the review list without any accept form.
    page = login(app.test_client(), world.user("panel_member")).get(
        f"/rounds/{world.round.id}/review"
    )
    assert "hx-post" not in _row(page.get_data(as_text=True), resident.id)

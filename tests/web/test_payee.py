"""Issue 11, defect 3: a resident's proposal gets a payee when it is accepted onto the ballot.

The payee becomes the project's organisation, so the manifest names it and the ledger can pay
it. The review page warns before acceptance when none is set; an asset's proposal is paid to
its own organisation unless the facilitator chooses another.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from audits.bls import generate
from audits.canonical import canonical_json
from audits.manifest import Manifest
from decide.models import LedgerPayment, Organisation, Project, Proposal, Round
from decide.services import proposals as service
from decide.services.errors import InvalidInput
from tests.web.world import login, make_proposal


@pytest.fixture
def council(db) -> Organisation:
    org = Organisation(name="Northbridge City Council", slug="council", kind="statutory")
    db.session.add(org)
    db.session.commit()
    return org


@pytest.fixture
def resident_proposal(db, world) -> Proposal:
    """A feasible proposal by a resident, on their own (no organisation)."""
    proposal = make_proposal(
        db.session,
        world.round,
        world.user("citizen"),
        "Sunday play streets",
        feasibility="feasible",
    )
    db.session.commit()
    return proposal


def _projects(db) -> int:
    return db.session.scalar(select(func.count(Project.id)))


def test_review_page_warns_before_accepting_a_residents_proposal_without_payee(
    app, db, world, resident_proposal, council
):
    world.proposal.feasibility = "feasible"
    db.session.commit()
    client = login(app.test_client(), world.user("facilitator"))
    html = client.get(f"/rounds/{world.round.id}/review").get_data(as_text=True)
    pid = resident_proposal.id
    assert "Payees to choose" in html
    assert f'<a href="#payee-{pid}">Sunday play streets</a>' in html
    assert f'id="payee-{pid}-warning"' in html and "No payee yet." in html
    assert f'aria-describedby="payee-{pid}-warning"' in html
    # The asset's own proposal is paid to its organisation unless the facilitator changes it.
    asset_select = html.split(f'id="payee-{world.proposal.id}"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{world.organisation.id}" selected>' in asset_select
    assert f'id="payee-{world.proposal.id}-warning"' not in html


def test_accepting_without_a_payee_is_refused_and_changes_nothing(
    app, db, world, resident_proposal, council
):
    client = login(app.test_client(), world.user("facilitator"))
    url = f"/proposals/{resident_proposal.id}/accept"
    for payee in ("", "999999", "not-a-number"):
        response = client.post(url, data={"payee_id": payee})
        assert response.status_code == 303
        assert response.location.endswith(
            f"/rounds/{world.round.id}/review#proposal-{resident_proposal.id}"
        )
        page = client.get(f"/rounds/{world.round.id}/review").get_data(as_text=True)
        assert "Choose who will be paid" in page or "Choose a payee from the list" in page
    assert _projects(db) == 0
    db.session.expire_all()
    assert db.session.get(Proposal, resident_proposal.id).payee_id is None
    with pytest.raises(InvalidInput, match="a resident's proposal has no organisation"):
        service.accept_onto_ballot(db.session, resident_proposal, world.user("facilitator"))
    assert _projects(db) == 0


def test_the_chosen_payee_is_the_projects_organisation_and_shown_on_the_proposal(
    app, db, world, resident_proposal, council
):
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post(
        f"/proposals/{resident_proposal.id}/accept", data={"payee_id": str(council.id)}
    )
    assert response.status_code == 303
    project = db.session.scalar(select(Project).where(Project.proposal_id == resident_proposal.id))
    assert project.organisation_id == council.id
    db.session.expire_all()
    assert db.session.get(Proposal, resident_proposal.id).payee_id == council.id
    page = client.get(f"/proposals/{resident_proposal.id}").get_data(as_text=True)
    assert "Paid to, if funded" in page and "Northbridge City Council" in page
    assert "Cara Citizen, a local resident" in page
    public = app.test_client().get(f"/proposals/{resident_proposal.id}").get_data(as_text=True)
    assert "Northbridge City Council" in public
    review = client.get(f"/rounds/{world.round.id}/review").get_data(as_text=True)
    assert "Paid to Northbridge City Council" in review and "Payees to choose" not in review


def test_an_assets_proposal_is_paid_to_its_organisation_by_default(app, db, world, council):
    world.proposal.feasibility = "feasible"
    db.session.commit()
    client = login(app.test_client(), world.user("facilitator"))
    # From the proposal page: no payee field sent, back to the proposal page afterwards.
    page = client.get(f"/proposals/{world.proposal.id}").get_data(as_text=True)
    assert f'name="next" value="/proposals/{world.proposal.id}"' in page
    response = client.post(
        f"/proposals/{world.proposal.id}/accept", data={"next": f"/proposals/{world.proposal.id}"}
    )
    assert response.location.endswith(f"/proposals/{world.proposal.id}")
    project = db.session.scalar(select(Project).where(Project.proposal_id == world.proposal.id))
    assert project.organisation_id == world.organisation.id
    assert db.session.get(Proposal, world.proposal.id).payee_id is None
    shown = client.get(f"/proposals/{world.proposal.id}").get_data(as_text=True)
    assert "If it is funded, Riverside Food Bank is paid." in shown


def test_next_never_leaves_the_site(app, db, world, council):
    world.proposal.feasibility = "feasible"
    db.session.commit()
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post(
        f"/proposals/{world.proposal.id}/accept", data={"next": "https://evil.example/"}
    )
    assert response.location.endswith(
        f"/rounds/{world.round.id}/review#proposal-{world.proposal.id}"
    )


# --- Paying a resident's funded project through the ledger, after publication -------------


@pytest.fixture
def app_config(tmp_path) -> dict[str, Any]:
    """Run the closing and publication jobs inline, so each step's result is there at once."""
    return {"PUBLICATION_JOBS_INLINE": True, "RECEIPT_KEY_FILE": str(tmp_path / "receipt.pem")}


def test_a_residents_funded_project_is_paid_through_the_ledger(app, db, world, council):
    from decide.services import manifests, signing
    from decide.services.paper import enter_paper_ballot
    from decide.services.results import confirm_rule
    from decide.services.voting import load_server_key
    from tests.publication.conftest import manifest_signature

    rnd, facilitator = world.round, world.user("facilitator")
    rnd.signature_threshold = 1
    rnd.threshold_reason = "A test round with one panel member."
    resident = make_proposal(
        db.session, rnd, world.user("citizen"), "Sunday play streets",
        lines=(("Road closure orders", 300_000),),
    )  # fmt: skip
    db.session.commit()
    client = login(app.test_client(), facilitator)

    # Review both proposals, accept them (the resident's with the council as payee), vote.
    for proposal in (world.proposal, resident):
        assert (
            client.post(
                f"/proposals/{proposal.id}/review", data={"feasibility": "feasible"}
            ).status_code
            == 302
        )
    assert client.post(f"/proposals/{world.proposal.id}/accept").status_code == 303
    assert (
        client.post(
            f"/proposals/{resident.id}/accept", data={"payee_id": str(council.id)}
        ).status_code
        == 303
    )
    code = db.session.scalar(select(Project.code).where(Project.proposal_id == resident.id))
    from decide.services import register_setup
    from tests.voting.helpers import paper_numbers

    register_setup.confirm_self_declared(db.session, rnd.id, confirmed=True)
    for phase in ("deliberation", "voting"):
        client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": phase})
        assert db.session.get(Round, rnd.id).phase == phase
    key = load_server_key(app.config["RECEIPT_KEY_FILE"])
    today = dt.date.today()
    for number in paper_numbers(db.session, rnd.id, 3):
        enter_paper_ballot(
            db.session, rnd.id, ["P1", code], number=number, officer_id=facilitator.id,
            server_key=key, today=today,
        )  # fmt: skip
    client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": "closed"})
    db.session.expire_all()
    assert db.session.get(Round, rnd.id).phase == "closed"
    confirm_rule(db.session, rnd.id, rule=rnd.allocation_rule, reason="", actor=facilitator)

    # The panel signs the manifest, which names the council as the project's organisation.
    member = world.user("panel_member")
    panel_key = generate("Pat Panel", seed=b"\x33" * 32)
    signing.register_key(
        db.session, rnd, member, canonical_json(panel_key.public_record().to_dict())
    )
    row = manifests.write_manifest(db.session, rnd)
    manifest = Manifest.from_json_bytes(row.manifest_json)
    assert {p.id: p.organisation for p in manifest.projects}[code] == "Northbridge City Council"
    assert code in manifest.allocation
    signing.upload_signature(
        db.session, rnd, member, manifest_signature(row, panel_key),
        document_type=signing.MANIFEST_TYPE, digest=row.digest,
    )  # fmt: skip
    client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": "published"})
    db.session.expire_all()
    assert db.session.get(Round, rnd.id).phase == "published"

    # The facilitator pays the council for the resident's project through the ledger page.
    response = client.post(
        f"/rounds/{rnd.id}/ledger/pay",
        data={"project_code": code, "amount": "1,500", "paid_on": today.isoformat(),
              "bank_reference": "BACS-77", "approver": "Fay Facilitator",
              "reason": "Paid ahead of milestones"},
    )  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)
    payment = db.session.scalar(select(LedgerPayment))
    assert (payment.project_code, payment.organisation, payment.amount_pence) == (
        code, "Northbridge City Council", 150_000,
    )  # fmt: skip

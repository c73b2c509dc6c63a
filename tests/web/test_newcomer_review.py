"""Issue 11, the newcomer review of the web UI at 390 px: the findings fixed, one test or more each.

1. the proposal form's cost total (server side here; live typing is in tests/e2e);
2. the review and ledger tables stack as cards on a phone, and a refused acceptance says why once;
3. the round form's labels and hints tell the truth, and an area's population takes "9,000";
4. ballot feedback next to each field, the over-limit summary, one error heading;
5. no empty themes box; 6. the operator in the privacy notice and accessibility statement;
7. a proposal page shows its outcome after publication; 8. tap targets.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from audits.bls import generate
from audits.canonical import canonical_json
from decide.models import Area, Organisation, Project, Round
from tests.voting.helpers import make_area, make_user
from tests.voting.helpers import make_round as make_voting_round
from tests.web.world import login, make_proposal


def _html(response) -> str:
    return response.get_data(as_text=True)


# --- 1 and 5: the proposal form ------------------------------------------------------------


def test_adding_a_line_without_javascript_shows_the_total_of_the_amounts_typed(app, world):
    client = login(app.test_client(), world.user("asset_member"))
    response = client.post(
        f"/rounds/{world.round.id}/proposals/new",
        data={
            "organisation_id": "0", "title": "Walks", "summary": "Walks for carers.",
            "area_id": str(world.areas[0].id),
            "cost_lines-0-item": "Walk leader, 40 sessions", "cost_lines-0-amount": "2,400",
            "cost_lines-1-item": "Tea and biscuits", "cost_lines-1-amount": "600",
            "add_line": "1",
        },
    )  # fmt: skip
    html = _html(response)
    assert response.status_code == 200
    assert re.search(r"Total so far: <strong[^>]*>£3,000\.00</strong>", html)
    assert 'id="cost_lines-2-amount"' in html  # the added line
    assert "js/cost_total.js" in html  # updates the total as amounts are typed


def test_the_themes_box_is_hidden_when_the_round_has_no_themes(app, db, world):
    client = login(app.test_client(), world.user("asset_member"))
    assert "Themes" in _html(client.get(f"/rounds/{world.round.id}/proposals/new"))
    world.round.themes = []
    db.session.commit()
    html = _html(client.get(f"/rounds/{world.round.id}/proposals/new"))
    assert 'name="theme_ids"' not in html and "Choose all that apply" not in html


# --- 2: tables as cards, and one message for a refused acceptance ---------------------------


def test_the_review_table_stacks_with_labelled_cells(app, db, world):
    world.proposal.feasibility = "feasible"
    db.session.commit()
    client = login(app.test_client(), world.user("facilitator"))
    html = _html(client.get(f"/rounds/{world.round.id}/review"))
    assert 'class="review-table stack-table"' in html
    for label in ("Area", "Cost", "Feasibility", "Ballot"):
        assert f'data-label="{label}"' in html


def test_a_refused_acceptance_says_why_once(app, db, world):
    resident = make_proposal(
        db.session, world.round, world.user("citizen"), "Play streets", feasibility="feasible"
    )
    db.session.commit()
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post(f"/proposals/{resident.id}/accept", headers={"HX-Request": "true"})
    html = _html(response)
    error = re.search(rf'<p class="field-error" id="payee-{resident.id}-error">(.*?)</p>', html)
    reason = error.group(1).replace('<span class="visually-hidden">Error:</span>', "").strip()
    # Seen once, next to the field; the status line only announces it to screen readers.
    status = re.search(r'<p class="flash ([^"]*)">([^<]*)</p>', html)
    assert status.group(1) == "flash-error visually-hidden" and reason in status.group(2)
    visible = re.sub(r'<p class="flash flash-error visually-hidden">[^<]*</p>', "", html)
    assert visible.count(reason) == 1
    assert f'id="payee-{resident.id}-warning"' not in html  # the refusal takes its place
    assert "not accepted" in html


# --- 3: the round form and the areas page ---------------------------------------------------


def test_round_form_labels_say_which_ballots_need_a_field(app, world):
    client = login(app.test_client(), world.user("facilitator"))
    html = _html(client.get("/rounds/new"))
    assert 'Points each voter has <span class="optional">(needed for points ballots)' in html
    assert 'Number of projects a voter may rank <span class="optional">(needed for ranked' in html
    assert "For choose and budget ballots." not in html
    assert 'href="/rounds/areas"' in html  # the "Areas and themes" page named in the hint


def test_a_points_round_needs_no_minimum_number_of_projects(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post(
        "/rounds/new",
        data={
            "title": "Points round", "budget_pence": "10,000",
            "area_ids": [str(world.areas[0].id)], "ballot_kind": "cumulative",
            "min_choices": "", "points_total": "10", "allocation_rule": "equal-shares",
            "signature_threshold": "2",
        },
    )  # fmt: skip
    assert response.status_code == 302, _html(response)
    rnd = db.session.scalar(select(Round).where(Round.title == "Points round"))
    assert (rnd.min_choices, rnd.points_total) == (0, 10)


@pytest.mark.parametrize(("typed", "stored"), [("9,000", 9000), ("12 500", 12500), ("700", 700)])
def test_an_area_population_takes_grouped_digits(app, db, world, typed, stored):
    client = login(app.test_client(), world.user("facilitator"))
    html = _html(client.get("/rounds/areas"))
    assert 'type="number"' not in re.search(r'<input[^>]*id="area-population"[^>]*>', html)[0]
    response = client.post(
        "/rounds/areas",
        data={"area-name": "Eastgate", "area-population": typed, "area-deprivation_decile": "3"},
    )
    assert response.status_code == 302, _html(response)
    assert db.session.scalar(select(Area.population).where(Area.name == "Eastgate")) == stored


@pytest.mark.parametrize("typed", ["9,00", "9,000,00", "nine", "1,000.5", "9,000 000", "٩"])
def test_an_area_population_refuses_what_is_not_a_count(app, db, world, typed):
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post(
        "/rounds/areas",
        data={"area-name": "Eastgate", "area-population": typed, "area-deprivation_decile": "3"},
    )
    assert response.status_code == 200
    assert "like 9,000" in _html(response)
    assert db.session.scalar(select(Area).where(Area.name == "Eastgate")) is None


# --- 4: ballot feedback ----------------------------------------------------------------------


def _ballot_client(client, db, kind):
    area = make_area(db.session)
    rnd = make_voting_round(db.session, kind, area=area)
    login(client, make_user(db.session))
    return rnd


def test_points_over_the_per_project_cap_are_flagged_next_to_the_field(client, db):
    rnd = _ballot_client(client, db, "cumulative")  # 10 points, at most 5 on one project
    response = client.post(f"/rounds/{rnd.id}/vote/review", data={"points-P1": "7"})
    html = _html(response)
    assert response.status_code == 422
    assert '<h2 id="error-summary-title">There is a problem</h2>' in html
    assert 'href="#points-P1"' in html
    error = re.search(r'<p class="field-error" id="points-P1-error">(.*?)</p>', html, re.S)
    assert error and "at most 5 points; this has 7" in error.group(1)
    tag = re.search(r'<input[^>]*id="points-P1"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in tag and "points-P1-error" in tag and 'value="7"' in tag
    assert 'class="over"' in html and "Over the limit." in html


def test_the_points_summary_is_marked_over_the_limit_in_words_and_colour(client, db):
    rnd = _ballot_client(client, db, "cumulative")
    data = {"points-P1": "5", "points-P2": "5", "points-P3": "2"}
    html = _html(client.post(f"/rounds/{rnd.id}/vote/summary", data=data))
    assert "Over the limit." in html and 'class="over"' in html and "2 points too many" in html
    html = _html(client.post(f"/rounds/{rnd.id}/vote/summary", data={"points-P1": "3"}))
    assert "Over the limit." not in html and 'class="over"' not in html


def test_the_budget_summary_is_marked_over_the_budget(client, db):
    rnd = _ballot_client(client, db, "knapsack")
    html = _html(client.post(f"/rounds/{rnd.id}/vote/summary", data={"project": ["P1", "P2"]}))
    assert "Over the budget." not in html and 'class="over"' not in html
    data = {"project": ["P1", "P2", "P3", "P4"]}
    html = _html(client.post(f"/rounds/{rnd.id}/vote/summary", data=data))
    assert "Over the budget." in html and 'class="over"' in html


def test_two_projects_ranked_first_are_both_flagged_and_kept(client, db):
    rnd = _ballot_client(client, db, "ranked")
    data = {"rank-P1": "1", "rank-P2": "1"}
    summary = _html(client.post(f"/rounds/{rnd.id}/vote/summary", data=data))
    assert "You ranked 2 projects" in summary and "2 projects share a rank" in summary
    response = client.post(f"/rounds/{rnd.id}/vote/review", data=data)
    html = _html(response)
    assert response.status_code == 422
    for code, other in (("P1", "Project 2"), ("P2", "Project 1")):
        error = re.search(rf'<p class="field-error" id="rank-{code}-error">(.*?)</p>', html, re.S)
        assert error and f"Rank 1 is also given to “{other}”" in error.group(1)
        select_html = re.search(rf'<select[^>]*id="rank-{code}".*?</select>', html, re.S)[0]
        assert '<option value="1" selected>' in select_html  # what the voter chose stays
    assert "You ranked 2 projects" in html


@pytest.mark.parametrize("template", ["eligibility/settings.html", "paper/enter.html",
                                      "voting/ballot.html", "voting/refused.html",
                                      "ledger/pay.html", "board/import.html"])  # fmt: skip
def test_error_summaries_come_from_the_one_macro(app, template):
    source = (app.root_path + "/../templates/" + template).replace("/decide/..", "")
    with open(source, encoding="utf-8") as f:
        text = f.read()
    assert "error_summary(" in text and 'class="error-summary"' not in text


def test_no_template_hand_rolls_an_error_summary(app):
    import pathlib

    root = pathlib.Path(app.root_path).parent / "templates"
    marks = ('class="error-summary"', 'id="error-summary"', 'role="alert"')
    hand_rolled = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.html"))
        if path.name != "_forms.html" and any(m in path.read_text(encoding="utf-8") for m in marks)
    ]
    assert hand_rolled == []


# --- 6: privacy notice and accessibility statement -------------------------------------------


def test_privacy_notice_names_the_operator_lawful_basis_and_the_ico(client):
    html = _html(client.get("/privacy"))
    assert "data controller" in html and "Northbridge City Council" in html
    assert 'id="demo-operator"' in html  # the demo's details are marked as such
    assert "public task" in html and "consent" in html
    assert "Information Commissioner" in html and "ico.org.uk/make-a-complaint" in html


def test_operator_details_come_from_the_settings(app):
    app.config.update(
        OPERATOR_NAME="Leeds City Council",
        OPERATOR_EMAIL="dpo@leeds.example",
        OPERATOR_ADDRESS="Civic Hall, Leeds LS1 1UR",
    )
    client = app.test_client()
    for page in ("/privacy", "/accessibility"):
        html = _html(client.get(page))
        assert "Leeds City Council" in html and "dpo@leeds.example" in html
        assert 'id="demo-operator"' not in html and "Northbridge" not in html


def test_operator_settings_are_read_from_the_environment(tmp_path):
    from decide.config import build_config

    cfg = build_config(str(tmp_path), {"DECIDE_OPERATOR_NAME": "Leeds City Council"})
    assert cfg["OPERATOR_NAME"] == "Leeds City Council"


def test_accessibility_statement_gives_its_preparation_and_review_dates(client):
    html = _html(client.get("/accessibility"))
    assert "This statement was prepared on 4 December 2026" in html
    assert "last reviewed on 4 December 2026" in html


# --- 8: tap targets ----------------------------------------------------------------------


def test_small_links_get_a_tap_target_class(app, world):
    client = login(app.test_client(), world.user("facilitator"))
    html = _html(client.get("/rounds/areas"))
    assert re.search(r'<a class="tap" href="/rounds/areas/\d+/edit">Edit', html)
    css = open(app.root_path.replace("/decide", "") + "/static/css/app.css").read()  # noqa: SIM115
    assert "::file-selector-button" in css and ".tap {" in css


# --- 7: the proposal page after publication --------------------------------------------------


def test_a_proposal_page_shows_its_outcome_and_payments_after_publication(app, db, world):
    from decide.services import manifests, signing
    from decide.services.paper import enter_paper_ballot
    from decide.services.results import confirm_rule
    from decide.services.voting import load_server_key
    from tests.publication.conftest import manifest_signature

    council = Organisation(name="Northbridge City Council", slug="council", kind="statutory")
    db.session.add(council)
    rnd, facilitator = world.round, world.user("facilitator")
    rnd.signature_threshold = 1
    rnd.threshold_reason = "A test round with one panel member."
    rnd.budget_pence = 400_000
    unfunded = make_proposal(
        db.session, rnd, world.user("citizen"), "Sunday play streets",
        lines=(("Road closure orders", 390_000),),
    )  # fmt: skip
    db.session.commit()
    client = login(app.test_client(), facilitator)
    for proposal in (world.proposal, unfunded):
        client.post(f"/proposals/{proposal.id}/review", data={"feasibility": "feasible"})
    client.post(f"/proposals/{world.proposal.id}/accept")
    client.post(f"/proposals/{unfunded.id}/accept", data={"payee_id": str(council.id)})
    funded_code = db.session.scalar(
        select(Project.code).where(Project.proposal_id == world.proposal.id)
    )
    from decide.services.register_setup import confirm_self_declared

    confirm_self_declared(db.session, rnd.id, confirmed=True)  # no roll: self-declared
    for phase in ("deliberation", "voting"):
        client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": phase})
    key = load_server_key(app.config["RECEIPT_KEY_FILE"])
    today = dt.date.today()
    from decide.services.register_setup import issue_paper_numbers

    batch = issue_paper_numbers(db.session, rnd.id, 3, label="Papers", today=today)
    numbers = [n.number for n in batch.numbers]
    for number in numbers:
        enter_paper_ballot(
            db.session, rnd.id, [funded_code], number=number, officer_id=facilitator.id,
            server_key=key, today=today,
        )  # fmt: skip
    client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": "closed"})
    db.session.expire_all()
    confirm_rule(db.session, rnd.id, rule=rnd.allocation_rule, reason="", actor=facilitator)
    assert 'id="outcome"' not in _html(client.get(f"/proposals/{world.proposal.id}"))

    member = world.user("panel_member")
    panel_key = generate("Pat Panel", seed=b"\x33" * 32)
    signing.register_key(
        db.session, rnd, member, canonical_json(panel_key.public_record().to_dict())
    )
    row = manifests.write_manifest(db.session, rnd)
    signing.upload_signature(
        db.session, rnd, member, manifest_signature(row, panel_key),
        document_type=signing.MANIFEST_TYPE, digest=row.digest,
    )  # fmt: skip
    client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": "published"})
    db.session.expire_all()
    assert db.session.get(Round, rnd.id).phase == "published"

    html = _html(client.get(f"/proposals/{world.proposal.id}"))
    assert '<h2 class="h3">Funded</h2>' in html
    assert "it was allocated <strong>£500.00</strong>" in html
    assert "Nothing has been paid yet." in html
    html = _html(client.get(f"/proposals/{unfunded.id}"))
    assert '<h2 class="h3">Not funded</h2>' in html

    client.post(
        f"/rounds/{rnd.id}/ledger/pay",
        data={"project_code": funded_code, "amount": "200", "paid_on": today.isoformat(),
              "bank_reference": "BACS-78", "approver": "Fay Facilitator",
              "reason": "Paid ahead of milestones"},
    )  # fmt: skip
    html = _html(client.get(f"/proposals/{world.proposal.id}"))
    assert "<strong>£200.00</strong> of the £500.00 allocated has been paid" in html
    assert "£300.00 still to pay" in html
    ledger = _html(client.get(f"/rounds/{rnd.id}/ledger"))
    assert ledger.count('class="stack-table"') == 2  # paid against allocated, and payments
    for label in ("Allocated", "Paid", "Left", "Amount", "Hash"):
        assert f'data-label="{label}"' in ledger

"""Issue 11, defect 9: a phase button whose preconditions are not met is shown disabled, with
the reason (tied to it by aria-describedby) and a link to where it can be fixed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from decide.models import Project, Round
from decide.services import phase_rules, phases, register_setup
from decide.services import rounds as service
from tests.web.world import login


@pytest.fixture
def app_config(tmp_path) -> dict[str, Any]:
    """Run closing and publication jobs inline (for the closed round with a confirmed rule)."""
    return {"PUBLICATION_JOBS_INLINE": True, "RECEIPT_KEY_FILE": str(tmp_path / "receipt.pem")}


def _phase_form(html: str, to_phase: str) -> str:
    match = re.search(
        rf'<form [^>]*class="phase-form">(?:(?!</form>).)*?name="to_phase" value="{to_phase}"'
        r".*?</form>",
        html,
        re.S,
    )
    assert match, f"no phase button for {to_phase}"
    return match.group(0)


def _round_page(app, world, rnd: Round) -> str:
    client = login(app.test_client(), world.user("facilitator"))
    return client.get(f"/rounds/{rnd.id}").get_data(as_text=True)


def _assert_blocked(form: str, to_phase: str, reason: str, href: str, link_text: str) -> None:
    button = re.search(r"<button[^>]*>", form).group(0)
    assert " disabled" in button and f'aria-describedby="phase-why-{to_phase}"' in button
    why = form.split(f'id="phase-why-{to_phase}"', 1)[1]
    assert reason in why
    assert f'<a href="{href}">{link_text}</a>' in why


def test_publishing_before_the_rule_is_confirmed_is_disabled_with_a_link(app, db, world):
    rnd = world.round
    rnd.phase = "closed"
    db.session.commit()
    form = _phase_form(_round_page(app, world, rnd), "published")
    assert "Move to “Results published”" in form
    _assert_blocked(
        form,
        "published",
        "Publishing needs a confirmed allocation rule: compare the rules and confirm one.",
        f"/rounds/{rnd.id}/results/compare",
        "Compare the rules and confirm one",
    )
    # The server refuses it too, whatever the page shows.
    client = login(app.test_client(), world.user("facilitator"))
    client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": "published"})
    assert db.session.get(Round, rnd.id).phase == "closed"


def test_after_confirming_the_rule_publishing_waits_for_the_manifest(app, db):
    from tests.publication.conftest import build_closed_round

    closed = build_closed_round(app, db.session)
    client = login(app.test_client(), closed.facilitator)
    form = _phase_form(client.get(f"/rounds/{closed.round.id}").get_data(as_text=True), "published")
    _assert_blocked(
        form,
        "published",
        "Publishing needs the manifest: write it on the publication page.",
        f"/rounds/{closed.round.id}/publication",
        "Open the verifiable record",
    )


def test_voting_needs_a_project_and_a_payee_for_each(app, db, world):
    rnd = world.round
    rnd.phase = "deliberation"
    db.session.commit()
    form = _phase_form(_round_page(app, world, rnd), "voting")
    review = f"/rounds/{rnd.id}/review"
    _assert_blocked(
        form, "voting", "Voting needs at least one accepted project.", review, "Review proposals"
    )
    # Going back needs nothing: that button is enabled, with no reasons.
    back = _phase_form(_round_page(app, world, rnd), "proposals")
    assert "Go back to “Proposals open”" in back and "disabled" not in back
    assert "phase-why" not in back

    db.session.add(Project(round=rnd, code="P1", title="Pantry", cost_pence=100_000))
    db.session.commit()
    form = _phase_form(_round_page(app, world, rnd), "voting")
    _assert_blocked(
        form,
        "voting",
        "Voting needs a payee for every project on the ballot; P1 “Pantry” has none.",
        review,
        "Review proposals",
    )
    with pytest.raises(phase_rules.PhaseChangeRefused, match="needs a payee"):
        phases.change_phase(db.session, rnd, "voting", world.user("facilitator"))
    client = login(app.test_client(), world.user("facilitator"))
    assert "On the ballot without a payee: P1 “Pantry”" in client.get(review).get_data(as_text=True)

    db.session.get(Project, rnd.projects[0].id).organisation = world.organisation
    db.session.commit()
    register_setup.confirm_self_declared(db.session, rnd.id, confirmed=True)
    form = _phase_form(_round_page(app, world, rnd), "voting")
    assert "disabled" not in form and "phase-why" not in form
    client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": "voting"})
    assert db.session.get(Round, rnd.id).phase == "voting"


def test_a_lone_signature_needs_a_reason_before_voting_and_then_locks(app, db, world):
    """Issue 13, point 4: a threshold of 1 needs a stated reason; both lock at voting."""
    rnd = world.round
    rnd.phase = "deliberation"
    rnd.signature_threshold = 1
    rnd.threshold_reason = ""
    db.session.add(
        Project(round=rnd, code="P1", title="Pantry", cost_pence=100_000,
                organisation=world.organisation)
    )  # fmt: skip
    db.session.commit()
    form = _phase_form(_round_page(app, world, rnd), "voting")
    _assert_blocked(
        form,
        "voting",
        "Voting needs a reason why one panel signature is enough to publish, "
        "or a threshold of 2 or more.",
        f"/rounds/{rnd.id}/edit",
        "Edit the round settings",
    )
    client = login(app.test_client(), world.user("facilitator"))
    edit = client.get(f"/rounds/{rnd.id}/edit").get_data(as_text=True)
    assert 'name="threshold_reason"' in edit
    settings = service.RoundSettings.of(rnd)
    service.update_round(
        db.session, rnd,
        service.RoundSettings(**{**settings.__dict__, "threshold_reason": "One-person pilot"}),
        world.user("facilitator"),
    )  # fmt: skip
    register_setup.confirm_self_declared(db.session, rnd.id, confirmed=True)  # no voter roll
    client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": "voting"})
    rnd = db.session.get(Round, rnd.id)
    assert rnd.phase == "voting"
    assert "(why one is enough: One-person pilot)" in client.get(f"/rounds/{rnd.id}").get_data(
        as_text=True
    )
    assert rnd.voting_open == rnd.voting_opened_at.date()  # the timetable shows the day
    # Locked with the ballot: neither the threshold nor its reason can change now.
    for change in ({"signature_threshold": 3}, {"threshold_reason": "Changed"}):
        settings = service.RoundSettings.of(rnd)
        with pytest.raises(service.DomainError, match="cannot change after voting opened"):
            service.update_round(
                db.session, rnd, service.RoundSettings(**{**settings.__dict__, **change}),
                world.user("facilitator"),
            )  # fmt: skip
        db.session.rollback()
    assert (rnd.signature_threshold, rnd.threshold_reason) == (1, "One-person pilot")


def test_opening_proposals_without_areas_links_to_the_settings(app, db, world):
    draft = world.draft
    draft.areas = []
    db.session.commit()
    form = _phase_form(_round_page(app, world, draft), "proposals")
    _assert_blocked(
        form,
        "proposals",
        "Proposals need at least one area.",
        f"/rounds/{draft.id}/edit",
        "Edit the round settings",
    )


def test_an_allowed_change_is_an_ordinary_button(app, db, world):
    form = _phase_form(_round_page(app, world, world.round), "deliberation")
    assert "Move to “Deliberation”" in form
    assert "disabled" not in form and "aria-describedby" not in form


def test_phase_options_say_what_blocks_each_change_and_where_to_fix_it(db, world):
    rnd = world.round
    rnd.phase = "deliberation"
    db.session.commit()
    options = {o.to_phase: o for o in phases.phase_options(db.session, rnd)}
    assert "eligibility" in [b.fix for b in options["voting"].blockers]  # self-declared
    register_setup.confirm_self_declared(db.session, rnd.id, confirmed=True)
    options = {o.to_phase: o for o in phases.phase_options(db.session, rnd)}
    assert list(options) == ["voting", "proposals"]  # forwards first
    assert options["proposals"].allowed and not options["proposals"].forward
    voting = options["voting"]
    assert not voting.allowed and voting.forward and voting.label == "Voting open"
    assert [(b.message, b.fix) for b in voting.blockers] == [
        ("Voting needs at least one accepted project.", "review")
    ]
    assert set(b.fix for o in options.values() for b in o.blockers) <= set(phase_rules.FIX_PLACES)
    # Plain-string guards (other parts of the app add their own) still work, without a link.
    assert phases.phase_problems(db.session, rnd, "voting") == [
        "Voting needs at least one accepted project."
    ]


def test_only_facilitators_see_the_phase_buttons(app, db, world):
    page = login(app.test_client(), world.user("panel_member")).get(f"/rounds/{world.round.id}")
    html = page.get_data(as_text=True)
    assert "Review proposals" in html and "Change phase" not in html and "phase-form" not in html


def test_voting_needs_a_panel_to_sign_the_results(app, db, world):
    rnd = world.round
    rnd.phase = "deliberation"
    db.session.add(
        Project(round=rnd, code="P1", title="Pantry", cost_pence=100_000,
                organisation=world.organisation)
    )  # fmt: skip
    db.session.delete(world.panel_seat)
    db.session.commit()
    form = _phase_form(_round_page(app, world, rnd), "voting")
    _assert_blocked(
        form,
        "voting",
        "Voting needs a panel to sign the results: add at least one panel member "
        f"(the results need {rnd.signature_threshold} signatures).",
        f"/rounds/{rnd.id}/panel",
        "Add panel members",
    )
    with pytest.raises(phase_rules.PhaseChangeRefused, match="needs a panel"):
        phases.change_phase(db.session, rnd, "voting", world.user("facilitator"))


def test_the_panel_is_fixed_when_voting_opens(app, db, world):
    """Outside review of issue 13: a facilitator seated herself and a made-up resident on the
    panel after voting closed, and published alone."""
    import datetime as dt

    rnd = world.round
    rnd.phase = "voting"
    rnd.voting_opened_at = dt.datetime.now(dt.UTC)
    db.session.commit()
    client = login(app.test_client(), world.user("facilitator"))
    page = client.get(f"/rounds/{rnd.id}/panel").get_data(as_text=True)
    assert "The panel was fixed when voting opened" in page and "Add to the panel" not in page
    response = client.post(
        f"/rounds/{rnd.id}/panel", data={"email": "facilitator@test.example", "role_title": "x"}
    )
    assert service.PANEL_LOCKED in response.get_data(as_text=True)
    client.post(f"/rounds/{rnd.id}/panel/{world.panel_seat.id}/remove")
    db.session.expire_all()
    assert [m.user_id for m in db.session.get(Round, rnd.id).panel] == [world.panel_seat.user_id]
    for change in (
        lambda: service.add_panel_member(db.session, rnd, "facilitator@test.example"),
        lambda: service.remove_panel_member(db.session, rnd, world.panel_seat.id),
    ):
        with pytest.raises(service.DomainError, match="fixed when voting opens"):
            change()

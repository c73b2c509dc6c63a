"""Rounds: creating and editing, the ballot lock, phase changes with their guards."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from decide.models import Project, Round, RoundLocked
from decide.services import composition, phase_rules, phases, register_setup
from decide.services import rounds as service
from decide.services.errors import InvalidInput
from tests.web.world import login


def _form(world, **changes) -> dict:
    data = {
        "title": "Healthy Moorfield 2028",
        "description": "A **round**.",
        "budget_pence": "12,500.50",
        "area_ids": [str(world.areas[0].id), str(world.areas[1].id)],
        "theme_ids": [str(world.themes[0].id)],
        "ballot_kind": "approval",
        "min_choices": "1",
        "max_choices": "4",
        "min_budget_share_percent": "0",
        "allocation_rule": "equal-shares",
        "signature_threshold": "2",
        "proposals_open": "2027-01-10",
        "proposals_close": "2027-02-10",
        "voting_open": "2027-03-01",
        "voting_close": "2027-03-15",
    }
    data.update(changes)
    return data


def test_facilitator_creates_a_round_with_the_budget_in_exact_pence(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    response = client.post("/rounds/new", data=_form(world))
    assert response.status_code == 302
    rnd = db.session.scalar(select(Round).where(Round.title == "Healthy Moorfield 2028"))
    assert rnd.budget_pence == 1_250_050
    assert rnd.phase == "draft"
    assert [a.slug for a in rnd.areas] == ["moorfield", "riverside"]
    assert rnd.max_choices == 4 and rnd.signature_threshold == 2
    assert rnd.voting_open == dt.date(2027, 3, 1)
    page = client.get(f"/rounds/{rnd.id}").get_data(as_text=True)
    assert "£12,500.50" in page
    assert "Choose between 1 and 4 projects." in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"budget_pence": "0"}, "budget_pence", "The amount must be more than £0"),
        ({"budget_pence": "-10"}, "budget_pence", "The amount must be more than £0"),
        ({"budget_pence": "1,00.5"}, "budget_pence", "Enter an amount in pounds"),
        ({"title": ""}, "title", "Enter a title"),
        ({"max_choices": "0"}, "max_choices", "Enter a whole number of 1 or more"),
        ({"voting_close": "2027-02-01"}, "voting_close", "Voting closes must be on or after"),
        ({"ballot_kind": "cumulative"}, "points_total", "Points ballots need the number"),
    ],
)
def test_round_form_refuses_bad_input(app, db, world, changes, field, message):
    client = login(app.test_client(), world.user("facilitator"))
    before = db.session.scalar(select(func.count(Round.id)))
    html = client.post("/rounds/new", data=_form(world, **changes)).get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert db.session.scalar(select(func.count(Round.id))) == before


def _open_voting(db, world) -> Round:
    rnd = world.round
    db.session.add(Project(round=rnd, code="P1", title="Pantry", cost_pence=100_000))
    db.session.flush()
    rnd.phase = "voting"
    db.session.commit()
    return rnd


def test_ballot_settings_are_locked_in_the_form_once_voting_opened(app, db, world):
    rnd = _open_voting(db, world)
    client = login(app.test_client(), world.user("facilitator"))
    settings = service.RoundSettings.of(rnd)
    data = _form(
        world,
        title="Renamed round",
        budget_pence="200,000",
        max_choices=str(settings.max_choices),
        min_choices=str(settings.min_choices),
        signature_threshold=str(settings.signature_threshold),
        proposals_open="",
        proposals_close="",
        voting_open="",
        voting_close="",
    )
    html = client.post(f"/rounds/{rnd.id}/edit", data=data).get_data(as_text=True)
    assert 'id="budget_pence-error"' in html
    assert "The budget cannot change after voting opened" in html
    db.session.expire_all()
    assert db.session.get(Round, rnd.id).budget_pence == 10_000_000
    assert db.session.get(Round, rnd.id).title == "Healthy Riverside"


def test_non_ballot_settings_can_still_change_after_voting_opened(app, db, world):
    rnd = _open_voting(db, world)
    settings = service.RoundSettings.of(rnd)
    changed = service.RoundSettings(**{**settings.__dict__, "title": "New title"})
    service.update_round(db.session, rnd, changed, world.user("facilitator"))
    assert db.session.get(Round, rnd.id).title == "New title"


def test_the_model_refuses_ballot_changes_after_voting_opened(db, world):
    rnd = _open_voting(db, world)
    rnd.budget_pence = 1
    with pytest.raises(RoundLocked, match="budget pence cannot change"):
        db.session.flush()
    db.session.rollback()
    rnd = db.session.get(Round, rnd.id)
    rnd.projects[0].cost_pence = 5
    with pytest.raises(RoundLocked, match="project cost pence cannot change"):
        db.session.flush()
    db.session.rollback()


def test_service_refuses_locked_changes_as_field_errors(db, world):
    rnd = _open_voting(db, world)
    settings = service.RoundSettings.of(rnd)
    changed = service.RoundSettings(**{**settings.__dict__, "ballot_kind": "knapsack"})
    with pytest.raises(InvalidInput) as info:
        service.update_round(db.session, rnd, changed, world.user("facilitator"))
    assert info.value.errors == {"ballot_kind": "The ballot kind cannot change after voting opened"}


def test_phase_change_guards_give_clear_messages(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    draft = world.draft
    draft.areas = []
    db.session.commit()
    response = client.post(f"/rounds/{draft.id}/phase", data={"to_phase": "proposals"})
    assert response.status_code == 302
    page = client.get(f"/rounds/{draft.id}").get_data(as_text=True)
    assert "Proposals need at least one area." in page
    assert db.session.get(Round, draft.id).phase == "draft"

    rnd = world.round
    client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": "deliberation"})
    assert db.session.get(Round, rnd.id).phase == "deliberation"
    client.post(f"/rounds/{rnd.id}/phase", data={"to_phase": "voting"})
    page = client.get(f"/rounds/{rnd.id}").get_data(as_text=True)
    assert "Voting needs at least one accepted project." in page
    assert db.session.get(Round, rnd.id).phase == "deliberation"


def test_phases_cannot_be_skipped(db, world):
    with pytest.raises(phase_rules.PhaseChangeRefused, match="cannot move to"):
        phases.change_phase(db.session, world.round, "closed", world.user("facilitator"))
    assert world.round.phase == "proposals"


def test_opening_voting_stamps_the_time_and_locks_the_ballot(db, world):
    rnd = world.round
    rnd.phase = "deliberation"
    db.session.add(
        Project(
            round=rnd, code="P1", title="Pantry", cost_pence=100_000,
            organisation=world.organisation,
        )
    )  # fmt: skip
    db.session.commit()
    register_setup.confirm_self_declared(db.session, rnd.id, confirmed=True)
    phases.change_phase(db.session, rnd, "voting", world.user("facilitator"))
    assert rnd.phase == "voting" and rnd.voting_opened_at is not None
    assert rnd.ballot_locked


def test_other_parts_can_add_guards_and_effects(db, world, monkeypatch):
    calls = []
    transition = composition.TRANSITIONS[("proposals", "deliberation")]
    monkeypatch.setattr(
        transition, "guards", [*transition.guards, lambda s, r: "Not before the panel meets."]
    )
    with pytest.raises(phase_rules.PhaseChangeRefused, match=r"Not before the panel meets\."):
        phases.change_phase(db.session, world.round, "deliberation", world.user("facilitator"))
    monkeypatch.setattr(transition, "guards", [])
    monkeypatch.setattr(transition, "effects", [lambda s, r, a: calls.append(r.phase)])
    phases.change_phase(db.session, world.round, "deliberation", world.user("facilitator"))
    assert calls == ["deliberation"]


def test_an_effect_that_fails_rolls_the_phase_back(db, world, monkeypatch):
    from decide.services.errors import DomainError

    def boom(session, rnd, actor):
        raise DomainError("The results could not be computed.")

    transition = composition.TRANSITIONS[("proposals", "deliberation")]
    monkeypatch.setattr(transition, "effects", [boom])
    with pytest.raises(phase_rules.PhaseChangeRefused, match="could not be computed"):
        phases.change_phase(db.session, world.round, "deliberation", world.user("facilitator"))
    db.session.expire_all()
    assert db.session.get(Round, world.round.id).phase == "proposals"


def test_panel_members_are_added_by_email(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    html = client.post(
        f"/rounds/{world.round.id}/panel", data={"email": "nobody@x.example", "role_title": "x"}
    ).get_data(as_text=True)
    assert "There is no account with this email address" in html
    client.post(
        f"/rounds/{world.round.id}/panel",
        data={"email": "citizen@test.example", "role_title": "Resident"},
    )
    db.session.expire_all()
    assert world.round.has_panel_member(world.user("citizen").id)


def test_draft_rounds_are_hidden_from_the_public(app, world):
    assert "Secret Draft" not in app.test_client().get("/rounds/").get_data(as_text=True)
    client = login(app.test_client(), world.user("facilitator"))
    assert "Secret Draft" in client.get("/rounds/").get_data(as_text=True)


def test_facilitator_manages_areas_and_themes(app, db, world):
    from decide.models import Area, Theme

    client = login(app.test_client(), world.user("facilitator"))
    bad = {"area-name": "Riverside", "area-population": "-1", "area-deprivation_decile": "11"}
    html = client.post("/rounds/areas", data=bad).get_data(as_text=True)
    assert 'id="area-name-error"' in html and "There is already an area with this name" in html
    assert 'id="area-population-error"' in html
    assert 'id="area-deprivation_decile-error"' in html
    assert db.session.scalar(select(func.count(Area.id))) == 2
    # Grouped digits, as the page prints them, are accepted (tests/web/test_newcomer_review.py).
    good = {"area-name": "Canal Side", "area-population": "9,000", "area-deprivation_decile": "2"}
    assert client.post("/rounds/areas", data=good).status_code == 302
    area = db.session.scalar(select(Area).where(Area.slug == "canal-side"))
    assert (area.population, area.deprivation_decile) == (9000, 2)
    edit = {"name": "Canal Side", "population": "9100", "deprivation_decile": "3"}
    assert client.post(f"/rounds/areas/{area.id}/edit", data=edit).status_code == 302
    db.session.expire_all()
    assert (area.population, area.deprivation_decile) == (9100, 3)
    assert client.post("/rounds/themes", data={"theme-name": "Older people"}).status_code == 302
    html = client.post("/rounds/themes", data={"theme-name": "older PEOPLE"}).get_data(as_text=True)
    assert 'id="theme-name-error"' in html
    assert db.session.scalar(select(func.count(Theme.id))) == 3

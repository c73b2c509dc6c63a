"""Every optional field of every form may be left empty.

`FORMS` lists each form with a post that succeeds and the fields it may leave empty. The test
posts it once per optional field with that field blank (a text box left empty; a checkbox or a
list of choices with nothing ticked), expects the same success, and checks what was stored
means "not set". The fuzz test (test_fuzz.py) starts from these valid posts too.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.web.world import login

# A cumulative pabulib election of two projects, small enough to import on every run.
PB_TEXT = (
    "META\nkey;value\ndescription;Optional fields\nbudget;100\nvote_type;cumulative\n"
    "max_sum_points;5\nPROJECTS\nproject_id;cost;name\n1;50;One\n2;40;Two\n"
    "VOTES\nvoter_id;vote;points\nv1;1,2;2,3\nv2;1;3\n"
)


@dataclass(frozen=True)
class FormCase:
    """A form, a post of it that succeeds, and the fields that post may leave empty."""

    endpoint: str
    role: str
    url: Callable[[Any], str]
    valid: Callable[[Any], dict[str, Any]]
    optional: tuple[str, ...]
    stored: Callable[[Any, Any], Any]
    """Return the row the post wrote or changed."""
    unset: dict[str, Any] = field(default_factory=dict)
    """What each listed field holds once stored after it was left empty."""


def _latest(model: Any) -> Callable[[Any, Any], Any]:
    def stored(db: Any, world: Any) -> Any:
        db.session.expire_all()
        return db.session.scalar(select(model).order_by(model.id.desc()).limit(1))

    return stored


def _round_form(world: Any) -> dict[str, Any]:
    return {
        "title": "Healthy Moorfield",
        "description": "Small grants for health.",
        "budget_pence": "10,000",
        "area_ids": [str(a.id) for a in world.areas],
        "theme_ids": [str(world.themes[0].id)],
        "ballot_kind": "approval",
        "min_choices": "1",
        "max_choices": "3",
        "min_budget_share_percent": "10",
        "points_total": "10",
        "max_points_per_project": "5",
        "rank_depth": "3",
        "allocation_rule": "greedy",
        "signature_threshold": "1",
        "proposals_open": "2027-01-04",
        "proposals_close": "2027-02-01",
        "deliberation_close": "2027-03-01",
        "voting_open": "2027-03-08",
        "voting_close": "2027-03-29",
        "results_date": "2027-04-12",
    }


ROUND_OPTIONAL = (
    "description", "area_ids", "theme_ids", "max_choices", "min_budget_share_percent",
    "points_total", "max_points_per_project", "rank_depth", "proposals_open", "proposals_close",
    "deliberation_close", "voting_open", "voting_close", "results_date",
)  # fmt: skip
ROUND_UNSET = dict.fromkeys(ROUND_OPTIONAL) | {
    "description": "",
    "min_budget_share_percent": 0,
    "area_ids": [],
    "theme_ids": [],
}


def _round_stored(db: Any, world: Any) -> Any:
    from decide.models import Round

    db.session.expire_all()
    return db.session.scalar(select(Round).where(Round.title == "Healthy Moorfield"))


def _proposal_form(world: Any) -> dict[str, Any]:
    return {
        "organisation_id": "0",
        "title": "Park benches",
        "summary": "Benches along the river path.",
        "description_md": "Six *benches*.",
        "expected_outcomes": "People rest on their walk.",
        "area_id": str(world.areas[0].id),
        "theme_ids": [str(world.themes[0].id)],
        "cost_lines-0-item": "Six benches",
        "cost_lines-0-amount": "1,200",
    }


def _closed(world: Any) -> int:
    """Return (made once per world) a closed round with ballots, for the results forms."""
    if not hasattr(world, "_optional_closed"):
        from decide.demo.results import demo_choices
        from tests.results.factory import closed_round

        rnd = closed_round(world.session, title="Optional closed", voters=demo_choices()[:20])
        world._optional_closed = rnd.id
    return world._optional_closed


def _voting(world: Any) -> int:
    """Return (made once per world) a round before voting, for the eligibility forms."""
    if not hasattr(world, "_optional_voting"):
        from decide.models import Round

        # Who may vote locks when voting opens, so the forms are tried just before.
        rnd = Round(title="Optional voting", slug="optional-voting", budget_pence=100_000,
                    phase="deliberation", max_choices=2)  # fmt: skip
        rnd.areas = [world.areas[0]]
        world.session.add(rnd)
        world.session.commit()
        world._optional_voting = rnd.id
    return world._optional_voting


def _model(name: str) -> Any:
    import decide.models

    return getattr(decide.models, name)


def _delivery(world: Any) -> tuple[int, ...]:
    """Return the ids of the access rules' delivered round (its project D1, a milestone...)."""
    from tests.web.access.delivery import _delivered

    return _delivered(world)


def _jpeg() -> Any:
    from tests.delivery.conftest import jpeg_with_gps

    return (io.BytesIO(jpeg_with_gps()), "shelf.jpg")


def _d1(world: Any, tail: str) -> str:
    return f"/rounds/{_delivery(world)[0]}/projects/D1/{tail}"


FORMS = [
    FormCase(
        "auth.register", "anonymous", lambda w: "/register",
        lambda w: {"display_name": "Ann Resident", "email": "ann@test.example",
                   "password": "long-enough-password", "postcode": "NB1 1AA",
                   "date_of_birth": "1980-04-01"},
        ("postcode", "date_of_birth"),
        lambda db, w: _latest(_model("User"))(db, w),
        {"postcode": None, "date_of_birth": None},
    ),
    FormCase(
        "rounds.create", "facilitator", lambda w: "/rounds/new", _round_form, ROUND_OPTIONAL,
        _round_stored, ROUND_UNSET,
    ),
    FormCase(
        "rounds.edit", "facilitator", lambda w: f"/rounds/{w.draft.id}/edit", _round_form,
        ROUND_OPTIONAL, _round_stored, ROUND_UNSET,
    ),
    FormCase(
        "rounds.panel", "facilitator", lambda w: f"/rounds/{w.round.id}/panel",
        lambda w: {"email": "citizen@test.example", "role_title": "Resident"},
        ("role_title",),
        lambda db, w: _latest(_model("PanelMember"))(db, w), {"role_title": "Panel member"},
    ),
    FormCase(
        "assets.create", "facilitator", lambda w: "/organisations/new",
        lambda w: {"name": "Moorfield Harriers", "kind": "sports",
                   "description": "A running club.", "contact_email": "run@moor.example",
                   "contact_phone": "0113 496 0000", "website": "https://moor.example",
                   "area_ids": [str(w.areas[1].id)]},
        ("description", "contact_email", "contact_phone", "website", "area_ids"),
        lambda db, w: _latest(_model("Organisation"))(db, w),
        {"description": "", "area_ids": [], "contact_email": None, "contact_phone": None,
         "website": None},
    ),
    FormCase(
        "assets.edit", "facilitator", lambda w: f"/organisations/{w.organisation.slug}/edit",
        lambda w: {"name": "Riverside Food Bank", "kind": "charity",
                   "description": "Food for all.", "contact_email": "food@river.example",
                   "contact_phone": "0113 496 0001", "website": "https://river.example",
                   "area_ids": [str(w.areas[0].id)]},
        ("description", "contact_email", "contact_phone", "website", "area_ids"),
        lambda db, w: _latest(_model("Organisation"))(db, w),
        {"description": "", "area_ids": [], "contact_email": None, "contact_phone": None,
         "website": None},
    ),
    FormCase(
        "proposals.create", "citizen", lambda w: f"/rounds/{w.round.id}/proposals/new",
        _proposal_form, ("description_md", "expected_outcomes", "theme_ids"),
        lambda db, w: _latest(_model("Proposal"))(db, w),
        {"description_md": "", "expected_outcomes": "", "theme_ids": []},
    ),
    FormCase(
        "proposals.edit", "asset_member", lambda w: f"/proposals/{w.proposal.id}/edit",
        _proposal_form, ("description_md", "expected_outcomes", "theme_ids"),
        lambda db, w: _latest(_model("Proposal"))(db, w),
        {"description_md": "", "expected_outcomes": "", "theme_ids": []},
    ),
    FormCase(
        "review.review", "facilitator", lambda w: f"/proposals/{w.proposal.id}/review",
        lambda w: {"feasibility": "feasible", "feasibility_reason": "Costed by the council.",
                   "adjusted_cost_pence": "450", "cost_adjustment_reason": "Cheaper shelves."},
        ("feasibility_reason", "adjusted_cost_pence"),
        lambda db, w: _latest(_model("Proposal"))(db, w),
        {"feasibility_reason": "", "adjusted_cost_pence": None},
    ),
    FormCase(
        "results.confirm", "facilitator", lambda w: f"/rounds/{_closed(w)}/results/confirm",
        lambda w: {"rule": "equal-shares", "tie_break": "lex", "reason": "", "seed": ""},
        ("reason", "seed"),
        lambda db, w: _latest(_model("RoundResult"))(db, w),
        {"reason": "", "seed": None},
    ),
    FormCase(
        "results.equity", "facilitator", lambda w: f"/rounds/{_closed(w)}/results/equity",
        lambda w: {"floor_share": "20", "weight_1": "2", "weight_2": "1", "org_cap": "40,000",
                   "action": "save"},
        ("org_cap", "weight_2"),
        lambda db, w: db.session.get(_model("EquitySettings"), _closed(w)),
        {"org_cap": None},
    ),
    FormCase(
        "eligibility.settings", "facilitator",
        lambda w: f"/rounds/{_voting(w)}/eligibility",
        lambda w: {"by_postcode": "on", "by_code": "on", "min_age": "16"},
        ("min_age", "by_code"),
        lambda db, w: db.session.get(_model("RoundEligibility"), _voting(w)),
        {"min_age": None, "by_code": False},
    ),
    FormCase(
        "eligibility.generate_codes", "facilitator",
        lambda w: f"/rounds/{_voting(w)}/eligibility/codes",
        lambda w: {"count": "3", "label": "Library drop-in"},
        ("label",),
        lambda db, w: _latest(_model("AccessCodeBatch"))(db, w),
        {"label": "Batch of 3 codes"},
    ),
    FormCase(
        "board.import_pb", "facilitator", lambda w: "/rounds/import-pb",
        lambda w: {"pb_file": (io.BytesIO(PB_TEXT.encode()), "old.pb"), "title": "Old vote"},
        ("title",),
        lambda db, w: _latest(_model("Round"))(db, w),
        {"title": "Imported: Optional fields"},
    ),
    FormCase(
        "delivery.post_update", "asset_member", lambda w: _d1(w, "updates/new"),
        lambda w: {"text": "The pantry opened.", "milestone_id": str(_delivery(w)[1]),
                   "photo_1": _jpeg(), "alt_1": "Shelves of food"},
        ("milestone_id", "photo_1"),
        lambda db, w: _latest(_model("ProgressUpdate"))(db, w),
        {"milestone_id": None},
    ),
    FormCase(
        "delivery.report_figure", "asset_member", lambda w: _d1(w, "figures/new"),
        lambda w: {"measure_id": str(_delivery(w)[5]), "value": "12",
                   "milestone_id": str(_delivery(w)[1]), "area_id": str(w.areas[0].id),
                   "decile": "1"},
        # The measure is by area and decile: the area is required, and the decile left empty
        # is the area's (decile 1).
        ("milestone_id", "decile"),
        lambda db, w: _latest(_model("ImpactFigure"))(db, w),
        {"milestone_id": None, "decile": 1},
    ),
    FormCase(
        "delivery.add_story", "asset_member", lambda w: _d1(w, "stories/new"),
        lambda w: {"title": "Fresh food", "text": "I cook again.", "consent_by": "Mo",
                   "consent_on": "2026-01-05", "consent_use": "First name only",
                   "consent_scopes": "page", "photo": _jpeg(), "photo_alt": "Mo cooking"},
        ("photo", "consent_use"),
        lambda db, w: _latest(_model("Story"))(db, w),
        {"photo": None, "consent_use": ""},
    ),
    FormCase(
        "delivery.outcomes", "facilitator", lambda w: f"/rounds/{_delivery(w)[0]}/outcomes",
        lambda w: {"name": "Sessions held", "unit": "sessions", "description": "Per week",
                   "by_area": "on", "aggregation": "sum"},
        ("description", "by_area"),
        lambda db, w: _latest(_model("OutcomeMeasure"))(db, w),
        {"description": "", "by_area": False},
    ),
]  # fmt: skip

# What a field's name is on the stored row, where it differs.
STORED_AS = {
    "reason": "change_reason",
    "seed": "tie_break_seed",
    "org_cap": "organisation_cap_pence",
}


def _blank(data: dict[str, Any], name: str) -> dict[str, Any]:
    """Return `data` with `name` left empty as a browser sends it."""
    changed = dict(data)
    if name.startswith("photo_"):
        # A photo left out has no description either: alt text with no photo
        # asks for the photo again (the browser drops a chosen file on an error page).
        changed.pop("alt_" + name.removeprefix("photo_"), None)
    if isinstance(changed.get(name), list) or name.startswith("by_"):
        changed.pop(name, None)  # nothing ticked: the browser sends nothing
    else:
        changed[name] = ""
    return changed


def _stored_value(row: Any, name: str) -> Any:
    attribute = STORED_AS.get(name, name)
    if name in ("area_ids", "theme_ids"):
        return [x.id for x in getattr(row, name.removesuffix("_ids") + "s")]
    return getattr(row, attribute)


CASES = [(case, name) for case in FORMS for name in case.optional]


@pytest.mark.parametrize(("case", "name"), CASES, ids=[f"{c.endpoint}-{n}" for c, n in CASES])
def test_each_optional_field_may_be_left_empty(app, db, world, case, name):
    if case.endpoint not in app.view_functions:
        pytest.skip(f"{case.endpoint} is not a route of this app")
    client = login(app.test_client(), world.user(case.role))
    url = case.url(world)
    response = client.post(url, data=_blank(case.valid(world), name))
    assert response.status_code in (200, 302, 303), response.status_code
    if response.status_code == 200:  # a download (the access-code PDF) is this form's success
        assert response.mimetype != "text/html", response.get_data(as_text=True)[:2000]
    else:
        location = response.headers["Location"]
        assert "/login" not in location
        assert client.get(location).status_code == 200
    row = case.stored(db, world)
    assert row is not None
    if name in case.unset:
        assert _stored_value(row, name) == case.unset[name]


def test_the_issue_s_round_without_a_minimum_share(app, db, world):
    """The report: Approval, £10,000, two areas, minimum 1, 1 signature, no minimum share."""
    from decide.models import Round

    form = {
        "title": "Issue 11",
        "budget_pence": "10,000",
        "area_ids": [str(a.id) for a in world.areas],
        "ballot_kind": "approval",
        "min_choices": "1",
        "min_budget_share_percent": "",
        "allocation_rule": "equal-shares",
        "signature_threshold": "1",
    }
    client = login(app.test_client(), world.user("facilitator"))
    before = db.session.scalar(select(func.count(Round.id)))
    response = client.post("/rounds/new", data=form)
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Round.id))) == before + 1
    rnd = db.session.scalar(select(Round).where(Round.title == "Issue 11"))
    assert (rnd.min_budget_share_percent, rnd.max_choices, rnd.voting_open) == (0, None, None)
    assert len(rnd.areas) == 2


def test_round_settings_take_none_as_not_set(db, world):
    from decide.services.rounds import RoundSettings, settings_problems

    settings = RoundSettings(
        title="Direct", budget_pence=100, description=None, min_choices=None,
        min_budget_share_percent=None, signature_threshold=None,
    )  # fmt: skip
    assert (settings.description, settings.min_choices) == ("", 0)
    assert (settings.min_budget_share_percent, settings.signature_threshold) == (0, 2)
    assert settings.threshold_reason == ""
    assert settings_problems(settings) == {}


def valid_posts(world: Any) -> dict[str, Callable[[], dict[str, Any]]]:
    """Return, per endpoint, a function building a post that succeeds (for the fuzz test)."""
    return {case.endpoint: (lambda c=case: c.valid(world)) for case in FORMS}

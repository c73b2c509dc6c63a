"""Hostile input found by fuzzing: each case gets a clear message and stores nothing.

Every test counts the rows of every table before and after, so "nothing was saved" covers the
whole database, not only the table the form writes. The cases run on SQLite and PostgreSQL;
PostgreSQL is the one that refuses a NUL or an integer past 32 bits, and the point is that the
app refuses them itself, the same way on both.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import text

from decide.web.forms import CONTROL_CHARACTERS_MESSAGE
from tests.helpers.forms import payment_form, round_form
from tests.helpers.tables import table_counts
from tests.web.world import PASSWORD, login

INT32_PAST = str(2**31)


def _proposal_form(**changes: str) -> dict[str, Any]:
    data = {
        "organisation_id": "0",
        "title": "Park benches",
        "summary": "Benches along the river path.",
        "area_id": "",
        "cost_lines-0-item": "Six benches",
        "cost_lines-0-amount": "1,200",
    }
    data.update(changes)
    return data


# --- NUL bytes in the text fields of every form, anonymous ones included ----------------------

NUL_CASES = [
    ("anonymous", "/register", lambda w: {"display_name": "Ann\x00", "email": "ann@test.example",
     "password": "long-enough-password"}, "display_name"),
    ("anonymous", "/register", lambda w: {"display_name": "Ann", "email": "ann\x00@test.example",
     "password": "long-enough-password"}, "email"),
    ("anonymous", "/register", lambda w: {"display_name": "Ann", "email": "ann@test.example",
     "password": "long-enough-password\x00"}, "password"),
    ("anonymous", "/login", lambda w: {"email": "citizen@test.example\x00",
     "password": PASSWORD}, "email"),
    ("anonymous", "/login", lambda w: {"email": "citizen@test.example",
     "password": "\x00" + PASSWORD}, "password"),
    ("facilitator", "/rounds/new", lambda w: round_form(w, title="Moor\x00field"), "title"),
    ("facilitator", "/rounds/new", lambda w: round_form(w, description="a\x00"), "description"),
    ("facilitator", "/rounds/new", lambda w: round_form(w, budget_pence="10\x00000"),
     "budget_pence"),
    ("facilitator", lambda w: f"/rounds/{w.round.id}/edit",
     lambda w: round_form(w, title="x\x00"), "title"),
    ("facilitator", lambda w: f"/rounds/{w.round.id}/panel",
     lambda w: {"email": "citizen@test.example", "role_title": "Resident\x00"}, "role_title"),
    ("facilitator", "/rounds/areas", lambda w: {"area-name": "Canal\x00",
     "area-population": "10", "area-deprivation_decile": "2"}, "area-name"),
    ("facilitator", "/rounds/themes", lambda w: {"theme-name": "\x00Arts"}, "theme-name"),
    ("facilitator", "/organisations/new", lambda w: {"name": "Moor\x00 Harriers",
     "kind": "charity"}, "name"),
    ("facilitator", "/organisations/new", lambda w: {"name": "Moor Harriers", "kind": "charity",
     "website": "https://moor.example/\x00"}, "website"),
    ("citizen", lambda w: f"/rounds/{w.round.id}/proposals/new",
     lambda w: _proposal_form(summary="Benches\x00"), "summary"),
    ("citizen", lambda w: f"/rounds/{w.round.id}/proposals/new",
     lambda w: _proposal_form(**{"cost_lines-0-item": "Six\x00benches"}), "cost_lines-0-item"),
    ("facilitator", lambda w: f"/proposals/{w.proposal.id}/review",
     lambda w: {"feasibility": "not_feasible", "feasibility_reason": "No\x00"},
     "feasibility_reason"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("role", "url", "data", "field"),
    NUL_CASES,
    ids=[f"{c[1] if isinstance(c[1], str) else 'page'}-{c[3]}" for c in NUL_CASES],
)
def test_nul_in_a_text_field_is_refused_next_to_it(app, db, world, role, url, data, field):
    url = url if isinstance(url, str) else url(world)
    form = data(world)
    client = login(app.test_client(), world.user(role))
    before = table_counts(db)
    response = client.post(url, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 422), html[:500]
    assert f'id="{field}-error"' in html
    assert CONTROL_CHARACTERS_MESSAGE in html
    assert table_counts(db) == before


def test_other_control_characters_are_refused_but_line_breaks_kept(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    html = client.post("/rounds/new", data=round_form(world, title="Bell\x07 round")).get_data(
        as_text=True
    )
    assert 'id="title-error"' in html and CONTROL_CHARACTERS_MESSAGE in html
    assert table_counts(db) == before
    response = client.post(
        "/rounds/new", data=round_form(world, description="First line\r\n\tSecond line")
    )
    assert response.status_code == 302


def test_the_database_net_refuses_what_no_form_checked(app, db, world):
    """A NUL that reaches a write or a query is refused before the statement runs."""
    from decide.models import Theme, ValueDoesNotFit

    before = table_counts(db)
    db.session.add(Theme(name="Arts\x00", slug="arts"))
    with pytest.raises(ValueDoesNotFit, match="NUL"):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(ValueDoesNotFit, match="NUL"):
        db.session.execute(text("SELECT :name"), {"name": "a\x00b"})
    db.session.rollback()
    db.session.add(Theme(name="A" * 81, slug="a"))
    with pytest.raises(ValueDoesNotFit, match="80 characters or fewer"):
        db.session.commit()
    db.session.rollback()
    assert table_counts(db) == before


# --- A non-ASCII `check` on /vote/cast and /vote/edit -----------------------------------------


def _reviewed_ballot(app: Any, db: Any) -> tuple[Any, Any, dict[str, str]]:
    from tests.helpers.pages import hidden
    from tests.voting.helpers import make_area, make_round, make_user

    area = make_area(db.session)
    rnd = make_round(db.session, "approval", area=area)
    client = login(app.test_client(), make_user(db.session))
    review = client.post(f"/rounds/{rnd.id}/vote/review", data={"project": ["P1", "P3"]})
    html = review.get_data(as_text=True)
    return rnd, client, {"choices": hidden(html, "choices"), "check": hidden(html, "check")}


@pytest.mark.parametrize("step", ["cast", "edit"])
@pytest.mark.parametrize("check", ["é" * 64, "☃", "\x00"])
def test_a_non_ascii_check_is_refused(app, db, step, check):
    rnd, client, form = _reviewed_ballot(app, db)
    before = table_counts(db)
    response = client.post(f"/rounds/{rnd.id}/vote/{step}", data={**form, "check": check})
    assert response.status_code == 400
    assert "Your choices changed between the check page and casting" in response.get_data(
        as_text=True
    )
    assert table_counts(db) == before
    # The real check still casts: the refusal used up nothing.
    if step == "cast":
        assert client.post(f"/rounds/{rnd.id}/vote/cast", data=form).status_code == 200


# --- Integers of 2^31 or more in the round form --------------------------------------------

COUNT_FIELDS = [
    "min_choices",
    "max_choices",
    "points_total",
    "max_points_per_project",
    "rank_depth",
    "signature_threshold",
]


@pytest.mark.parametrize("value", [INT32_PAST, str(2**63), "9" * 5000])
@pytest.mark.parametrize("field", COUNT_FIELDS)
def test_round_form_refuses_integers_past_32_bits(app, db, world, field, value):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    kind = {"points_total": "cumulative", "max_points_per_project": "cumulative",
            "rank_depth": "ranked"}.get(field, "approval")  # fmt: skip
    form = round_form(world, ballot_kind=kind, points_total="10", rank_depth="3")
    form[field] = value
    for url in ("/rounds/new", f"/rounds/{world.draft.id}/edit"):
        response = client.post(url, data=form)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert f'id="{field}-error"' in html
        expected = "Not a valid integer value" if len(value) > 100 else "2,147,483,647 or less"
        assert expected in html
    assert table_counts(db) == before


def test_round_share_over_100_per_cent_is_refused(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    html = client.post(
        "/rounds/new", data=round_form(world, min_budget_share_percent=INT32_PAST)
    ).get_data(as_text=True)
    assert 'id="min_budget_share_percent-error"' in html and "100 or less" in html
    assert table_counts(db) == before


def test_round_service_refuses_counts_past_32_bits(db, world):
    from decide.services import rounds as service
    from decide.services.errors import InvalidInput

    settings = service.RoundSettings(
        title="Direct", budget_pence=100, area_ids=(world.areas[0].id,), max_choices=2**31
    )
    before = table_counts(db)
    with pytest.raises(InvalidInput) as refused:
        service.create_round(db.session, settings, world.user("facilitator"))
    assert refused.value.errors == {
        "max_choices": "The maximum number of projects must be 2,147,483,647 or less"
    }
    assert table_counts(db) == before


def test_area_population_past_32_bits_is_refused(app, db, world):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    form = {"area-name": "Canal", "area-population": INT32_PAST, "area-deprivation_decile": "2"}
    html = client.post("/rounds/areas", data=form).get_data(as_text=True)
    assert 'id="area-population-error"' in html and "up to 2,147,483,647" in html
    assert table_counts(db) == before


# --- A payment approver over 120 characters ---------------------------------------------------


@pytest.mark.parametrize("approver", ["A" * 121, "Fay\x00Facilitator"])
def test_payment_approver_too_long_or_with_nul_is_refused(app, db, world, paid_round, approver):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    response = client.post(
        f"/rounds/{paid_round.id}/ledger/pay", data=payment_form(approver=approver)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    message = "120 characters or fewer" if len(approver) > 120 else "invisible control"
    assert message in html
    assert table_counts(db) == before
    ok = client.post(f"/rounds/{paid_round.id}/ledger/pay", data=payment_form(approver="A" * 120))
    assert ok.status_code == 303


# --- A missing lottery seed ---------------------------------------------------------------


@pytest.fixture
def closed(db):
    from decide.demo.results import demo_choices
    from tests.results.factory import closed_round

    return closed_round(db.session, title="Seedless", voters=demo_choices()[:20])


@pytest.mark.parametrize(
    "seed", [None, "", "   ", "\x00", "s" * 101], ids=["missing", "empty", "blank", "nul", "long"]
)
def test_lottery_without_a_usable_seed_is_refused(app, db, world, closed, seed):
    client = login(app.test_client(), world.user("facilitator"))
    form = {"rule": "equal-shares", "tie_break": "lottery"}
    if seed is not None:
        form["seed"] = seed
    before = table_counts(db)
    response = client.post(f"/rounds/{closed.id}/results/confirm", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="seed-error"' in html
    assert table_counts(db) == before


# --- import-pb, on the command line and on the web -----------------------------------------

APPROVAL = (
    "META\nkey;value\ndescription;Hostile test\nbudget;{budget}\nvote_type;approval\n"
    "{meta}PROJECTS\nproject_id;cost;name\n1;50;{name}\n2;40;Two\n"
    "VOTES\nvoter_id;vote\nv1;1\nv2;1,2\n"
)
CUMULATIVE = (
    "META\nkey;value\ndescription;Hostile points\nbudget;100\nvote_type;cumulative\n"
    "{meta}PROJECTS\nproject_id;cost\n1;50\n2;40\n"
    "VOTES\nvoter_id;vote;points\nv1;1,2;{points}\nv2;1;3\n"
)


def _approval(budget: str = "100", meta: str = "", name: str = "One") -> str:
    return APPROVAL.format(budget=budget, meta=meta, name=name)


def _cumulative(points: str = "2,3", meta: str = "max_sum_points;5\n") -> str:
    return CUMULATIVE.format(points=points, meta=meta)


BAD_FILES = {
    "nul-in-name": (_approval(name="O\x00ne"), "line 8: contains a NUL character"),
    "nul-in-meta": (_approval(meta="comment;\x00\n"), "line 6: contains a NUL character"),
    "max_length-past-32-bits": (
        _approval(meta=f"max_length;{INT32_PAST}\n"),
        "META max_length is 2147483648, more than the 2,147,483,647",
    ),
    "min_length-past-32-bits": (
        _approval(meta=f"min_length;{INT32_PAST}\n"),
        "META min_length is 2147483648, more than the 2,147,483,647",
    ),
    "max_sum_points-past-32-bits": (
        _cumulative(meta=f"max_sum_points;{INT32_PAST}\n"),
        "META max_sum_points is 2147483648, more than the 2,147,483,647",
    ),
    "points-past-32-bits": (
        _cumulative(points=f"1,{INT32_PAST}", meta=""),
        "a ballot gives 2,147,483,649 points in all",
    ),
    "budget-of-5000-digits": (
        _approval(budget="9" * 5000),
        "budget '9999999999999999999999999999999999999999… (5,000 characters)' is longer than",
    ),
    "negative-points": (
        _cumulative(points="6,-1"),
        "voter v1 gives -1 points to project 2; points cannot be negative",
    ),
    "points-above-max_sum_points": (
        _cumulative(points="4,2"),
        "voter v1 gives 6 points in all, more than the 5 that max_sum_points allows",
    ),
    "points-above-max_points": (
        _cumulative(points="4,1", meta="max_sum_points;5\nmax_points;3\n"),
        "voter v1 gives 4 points to project 1, more than the 3 that max_points allows",
    ),
    "min_length-above-max_length": (
        _approval(meta="min_length;3\nmax_length;2\n"),
        "META min_length (3) is more than max_length (2)",
    ),
    "meta-not-a-number": (
        _approval(meta="max_length;²\n"),
        "META max_length is '²', which is not a whole number",
    ),
}


@pytest.mark.parametrize(("content", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_import_pb_cli_refuses_in_one_line(app, db, tmp_path, content, message):
    path = tmp_path / "hostile.pb"
    path.write_text(content, encoding="utf-8")
    before = table_counts(db)
    result = app.test_cli_runner().invoke(args=["import-pb", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # click's error exit, not a crash
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0] and lines[0].endswith("Nothing was imported.")
    assert "Traceback" not in result.output
    assert table_counts(db) == before


@pytest.mark.parametrize(("content", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_import_pb_web_refuses_with_a_message(app, db, world, content, message):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    response = client.post(
        "/rounds/import-pb",
        data={"pb_file": (io.BytesIO(content.encode()), "hostile.pb")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported" in html
    assert str(escape(message)) in html
    assert table_counts(db) == before


def test_import_pb_title_with_nul_is_refused_on_the_web_and_the_cli(app, db, world, tmp_path):
    good = _cumulative()
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    response = client.post(
        "/rounds/import-pb",
        data={"pb_file": (io.BytesIO(good.encode()), "good.pb"), "title": "Old\x00 vote"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "the title contains invisible control characters" in response.get_data(as_text=True)
    path = tmp_path / "good.pb"
    path.write_text(good, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-pb", str(path), "--title", "Old\x00"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert table_counts(db) == before
    # The same file with a plain title imports, with the file's points limits on the round.
    result = app.test_cli_runner().invoke(args=["import-pb", str(path), "--title", "Old vote"])
    assert result.exit_code == 0, result.output
    from decide.models import Round

    rnd = db.session.get(Round, int(result.output.strip().splitlines()[-1]))
    assert rnd.title == "Imported: Old vote"
    assert (rnd.points_total, rnd.max_points_per_project) == (5, None)


# --- Found by the fuzz test (tests/web/test_fuzz.py) ---------------------------------------

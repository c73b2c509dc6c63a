"""Hostile input found by fuzzing: each case gets a clear message and stores nothing.

Every test counts the rows of every table before and after, so "nothing was saved" covers the
whole database, not only the table the form writes. The cases run on SQLite and PostgreSQL;
PostgreSQL is the one that refuses a NUL or an integer past 32 bits, and the point is that the
app refuses them itself, the same way on both.
"""

from __future__ import annotations

import datetime as dt
import io
from fractions import Fraction
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import text

from decide.web.forms import CONTROL_CHARACTERS_MESSAGE
from tests.helpers.tables import table_counts
from tests.web.world import PASSWORD, login

INT32_PAST = str(2**31)


def _round_form(world: Any, **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Healthy Moorfield",
        "description": "",
        "budget_pence": "10,000",
        "area_ids": [str(a.id) for a in world.areas],
        "ballot_kind": "approval",
        "min_choices": "1",
        "allocation_rule": "greedy",
        "signature_threshold": "1",
    }
    data.update(changes)
    return data


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
    ("facilitator", "/rounds/new", lambda w: _round_form(w, title="Moor\x00field"), "title"),
    ("facilitator", "/rounds/new", lambda w: _round_form(w, description="a\x00"), "description"),
    ("facilitator", "/rounds/new", lambda w: _round_form(w, budget_pence="10\x00000"),
     "budget_pence"),
    ("facilitator", lambda w: f"/rounds/{w.round.id}/edit",
     lambda w: _round_form(w, title="x\x00"), "title"),
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
    html = client.post("/rounds/new", data=_round_form(world, title="Bell\x07 round")).get_data(
        as_text=True
    )
    assert 'id="title-error"' in html and CONTROL_CHARACTERS_MESSAGE in html
    assert table_counts(db) == before
    response = client.post(
        "/rounds/new", data=_round_form(world, description="First line\r\n\tSecond line")
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
    form = _round_form(world, ballot_kind=kind, points_total="10", rank_depth="3")
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
        "/rounds/new", data=_round_form(world, min_budget_share_percent=INT32_PAST)
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


@pytest.fixture
def paid_round(db, world):
    """Return a published round whose manifest allocates £500 to project P1."""
    from audits.manifest import Manifest, ManifestProject
    from decide.models import Round, RoundManifest

    rnd = Round(title="Paid round", slug="paid-round", budget_pence=100_000, phase="published")
    db.session.add(rnd)
    db.session.flush()
    manifest = Manifest(
        round_id=str(rnd.id), title=rnd.title, budget=Fraction(100_000), currency="GBP",
        ballot={"kind": "approval"}, rule="greedy", rule_parameters={},
        tie_break={"kind": "lex", "seed": None},
        projects=(ManifestProject("P1", "Benches", Fraction(50_000), "Riverside Food Bank"),),
        ballot_count=0, ballots_by_channel={}, files={}, merkle_root="0" * 64,
        chain_head="0" * 64, tally={}, allocation={"P1": Fraction(50_000)},
        software_version="test", server_public_key="0" * 64, threshold=1,
    )  # fmt: skip
    db.session.add(
        RoundManifest(
            round_id=rnd.id,
            digest=manifest.digest_hex(),
            manifest_json=manifest.to_json_bytes(),
            ballots_pb=b"",
            keys_json=b"{}",
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    db.session.commit()
    return rnd


def _payment(**changes: str) -> dict[str, str]:
    form = {"project_code": "P1", "amount": "100", "paid_on": dt.date.today().isoformat(),
            "bank_reference": "BACS-1", "approver": "Fay Facilitator"}  # fmt: skip
    form.update(changes)
    return form


@pytest.mark.parametrize("approver", ["A" * 121, "Fay\x00Facilitator"])
def test_payment_approver_too_long_or_with_nul_is_refused(app, db, world, paid_round, approver):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    response = client.post(f"/rounds/{paid_round.id}/ledger/pay", data=_payment(approver=approver))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    message = "120 characters or fewer" if len(approver) > 120 else "invisible control"
    assert message in html
    assert table_counts(db) == before
    ok = client.post(f"/rounds/{paid_round.id}/ledger/pay", data=_payment(approver="A" * 120))
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


def _voting_round(db: Any, world: Any) -> Any:
    from tests.voting.helpers import make_round

    rnd = make_round(db.session, "ranked", area=world.areas[0])
    return rnd


FUZZ_FOUND = [
    ("min age '²'", lambda r: f"/rounds/{r.id}/eligibility", {"by_postcode": "on", "min_age": "²"},
     422, "The minimum age must be a whole number of years."),
    ("5,000-digit code count", lambda r: f"/rounds/{r.id}/eligibility/codes",
     {"count": "9" * 5000}, 422, "Enter a number of codes from 1 to"),
    ("label with NUL", lambda r: f"/rounds/{r.id}/eligibility/codes",
     {"count": "2", "label": "Hall\x00"}, 422, "The label contains invisible control characters"),
    ("roll with a lone carriage return", lambda r: f"/rounds/{r.id}/eligibility/roll",
     {"roll_file": (b"\r0", "roll.csv")}, 422, "Nothing was stored."),
    ("paper number '²'", lambda r: f"/rounds/{r.id}/paper", {"rank-P1": "1", "number": "²"},
     422, "Enter the number printed on the paper ballot."),
    ("rank '²'", lambda r: f"/rounds/{r.id}/paper", {"rank-P1": "²", "number": "42"},
     422, "Ranks are whole numbers from 1 to 5."),
    ("area id past 32 bits", lambda r: "/rounds/new", {"title": "T", "budget_pence": "10",
     "area_ids": INT32_PAST, "ballot_kind": "approval", "min_choices": "1",
     "allocation_rule": "greedy", "signature_threshold": "1"}, 200, "area_ids-error"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "form", "status", "message"),
    [case[1:] for case in FUZZ_FOUND],
    ids=[case[0] for case in FUZZ_FOUND],
)
def test_fuzz_findings_are_refused_with_a_message(app, db, world, url, form, status, message):
    rnd = _voting_round(db, world)
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    files = {k: (io.BytesIO(v[0]), v[1]) for k, v in form.items() if isinstance(v, tuple)}
    response = client.post(url(rnd), data={**form, **files})
    assert response.status_code == status
    assert str(escape(message)) in response.get_data(as_text=True)
    assert table_counts(db) == before


@pytest.mark.parametrize(
    "url",
    ["/rounds/99999999999999999999", "/rounds/" + "9" * 5000 + "/edit", "/proposals/2147483648"],
)
def test_ids_no_column_holds_are_not_found(app, world, url):
    client = login(app.test_client(), world.user("facilitator"))
    assert client.get(url).status_code == 404


def test_board_page_and_receipt_round_that_no_column_holds(app, db, world):
    rnd = _voting_round(db, world)
    client = app.test_client()
    assert client.get(f"/rounds/{rnd.id}/board?page=²").status_code == 200
    receipt = '{"receipt": {"round": "99999999999999999999999"}}'
    for url in ("/receipts/check", "/receipts/counted"):
        assert client.post(url, data={"receipt": receipt}).status_code == 422


# --- Found by the outside tester of issue 11 ---------------------------------------------------


@pytest.mark.parametrize("blank", [" ", "\t", "\u00a0", "\u3000"])
def test_a_budget_of_only_spaces_is_refused_not_a_500(app, db, world, blank):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    response = client.post("/rounds/new", data=_round_form(world, budget_pence=blank))
    assert response.status_code == 200  # the form again, with the message
    assert "Enter the budget in pounds" in response.get_data(as_text=True)
    assert table_counts(db) == before


@pytest.mark.parametrize("digits", ["١٠٠٠٠", "１０００", "१०००"])
def test_digits_of_other_scripts_are_not_taken_as_amounts(app, db, world, digits):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    response = client.post("/rounds/new", data=_round_form(world, budget_pence=digits))
    assert response.status_code == 200
    assert "Enter an amount in pounds" in response.get_data(as_text=True)
    assert table_counts(db) == before


def test_a_receipt_naming_a_round_past_64_bits_is_not_looked_up(app, db):
    from decide.web.publication import round_is_published

    with app.test_request_context():
        for pasted in ("9223372036854775808", "2147483648", "99999999999999999999", "²"):
            assert round_is_published(pasted) is False


def test_a_payment_dated_in_the_future_or_before_the_results_is_refused(app, db, world, paid_round):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    for day, message in (
        (tomorrow, "cannot be in the future"),
        ("0001-01-01", "cannot be before the results were signed"),
        ("2000-01-01", "cannot be before the results were signed"),
    ):
        response = client.post(f"/rounds/{paid_round.id}/ledger/pay", data=_payment(paid_on=day))
        assert response.status_code == 422, day
        assert message in response.get_data(as_text=True)
    assert table_counts(db) == before
    ok = client.post(f"/rounds/{paid_round.id}/ledger/pay", data=_payment())
    assert ok.status_code == 303

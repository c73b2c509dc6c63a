"""Bad input found by the fuzzer and by outside testers: refused with a message, nothing stored.

Split from test_bad_input.py (which covers the forms' own cases).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from markupsafe import escape

from tests.helpers.forms import payment_form, round_form
from tests.helpers.tables import table_counts
from tests.web.world import login

INT32_PAST = str(2**31)


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
     {"count": "2", "label": "Hall\x00"}, 422, "This contains invisible control characters"),
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
    response = client.post("/rounds/new", data=round_form(world, budget_pence=blank))
    assert response.status_code == 200  # the form again, with the message
    assert "Enter the budget in pounds" in response.get_data(as_text=True)
    assert table_counts(db) == before


@pytest.mark.parametrize("digits", ["١٠٠٠٠", "１０００", "१०००"])
def test_digits_of_other_scripts_are_not_taken_as_amounts(app, db, world, digits):
    client = login(app.test_client(), world.user("facilitator"))
    before = table_counts(db)
    response = client.post("/rounds/new", data=round_form(world, budget_pence=digits))
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
        response = client.post(
            f"/rounds/{paid_round.id}/ledger/pay", data=payment_form(paid_on=day)
        )
        assert response.status_code == 422, day
        assert message in response.get_data(as_text=True)
    assert table_counts(db) == before
    ok = client.post(f"/rounds/{paid_round.id}/ledger/pay", data=payment_form())
    assert ok.status_code == 303

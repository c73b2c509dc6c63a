"""Outside review, finding 3: the roll and code limits per address count wrong tries only, so
a community centre's shared address lets 100 roll or code voters vote within the hour, while
the 11th wrong try from one address is refused. Every try per address still has a generous
cap (`ROLL_TRY_RATE_LIMIT`, `CODE_TRY_RATE_LIMIT`), as login has."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from decide.services import access_codes, voter_roll
from tests.voting.helpers import TODAY, before_voting, make_area, make_round

CENTRE = "10.20.30.40"
PEOPLE = 100


@pytest.fixture
def app_config() -> dict[str, Any]:
    # The shipped defaults, with rate limiting on (tests turn it off elsewhere).
    return {"RATELIMIT_ENABLED": True}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    from decide.extensions import limiter

    limiter.reset()


def _born(i: int) -> str:
    return (dt.date(1950, 1, 1) + dt.timedelta(days=97 * i)).isoformat()


def _reaches_the_ballot(client, rnd) -> bool:
    return "Choose the projects" in client.get(f"/rounds/{rnd.id}/vote").get_data(as_text=True)


def test_a_hundred_roll_voters_behind_one_address_vote_and_the_eleventh_wrong_try_is_refused(
    app, db
):
    assert app.config["ROLL_RATE_LIMIT"] == "10 per hour"
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    roll = "reference,date_of_birth\n" + "".join(f"C-{i},{_born(i)}\n" for i in range(PEOPLE))
    with before_voting(db.session, rnd):
        voter_roll.upload_roll(db.session, rnd.id, roll, secret_key=app.config["SECRET_KEY"])
    for i in range(PEOPLE):
        resident = app.test_client()
        proved = resident.post(
            f"/rounds/{rnd.id}/vote/roll",
            data={"reference": f"C-{i}", "date_of_birth": _born(i)},
            environ_base={"REMOTE_ADDR": CENTRE},
        )
        assert proved.status_code == 302, i
        assert _reaches_the_ballot(resident, rnd), i
    guesser = app.test_client()
    for i in range(10):
        wrong = guesser.post(
            f"/rounds/{rnd.id}/vote/roll",
            data={"reference": f"C-{i}", "date_of_birth": "2001-01-01"},
            environ_base={"REMOTE_ADDR": CENTRE},
        )
        assert wrong.status_code == 302, i
    eleventh = guesser.post(
        f"/rounds/{rnd.id}/vote/roll",
        data={"reference": "C-50", "date_of_birth": _born(50)},
        environ_base={"REMOTE_ADDR": CENTRE},
    )
    assert eleventh.status_code == 429
    assert "a few wrong tries from one connection" in eleventh.get_data(as_text=True)


def test_a_hundred_code_voters_behind_one_address_vote_and_the_eleventh_wrong_code_is_refused(
    app, db
):
    assert app.config["CODE_RATE_LIMIT"] == "10 per hour"
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    with before_voting(db.session, rnd):
        _, codes = access_codes.generate_codes(db.session, rnd.id, PEOPLE, label="", today=TODAY)
    for i, code in enumerate(codes):
        resident = app.test_client()
        proved = resident.post(
            f"/rounds/{rnd.id}/vote/code", data={"code": code},
            environ_base={"REMOTE_ADDR": CENTRE},
        )  # fmt: skip
        assert proved.status_code == 302, i
        assert _reaches_the_ballot(resident, rnd), i
    guesser = app.test_client()
    for i in range(10):
        wrong = guesser.post(
            f"/rounds/{rnd.id}/vote/code", data={"code": f"AAAA-BBBB-CC{i:02d}"},
            environ_base={"REMOTE_ADDR": CENTRE},
        )  # fmt: skip
        assert wrong.status_code == 302, i
    eleventh = guesser.post(
        f"/rounds/{rnd.id}/vote/code", data={"code": codes[0]},
        environ_base={"REMOTE_ADDR": CENTRE},
    )  # fmt: skip
    assert eleventh.status_code == 429
    assert "Too many access codes" in eleventh.get_data(as_text=True)


def test_every_try_from_one_address_still_has_a_cap(app, db):
    app.config.update(ROLL_TRY_RATE_LIMIT="3 per hour", CODE_TRY_RATE_LIMIT="3 per hour")
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    with before_voting(db.session, rnd):
        _, codes = access_codes.generate_codes(db.session, rnd.id, 4, label="", today=TODAY)
    client = app.test_client()
    for code in codes[:3]:
        assert client.post(f"/rounds/{rnd.id}/vote/code", data={"code": code}).status_code == 302
    assert client.post(f"/rounds/{rnd.id}/vote/code", data={"code": codes[3]}).status_code == 429

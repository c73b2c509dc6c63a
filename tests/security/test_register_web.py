"""The register on the web (issue 12, items 3 and 5, and the roll part of acceptance 4):
guessing a date of birth or an access code is stopped per entry and per address; signed-in
and receipt pages are not cached; officers never open a draft's paper page; numbered paper
ballots; an account linked to its roll entry; the self-declared confirmation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from decide.models import PaperNumber, RollBinding
from decide.services import access_codes, register, register_setup, voter_roll
from decide.services import eligibility as elig
from tests.voting.helpers import TODAY, before_voting, make_area, make_round, make_user
from tests.web.world import login

ROLL = "reference,date_of_birth\nR-1,1970-06-01\nR-2,1980-07-02\nR-3,1990-08-03\n"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "RATELIMIT_ENABLED": True,
        "ROLL_RATE_LIMIT": "8 per hour",
        "ROLL_ENTRY_RATE_LIMIT": "3 per hour",
        "CODE_RATE_LIMIT": "4 per hour",
        "CODE_ROUND_RATE_LIMIT": "6 per hour",
    }


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    from decide.extensions import limiter

    limiter.reset()


def _roll_round(db, app):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    with before_voting(db.session, rnd):
        voter_roll.upload_roll(db.session, rnd.id, ROLL, secret_key=app.config["SECRET_KEY"])
    return rnd


def _try(app, rnd, address, reference, born):
    client = app.test_client()
    return client.post(
        f"/rounds/{rnd.id}/vote/roll",
        data={"reference": reference, "date_of_birth": born},
        environ_base={"REMOTE_ADDR": address},
    )


def test_guessing_a_date_of_birth_is_stopped_per_entry(app, db):
    rnd = _roll_round(db, app)
    # Three wrong dates for R-1, each from a different address, then R-1 is paused for all.
    for i in range(3):
        assert _try(app, rnd, f"10.0.0.{i}", "R-1", f"1970-06-0{i + 2}").status_code == 302
    stopped = _try(app, rnd, "10.0.1.1", "R-1", "1970-06-01")  # even the right date
    assert stopped.status_code == 429
    assert "wrong dates of birth for one reference number" in stopped.get_data(as_text=True)
    # Another person on the roll is not affected; right answers do not count against them.
    for _ in range(4):
        assert _try(app, rnd, "10.0.2.1", "R-2", "1980-07-02").status_code == 302


def test_guessing_is_stopped_per_address(app, db):
    rnd = _roll_round(db, app)
    # One address trying many references: eight tries, then refused, whatever it types.
    for i in range(8):
        assert _try(app, rnd, "10.9.9.9", f"X-{i}", "1970-01-01").status_code == 302
    assert _try(app, rnd, "10.9.9.9", "R-3", "1990-08-03").status_code == 429
    assert _try(app, rnd, "10.9.9.8", "R-3", "1990-08-03").status_code == 302


def test_guessing_access_codes_is_stopped_per_address_and_per_round(app, db):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    with before_voting(db.session, rnd):
        _, codes = access_codes.generate_codes(db.session, rnd.id, 1, label="", today=TODAY)

    def code(address, text):
        return app.test_client().post(
            f"/rounds/{rnd.id}/vote/code", data={"code": text},
            environ_base={"REMOTE_ADDR": address},
        )  # fmt: skip

    for i in range(4):
        assert code("10.1.1.1", f"AAAA-BBBB-CCC{i}").status_code == 302
    too_many = code("10.1.1.1", codes[0])
    assert too_many.status_code == 429 and "Too many access codes" in too_many.get_data(True)
    # Wrong codes from many addresses add up for the round.
    assert code("10.1.1.2", "AAAA-BBBB-DDD1").status_code == 302
    assert code("10.1.1.3", "AAAA-BBBB-DDD2").status_code == 302
    assert code("10.1.1.4", codes[0]).status_code == 429


def test_an_account_is_linked_once_to_its_roll_entry_and_then_votes_as_it(app, db):
    rnd = _roll_round(db, app)
    user = make_user(db.session)
    client = login(app.test_client(), user)
    page = client.get(f"/rounds/{rnd.id}/vote").get_data(as_text=True)
    assert "link your account to your place on the roll" in page
    linked = client.post(
        f"/rounds/{rnd.id}/vote/roll",
        data={"reference": "r2", "date_of_birth": "1980-07-02"},
        follow_redirects=True,
    )
    assert "Choose the projects you support" in linked.get_data(as_text=True)
    binding = db.session.scalar(select(RollBinding).where(RollBinding.user_id == user.id))
    assert binding is not None
    # A fresh session of the same account needs no roll details: the account is the entry.
    again = login(app.test_client(), user).get(f"/rounds/{rnd.id}/vote")
    assert "Choose the projects you support" in again.get_data(as_text=True)


def test_signed_in_and_receipt_pages_are_not_stored(app, db):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    anonymous = app.test_client()
    assert "no-store" not in anonymous.get("/").headers.get("Cache-Control", "")
    citizen = login(app.test_client(), make_user(db.session))
    for url in ("/", f"/rounds/{rnd.id}/vote", "/account"):
        response = citizen.get(url)
        assert response.headers.get("Cache-Control") == "no-store", url
    receipt_check = anonymous.get("/receipts/check")
    assert receipt_check.headers.get("Cache-Control") == "no-store"


def test_an_officer_cannot_open_a_draft_rounds_paper_page(app, db):
    draft = make_round(db.session, "approval", phase="draft")
    voting_round = make_round(db.session, "approval")
    officer = login(app.test_client(), make_user(db.session, is_officer=True))
    assert officer.get(f"/rounds/{draft.id}/paper").status_code == 404
    assert officer.post(f"/rounds/{draft.id}/paper", data={"number": "1"}).status_code == 404
    assert officer.get(f"/rounds/{voting_round.id}/paper").status_code == 200


def test_the_facilitator_numbers_paper_ballots_and_prints_them(app, db):
    rnd = make_round(db.session, "approval")
    facilitator = login(app.test_client(), make_user(db.session, is_facilitator=True))
    url = f"/rounds/{rnd.id}/paper/numbers"
    refused = facilitator.post(url, data={"count": "0"})
    assert refused.status_code == 422 and 'id="error-summary"' in refused.get_data(True)
    made = facilitator.post(url, data={"count": "3", "label": "Library"})
    assert made.status_code == 303
    printed = facilitator.get(made.headers["Location"]).get_data(as_text=True)
    numbers = db.session.scalars(select(PaperNumber.number)).all()
    assert len(numbers) == 3
    for number in numbers:
        assert register.format_paper_number(number) in printed
    assert printed.count("Paper ballot number") == 3
    listing = facilitator.get(url).get_data(as_text=True)
    assert "Library" in listing
    officer = login(app.test_client(), make_user(db.session, is_officer=True))
    assert officer.get(url).status_code == 403


def test_the_facilitator_confirms_the_self_declared_warning(app, db):
    rnd = make_round(db.session, "approval", phase="deliberation")
    client = login(app.test_client(), make_user(db.session, is_facilitator=True))
    page = client.get(f"/rounds/{rnd.id}/eligibility").get_data(as_text=True)
    assert "This round is self-declared" in page
    assert "second e-mail address can make a second account and vote twice" in page
    url = f"/rounds/{rnd.id}/eligibility/self-declared"
    unticked = client.post(url, data={})
    assert unticked.status_code == 422 and "Tick the box" in unticked.get_data(as_text=True)
    assert not elig.settings_for(db.session, rnd.id).self_declared_ok
    assert client.post(url, data={"understood": "y"}).status_code == 303
    assert elig.settings_for(db.session, rnd.id).self_declared_ok
    assert "You have confirmed this" in client.get(f"/rounds/{rnd.id}/eligibility").get_data(True)


def test_roll_codes_print_the_reference_and_mark_its_entry(app, db):
    rnd = make_round(db.session, "approval", phase="deliberation")
    voter_roll.upload_roll(db.session, rnd.id, ROLL, secret_key=app.config["SECRET_KEY"])
    client = login(app.test_client(), make_user(db.session, is_facilitator=True))
    url = f"/rounds/{rnd.id}/eligibility/roll-codes"
    bad = client.post(url, data={"references": "R-1\nNOPE"})
    assert bad.status_code == 422 and "Not on the voter roll: NOPE" in bad.get_data(True)
    pdf = client.post(url, data={"references": "R-1\nR-3", "label": "Post"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "For voter roll reference R1" in text and "For voter roll reference R3" in text
    codes = re.findall(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", text)
    assert len(codes) == 2


def test_after_a_paper_ballot_the_web_routes_say_the_person_has_voted(app, db):
    from decide.services import paper, voting

    rnd = make_round(db.session, "approval", area=make_area(db.session))
    secret = app.config["SECRET_KEY"]
    officer = make_user(db.session, is_officer=True)
    with before_voting(db.session, rnd):
        voter_roll.upload_roll(db.session, rnd.id, ROLL, secret_key=secret)
        _, pairs = register_setup.codes_for_references(
            db.session, rnd.id, ["R-3"], secret_key=secret, label="", today=TODAY
        )
        batch = register_setup.issue_paper_numbers(db.session, rnd.id, 1, label="", today=TODAY)
    entry = voter_roll.verify_roll(
        db.session, rnd.id, "R-3", voter_roll.parse_birth_date("1990-08-03"), secret_key=secret,
        today=TODAY,
    )  # fmt: skip
    paper.enter_paper_ballot(
        db.session, rnd.id, ["P1"], number=batch.numbers[0].number, officer_id=officer.id,
        server_key=voting.load_server_key(app.config["RECEIPT_KEY_FILE"]), today=TODAY,
        entry=entry,
    )  # fmt: skip
    by_roll = app.test_client().post(
        f"/rounds/{rnd.id}/vote/roll",
        data={"reference": "R-3", "date_of_birth": "1990-08-03"},
        follow_redirects=True,
    )
    text = by_roll.get_data(as_text=True)
    assert "You have already voted in this round" in text and "entered by an officer" in text
    assert "Choose the projects you support" not in text
    by_code = app.test_client().post(
        f"/rounds/{rnd.id}/vote/code", data={"code": pairs[0][1]}, follow_redirects=True
    )
    text = by_code.get_data(as_text=True)
    assert "You have already voted in this round" in text and "entered by an officer" in text
    assert "Choose the projects you support" not in text


def test_every_voting_and_paper_page_is_not_stored(app, db):
    """Outside review, finding 4: the ballot, its check page, the identify pages, code and roll
    entry and the officer's pages are not kept, even for a visitor who is not signed in."""
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in ("voting", "paper")]
    assert {r.endpoint for r in rules} >= {"voting.ballot", "voting.review", "paper.enter"}
    for rule in rules:
        url = rule.build({"round_id": rnd.id, "batch_id": 1}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = app.test_client().open(url, method=method, data={})
            assert response.headers.get("Cache-Control") == "no-store", (method, url)
    # A code voter (not signed in) on the ballot and on the check page after posting it.
    with before_voting(db.session, rnd):
        _, codes = access_codes.generate_codes(db.session, rnd.id, 1, label="", today=TODAY)
    voter = app.test_client()
    voter.post(f"/rounds/{rnd.id}/vote/code", data={"code": codes[0]})
    ballot = voter.get(f"/rounds/{rnd.id}/vote")
    assert "Choose the projects" in ballot.get_data(as_text=True)
    assert ballot.headers.get("Cache-Control") == "no-store"
    review = voter.post(f"/rounds/{rnd.id}/vote/review", data={"project": ["P1"]})
    assert review.status_code == 200 and review.headers.get("Cache-Control") == "no-store"


def _paper_round(db, app, numbers: int):
    rnd = _roll_round(db, app)
    with before_voting(db.session, rnd):
        batch = register_setup.issue_paper_numbers(
            db.session, rnd.id, numbers, label="", today=TODAY
        )
    return rnd, [n.number for n in batch.numbers]


def _paper(client, rnd, number, reference, born):
    return client.post(
        f"/rounds/{rnd.id}/paper",
        data={"project": ["P1"], "number": number, "reference": reference, "date_of_birth": born},
    )


def test_the_paper_page_checks_the_number_before_the_roll_details(app, db):
    """Outside review, finding 2: without an issued, unused number the roll details are not
    looked at, so they cannot be tested, and such tries count against nothing."""
    rnd, numbers = _paper_round(db, app, 2)
    officer = login(app.test_client(), make_user(db.session, is_officer=True))
    for i in range(10):
        made_up = _paper(officer, rnd, f"99999999{i:02d}", "R-1", f"1970-06-{i + 2:02d}")
        text = made_up.get_data(as_text=True)
        assert made_up.status_code == 422 and "was never issued" in text
        assert "could not find that reference number" not in text
    assert _paper(officer, rnd, numbers[0], "R-1", "1970-06-01").status_code == 200
    used = _paper(officer, rnd, numbers[0], "R-2", "1999-01-01").get_data(as_text=True)
    assert "already entered" in used and "could not find that reference number" not in used


def test_guessing_a_date_of_birth_on_the_paper_page_is_stopped_per_entry_and_per_officer(app, db):
    """Outside review, finding 2: wrong roll details on the officer's page count per reference
    number and per officer, with the limits of /vote/roll (here 3 and 8 an hour)."""
    rnd, numbers = _paper_round(db, app, 3)
    first = login(app.test_client(), make_user(db.session, is_officer=True))
    for i in range(3):
        wrong = _paper(first, rnd, numbers[0], "R-1", f"1970-06-{i + 2:02d}")
        assert wrong.status_code == 422 and "could not find that reference" in wrong.get_data(True)
    paused = _paper(first, rnd, numbers[0], "R-1", "1970-06-01")  # even the right date
    assert paused.status_code == 429
    assert "after a few wrong dates of birth for one reference number" in paused.get_data(True)
    second = login(app.test_client(), make_user(db.session, is_officer=True))
    assert _paper(second, rnd, numbers[0], "R-1", "1970-06-01").status_code == 429
    # One officer trying many references: eight wrong tries, then paused whatever is typed.
    for i in range(8):
        assert _paper(second, rnd, numbers[0], f"X-{i}", "1970-01-01").status_code == 422
    assert _paper(second, rnd, numbers[0], "R-3", "1990-08-03").status_code == 429
    third = login(app.test_client(), make_user(db.session, is_officer=True))
    assert _paper(third, rnd, numbers[0], "R-3", "1990-08-03").status_code == 200
    # Right details do not count: the third officer enters two more.
    assert _paper(third, rnd, numbers[1], "R-2", "1980-07-02").status_code == 200


def test_the_paper_page_does_not_say_when_or_how_a_person_voted(app, db):
    """Outside review, finding 2: the officer learns only that the person has voted."""
    from decide.services import voting

    rnd, numbers = _paper_round(db, app, 1)
    secret = app.config["SECRET_KEY"]
    entry = voter_roll.verify_roll(
        db.session, rnd.id, "R-2", voter_roll.parse_birth_date("1980-07-02"), secret_key=secret,
        today=TODAY,
    )  # fmt: skip
    voting.cast_ballot(
        db.session, rnd.id, entry, ["P1"], server_key=voting.load_server_key(
            app.config["RECEIPT_KEY_FILE"]), today=TODAY,
    )  # fmt: skip
    officer = login(app.test_client(), make_user(db.session, is_officer=True))
    refused = _paper(officer, rnd, numbers[0], "R-2", "1980-07-02")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "This person has already voted" in text
    day = TODAY.strftime("%d %B %Y").lstrip("0")
    assert "with voter roll details" not in text and day not in text
    assert db.session.scalar(select(PaperNumber.used_on)) is None

"""The voting pages as plain HTML forms (no JavaScript), the board, receipts, paper, pb I/O."""

from __future__ import annotations

import base64
import io
import json
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from decide.models import Ballot, BoardEntry, PaperNumber, Participation, SealedBallot
from decide.services import access_codes, ballot_box, register, voter_roll, voting
from decide.services import eligibility as elig
from tests.helpers.pages import hidden
from tests.helpers.sessions import log_in as login
from tests.voting.helpers import (
    TODAY,
    before_voting,
    close_and_open,
    make_area,
    make_round,
    make_user,
    paper_numbers,
    row_counts,
)


@pytest.fixture
def voting_round(db):
    area = make_area(db.session)
    return make_round(db.session, "approval", area=area)


def test_approval_flow_without_javascript(client, db, voting_round):
    rnd = voting_round
    user = make_user(db.session)
    login(client, user)
    page = client.get(f"/rounds/{rnd.id}/vote")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Choose the projects you support" in html and "Choose between 1 and 3 projects." in html
    assert html.count('name="project"') == 5
    review = client.post(f"/rounds/{rnd.id}/vote/review", data={"project": ["P1", "P3"]})
    assert review.status_code == 200
    text = review.get_data(as_text=True)
    assert "Check your choices" in text and "Cast my ballot" in text
    assert ballot_box.counts(db.session, rnd.id)["ballots"] == 0  # nothing stored before casting
    form = {"choices": hidden(text, "choices"), "check": hidden(text, "check")}
    cast = client.post(f"/rounds/{rnd.id}/vote/cast", data=form)
    # The receipt is the POST's own response: no redirect, so no tracker in any URL.
    body = cast.get_data(as_text=True)
    assert cast.status_code == 200 and "Your ballot is in the sealed box" in body
    assert cast.headers["Cache-Control"] == "no-store"
    receipt_json = base64.b64decode(
        re.search(r'href="data:application/json;base64,([^"]+)"', body).group(1)
    )
    download = SimpleNamespace(data=receipt_json, get_data=lambda as_text: receipt_json.decode())
    # The double click on a slow phone: the second POST stores nothing.
    before = row_counts(db.session)
    again = client.post(f"/rounds/{rnd.id}/vote/cast", data=form)
    assert again.status_code == 409
    assert "You have already voted in this round" in again.get_data(as_text=True)
    assert row_counts(db.session) == before
    # The receipt checks out on the public page, pasted or uploaded.
    check = client.post("/receipts/check", data={"receipt": download.get_data(as_text=True)})
    assert check.status_code == 200
    assert "Your ballot is in the sealed box" in check.get_data(as_text=True)
    # Lost it? The same proof of eligibility gives the same receipt, and votes nothing.
    again_receipt = client.post(f"/rounds/{rnd.id}/vote/receipt")
    assert again_receipt.status_code == 200 and "Your ballot is in the sealed box" in (
        again_receipt.get_data(as_text=True)
    )
    assert row_counts(db.session) == before
    upload = client.post(
        "/receipts/check",
        data={"receipt_file": (io.BytesIO(download.data), "receipt.json")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200 and "Signature: <strong>valid" in upload.get_data(as_text=True)


def test_summary_fragment_shows_budget_bar(client, db):
    area = make_area(db.session)
    rnd = make_round(db.session, "knapsack", area=area)
    login(client, make_user(db.session))
    response = client.post(
        f"/rounds/{rnd.id}/vote/summary",
        data={"project": ["P1", "P2", "P3", "P4"]},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<meter" in html and "Over the budget by" in html
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in html


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("knapsack", {"project": ["P1", "P2", "P3", "P4"]}, "more than the budget"),
        ("approval", {"project": ["P1", "P2", "P3", "P4"]}, "allows at most 3"),
        ("approval", {}, "at least 1 project"),
        ("cumulative", {"points-P1": "5", "points-P2": "5", "points-P3": "2"}, "more than the 10"),
        ("approval", {"project": ["P1", "P99"]}, "is not on this ballot"),
        ("approval", {"project": ["P2", "P2"]}, "only once"),
        ("ranked", {"rank-P1": "1", "rank-P2": "1"}, "rank 1 to more than one project"),
        ("cumulative", {"points-P1": "two"}, "must be a whole number"),
    ],
)
def test_bad_ballot_form_is_refused_with_message(client, db, kind, data, message):
    area = make_area(db.session)
    rnd = make_round(db.session, kind, area=area)
    login(client, make_user(db.session))
    before = row_counts(db.session)
    response = client.post(f"/rounds/{rnd.id}/vote/review", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert row_counts(db.session) == before


def test_tampered_hidden_field_is_refused(client, db, voting_round):
    rnd = voting_round
    login(client, make_user(db.session))
    review = client.post(f"/rounds/{rnd.id}/vote/review", data={"project": ["P1"]})
    text = review.get_data(as_text=True)
    before = row_counts(db.session)
    forged = json.dumps({"projects": ["P1", "P2", "P3", "P4", "P5"], "points": None})
    response = client.post(
        f"/rounds/{rnd.id}/vote/cast", data={"choices": forged, "check": hidden(text, "check")}
    )
    assert response.status_code == 400
    assert "Your choices changed between the check page and casting" in response.get_data(
        as_text=True
    )
    assert row_counts(db.session) == before


def test_outside_voting_phase_and_ineligible_get_clear_pages(client, db):
    area = make_area(db.session, "LS7")
    make_area(db.session, "M1")
    closed = make_round(db.session, "approval", phase="closed", area=area)
    open_round = make_round(db.session, "approval", area=area)
    login(client, make_user(db.session, postcode="M1 1AA"))
    before = row_counts(db.session)
    page = client.get(f"/rounds/{closed.id}/vote").get_data(as_text=True)
    assert "Voting is not open in this round" in page
    page = client.get(f"/rounds/{open_round.id}/vote").get_data(as_text=True)
    assert "M1 1AA is outside this round&#39;s areas" in page
    # Posting anyway changes nothing.
    r = client.post(f"/rounds/{open_round.id}/vote/review", data={"project": ["P1"]})
    assert r.status_code == 403
    assert row_counts(db.session) == before


def test_access_code_voter_needs_no_account_and_code_works_once(client, db, voting_round):
    rnd = voting_round
    with before_voting(db.session, rnd):
        _, codes = access_codes.generate_codes(db.session, rnd.id, 2, label="Fair", today=TODAY)
    page = client.get(f"/rounds/{rnd.id}/vote").get_data(as_text=True)
    assert "With an access code" in page
    r = client.post(f"/rounds/{rnd.id}/vote/code", data={"code": codes[0]})
    assert r.status_code == 302
    review = client.post(f"/rounds/{rnd.id}/vote/review", data={"project": ["P2"]})
    text = review.get_data(as_text=True)
    form = {"choices": hidden(text, "choices"), "check": hidden(text, "check")}
    assert client.post(f"/rounds/{rnd.id}/vote/cast", data=form).status_code == 200
    before = row_counts(db.session)
    # Reusing the code, in a new browser session, is refused before the ballot.
    other = client.application.test_client()
    r = other.post(f"/rounds/{rnd.id}/vote/code", data={"code": codes[0]}, follow_redirects=True)
    assert "This access code has already been used" in r.get_data(as_text=True)
    assert "Choose the projects you support" not in r.get_data(as_text=True)
    assert row_counts(db.session) == before


def test_roll_voter_flow(client, db, app, voting_round):
    rnd = voting_round
    with before_voting(db.session, rnd):
        voter_roll.upload_roll(
            db.session,
            rnd.id,
            "reference,date_of_birth\nR-77,1970-06-01\n",
            secret_key=app.config["SECRET_KEY"],
        )
    wrong = client.post(
        f"/rounds/{rnd.id}/vote/roll",
        data={"reference": "R77", "date_of_birth": "1970-06-02"},
        follow_redirects=True,
    )
    assert "could not find that reference number" in wrong.get_data(as_text=True)
    ok = client.post(
        f"/rounds/{rnd.id}/vote/roll",
        data={"reference": "r77", "date_of_birth": "1970-06-01"},
        follow_redirects=True,
    )
    assert "Choose the projects you support" in ok.get_data(as_text=True)


def test_board_hides_choices_until_close_and_export_after(client, db, app, voting_round):
    rnd = voting_round
    key = voting.load_server_key(app.config["RECEIPT_KEY_FILE"])
    for _ in range(3):
        user = make_user(db.session)
        voting.cast_ballot(
            db.session,
            rnd.id,
            elig.VoterKey("user", user.id),
            ["P1", "P5"],
            server_key=key,
            today=TODAY,
        )
    html = client.get(f"/rounds/{rnd.id}/board").get_data(as_text=True)
    # While voting is open: the box, no list, no count.
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    # (A word match: random tokens elsewhere, such as the CSRF token, may hold "P1".)
    assert "<tr>" not in main and not re.search(r"\bP1\b", main) and "3 ballots" not in main
    assert "sealed box" in html
    refused = client.get(f"/rounds/{rnd.id}/ballots.pb")
    assert refused.status_code == 403 and "only after voting closes" in refused.get_data(True)
    close_and_open(db.session, rnd, key)
    html = client.get(f"/rounds/{rnd.id}/board").get_data(as_text=True)
    assert html.count("<tr>") == 4 and "3 ballots" in html
    pb = client.get(f"/rounds/{rnd.id}/ballots.pb")
    assert pb.status_code == 200
    from ballots.pabulib import parse

    parsed = parse(pb.get_data(as_text=True))
    assert len(parsed.profile.ballots) == 3
    # The published list carries list positions, never the voters' trackers.
    trackers = {bytes(t).hex() for t in db.session.scalars(select(BoardEntry.tracker))}
    assert len(trackers) == 3 and not trackers & {b.voter_id for b in parsed.profile.ballots}
    assert client.get("/board/key").status_code == 200
    assert client.get("/board/key.txt").get_data(as_text=True).strip() == key.public_key_hex


def test_eligibility_pages_are_for_facilitators(client, db, app, voting_round):
    rnd = voting_round
    rnd.phase = "deliberation"  # who may vote is set before voting opens
    db.session.commit()
    url = f"/rounds/{rnd.id}/eligibility"
    assert client.get(url).status_code == 302  # to the login page
    login(client, make_user(db.session))
    assert client.get(url).status_code == 403
    assert client.post(f"{url}/codes", data={"count": "3"}).status_code == 403
    login(client, make_user(db.session, is_facilitator=True))
    assert client.get(url).status_code == 200
    pdf = client.post(f"{url}/codes", data={"count": "12", "label": "Summer fair"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    codes = re.findall(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", text)
    assert len(set(codes)) == 12
    assert access_codes.verify_code(db.session, rnd.id, codes[0]).kind == "code"
    before = row_counts(db.session)
    bad = b"reference,date_of_birth\nA1,1980-01-01\nA2,not a date\n"
    r = client.post(
        f"{url}/roll",
        data={"roll_file": (io.BytesIO(bad), "roll.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "line 3:" in r.get_data(as_text=True)
    assert row_counts(db.session) == before
    good = b"reference,date_of_birth\nA1,1980-01-01\nA2,02/03/1981\n"
    r = client.post(
        f"{url}/roll",
        data={"roll_file": (io.BytesIO(good), "roll.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    r = client.post(url, data={"min_age": "16"})
    assert r.status_code == 422 and "at least one way" in r.get_data(as_text=True)
    r = client.post(url, data={"by_postcode": "on", "by_code": "on", "min_age": "16"})
    assert r.status_code == 303
    assert elig.settings_for(db.session, rnd.id).min_age == 16


def test_paper_ballots_by_officer(client, db, voting_round):
    rnd = voting_round
    url = f"/rounds/{rnd.id}/paper"
    login(client, make_user(db.session))
    assert client.get(url).status_code == 403
    officer = make_user(db.session, is_officer=True)
    login(client, officer)
    assert client.get(url).status_code == 200
    first, second = paper_numbers(db.session, rnd.id, 2)
    before = row_counts(db.session)
    bad = client.post(url, data={"project": ["P1", "P2", "P3", "P4"], "number": first})
    assert bad.status_code == 422 and "allows at most 3" in bad.get_data(as_text=True)
    assert row_counts(db.session) == before
    made_up = client.post(url, data={"project": ["P1"], "number": "1234567890"})
    assert made_up.status_code == 422 and "never issued" in made_up.get_data(as_text=True)
    assert ballot_box.counts(db.session, rnd.id)["ballots"] == 0
    # Typed with hyphens, as printed: the same number.
    ok = client.post(
        url, data={"project": ["P2", "P4"], "number": register.format_paper_number(first)}
    )
    assert ok.status_code == 200 and "Paper ballot recorded" in ok.get_data(as_text=True)
    assert ok.headers["Cache-Control"] == "no-store"
    assert db.session.query(SealedBallot).count() == 1 and db.session.query(Ballot).count() == 0
    mark = db.session.query(Participation).one()
    assert mark.voter_key.startswith("paper:") and mark.route == "paper"
    used = db.session.scalar(select(PaperNumber).where(PaperNumber.number == first))
    assert used.officer_id == officer.id and used.used_on is not None
    # The same number sent twice (double click) records one ballot.
    after = row_counts(db.session)
    twice = client.post(url, data={"project": ["P2", "P4"], "number": first})
    assert twice.status_code == 422 and "already entered" in twice.get_data(as_text=True)
    assert row_counts(db.session) == after
    # Another issued number is a new ballot.
    assert client.post(url, data={"project": ["P1"], "number": second}).status_code == 200
    assert ballot_box.counts(db.session, rnd.id)["ballots"] == 2
    # At close the route is kept on the commitment board, never on the plaintext list.
    close_and_open(
        db.session, rnd, voting.load_server_key(client.application.config["RECEIPT_KEY_FILE"])
    )
    assert sorted(db.session.scalars(select(BoardEntry.route))) == ["paper", "paper"]
    assert {b.channel for b in db.session.query(Ballot)} == {"sealed"}


def test_import_export_cli_and_malformed_file(app, db, tmp_path, pabulib_dir):
    runner = app.test_cli_runner()
    source = pabulib_dir / "Poland_Czestochowa_2020_Grabowka.pb"
    result = runner.invoke(args=["import-pb", str(source)])
    assert result.exit_code == 0, result.output
    round_id = int(result.output.strip().splitlines()[-1])
    assert ballot_box.verify_round_chain(db.session, round_id).ok
    out = tmp_path / "out.pb"
    result = runner.invoke(args=["export-pb", str(round_id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    from ballots.pabulib import parse

    original, exported = parse(source.read_text()), parse(out.read_text())
    assert exported.instance.budget == original.instance.budget
    assert [p.cost for p in exported.instance.projects] == [
        p.cost for p in original.instance.projects
    ]
    assert [b.projects for b in exported.profile.ballots] == [
        b.projects for b in original.profile.ballots
    ]
    # A malformed file names its line and writes nothing.
    before = row_counts(db.session)
    rounds_before = db.session.query(__import__("decide.models").models.Round).count()
    lines = source.read_text().splitlines()
    votes_at = lines.index("VOTES")
    lines[votes_at + 3] = lines[votes_at + 3].split(";")[0] + ";9999999"
    bad = tmp_path / "bad.pb"
    bad.write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["import-pb", str(bad)])
    assert result.exit_code != 0
    assert f"line {votes_at + 4}" in result.output and "Nothing was imported" in result.output
    assert row_counts(db.session) == before
    assert db.session.query(__import__("decide.models").models.Round).count() == rounds_before


def test_export_refused_before_close_cli(app, db, voting_round, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["export-pb", str(voting_round.id), "-o", str(tmp_path / "x.pb")]
    )
    assert result.exit_code != 0 and "only after voting closes" in result.output
    assert not (tmp_path / "x.pb").exists()


def test_board_checks_a_tracker_by_post_only(client, db, app, voting_round):
    from audits.chain import tracker_code_full

    rnd = voting_round
    key = voting.load_server_key(app.config["RECEIPT_KEY_FILE"])
    receipts = [
        voting.cast_ballot(
            db.session,
            rnd.id,
            elig.VoterKey("user", make_user(db.session).id),
            ["P1"],
            server_key=key,
            today=TODAY,
        )
        for _ in range(3)
    ]
    page = client.get(f"/rounds/{rnd.id}/board").get_data(as_text=True)
    assert 'method="post"' in page and 'name="round_id"' in page
    full = tracker_code_full(receipts[1].receipt.tracker)
    found = client.post("/receipts/check", data={"receipt": full.lower(), "round_id": rnd.id})
    assert found.status_code == 200 and "Your ballot is in the sealed box" in found.get_data(True)
    missing = client.post(
        "/receipts/check", data={"receipt": "0" * 26, "round_id": rnd.id}
    ).get_data(as_text=True)
    assert "No ballot with this tracker" in missing

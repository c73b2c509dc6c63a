"""The pages about the site, its footer and icon, one postcode example, the truth about HTML in
proposals, the access-code slips and the voting link on them, and the board's short codes."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest
import segno
from sqlalchemy import select

from decide.models import Proposal
from decide.services import access_codes, paper, voting
from decide.services import eligibility as elig
from decide.services.accounts import POSTCODE_EXAMPLE
from tests.voting.helpers import before_voting, make_area, make_user, paper_numbers
from tests.voting.helpers import make_round as make_voting_round
from tests.web.world import login

SITE_PAGES = {
    "/about": "About decide",
    "/privacy": "Privacy notice",
    "/accessibility": "Accessibility statement",
}


# --- About, privacy, accessibility ------------------------------------------------------------


@pytest.mark.parametrize(("path", "heading"), sorted(SITE_PAGES.items()))
def test_the_pages_about_the_site_answer_everyone(client, path, heading):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(rf"<h1>{heading}</h1>", html)
    assert html.count("<h1") == 1


def test_every_page_has_footer_links_to_them_and_an_icon(client):
    for path in ("/", "/rounds/", "/login", "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        footer = html[html.index('<footer class="site-footer">') :]
        for target in SITE_PAGES:
            assert f'href="{target}"' in footer, (path, target)
        assert re.search(r'<link rel="icon" href="/static/img/favicon\.svg"', html), path
    icon = client.get("/static/img/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
    old_style = client.get("/favicon.ico")
    assert old_style.status_code == 301
    assert old_style.location.endswith("/static/img/favicon.svg")


def test_the_privacy_notice_says_what_is_kept_how_long_and_why_ballots_are_secret(client):
    text = re.sub(r"<[^>]+>|\s+", " ", client.get("/privacy").get_data(as_text=True))
    for fact in (
        "email address",
        "salted one-way hash",
        "postcode",
        "date of birth",
        "participation mark",
        "random tracker code",
        "keyed hash",  # the voter roll
        "hash of each code",  # access codes
        "Nothing is deleted automatically",
    ):
        assert fact in text, fact


def test_the_privacy_notice_links_the_threat_model_only_when_it_exists(
    client, tmp_path, monkeypatch
):
    from decide.web import main

    missing = tmp_path / "THREATS.md"
    monkeypatch.setattr(main, "THREATS_FILE", missing)
    assert "ballot-secrecy" not in client.get("/privacy").get_data(as_text=True)
    assert client.get("/privacy/ballot-secrecy").status_code == 404
    missing.write_text("# Threats\n\nA *curious* administrator.\n<script>x()</script>\n")
    assert 'href="/privacy/ballot-secrecy"' in client.get("/privacy").get_data(as_text=True)
    page = client.get("/privacy/ballot-secrecy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<em>curious</em>" in html
    assert "<script>x()" not in html  # rendered through the sanitising Markdown filter


def test_the_accessibility_statement_names_the_standard_and_known_problems(client):
    text = re.sub(r"<[^>]+>|\s+", " ", client.get("/accessibility").get_data(as_text=True))
    assert "WCAG) 2.2 at level AA" in text
    assert "not tagged PDFs" in text
    assert "Tell us about a problem" in text


# --- One postcode example; the truth about HTML ------------------------------------------------


def _examples(html: str) -> set[str]:
    return set(re.findall(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}\b", html))


def test_the_postcode_hint_and_error_use_the_same_example(client, db, world):
    hint = client.get("/register").get_data(as_text=True)
    assert _examples(hint) == {POSTCODE_EXAMPLE}
    error = client.post(
        "/register",
        data={
            "display_name": "Rhys",
            "email": "rhys@test.example",
            "password": "a-long-enough-password",
            "postcode": "12345",
        },
    ).get_data(as_text=True)
    assert f"Enter a UK postcode, like {POSTCODE_EXAMPLE}" in error
    assert _examples(error) == {POSTCODE_EXAMPLE}
    account = login(client, world.user("citizen")).get("/account").get_data(as_text=True)
    assert POSTCODE_EXAMPLE in account
    assert _examples(account) <= {POSTCODE_EXAMPLE, world.user("citizen").postcode}


def test_the_proposal_form_says_what_happens_to_html_and_it_does(app, db, world):
    client = login(app.test_client(), world.user("asset_member"))
    form = client.get(f"/rounds/{world.round.id}/proposals/new").get_data(as_text=True)
    assert "shown as text" not in form
    assert "tags are removed when you save" in form and "script or style" in form
    response = client.post(
        f"/rounds/{world.round.id}/proposals/new",
        data={
            "organisation_id": str(world.organisation.id),
            "title": "Cooking club",
            "summary": "Weekly cooking for families.",
            "description_md": "We <b>cook</b> together.<script>alert(1)</script> **Every** week.",
            "area_id": str(world.areas[0].id),
            "cost_lines-0-item": "Food",
            "cost_lines-0-amount": "300",
        },
    )
    assert response.status_code == 302
    saved = db.session.scalar(select(Proposal).where(Proposal.title == "Cooking club"))
    # As the hint says: tags gone, the words between them kept, the script's content gone.
    assert saved.description_md == "We cook together. **Every** week."


# --- Access-code slips ------------------------------------------------------------------------


def _qr_matrices(pdf: bytes) -> list[list[list[bool]]]:
    """Read back each QR code drawn on the slips (filled runs of modules) as a matrix."""
    out = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        content = page.get_contents().get_data().decode("latin-1")
        for path in re.findall(r"\nn ((?:[-\d. ]+ re ?)+)\s*f\*", content):
            rects = [
                tuple(float(v) for v in m.groups())
                for m in re.finditer(r"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re", path)
            ]
            module = min(h for *_, h in rects)
            left = min(x for x, *_ in rects)
            top = max(y + h for _, y, _, h in rects)
            size = round((max(x + w for x, _, w, _ in rects) - left) / module)
            matrix = [[False] * size for _ in range(size)]
            for x, y, w, h in rects:
                row = round((top - y - h) / module)
                first = round((x - left) / module)
                for col in range(first, first + round(w / module)):
                    matrix[row][col] = True
            out.append(matrix)
    return out


@pytest.fixture
def code_round(db):
    area = make_area(db.session, "LS6")
    rnd = make_voting_round(db.session, "approval", area=area)
    with before_voting(db.session, rnd):  # codes are a way to vote from the start
        elig.save_settings(db.session, rnd.id, by_postcode=True, by_roll=False, by_code=True,
                           min_age=None)  # fmt: skip
    rnd.title = (
        "Northbridge small health grants: vote for the ideas you support, in Riverside, "
        "Canal Side and Old Market, before the end of June"
    )
    db.session.commit()
    return rnd


def test_slips_print_the_whole_title_the_code_a_working_qr_and_one_sentence(
    app, client, db, world, code_round
):
    facilitator = login(app.test_client(), world.user("facilitator"))
    response = facilitator.post(
        f"/rounds/{code_round.id}/eligibility/codes", data={"count": "3", "label": "Health fair"}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", " ", text)
    assert code_round.title in flat  # whole, wrapped over lines, never cut short
    codes = re.findall(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", flat)
    assert len(set(codes)) == 3
    assert flat.count("To vote, scan the QR code, or go to") == 3
    assert "it works once, so keep it private." in flat
    # Each QR code holds the voting link with its own code filled in.
    vote_url = f"http://localhost/rounds/{code_round.id}/vote"
    drawn = _qr_matrices(pdf)
    assert len(drawn) == 3
    for code, matrix in zip(sorted(set(codes), key=codes.index), drawn, strict=True):
        expected = segno.make(access_codes.code_vote_url(vote_url, code), error="m")
        assert matrix == [[bool(v) for v in row] for row in expected.matrix], code
    # The link works: it opens the access-code form with the code in it, and the code votes.
    link = access_codes.code_vote_url(vote_url, codes[0]).removeprefix("http://localhost")
    page = client.get(link).get_data(as_text=True)
    assert re.search(rf'<input[^>]*id="code"[^>]*value="{codes[0]}"', page)
    assert 'id="by-code"' in page
    proved = client.post(
        f"/rounds/{code_round.id}/vote/code", data={"code": codes[0]}, follow_redirects=True
    )
    assert "Choose the projects you support" in proved.get_data(as_text=True)


def test_a_long_title_shrinks_to_fit_and_wraps_long_addresses():
    title = "Cyllideb Gymunedol Łódź " * 8  # 192 characters, Welsh and Polish letters
    pdf = access_codes.access_code_pdf(
        title.strip(), "Fair", ["ABCD-EFGH-JKMN"], vote_url="https://" + "x" * 90 + ".example/vote"
    )
    flat = re.sub(r"\s+", " ", pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert title.strip() in flat
    assert "ABCD-EFGH-JKMN" in flat


# --- The board's short codes, the receipt check's full values ---------------------------------


def test_the_board_shortens_commitments_and_the_receipt_check_shows_them_whole(app, client, db):
    from decide.models import Round
    from tests.voting.helpers import close_and_open

    area = make_area(db.session, "LS8")
    rnd = make_voting_round(db.session, "approval", area=area)
    key = voting.load_server_key(app.config["RECEIPT_KEY_FILE"])
    officer = make_user(db.session, is_officer=True)
    (number,) = paper_numbers(db.session, rnd.id, 1)
    signed = paper.enter_paper_ballot(
        db.session, rnd.id, ["P1"], number=number, officer_id=officer.id, server_key=key,
        today=dt.date(2027, 5, 10),
    )  # fmt: skip
    commit = signed.receipt.commitment.hex()
    check = client.post("/receipts/check", data={"receipt": signed.to_json().decode()})
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and commit in html and "sealed box" in html
    close_and_open(db.session, db.session.get(Round, rnd.id), key)
    board = client.get(f"/rounds/{rnd.id}/board").get_data(as_text=True)
    assert commit not in board and f"{commit[:8]}…" in board
    html = client.post("/receipts/check", data={"receipt": signed.to_json().decode()}).get_data(
        as_text=True
    )
    assert "Your ballot is on the board" in html and "line 1" in html


def test_a_batch_without_a_label_is_named_with_its_count_in_words(db, code_round):
    one, _ = access_codes.generate_codes(
        db.session, code_round.id, 1, label="", today=dt.date.today()
    )
    two, _ = access_codes.generate_codes(
        db.session, code_round.id, 2, label=" ", today=dt.date.today()
    )
    assert (one.label, two.label) == ("Batch of 1 code", "Batch of 2 codes")


# --- The compare page's combined chart ----------------------------------------------------------


def test_the_combined_chart_splits_each_rules_money_by_deprivation(db):
    from decide.services import results as service
    from tests.results.factory import closed_round

    rnd = closed_round(db.session)
    election = service.round_to_election(db.session, rnd.id)
    summaries = service.compare_rules(election, service.equity_spec(db.session, election))
    decile = {a.id: a.decile for a in election.areas}
    for s in summaries:
        g = service.glance(election, s)
        by_hand = sum(
            int(s.outcome.amounts[code])
            for code in s.funded
            if decile[election.project_area[code]] <= 5
        )
        assert (g.rule, g.spent, g.more_deprived) == (s.rule, s.spent, by_hand)
        assert g.more_deprived + g.elsewhere == g.spent
        assert g.spent + g.leftover == rnd.budget_pence
    # The factory's rounds fund projects in more and less deprived areas alike.
    assert {bool(service.glance(election, s).elsewhere) for s in summaries} == {True}


def test_a_refusal_speaks_our_words_not_the_servers(app):
    from flask import abort

    @app.get("/_refused")
    def _refused() -> str:
        abort(403)

    @app.get("/_refused_why")
    def _refused_why() -> str:
        abort(403, "Only members of the delivering organisation post updates.")

    plain = app.test_client().get("/_refused").get_data(as_text=True)
    assert "read-protected" not in plain and "ask the round&#39;s facilitator" in plain
    why = app.test_client().get("/_refused_why").get_data(as_text=True)
    assert "Only members of the delivering organisation post updates." in why

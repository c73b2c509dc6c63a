"""Results pages: compare, equity settings, confirm, the public results page, my ballot."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ballots.model import Ballot as CoreBallot
from ballots.wording import money
from decide.models import EquitySettings, Proposal, RoundResult
from decide.services import results as service
from tests.results.factory import closed_round, user
from tests.web.world import login

REASON = "The partnership board agreed before voting that greedy would be used if asked."


@pytest.fixture
def rnd(db):
    return closed_round(db.session)


@pytest.fixture
def facilitator(db):
    return user(db.session, "fac@test.example", is_facilitator=True)


@pytest.fixture
def fac(app, facilitator):
    return login(app.test_client(), facilitator)


def _rows(db) -> int:
    return db.session.scalar(select(func.count(RoundResult.id)))


def _publish(db, rnd) -> None:
    rnd.phase = "published"  # publication (signatures, PDF) is another part's flow
    db.session.commit()


def test_compare_shows_every_rule_side_by_side(fac, rnd):
    html = fac.get(f"/rounds/{rnd.id}/results/compare").get_data(as_text=True)
    for label in ("Greedy by votes", "Method of Equal Shares (proportional)",
                  "Sequential Phragmén (proportional)", "Maximum total support",
                  "Maximum support with equity constraints"):  # fmt: skip
        assert label in html
    assert html.count("at least one funded project") == 6  # table + 5 cards
    side = html[
        html.index('class="side-by-side"') : html.index("</table>", html.index("side-by-side"))
    ]
    assert re.search(r"Funds to decile 2 \(Canal Side\)</th><td class=\"num\">£0\.00</td>", side)
    assert side.count("<abbr") == 5
    # One combined chart at the top (a bar per rule), and tables, not charts, in the cards.
    assert html.count('<svg role="img"') == 1
    chart = html[html.index('<svg role="img"') : html.index("</svg>")]
    assert chart.count('stroke="#59636c"') == 5  # the budget's outline, once per rule
    assert "Funds per deprivation decile" in html and '<th scope="row">Decile 2' in html
    assert " style=" not in html  # the CSP allows no inline styles
    assert "fixed at voting" in html


def test_compare_waits_for_voting_to_close(db, fac):
    voting = closed_round(db.session, title="Open", phase="voting", voters=[])
    response = fac.get(f"/rounds/{voting.id}/results/compare")
    assert response.status_code == 403
    assert "once voting has closed" in response.get_data(as_text=True)


def test_a_changed_rule_without_reason_is_refused_next_to_the_field(db, fac, rnd):
    response = fac.post(
        f"/rounds/{rnd.id}/results/confirm",
        data={"rule": "greedy", "reason": "", "tie_break": "lex"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="reason-error">(.*?)</p>', html, re.S)
    assert error and "Give the reason for the change" in error.group(1)
    assert 'aria-invalid="true"' in html and 'href="#reason"' in html
    assert _rows(db) == 0


def test_a_changed_rule_with_reason_is_shown_publicly(db, app, fac, rnd):
    response = fac.post(
        f"/rounds/{rnd.id}/results/confirm",
        data={"rule": "greedy", "reason": REASON, "tie_break": "lex"},
    )
    assert response.status_code == 303
    assert response.location.endswith(f"/rounds/{rnd.id}/results")
    assert _rows(db) == 1
    preview = fac.get(f"/rounds/{rnd.id}/results").get_data(as_text=True)
    assert "Preview." in preview and REASON in preview
    anonymous = app.test_client().get(f"/rounds/{rnd.id}/results").get_data(as_text=True)
    assert REASON not in anonymous and "will appear here" in anonymous
    _publish(db, rnd)
    html = app.test_client().get(f"/rounds/{rnd.id}/results").get_data(as_text=True)
    assert "The rule was changed after voting" in html and REASON in html
    assert "Method of Equal Shares (proportional)" in html  # the rule fixed at voting
    assert "was skipped: only £8,000.00 was left" in html
    assert "Funds per area" in html and '<svg role="img"' in html
    assert "Preview." not in html


def test_confirming_the_fixed_rule_needs_no_reason(db, app, fac, rnd):
    response = fac.post(
        f"/rounds/{rnd.id}/results/confirm", data={"rule": "equal-shares", "tie_break": "lex"}
    )
    assert response.status_code == 303
    row = db.session.scalar(select(RoundResult))
    assert row.rule == "equal-shares" and row.change_reason == ""
    _publish(db, rnd)
    html = app.test_client().get(f"/rounds/{rnd.id}/results").get_data(as_text=True)
    assert "The budget of £100,000.00 was shared equally between the 300 voters" in html
    assert "was funded first: its 129 supporters paid £" in html
    assert "The rule was changed" not in html
    # Each project links to the proposal behind it (issue 11).
    gym = db.session.scalar(
        select(Proposal).where(Proposal.title == "Outdoor gym on Hillfoot Park")
    )
    assert f'<a href="/proposals/{gym.id}">Outdoor gym on Hillfoot Park</a></th>' in html


def test_a_lottery_needs_a_seed(db, fac, rnd):
    response = fac.post(
        f"/rounds/{rnd.id}/results/confirm",
        data={"rule": "equal-shares", "tie_break": "lottery", "seed": ""},
    )
    assert response.status_code == 422
    assert 'id="seed-error"' in response.get_data(as_text=True)
    assert _rows(db) == 0


def test_confirm_after_publication_is_refused(db, fac, rnd):
    _publish(db, rnd)
    response = fac.post(
        f"/rounds/{rnd.id}/results/confirm", data={"rule": "equal-shares", "tie_break": "lex"}
    )
    assert response.status_code == 409
    assert _rows(db) == 0


def test_equity_preview_save_and_errors(db, fac, rnd):
    url = f"/rounds/{rnd.id}/results/equity"
    html = fac.get(url).get_data(as_text=True)
    assert 'name="weight_10"' in html and "Cap for Moorfield Harriers Running Club" in html
    form = {"floor_share": "30", "weight_1": "3", "weight_2": "2", "action": "preview"}
    html = fac.post(url, data=form).get_data(as_text=True)
    assert "Preview: the equity rule with these settings" in html
    assert "Riverside (decile 1): at least £19,801.07" in html
    assert db.session.scalar(select(func.count()).select_from(EquitySettings)) == 0
    fragment = fac.post(url, data=form, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="equity-preview"') and "<html" not in fragment
    bad = fac.post(url, data={"floor_share": "150", "action": "save"})
    assert bad.status_code == 422
    assert 'id="floor_share-error"' in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(EquitySettings)) == 0
    saved = fac.post(url, data={**form, "action": "save"})
    assert saved.status_code == 303
    assert db.session.get(EquitySettings, rnd.id).floor_share_percent == "30"


def test_equity_preview_explains_an_impossible_floor(fac, rnd):
    form = {"floor_share": "60", "weight_1": "1", "action": "preview"}
    html = fac.post(f"/rounds/{rnd.id}/results/equity", data=form).get_data(as_text=True)
    assert "No set of projects meets all the constraints together" in html
    assert "area Riverside (decile 1) receives at least £60,000.00" in html


def test_how_my_ballot_was_used_takes_choices_not_tracker(db, app, facilitator, rnd):
    client = app.test_client()
    url = f"/rounds/{rnd.id}/results/my-ballot"
    assert "will appear here" in client.get(url).get_data(as_text=True)
    service.confirm_rule(db.session, rnd.id, rule="equal-shares", reason="", actor=facilitator)
    _publish(db, rnd)
    form = client.get(url).get_data(as_text=True)
    assert 'name="project"' in form and 'name="tracker"' in form
    e, _ = service.recompute_result(db.session, service.confirmed_result(db.session, rnd.id))
    chosen = list(e.profile.ballots[0].projects)
    view = service.usage_for_choices(db.session, rnd.id, CoreBallot("", tuple(chosen)))
    response = client.post(url, data={"project": list(reversed(chosen))})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "How your ballot was used" in html
    for _code, title, _cost, _share in view.funded:
        assert title in html
    assert money(view.total) in html
    # Choices nobody made: no counted ballot has them.
    unknown = client.post(url, data={"project": ["P1", "P2", "P3", "P4", "P5", "P6"]})
    assert unknown.status_code in (404, 422)
    # No route maps a tracker to choices.
    assert not any("tracker" in r.rule for r in app.url_map.iter_rules())

"""Every refusal on the deliberation and sortition forms sits next to its field, tied to it with
aria-describedby and linked from the summary; and bad input stores nothing."""

from __future__ import annotations

from decide.services import sortition
from decide.services.deliberation import scoring, shortlist
from tests.deliberation.pages import assert_next_to
from tests.web.world import login


def test_a_repeated_or_missing_rank_is_shown_next_to_that_rank(app, db, delib):
    shortlist.open_ranked_vote(db.session, delib.session, 1)
    decision = shortlist.decision_of(db.session, delib.session)
    a, b, c = (p.id for p in delib.proposals)
    pat = login(app.test_client(), delib.panel["pat"])
    url = f"/sessions/{delib.session.id}/shortlist/ballot"
    twice = pat.post(url, data={f"rank_{a}": "1", f"rank_{b}": "1"}).get_data(as_text=True)
    assert_next_to(twice, f"rank_{b}", "Use each rank once: rank 1 is given twice")
    gap = pat.post(url, data={f"rank_{a}": "1", f"rank_{c}": "3"}).get_data(as_text=True)
    assert_next_to(gap, f"rank_{c}", "rank 2 is missing")
    none = pat.post(url, data={}).get_data(as_text=True)
    assert_next_to(none, f"rank_{a}", "Rank at least one proposal")
    db.session.refresh(decision)
    assert decision.ballots == []


def test_a_bad_panel_size_is_shown_next_to_the_box(app, db, world):
    fay = login(app.test_client(), world.users["facilitator"])
    url = f"/rounds/{world.round.id}/panel/size"
    for bad in ("2.5", "-1", "12a", "0", "201", "", "²"):
        html = fay.post(url, data={"panel_size": bad}).get_data(as_text=True)
        assert_next_to(html, "panel_size", "Enter a whole number from 1 to 200, like 12")
    assert sortition.settings_of(db.session, world.round) is None


def test_rubric_errors_are_shown_on_their_row(app, db, delib, world):
    before = [(c.name, c.weight) for c in scoring.rubric_of(db.session, delib.round)]
    fay = login(app.test_client(), world.users["facilitator"])
    url = f"/rounds/{delib.round.id}/rubric"
    same = {
        "criteria-0-name": "Reach", "criteria-0-weight": "3",
        "criteria-1-name": "reach", "criteria-1-weight": "2",
    }  # fmt: skip
    html = fay.post(url, data=same).get_data(as_text=True)
    assert_next_to(html, "criteria-1-name", "Give each criterion a different name")
    html = fay.post(url, data={"criteria-0-name": "Reach", "criteria-0-weight": "2.5"}).get_data(
        as_text=True
    )
    assert_next_to(html, "criteria-0-weight", "Enter a whole number from 1 to 100, like 20")
    html = fay.post(url, data={"criteria-0-name": "Reach", "criteria-0-weight": ""}).get_data(
        as_text=True
    )
    assert_next_to(html, "criteria-0-weight", "Give each criterion a weight from 1 to 100")
    html = fay.post(url, data={"criteria-0-name": ""}).get_data(as_text=True)
    assert_next_to(html, "criteria-0-name", "Give the rubric at least one criterion")
    db.session.expire_all()
    assert [(c.name, c.weight) for c in scoring.rubric_of(db.session, delib.round)] == before


def test_a_missing_score_is_shown_next_to_its_criterion(app, db, delib):
    criteria = scoring.rubric_of(db.session, delib.round)
    pat = login(app.test_client(), delib.panel["pat"])
    url = f"/sessions/{delib.session.id}/proposals/{delib.proposals[0].id}/score"
    data = {f"criterion_{c.id}": "3" for c in criteria[1:]}
    html = pat.post(url, data=data).get_data(as_text=True)
    first = criteria[0]
    assert_next_to(html, f"criterion_{first.id}", f"Score {first.name} from 0 to 5")
    assert scoring.own_scores(db.session, delib.session, delib.panel["pat"]) == {}


def test_an_empty_reason_for_leaving_out_is_shown_next_to_its_box(app, db, delib, world):
    shortlist.open_ranked_vote(db.session, delib.session, 1)
    decision = shortlist.decision_of(db.session, delib.session)
    a, b, _c = delib.proposals
    shortlist.cast_ranking(db.session, decision, delib.panel["pat"], [a.id, b.id])
    shortlist.count_vote(db.session, decision)
    left_out = next(r for r in decision.reasons)
    before = left_out.reason
    fay = login(app.test_client(), world.users["facilitator"])
    url = f"/sessions/{delib.session.id}/shortlist/reasons/{left_out.proposal_id}"
    html = fay.post(url, data={"reason": ""}).get_data(as_text=True)
    assert_next_to(html, f"reason-{left_out.proposal_id}-text", "Give the reason it was not")
    db.session.refresh(left_out)
    assert left_out.reason == before

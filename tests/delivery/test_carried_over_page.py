"""The facilitator's page of carried-over proposals: what was carried into a round (who
proposed it, its cost, from which round, when consent was given) and the unfunded proposals of
earlier rounds still waiting for their proposers' consent."""

from __future__ import annotations

import datetime as dt

from decide.services import retrospectives
from tests.helpers.sessions import log_in
from tests.web.world import make_proposal, make_round


def test_the_facilitator_sees_what_was_carried_over_and_what_waits(app, db, delivered):
    d = delivered
    target = make_round(db.session, "Next year", "proposals")
    target.areas = list(d.round.areas)
    bench = make_proposal(db.session, d.round, d.citizen, "Bench in the park")
    mural = make_proposal(db.session, d.round, d.citizen, "Mural on the underpass")
    d.project("P4").proposal_id = bench.id  # on the ballot, not funded
    d.project("P5").proposal_id = mural.id
    db.session.commit()
    url = f"/rounds/{target.id}/carried-over"
    fac = log_in(app.test_client(), d.facilitator)
    html = fac.get(url).get_data(as_text=True)
    waiting = html.split('id="could-be"', 1)[1]
    assert "Nothing has been carried into this round yet." in html
    assert "Bench in the park" in waiting and "Mural on the underpass" in waiting
    assert "Not given yet" in waiting and d.citizen.display_name in waiting
    assert d.round.title in waiting
    copy = retrospectives.carry_over(db.session, bench, target, d.citizen)
    html = fac.get(url).get_data(as_text=True)
    carried, waiting = html.split('id="could-be"', 1)
    assert "Bench in the park" in carried and f"/proposals/{copy.id}" in carried
    assert "Given on" in carried and "£" in carried
    assert "Bench in the park" not in waiting and "Mural on the underpass" in waiting
    # The round's facilitator page links to it; other roles may not see it.
    assert url in fac.get(f"/rounds/{target.id}").get_data(as_text=True)
    assert log_in(app.test_client(), d.citizen).get(url).status_code == 403


def test_the_proposer_is_not_offered_a_round_the_proposal_is_already_in(app, db, delivered):
    d = delivered
    target = make_round(db.session, "Next year", "proposals")
    target.areas = list(d.round.areas)
    bench = make_proposal(db.session, d.round, d.citizen, "Bench in the park")
    d.project("P4").proposal_id = bench.id
    db.session.commit()
    client = log_in(app.test_client(), d.citizen)
    url = f"/proposals/{bench.id}/carry-over"
    assert "I consent: carry it over" in client.get(url).get_data(as_text=True)
    copy = retrospectives.carry_over(db.session, bench, target, d.citizen)
    html = client.get(url).get_data(as_text=True)
    assert "I consent: carry it over" not in html
    assert "already carried it into" in html and f"/proposals/{copy.id}" in html
    assert "No other round is taking proposals now." in html
    funded_one = make_proposal(db.session, d.round, d.citizen, "Shelf")
    d.project("P1").proposal_id = funded_one.id
    db.session.commit()
    html = client.get(f"/proposals/{funded_one.id}/carry-over").get_data(as_text=True)
    assert "I consent" not in html and "this one cannot" in html


def test_only_rounds_published_before_this_one_are_listed_in_date_order(app, db, delivered):
    d = delivered
    bench = make_proposal(db.session, d.round, d.citizen, "Bench in the park")
    d.project("P4").proposal_id = bench.id  # on the ballot of d.round, not funded
    # A round whose results come before d.round's: d.round's proposals are from later.
    earlier = make_round(db.session, "Last spring", "proposals", results_date=dt.date(2020, 4, 1))
    later = make_round(db.session, "Next year", "proposals")
    db.session.commit()
    fac = log_in(app.test_client(), d.facilitator)
    html = fac.get(f"/rounds/{earlier.id}/carried-over").get_data(as_text=True)
    assert "Bench in the park" not in html  # a later round's proposal, not an earlier one's
    html = fac.get(f"/rounds/{later.id}/carried-over").get_data(as_text=True)
    assert "Bench in the park" in html.split('id="could-be"', 1)[1]
    assert "You may let them know" in html
    # A round not taking proposals: nobody can be invited to carry a proposal into it.
    voting = make_round(db.session, "Voting now", "voting")
    db.session.commit()
    html = fac.get(f"/rounds/{voting.id}/carried-over").get_data(as_text=True)
    assert "Bench in the park" in html
    assert "You may let them know" not in html and "is not taking proposals now" in html

"""The shortlist goes onto the ballot as one unit of work: a failure midway changes nothing.
The facilitator sees the ballot as it stands and what replaces it, and confirms; a ballot
with one project is refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from decide.models import Project
from decide.services import proposals as proposal_service
from decide.services.deliberation import minutes, shortlist
from decide.services.errors import DomainError
from tests.deliberation.factory import attend_and_close
from tests.web.world import login


def test_a_failure_midway_leaves_the_ballot_as_it_was(db, delib, world):
    facilitator = world.users["facilitator"]
    cooking, gym, walking = delib.proposals
    proposal_service.accept_onto_ballot(db.session, cooking, facilitator)
    decision = shortlist.open_ranked_vote(db.session, delib.session, 2)
    for member in delib.panel.values():
        shortlist.cast_ranking(db.session, decision, member, [gym.id, walking.id])
    shortlist.count_vote(db.session, decision)
    attend_and_close(db.session, delib)
    m = minutes.generate_minutes(db.session, delib.session)
    for member in delib.panel.values():
        minutes.approve_minutes(db.session, m, member)
    # The last shortlisted proposal is withdrawn after the vote: removing the cooking club and
    # adding the green gym succeed, then adding it fails.
    last = db.session.get(type(walking), decision.shortlist_ids[-1])
    last.withdrawn = True
    db.session.commit()
    with pytest.raises(DomainError, match="withdrawn"):
        shortlist.apply_to_ballot(db.session, decision, facilitator)
    db.session.expire_all()
    on_ballot = db.session.scalars(select(Project).where(Project.round_id == delib.round.id))
    titles = sorted(p.title for p in on_ballot)
    assert titles == ["Cooking club"]
    last.withdrawn = False
    db.session.commit()
    shortlist.apply_to_ballot(db.session, decision, facilitator)
    assert sorted(p.title for p in delib.round.projects) == ["Green gym", "Walking group"]


def _approved_shortlist(db, delib, places, ranking):
    decision = shortlist.open_ranked_vote(db.session, delib.session, places)
    for member in delib.panel.values():
        shortlist.cast_ranking(db.session, decision, member, [p.id for p in ranking])
    shortlist.count_vote(db.session, decision)
    attend_and_close(db.session, delib)
    m = minutes.generate_minutes(db.session, delib.session)
    for member in delib.panel.values():
        minutes.approve_minutes(db.session, m, member)
    return decision


def _titles(db, delib):
    db.session.expire_all()
    rows = db.session.scalars(select(Project).where(Project.round_id == delib.round.id))
    return sorted(p.title for p in rows)


def test_the_shortlist_replaces_the_ballot_only_after_the_change_is_shown_and_confirmed(
    app, db, delib, world
):
    facilitator = world.users["facilitator"]
    cooking, gym, walking = delib.proposals
    for proposal in (cooking, gym, walking):
        proposal_service.accept_onto_ballot(db.session, proposal, facilitator)
    _approved_shortlist(db, delib, 2, [gym, walking])
    client = login(app.test_client(), facilitator)
    base = f"/sessions/{delib.session.id}/shortlist"
    page = client.get(base).get_data(as_text=True)
    assert f'href="{base}/apply"' in page and "Put the shortlist on the ballot</button>" not in page
    confirm = client.get(f"{base}/apply").get_data(as_text=True)
    assert "The ballot now: 3 projects" in confirm and "After the change: 2 projects" in confirm
    assert "Cooking club <strong>(taken off)</strong>" in confirm
    seen = re.search(r'name="seen"[^>]*value="([^"]*)"', confirm).group(1)
    # A one-click POST without the confirm step changes nothing.
    skipped = client.post(f"{base}/apply", data={"seen": seen})
    assert skipped.status_code == 303 and skipped.location.endswith(f"{base}/apply")
    assert _titles(db, delib) == ["Cooking club", "Green gym", "Walking group"]
    # A confirmation given for another ballot than the one now standing changes nothing.
    stale = client.post(f"{base}/apply", data={"seen": "1", "confirm": "replace"})
    assert stale.status_code == 303
    assert _titles(db, delib) == ["Cooking club", "Green gym", "Walking group"]
    assert "The ballot changed since you reviewed it" in client.get(base).get_data(as_text=True)
    done = client.post(f"{base}/apply", data={"seen": seen, "confirm": "replace"})
    assert done.status_code == 303 and done.location.endswith(base)
    assert _titles(db, delib) == ["Green gym", "Walking group"]
    after = client.get(base).get_data(as_text=True)
    assert "it lists 2 projects" in after and "This shortlist is the ballot" in after
    assert f'href="{base}/apply"' not in after
    again = client.get(f"{base}/apply").get_data(as_text=True)
    assert "already the ballot" in again and "Replace the ballot" not in again


def test_a_shortlist_that_would_leave_one_project_on_the_ballot_is_refused(app, db, delib, world):
    facilitator = world.users["facilitator"]
    cooking, gym, walking = delib.proposals
    for proposal in (cooking, gym, walking):
        proposal_service.accept_onto_ballot(db.session, proposal, facilitator)
    decision = _approved_shortlist(db, delib, 1, [gym])
    with pytest.raises(DomainError, match="only 1 project, and a ballot needs at least 2"):
        shortlist.apply_to_ballot(db.session, decision, facilitator)
    assert _titles(db, delib) == ["Cooking club", "Green gym", "Walking group"]
    client = login(app.test_client(), facilitator)
    confirm = client.get(f"/sessions/{delib.session.id}/shortlist/apply").get_data(as_text=True)
    assert "a ballot needs at least 2 projects to be a choice" in confirm
    assert "Replace the ballot" not in confirm

"""Access rules for the panel's deliberation pages (issue 15, part 2).

Sessions, agendas, the shortlist page and approved minutes are public once the round leaves
draft; draft minutes are for the panel and facilitators. Facilitators schedule, record
attendance, close, count and write minutes; only panel members score, rank, declare conflicts
and approve minutes; arguments are posted by anyone signed in during deliberation (by panel
members alone while proposals are open); facilitators moderate.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from decide.services.deliberation import minutes, sessions, shortlist
from tests.deliberation.factory import attend_and_close, deliberation
from tests.web.access import FACILITATOR_ONLY, PUBLIC, SIGNED_IN, Access, only


def _d(w: Any) -> SimpleNamespace:
    """Build (once per world) an open session with an open vote, and a closed one with minutes."""
    if hasattr(w, "_deliberation"):
        return w._deliberation
    db = w.session
    d = deliberation(db, w, "Open deliberation")
    shortlist.open_ranked_vote(db, d.session, 2)
    doc = sessions.add_document(
        db, d.session, title="Costings", filename="c.pdf", content_type="application/pdf",
        content=b"%PDF-1.4 test",
    )  # fmt: skip
    closed = deliberation(db, w, "Closed deliberation")
    decision = shortlist.open_ranked_vote(db, closed.session, 1)
    for member in closed.panel.values():
        shortlist.cast_ranking(db, decision, member, [closed.proposals[0].id])
    shortlist.count_vote(db, decision)
    attend_and_close(db, closed)
    minutes.generate_minutes(db, closed.session)
    from decide.services.deliberation import arguments

    argument = arguments.post_argument(
        db, d.proposals[0], w.users["citizen"], side="for", body="Good value"
    )
    w._deliberation = SimpleNamespace(
        round=d.round.id,
        session=d.session.id,
        proposal=d.proposals[0].id,
        document=doc.id,
        closed=closed.session.id,
        left_out=closed.proposals[1].id,
        argument=argument.id,
        ranking={f"rank_{p.id}": str(n) for n, p in enumerate(d.proposals, start=1)},
        scores=None,
    )
    return w._deliberation


def _scores(w: Any) -> dict[str, str]:
    from decide.models import Round
    from decide.services.deliberation import scoring

    rnd = w.session.get(Round, _d(w).round)
    return {f"criterion_{c.id}": "3" for c in scoring.rubric_of(w.session, rnd)}


PANEL_ONLY = only("panel_member")
PANEL_AND_FACILITATOR = only("panel_member", "facilitator")

RULES = [
    Access("deliberation.index", "GET", lambda w: f"/rounds/{_d(w).round}/sessions", PUBLIC),
    Access(
        "deliberation.index",
        "GET",
        lambda w: f"/rounds/{w.draft.id}/sessions",
        FACILITATOR_ONLY,
        note="draft",
    ),
    Access(
        "deliberation.schedule",
        "GET",
        lambda w: f"/rounds/{_d(w).round}/sessions/new",
        FACILITATOR_ONLY,
    ),
    Access(
        "deliberation.schedule",
        "POST",
        lambda w: f"/rounds/{_d(w).round}/sessions/new",
        FACILITATOR_ONLY,
        data=lambda w: {
            "title": "Second",
            "starts_at": "2027-03-11T18:30",
            "place": "Hub",
            "proposal_ids": [str(_d(w).proposal)],
        },
    ),
    Access("deliberation.show", "GET", lambda w: f"/sessions/{_d(w).session}", PUBLIC),
    Access(
        "deliberation.add_document",
        "POST",
        lambda w: f"/sessions/{_d(w).session}/documents",
        FACILITATOR_ONLY,
        data=lambda w: {"title": "Map", "url": "https://example.org/map"},
    ),
    Access(
        "deliberation.document",
        "GET",
        lambda w: f"/sessions/{_d(w).session}/documents/{_d(w).document}",
        PUBLIC,
    ),
    Access(
        "deliberation.attendance",
        "POST",
        lambda w: f"/sessions/{_d(w).session}/attendance",
        FACILITATOR_ONLY,
        data=lambda w: {"present": [str(w.users["panel_member"].id)]},
    ),
    Access(
        "deliberation.close", "POST", lambda w: f"/sessions/{_d(w).session}/close", FACILITATOR_ONLY
    ),
    Access(
        "deliberation.declare_conflict",
        "POST",
        lambda w: f"/rounds/{_d(w).round}/conflicts",
        PANEL_ONLY,
        data=lambda w: {"proposal_id": str(_d(w).proposal), "reason": "Trustee"},
    ),
    Access(
        "deliberation.rubric", "GET", lambda w: f"/rounds/{_d(w).round}/rubric", FACILITATOR_ONLY
    ),
    Access(
        "deliberation.rubric",
        "POST",
        lambda w: f"/rounds/{_d(w).round}/rubric",
        FACILITATOR_ONLY,
        data=lambda w: {"criteria-0-name": "Health impact", "criteria-0-weight": "2"},
    ),
    Access(
        "deliberation.score",
        "GET",
        lambda w: f"/sessions/{_d(w).session}/proposals/{_d(w).proposal}/score",
        PANEL_ONLY,
    ),
    Access(
        "deliberation.score",
        "POST",
        lambda w: f"/sessions/{_d(w).session}/proposals/{_d(w).proposal}/score",
        PANEL_ONLY,
        data=_scores,
    ),
    Access(
        "deliberation.start_shortlist",
        "POST",
        lambda w: f"/sessions/{_d(w).session}/shortlist",
        FACILITATOR_ONLY,
        data=lambda w: {"method": "ranked", "places": "1"},
    ),
    Access(
        "deliberation.ballot",
        "GET",
        lambda w: f"/sessions/{_d(w).session}/shortlist/ballot",
        PANEL_ONLY,
    ),
    Access(
        "deliberation.ballot",
        "POST",
        lambda w: f"/sessions/{_d(w).session}/shortlist/ballot",
        PANEL_ONLY,
        data=lambda w: _d(w).ranking,
    ),
    Access(
        "deliberation.count",
        "POST",
        lambda w: f"/sessions/{_d(w).session}/shortlist/count",
        FACILITATOR_ONLY,
    ),
    Access(
        "deliberation.shortlist_page",
        "GET",
        lambda w: f"/sessions/{_d(w).closed}/shortlist",
        PUBLIC,
    ),
    Access(
        "deliberation.reason",
        "POST",
        lambda w: f"/sessions/{_d(w).closed}/shortlist/reasons/{_d(w).left_out}",
        FACILITATOR_ONLY,
        data=lambda w: {"reason": "Too costly for this round"},
    ),
    Access(
        "deliberation.confirm_apply",
        "GET",
        lambda w: f"/sessions/{_d(w).closed}/shortlist/apply",
        FACILITATOR_ONLY,
    ),
    Access(
        "deliberation.apply",
        "POST",
        lambda w: f"/sessions/{_d(w).closed}/shortlist/apply",
        FACILITATOR_ONLY,
    ),
    Access(
        "deliberation.write_minutes",
        "POST",
        lambda w: f"/sessions/{_d(w).closed}/minutes",
        FACILITATOR_ONLY,
    ),
    Access(
        "deliberation.minutes_page",
        "GET",
        lambda w: f"/sessions/{_d(w).closed}/minutes",
        PANEL_AND_FACILITATOR,
        note="draft",
    ),
    Access(
        "deliberation.minutes_json",
        "GET",
        lambda w: f"/sessions/{_d(w).closed}/minutes.json",
        PANEL_AND_FACILITATOR,
        note="draft",
    ),
    Access(
        "deliberation.approve",
        "POST",
        lambda w: f"/sessions/{_d(w).closed}/minutes/approve",
        PANEL_ONLY,
    ),
    Access(
        "deliberation.proposal_arguments",
        "GET",
        lambda w: f"/proposals/{_d(w).proposal}/arguments",
        PUBLIC,
    ),
    Access(
        "deliberation.proposal_arguments",
        "POST",
        lambda w: f"/proposals/{_d(w).proposal}/arguments",
        SIGNED_IN,
        data=lambda w: {"side": "against", "body": "Too far from the bus"},
    ),
    Access(
        "deliberation.proposal_arguments",
        "POST",
        lambda w: f"/proposals/{w.proposal.id}/arguments",
        PANEL_ONLY,
        data=lambda w: {"side": "for", "body": "Needed"},
        note="proposals-phase",
    ),
    Access(
        "deliberation.report", "POST", lambda w: f"/arguments/{_d(w).argument}/report", SIGNED_IN
    ),
    Access(
        "deliberation.hide",
        "POST",
        lambda w: f"/arguments/{_d(w).argument}/hide",
        FACILITATOR_ONLY,
        data=lambda w: {"reason": "Off topic"},
    ),
]

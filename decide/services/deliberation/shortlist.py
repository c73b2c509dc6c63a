"""The shortlist the panel decides in a session: a ranked vote counted by pyrankvote (STV for
several places, IRV for one), or a score threshold the panel adopts. Every proposal left out
gets its reasons, and the shortlist becomes the ballot's project list once the minutes that
record it are approved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from audits.canonical import parse_canonical
from decide.models import (
    Minutes,
    PanelBallot,
    PanelSession,
    Project,
    Proposal,
    Round,
    ShortlistDecision,
    ShortlistReason,
    User,
)
from decide.ranked import RankingRefused, count_ranked, method_for
from decide.services import proposals as proposal_service
from decide.services.deliberation.scoring import shown, summaries
from decide.services.deliberation.sessions import (
    conflicted_pairs,
    conflicted_proposal_ids,
    minutes_approved,
    present_member_ids,
)
from decide.services.deliberation.shortlist_ballot import ballot_change
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from decide.services.sanitise import strip_raw_html
from decide.services.unit_of_work import unit_of_work

REASON_MAX = 1000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def decision_of(session: Session, panel_session: PanelSession) -> ShortlistDecision | None:
    """Return the session's shortlist decision, if one was started."""
    return session.scalar(
        select(ShortlistDecision).where(ShortlistDecision.session_id == panel_session.id)
    )


def candidates_of(panel_session: PanelSession) -> list[Proposal]:
    """Return the proposals on the agenda that can be shortlisted (not withdrawn)."""
    return [
        item.proposal
        for item in panel_session.items
        if item.proposal is not None and not item.proposal.withdrawn
    ]


def decision_candidates(session: Session, decision: ShortlistDecision) -> list[Proposal]:
    """Return the proposals a decision chooses from, in the order it lists them."""
    found = (session.get(Proposal, i) for i in decision.candidate_ids)
    return [p for p in found if p is not None]


def _new_decision(session: Session, panel_session: PanelSession) -> list[Proposal]:
    if decision_of(session, panel_session) is not None:
        raise DomainError("This session has already started its shortlist decision.")
    candidates = candidates_of(panel_session)
    if len(candidates) < 2:
        raise DomainError("A shortlist needs at least two proposals on the agenda.")
    return candidates


def open_ranked_vote(
    session: Session, panel_session: PanelSession, places: int
) -> ShortlistDecision:
    """Open a ranked vote of the panel for `places` places on the shortlist."""
    _vote_still_open(session, panel_session)
    candidates = _new_decision(session, panel_session)
    if not isinstance(places, int) or not 1 <= places < len(candidates):
        raise InvalidInput({"places": f"Choose from 1 to {len(candidates) - 1} places"})
    decision = ShortlistDecision(
        session_id=panel_session.id,
        method="ranked",
        places=places,
        candidate_ids=[p.id for p in candidates],
    )
    session.add(decision)
    session.commit()
    return decision


def cast_ranking(
    session: Session, decision: ShortlistDecision, member: User, ranking: Sequence[int]
) -> PanelBallot:
    """Record (or replace) a panel member's ranking of the candidates, best first."""
    panel_session = decision.session
    rnd = panel_session.round
    if not rnd.has_panel_member(member.id):
        raise NotAllowed("Only members of this round's panel vote on the shortlist.")
    if decision.method != "ranked" or decision.decided_at is not None:
        raise DomainError("This vote is not open.")
    _vote_still_open(session, panel_session)
    if member.id not in present_member_ids(panel_session):
        raise NotAllowed(
            "Only panel members recorded as present at this session vote: "
            "ask the facilitator to record your attendance first."
        )
    if not ranking:
        raise InvalidInput({"ranking": "Rank at least one proposal"})
    if len(set(ranking)) != len(ranking) or not set(ranking) <= set(decision.candidate_ids):
        raise InvalidInput({"ranking": "Rank each proposal at most once"})
    conflicted = conflicted_proposal_ids(session, rnd, member) & set(ranking)
    if conflicted:
        title = session.get(Proposal, min(conflicted)).title  # type: ignore[union-attr]
        raise NotAllowed(
            f"You declared a conflict of interest with {title}: leave it unranked.",
            field=f"rank_{min(conflicted)}",
        )
    ballot = session.scalar(
        select(PanelBallot).where(
            PanelBallot.decision_id == decision.id, PanelBallot.user_id == member.id
        )
    ) or PanelBallot(decision_id=decision.id, user_id=member.id)
    ballot.ranking = list(ranking)
    session.add(ballot)
    session.commit()
    return ballot


def _vote_still_open(session: Session, panel_session: PanelSession) -> None:
    """Refuse a ranked vote's opening, ballots and count once the session is closed.

    The vote happens during the session, among the members recorded present; once the session
    closes (and so before its minutes can be written and approved) the vote is fixed.
    """
    if panel_session.is_closed or minutes_approved(session, panel_session):
        raise DomainError(
            "This session is closed: its ranked vote can no longer be opened, cast or counted."
        )


def why_no_ballot(session: Session, decision: ShortlistDecision, member: User) -> str | None:
    """Say in plain words why the member cannot rank the candidates now, or None if they can."""
    panel_session = decision.session
    if decision.method != "ranked":
        return "The panel decides this shortlist by a score threshold, not a ranked vote."
    if decision.decided_at is not None:
        return "The vote is counted: the shortlist and the count are on the shortlist page."
    if panel_session.is_closed or minutes_approved(session, panel_session):
        return (
            "The session closed before the vote was counted, so this vote is over. "
            "The facilitator can hold a new vote in a later session."
        )
    if member.id not in present_member_ids(panel_session):
        return (
            "Only members recorded as present at this session vote. If you are here, "
            "ask the facilitator to record your attendance."
        )
    return None


def voted_member_ids(session: Session, decision: ShortlistDecision) -> set[int]:
    """Return the ids of the members who have cast a ranking."""
    return set(
        session.scalars(select(PanelBallot.user_id).where(PanelBallot.decision_id == decision.id))
    )


def set_aside_member_ids(session: Session, panel_session: PanelSession) -> set[int]:
    """Return who has ranked in the session's uncounted vote but is now recorded absent.

    Their rankings will not count unless their attendance is corrected before the count.
    """
    decision = decision_of(session, panel_session)
    if decision is None or decision.method != "ranked" or decision.decided_at is not None:
        return set()
    return voted_member_ids(session, decision) - present_member_ids(panel_session)


def _titles(session: Session, ids: Sequence[int]) -> dict[int, str]:
    return {p.id: p.title for p in session.scalars(select(Proposal).where(Proposal.id.in_(ids)))}


def _ranked_reason(transcript: dict, proposal_id: int) -> str:
    key = str(proposal_id)
    last = transcript["rounds"][-1]["round"] if transcript["rounds"] else 0
    for r in transcript["rounds"]:
        if key in r["eliminated"]:
            how = "left out when the last place was filled" if r["round"] == last else "eliminated"
            return (
                f"Not shortlisted by the panel's ranked vote: {how} in round {r['round']} "
                f"with {r['counts'][key]} vote{'' if r['counts'][key] == '1' else 's'}."
            )
    return "Not shortlisted by the panel's ranked vote."


def count_vote(session: Session, decision: ShortlistDecision) -> ShortlistDecision:
    """Count the panel's rankings with pyrankvote and keep the transcript and the reasons."""
    if decision.method != "ranked" or decision.decided_at is not None:
        raise DomainError("This vote is not open.")
    _vote_still_open(session, decision.session)
    ballots = list(
        session.scalars(
            select(PanelBallot)
            .where(PanelBallot.decision_id == decision.id)
            .order_by(PanelBallot.id)
        )
    )
    if not ballots:
        raise DomainError("No panel member has voted yet.")
    # Attendance can be corrected while the session is open: only the rankings of members
    # recorded present when the vote is counted count; the transcript says how many did not.
    present = present_member_ids(decision.session)
    set_aside = sum(1 for b in ballots if b.user_id not in present)
    ballots = [b for b in ballots if b.user_id in present]
    if not ballots:
        raise DomainError(
            "Every panel member who voted is now recorded as absent, so no ranking can count: "
            "correct the attendance, or ask the members present to vote."
        )
    conflicted = conflicted_pairs(session, decision.session.round)
    # A conflict declared after voting: the member's ranking of that proposal does not count.
    rankings = [[str(i) for i in b.ranking if (b.user_id, i) not in conflicted] for b in ballots]
    rankings = [r for r in rankings if r]
    if not rankings:
        raise DomainError("No panel member has voted yet.")
    seed = f"decide/shortlist/round-{decision.session.round_id}/decision-{decision.id}"
    try:
        count = count_ranked(
            [str(i) for i in decision.candidate_ids],
            rankings,
            places=decision.places,
            seed=seed,
        )
    except RankingRefused as exc:
        raise DomainError(str(exc)) from None
    decision.transcript = {**count.to_json(), "set_aside_absent": set_aside}
    decision.shortlist_ids = [int(w) for w in count.winners]
    decision.decided_at = _now()
    for proposal_id in decision.candidate_ids:
        if proposal_id not in decision.shortlist_ids:
            session.add(
                ShortlistReason(
                    decision=decision,
                    proposal_id=proposal_id,
                    reason=_ranked_reason(decision.transcript, proposal_id),
                )
            )
    session.commit()
    return decision


def adopt_threshold(
    session: Session, panel_session: PanelSession, threshold: Fraction
) -> ShortlistDecision:
    """Shortlist each agenda proposal whose median score reaches the threshold.

    The facilitator sets the threshold; the minutes record it, and the panel adopts it by
    approving them (only then can the shortlist go onto the ballot: `minutes_record`).
    """
    candidates = _new_decision(session, panel_session)
    if not panel_session.is_closed:
        raise DomainError("Close the session first: the threshold applies to its scores.")
    if not 0 <= threshold <= 5:
        raise InvalidInput({"threshold": "Enter a threshold from 0 to 5"})
    medians = {s.proposal.id: s.median for s in summaries(session, panel_session)}
    shortlisted = [p.id for p in candidates if _reaches(medians.get(p.id), threshold)]
    decision = ShortlistDecision(
        session_id=panel_session.id,
        method="threshold",
        places=max(len(shortlisted), 1),
        threshold=shown(threshold),
        candidate_ids=[p.id for p in candidates],
        shortlist_ids=shortlisted,
        transcript={
            "method": "threshold",
            "threshold": shown(threshold),
            "medians": {
                str(k): (None if v is None else shown(v)) for k, v in sorted(medians.items())
            },
        },
        decided_at=_now(),
    )
    session.add(decision)
    for p in candidates:
        if p.id not in shortlisted:
            median = medians.get(p.id)
            why = "it was not scored" if median is None else f"its median score was {shown(median)}"
            decision.reasons.append(
                ShortlistReason(
                    proposal_id=p.id,
                    reason=f"Not shortlisted: {why}, below the threshold of {shown(threshold)} "
                    "the facilitator set (the panel adopts it by approving the minutes).",
                )
            )
    session.commit()
    return decision


def _reaches(median: Fraction | None, threshold: Fraction) -> bool:
    return median is not None and median >= threshold


def set_reason(
    session: Session, decision: ShortlistDecision, proposal_id: int, reason: str
) -> ShortlistReason:
    """Replace the published reason a proposal was not shortlisted (before the minutes)."""
    if minutes_approved(session, decision.session):
        raise DomainError("The minutes are approved: the reasons they record cannot change.")
    row = next((r for r in decision.reasons if r.proposal_id == proposal_id), None)
    if row is None:
        raise DomainError("That proposal was shortlisted or is not part of this decision.")
    text = strip_raw_html(reason or "").strip()
    if not text:
        raise InvalidInput({"reason": "Give the reason it was not shortlisted"})
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": f"Keep the reason to {REASON_MAX} characters or fewer"})
    row.reason = text
    session.commit()
    return row


def minutes_record(session: Session, decision: ShortlistDecision) -> bool:
    """Return whether the session's approved minutes record exactly this shortlist decision.

    The decision written in the approved minutes document (method, places, candidates,
    shortlist and count transcript) must be the decision as it stands now.
    """
    minutes = session.scalar(select(Minutes).where(Minutes.session_id == decision.session_id))
    if minutes is None or not minutes.is_approved or decision.shortlist_ids is None:
        return False
    recorded = parse_canonical(minutes.document).get("decision")
    if not isinstance(recorded, dict):
        return False
    return (
        recorded.get("method") == decision.method
        and recorded.get("places") == decision.places
        and [c.get("id") for c in recorded.get("candidates", [])] == list(decision.candidate_ids)
        and [c.get("id") for c in recorded.get("shortlist", [])] == list(decision.shortlist_ids)
        and recorded.get("transcript") == decision.transcript
    )


def apply_to_ballot(
    session: Session, decision: ShortlistDecision, actor: User, *, seen: Sequence[int] | None = None
) -> list[Project]:
    """Make the shortlist the ballot's project list; the minutes recording it must be approved.

    `seen` is the ballot's project ids as the facilitator reviewed them: if the ballot changed
    since, nothing changes. One unit of work: if any project cannot be added or removed, the
    ballot stays as it was.
    """
    with unit_of_work(session):
        shortlisted = _ready_shortlist(session, decision)
        change = ballot_change(session, decision)
        refusal = change.refusal()
        if refusal is not None:
            raise DomainError(refusal)
        if seen is not None and sorted(seen) != sorted(p.id for p in change.now):
            raise DomainError("The ballot changed since you reviewed it: check the change again.")
        rnd = decision.session.round
        keep = set(decision.shortlist_ids or ())
        _remove_left_out(session, rnd, keep, actor)
        _add_shortlisted(session, rnd, shortlisted, actor)
    session.refresh(rnd)
    return [p for p in rnd.projects if p.proposal_id in keep]


def ballot_refusal(session: Session, decision: ShortlistDecision) -> str | None:
    """Return why the shortlist cannot go onto the ballot now, or None."""
    try:
        _ready_shortlist(session, decision)
    except DomainError as error:
        return error.message
    return ballot_change(session, decision).refusal()


def _ready_shortlist(session: Session, decision: ShortlistDecision) -> list[Proposal]:
    """Return the shortlisted proposals, or raise why they cannot go onto the ballot yet."""
    if decision.shortlist_ids is None:
        raise DomainError("Count the vote first.")
    if not minutes_record(session, decision):
        raise DomainError("The panel must approve the minutes that record this shortlist first.")
    found = (session.get(Proposal, i) for i in decision.shortlist_ids)
    shortlisted = [p for p in found if p is not None]
    problems = _ballot_problems(shortlisted)
    if problems:
        raise DomainError(" ".join(problems))
    return shortlisted


def _ballot_problems(shortlisted: list[Proposal]) -> list[str]:
    """Return why any shortlisted proposal cannot go onto the ballot."""
    return [
        f"{p.title} is not marked feasible." for p in shortlisted if p.feasibility != "feasible"
    ] + [
        f"{p.title} needs a payee: choose one on the review page."
        for p in shortlisted
        if p.needs_payee
    ]


def _remove_left_out(session: Session, rnd: Round, keep: set[int], actor: User) -> None:
    """Take off the ballot the projects whose proposals were not shortlisted."""
    for project in list(rnd.projects):
        if project.proposal_id is not None and project.proposal_id not in keep:
            left_out = session.get(Proposal, project.proposal_id)
            assert left_out is not None  # the foreign key holds it
            proposal_service.take_off_ballot(session, left_out, actor)


def _add_shortlisted(
    session: Session, rnd: Round, shortlisted: list[Proposal], actor: User
) -> None:
    """Put onto the ballot the shortlisted proposals not already on it."""
    on_ballot = {p.proposal_id for p in rnd.projects}
    for proposal in shortlisted:
        if proposal.id not in on_ballot:
            proposal_service.put_on_ballot(session, proposal, actor)


def reasons_for_proposal(session: Session, proposal: Proposal) -> list[ShortlistReason]:
    """Return the published reasons a proposal was not shortlisted."""
    return list(
        session.scalars(
            select(ShortlistReason)
            .where(ShortlistReason.proposal_id == proposal.id)
            .order_by(ShortlistReason.id)
        )
    )


def transcript_rows(session: Session, decision: ShortlistDecision) -> dict:
    """Return the transcript with proposal titles in place of ids, for pages and minutes."""
    transcript = decision.transcript or {}
    titles = _titles(session, decision.candidate_ids)

    def name(key: str) -> str:
        return titles.get(int(key), key)

    if transcript.get("method") == "threshold":
        return {
            "method": "threshold",
            "threshold": transcript["threshold"],
            "medians": [(name(k), v) for k, v in transcript["medians"].items()],
        }
    return {
        "method": transcript.get("method"),
        "method_words": method_for(decision.places).words,
        "places": transcript.get("places"),
        "ballots": transcript.get("ballots"),
        "set_aside_absent": transcript.get("set_aside_absent", 0),
        "quota": transcript.get("quota"),
        "seed": transcript.get("seed", ""),
        "winners": [name(w) for w in transcript.get("winners", [])],
        "rounds": [
            {
                "round": r["round"],
                "counts": [(name(k), v) for k, v in r["counts"].items()],
                "exhausted": r["exhausted"],
                "elected": [name(k) for k in r["elected"]],
                "eliminated": [name(k) for k in r["eliminated"]],
                "transfers": [(name(k), v) for k, v in r["transfers"].items()],
            }
            for r in transcript.get("rounds", [])
        ],
    }


def present_count(panel_session: PanelSession) -> int:
    """Return how many panel members attended."""
    return len(present_member_ids(panel_session))

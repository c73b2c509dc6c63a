"""Minutes generated from a closed session, approved by the members who attended, then fixed.

The minutes are a canonical JSON document (audits.canonical) of type ``decide-minutes/v1``:
the session, its agenda and documents, attendance, declared conflicts, score summaries and the
shortlist decision with its transcript and reasons. They can be generated again until every
member present has approved them; the last approval adds them to the round's minutes chain
(audits.minutes), whose head the results manifest records as ``minutes_head``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audits.canonical import canonical_json, parse_canonical, sha256_hex
from audits.minutes import MINUTES_TYPE, genesis, next_head
from decide.models import (
    ConflictOfInterest,
    Minutes,
    MinutesApproval,
    PanelSession,
    Round,
    User,
)
from decide.services.deliberation.scoring import shown, summaries
from decide.services.deliberation.sessions import member_labels, present_member_ids
from decide.services.deliberation.shortlist import decision_of
from decide.services.errors import DomainError, NotAllowed


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def minutes_of(session: Session, panel_session: PanelSession) -> Minutes | None:
    """Return the session's minutes, if generated."""
    return session.scalar(select(Minutes).where(Minutes.session_id == panel_session.id))


def _agenda_ids(panel_session: PanelSession) -> set[int]:
    return {i.proposal_id for i in panel_session.items if i.proposal_id is not None}


def _document(session: Session, panel_session: PanelSession) -> dict[str, Any]:
    rnd = panel_session.round
    conflicts = list(
        session.scalars(
            select(ConflictOfInterest)
            .where(
                ConflictOfInterest.round_id == rnd.id,
                ConflictOfInterest.proposal_id.in_(_agenda_ids(panel_session)),
            )
            .order_by(ConflictOfInterest.id)
        )
    )
    labels = member_labels(session, rnd, {c.user_id for c in conflicts})
    names = {seat.user_id: labels[seat.user_id] for seat in rnd.panel}
    present = present_member_ids(panel_session)
    decision = decision_of(session, panel_session)
    return {
        "type": MINUTES_TYPE,
        "round": str(rnd.id),
        "round_title": rnd.title,
        "session": {
            "id": panel_session.id,
            "title": panel_session.title,
            "starts_at": panel_session.starts_at.isoformat(timespec="minutes"),
            "place": panel_session.place,
            "online": bool(panel_session.online_link),
            "closed_at": panel_session.closed_at.isoformat(timespec="seconds")
            if panel_session.closed_at
            else None,
        },
        "agenda": [item.label for item in panel_session.items],
        "documents": [d.title for d in panel_session.documents],
        "attendance": {
            "present": sorted(names[i] for i in names if i in present),
            "absent": sorted(names[i] for i in names if i not in present),
        },
        "conflicts": [
            {"member": labels[c.user_id], "proposal": c.proposal.title, "reason": c.reason}
            for c in conflicts
        ],
        "scores": [
            {
                "proposal": s.proposal.title,
                "members": s.count,
                "median": None if s.median is None else shown(s.median),
                "spread": None if s.spread is None else shown(s.spread),
                "outliers": [[name, shown(v)] for name, v in s.outliers],
            }
            for s in summaries(session, panel_session)
        ],
        "decision": None
        if decision is None or decision.decided_at is None
        else _decision(decision),
    }


def _decision(decision: Any) -> dict[str, Any]:
    titles = {
        item.proposal_id: item.proposal.title for item in decision.session.items if item.proposal
    }
    return {
        "method": decision.method,
        "places": decision.places,
        "candidates": [{"id": i, "title": titles.get(i, "")} for i in decision.candidate_ids],
        "shortlist": [{"id": i, "title": titles.get(i, "")} for i in decision.shortlist_ids or []],
        "transcript": decision.transcript,
        "reasons": [
            {"proposal": titles.get(r.proposal_id, ""), "reason": r.reason}
            for r in sorted(decision.reasons, key=lambda r: r.proposal_id)
        ],
    }


def generate_minutes(session: Session, panel_session: PanelSession) -> Minutes:
    """Write (or write again) the minutes of a closed session from what it recorded."""
    if not panel_session.is_closed:
        raise DomainError("Close the session before writing its minutes.")
    minutes = minutes_of(session, panel_session)
    if minutes is not None and minutes.is_approved:
        raise DomainError("These minutes are approved: they can no longer change.")
    document = canonical_json(_document(session, panel_session))
    if minutes is None:
        minutes = Minutes(session_id=panel_session.id, round_id=panel_session.round_id)
        session.add(minutes)
    elif minutes.document != document:
        minutes.approvals.clear()  # approvals were of other words
    minutes.document = document
    minutes.digest = sha256_hex(document)
    session.commit()
    return minutes


def approve_minutes(session: Session, minutes: Minutes, member: User) -> Minutes:
    """Record a member's approval; the last one fixes the minutes and chains them."""
    panel_session = minutes.session
    present = present_member_ids(panel_session)
    if not panel_session.round.has_panel_member(member.id) or member.id not in present:
        raise NotAllowed("Only panel members who attended the session approve its minutes.")
    if minutes.is_approved:
        raise DomainError("These minutes are already approved.")
    if any(a.user_id == member.id for a in minutes.approvals):
        raise DomainError("You have already approved these minutes.")
    minutes.approvals.append(MinutesApproval(user_id=member.id, approved_at=_now()))
    if {a.user_id for a in minutes.approvals} >= present:
        _chain(session, minutes)
    session.commit()
    return minutes


def _chain(session: Session, minutes: Minutes) -> None:
    previous = session.scalar(
        select(Minutes)
        .where(Minutes.round_id == minutes.round_id, Minutes.sequence.is_not(None))
        .order_by(Minutes.sequence.desc())
        .limit(1)
    )
    prev_head = (
        bytes.fromhex(previous.head)
        if previous is not None and previous.head
        else genesis(str(minutes.round_id))
    )
    minutes.sequence = (previous.sequence or 0) + 1 if previous is not None else 1
    minutes.head = next_head(prev_head, minutes.sequence, minutes.document).hex()
    minutes.approved_at = _now()


def minutes_head(session: Session, rnd: Round) -> tuple[str, int]:
    """Return the round's minutes head (64 hex) and how many approved minutes it covers."""
    count = session.scalar(
        select(func.count()).where(Minutes.round_id == rnd.id, Minutes.sequence.is_not(None))
    )
    latest = session.scalar(
        select(Minutes.head)
        .where(Minutes.round_id == rnd.id, Minutes.sequence.is_not(None))
        .order_by(Minutes.sequence.desc())
        .limit(1)
    )
    return (latest or genesis(str(rnd.id)).hex()), int(count or 0)


def approved_documents(session: Session, rnd: Round) -> list[bytes]:
    """Return the round's approved minutes documents in chain order."""
    return list(
        session.scalars(
            select(Minutes.document)
            .where(Minutes.round_id == rnd.id, Minutes.sequence.is_not(None))
            .order_by(Minutes.sequence)
        )
    )


def read_document(minutes: Minutes) -> dict[str, Any]:
    """Return the minutes document as plain values."""
    return parse_canonical(minutes.document)  # type: ignore[no-any-return]


def manifest_fields(session: Session, rnd: Round) -> dict[str, Any]:
    """Return what the results manifest records of the panel's approved minutes ({} if none).

    ``minutes_head`` is the head of the round's minutes chain, ``minutes_count`` how many
    approved minutes it covers, and ``minutes_shortlist`` the codes of the ballot's projects
    that the last approved shortlist decision named (when there is one), so that anyone can
    compare the ballot with what the minutes record.
    """
    documents = approved_documents(session, rnd)
    if not documents:
        return {}
    fields: dict[str, Any] = {
        "minutes_head": minutes_head(session, rnd)[0],
        "minutes_count": len(documents),
    }
    shortlisted: set[int] | None = None
    for document in documents:
        decision = parse_canonical(document).get("decision")
        # Any recorded decision counts, even an empty shortlist: a ballot that came from a
        # shortlist always has the field, so the verifier compares it with the ballot.
        if isinstance(decision, dict) and "shortlist" in decision:
            shortlisted = {item["id"] for item in decision["shortlist"]}
    if shortlisted is not None:
        on_ballot = {p.proposal_id: p.code for p in rnd.projects}
        # A shortlisted proposal missing from the ballot is named too, so the verifier's
        # comparison with the ballot fails instead of passing over it.
        fields["minutes_shortlist"] = sorted(
            on_ballot.get(i) or f"proposal {i} (not on the ballot)" for i in shortlisted
        )
    return fields

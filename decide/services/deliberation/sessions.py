"""Scheduling panel sessions: agendas, documents, attendance, conflicts of interest, closing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.models import (
    AgendaItem,
    Attendance,
    ConflictOfInterest,
    Minutes,
    PanelBallot,
    PanelSession,
    Proposal,
    Round,
    SessionDocument,
    ShortlistDecision,
    User,
)
from decide.services.errors import DomainError, InvalidInput
from decide.services.rows import of_round

SESSION_PHASES = ("proposals", "deliberation")
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class SessionPlan:
    """What the facilitator plans for a session."""

    title: str
    starts_at: dt.datetime
    place: str = ""
    online_link: str = ""
    proposal_ids: Sequence[int] = ()
    topics: Sequence[str] = ()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _open_session(panel_session: PanelSession) -> None:
    if panel_session.is_closed:
        raise DomainError("This session is closed.")


def can_schedule(rnd: Round) -> bool:
    """Return True while the round's phase holds panel sessions."""
    return rnd.phase in SESSION_PHASES


def _aware(moment: dt.datetime) -> dt.datetime:
    """Read a time without a zone (as the form gives it) as UTC, like every time shown."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def schedule_session(session: Session, rnd: Round, plan: SessionPlan) -> PanelSession:
    """Schedule a session of the round's panel with its agenda; it must start in the future."""
    if can_schedule(rnd) and _aware(plan.starts_at) <= _now():
        raise InvalidInput(
            {"starts_at": "Choose a date and time in the future: this one has already passed"}
        )
    return record_session(session, rnd, plan)


def record_session(session: Session, rnd: Round, plan: SessionPlan) -> PanelSession:
    """Add a session of the round's panel whatever its date: one already held (the demo's
    history, or sessions entered afterwards). People scheduling use `schedule_session`."""
    problems: dict[str, str] = {}
    if not can_schedule(rnd):
        raise DomainError("Sessions are held while proposals are open or under deliberation.")
    if not plan.place.strip() and not plan.online_link.strip():
        problems["place"] = "Enter a place, an online link, or both"
    if plan.online_link and not plan.online_link.startswith("https://"):
        problems["online_link"] = "Enter an online link starting with https://"
    proposals = {
        p.id: p
        for p in session.scalars(
            select(Proposal).where(Proposal.id.in_(plan.proposal_ids), Proposal.round_id == rnd.id)
        )
    }
    if len(proposals) != len(set(plan.proposal_ids)):
        problems["proposal_ids"] = "Choose proposals of this round"
    topics = [t.strip() for t in plan.topics if t.strip()]
    if not plan.proposal_ids and not topics:
        problems["proposal_ids"] = "Put at least one proposal or topic on the agenda"
    if problems:
        raise InvalidInput(problems)
    panel_session = PanelSession(
        round=rnd,
        title=plan.title.strip(),
        starts_at=plan.starts_at,
        place=plan.place.strip(),
        online_link=plan.online_link.strip(),
    )
    ordered = [proposals[i] for i in dict.fromkeys(plan.proposal_ids)]
    panel_session.items = [
        AgendaItem(position=n, proposal=p) for n, p in enumerate(ordered, start=1)
    ] + [AgendaItem(position=len(ordered) + n, topic=t) for n, t in enumerate(topics, start=1)]
    session.add(panel_session)
    session.commit()
    return panel_session


def add_document(
    session: Session,
    panel_session: PanelSession,
    *,
    title: str,
    url: str = "",
    filename: str = "",
    content_type: str = "",
    content: bytes | None = None,
) -> SessionDocument:
    """Add a document to a session: a link, or an uploaded PDF, text or image file.

    Refused once the session's minutes are approved: they list its documents, for good.
    """
    if minutes_approved(session, panel_session):
        raise DomainError(
            "The minutes of this session are approved and list its documents: "
            "add the document to a later session instead."
        )
    if not title.strip():
        raise InvalidInput({"title": "Enter the document's title"})
    if content is None:
        if not url.startswith("https://"):
            raise InvalidInput({"url": "Enter a link starting with https://, or upload a file"})
    else:
        if content_type not in DOCUMENT_TYPES:
            raise InvalidInput({"upload": "Upload a PDF, a text file, or a PNG or JPEG image"})
        if len(content) > DOCUMENT_MAX_BYTES:
            raise InvalidInput({"upload": "Upload a file of 5 MB or less"})
        if content_type == "application/pdf" and not content.startswith(b"%PDF-"):
            raise InvalidInput({"upload": "This file is not a PDF"})
        url = ""
    document = SessionDocument(
        session=panel_session,
        title=title.strip(),
        url=url,
        filename=filename[-200:],
        content_type=content_type if content is not None else "",
        content=content,
    )
    session.add(document)
    session.commit()
    return document


def minutes_approved(session: Session, panel_session: PanelSession) -> bool:
    """Return True once the session's minutes are approved (and so can no longer change)."""
    found = session.scalar(select(Minutes).where(Minutes.session_id == panel_session.id))
    return found is not None and found.is_approved


def record_attendance(
    session: Session, panel_session: PanelSession, present_user_ids: Sequence[int]
) -> list[Attendance]:
    """Record which panel members attended (every member gets a row: present or absent)."""
    _open_session(panel_session)
    members = {seat.user_id for seat in panel_session.round.panel}
    if not set(present_user_ids) <= members:
        raise InvalidInput({"present": "Choose panel members of this round"})
    rows = {row.user_id: row for row in panel_session.attendance}
    changed = {u for u in _counted_voter_ids(session, panel_session) if u in rows} & {
        u for u, row in rows.items() if row.present != (u in present_user_ids)
    }
    if changed:
        raise InvalidInput(
            {
                "present": "The ranked vote is counted with the attendance recorded then: "
                "the attendance of members who voted can no longer change"
            }
        )
    for user_id in sorted(members):
        row = rows.get(user_id)
        if row is None:
            row = Attendance(session=panel_session, user_id=user_id)
            session.add(row)
        row.present = user_id in present_user_ids
    session.commit()
    return list(panel_session.attendance)


def _counted_voter_ids(session: Session, panel_session: PanelSession) -> set[int]:
    """Return who ranked in the session's ranked vote once it is counted (else nobody)."""
    decision = session.scalar(
        select(ShortlistDecision).where(
            ShortlistDecision.session_id == panel_session.id,
            ShortlistDecision.method == "ranked",
            ShortlistDecision.decided_at.is_not(None),
        )
    )
    if decision is None:
        return set()
    query = select(PanelBallot.user_id).where(PanelBallot.decision_id == decision.id)
    return set(session.scalars(query))


def has_started(panel_session: PanelSession) -> bool:
    """Return whether the session's start time has come (attendance may be taken before)."""
    return _aware(panel_session.starts_at) <= _now()


def close_session(session: Session, panel_session: PanelSession) -> PanelSession:
    """Close the session: from now on its scores are shown, and nobody scores any more."""
    _open_session(panel_session)
    if not has_started(panel_session):
        starts = _aware(panel_session.starts_at)
        raise DomainError(
            f"This session starts on {starts.day} {starts:%B %Y at %H:%M} UTC: "
            "close it once it has been held."
        )
    if not panel_session.attendance:
        raise DomainError("Record who attended before closing the session.")
    panel_session.closed_at = _now()
    session.commit()
    return panel_session


def declare_conflict(
    session: Session, rnd: Round, member: User, proposal_id: int, reason: str
) -> ConflictOfInterest:
    """Record a panel member's conflict of interest with a proposal of the round."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.round_id != rnd.id:
        raise InvalidInput({"proposal_id": "Choose a proposal of this round"})
    if not reason.strip():
        raise InvalidInput({"reason": "Say what the conflict is, for example a role you hold"})
    if conflicted_proposal_ids(session, rnd, member) & {proposal_id}:
        raise DomainError("You have already declared a conflict with this proposal.")
    conflict = ConflictOfInterest(
        round_id=rnd.id, proposal_id=proposal_id, user_id=member.id, reason=reason.strip()
    )
    session.add(conflict)
    session.commit()
    return conflict


def conflicted_proposal_ids(session: Session, rnd: Round, member: User) -> set[int]:
    """Return the ids of the proposals the member declared a conflict with."""
    return set(
        session.scalars(
            select(ConflictOfInterest.proposal_id).where(
                ConflictOfInterest.round_id == rnd.id, ConflictOfInterest.user_id == member.id
            )
        )
    )


def conflicted_pairs(session: Session, rnd: Round) -> set[tuple[int, int]]:
    """Return every (member id, proposal id) with a declared conflict in the round.

    The rule: a conflict counts whenever it is declared. A score or ranking the member gave
    the proposal before declaring it is left out of every summary and count from then on.
    """
    return {
        (user_id, proposal_id)
        for user_id, proposal_id in session.execute(
            select(ConflictOfInterest.user_id, ConflictOfInterest.proposal_id).where(
                ConflictOfInterest.round_id == rnd.id
            )
        )
    }


def conflicts_of_round(session: Session, rnd: Round) -> list[ConflictOfInterest]:
    """Return every conflict declared in the round, by proposal then member."""
    return of_round(
        session,
        ConflictOfInterest,
        rnd.id,
        ConflictOfInterest.proposal_id,
        ConflictOfInterest.user_id,
    )


def sessions_of_round(session: Session, rnd: Round) -> list[PanelSession]:
    """Return the round's sessions in the order they are held."""
    return of_round(session, PanelSession, rnd.id, PanelSession.starts_at, PanelSession.id)


def member_labels(
    session: Session, rnd: Round, user_ids: Sequence[int] | set[int] = ()
) -> dict[int, str]:
    """Return how pages and minutes name each panel member (and each of `user_ids`).

    Members are told apart by account, never by name: when two share a display name, each gets
    a member number after it ("Sam Lee (member 1)", "Sam Lee (member 2)"), numbered in the
    order their accounts were made.
    """
    ids = {seat.user_id for seat in rnd.panel} | set(user_ids)
    users = sorted(session.scalars(select(User).where(User.id.in_(ids))), key=lambda u: u.id)
    by_name: dict[str, list[User]] = {}
    for user in users:
        by_name.setdefault(user.display_name.strip().casefold(), []).append(user)
    labels = {}
    for same in by_name.values():
        for n, user in enumerate(same, start=1):
            labels[user.id] = (
                user.display_name if len(same) == 1 else f"{user.display_name} (member {n})"
            )
    return labels


def present_member_ids(panel_session: PanelSession) -> set[int]:
    """Return the ids of the panel members recorded as present."""
    return {row.user_id for row in panel_session.attendance if row.present}

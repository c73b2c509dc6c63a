"""A panel member's tasks: what waits for them, across every round they serve on.

Each kind of task has a source, a function `(session, user) -> list[Task]`, listed in
`SOURCES` in the order the page shows them. The deliberation tasks, in the rounds where the
member sits on the panel:

- an upcoming session: one the facilitator has not closed yet (it may be under way);
- a proposal waiting for the member's score: on the agenda of a session that is not closed,
  under a rubric, not scored by the member yet, and not one they declared a conflict on;
- a shortlist vote waiting for the member's ranking: opened in a session that is not closed,
  not counted yet, the member is recorded present and has not ranked;
- minutes waiting for the member's approval: written, not yet approved by everyone present,
  the member was present and has not approved them.

Signing tasks:

- a manifest waits for a member's signature while its round is closed (written, not yet
  published) and the member's key is one of the manifest's keys, until they have signed it;
- a ledger checkpoint waits for a member's signature until they have signed it or it has
  its k signatures (then a new PDF edition carries it, and more are not needed).

Reading only: nothing here writes or commits.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.models import (
    CosignSignature,
    LedgerCheckpoint,
    Minutes,
    PanelMember,
    PanelSession,
    Round,
    SigningKey,
    User,
)
from decide.models.publication import RoundManifest
from decide.services.deliberation import scoring, sessions, shortlist
from decide.services.signing import CHECKPOINT_TYPE, MANIFEST_TYPE


class TaskKind(enum.Enum):
    """What a task asks of the member; the web layer maps each to its page."""

    SESSION = "session"
    SCORE = "score"
    RANK = "rank"
    MINUTES = "minutes"
    SIGN_MANIFEST = "sign-manifest"
    SIGN_CHECKPOINT = "sign-checkpoint"


@dataclass(frozen=True)
class Task:
    """One thing waiting for the member, in one round."""

    kind: TaskKind
    round_id: int
    round_title: str
    title: str
    detail: str = ""
    target_id: int | None = None  # the checkpoint, session, proposal or minutes it is about
    session_id: int | None = None  # the panel session a score or minutes task belongs to


@dataclass(frozen=True)
class TaskGroup:
    """The tasks of one kind, with the heading the page gives them."""

    key: str
    heading: str
    empty: str
    tasks: tuple[Task, ...]

    @property
    def count(self) -> int:
        """Return how many tasks wait in this group."""
        return len(self.tasks)


@dataclass(frozen=True)
class Source:
    """Where one group of tasks comes from."""

    key: str
    heading: str
    empty: str
    find: Callable[[Session, User], list[Task]]


def _keys(session: Session, user: User) -> list[SigningKey]:
    return list(
        session.scalars(
            select(SigningKey).where(SigningKey.user_id == user.id).order_by(SigningKey.round_id)
        )
    )


def _signed(session: Session, key: SigningKey, document_type: str) -> set[str]:
    return set(
        session.scalars(
            select(CosignSignature.digest).where(
                CosignSignature.key_id == key.id, CosignSignature.document_type == document_type
            )
        )
    )


def _frozen(manifest: RoundManifest, key: SigningKey) -> bool:
    listed = json.loads(manifest.keys_json).get("keys", [])
    return any(k.get("public_key") == key.public_key for k in listed)


def _digest_words(digest: str) -> str:
    return f"Digest {digest[:16]}…"


def manifests_to_sign(session: Session, user: User) -> list[Task]:
    """Return the manifests waiting for this user's signature."""
    tasks = []
    for key in _keys(session, user):
        manifest = session.get(RoundManifest, key.round_id)
        rnd = session.get(Round, key.round_id)
        if manifest is None or rnd is None or not rnd.phase.awaiting_publication:
            continue
        if not _frozen(manifest, key):
            continue
        if manifest.digest in _signed(session, key, MANIFEST_TYPE):
            continue
        tasks.append(Task(TaskKind.SIGN_MANIFEST, rnd.id, rnd.title,
                          f"Sign the results manifest of {rnd.title}",
                          _digest_words(manifest.digest)))  # fmt: skip
    return tasks


def checkpoints_to_sign(session: Session, user: User) -> list[Task]:
    """Return the ledger checkpoints waiting for this user's signature."""
    tasks = []
    for key in _keys(session, user):
        manifest = session.get(RoundManifest, key.round_id)
        if manifest is None or not _frozen(manifest, key):
            continue
        signed = _signed(session, key, CHECKPOINT_TYPE)
        rows = session.scalars(
            select(LedgerCheckpoint)
            .where(LedgerCheckpoint.round_id == key.round_id, LedgerCheckpoint.signed_at.is_(None))
            .order_by(LedgerCheckpoint.id)
        )
        for cp in rows:
            if cp.digest in signed:
                continue
            rnd = session.get(Round, key.round_id)
            assert rnd is not None
            payments = "payment" if cp.count == 1 else "payments"
            tasks.append(Task(TaskKind.SIGN_CHECKPOINT, rnd.id, rnd.title,
                              f"Sign the ledger checkpoint of {cp.count} {payments} in {rnd.title}",
                              _digest_words(cp.digest), cp.id))  # fmt: skip
    return tasks


def _open_sessions(session: Session, user: User) -> list[PanelSession]:
    rounds = select(PanelMember.round_id).where(PanelMember.user_id == user.id)
    return list(
        session.scalars(
            select(PanelSession)
            .where(PanelSession.round_id.in_(rounds), PanelSession.closed_at.is_(None))
            .order_by(PanelSession.starts_at, PanelSession.id)
        )
    )


def _when(panel_session: PanelSession) -> str:
    starts = panel_session.starts_at
    where = panel_session.place or ("online" if panel_session.online_link else "")
    day = f"{starts.day} {starts:%B %Y}"  # "8 December 2026", as the other pages write dates
    return f"{day}, {starts:%H:%M}" + (f", {where}" if where else "")


def upcoming_sessions(session: Session, user: User) -> list[Task]:
    """Return the sessions of the member's panels that are not closed yet, soonest first."""
    return [
        Task(TaskKind.SESSION, s.round_id, s.round.title, s.title, _when(s), s.id, s.id)
        for s in _open_sessions(session, user)
    ]


def proposals_to_score(session: Session, user: User) -> list[Task]:
    """Return the proposals on open sessions' agendas that the member has still to score."""
    tasks = []
    for s in _open_sessions(session, user):
        if not scoring.rubric_of(session, s.round):
            continue
        scored = scoring.own_scores(session, s, user)
        conflicted = sessions.conflicted_proposal_ids(session, s.round, user)
        for item in s.items:
            p = item.proposal
            if p is None or p.id in scored or p.id in conflicted or p.withdrawn:
                continue
            tasks.append(Task(TaskKind.SCORE, s.round_id, s.round.title, f"Score {p.title}",
                              f"In {s.title}", p.id, s.id))  # fmt: skip
    return tasks


def votes_to_cast(session: Session, user: User) -> list[Task]:
    """Return the panel's open shortlist votes (ranked, not counted) the member has not cast."""
    tasks = []
    for s in _open_sessions(session, user):
        decision = shortlist.decision_of(session, s)
        if decision is None or decision.method != "ranked" or decision.decided_at is not None:
            continue
        if user.id in shortlist.voted_member_ids(session, decision):
            continue
        if user.id not in sessions.present_member_ids(s):  # only those present vote
            continue
        places = "place" if decision.places == 1 else "places"
        tasks.append(Task(TaskKind.RANK, s.round_id, s.round.title,
                          f"Rank the proposals for the shortlist of {s.title}",
                          f"{decision.places} {places} to fill", decision.id, s.id))  # fmt: skip
    return tasks


def minutes_to_approve(session: Session, user: User) -> list[Task]:
    """Return the minutes of sessions the member attended that wait for their approval."""
    rounds = select(PanelMember.round_id).where(PanelMember.user_id == user.id)
    rows = session.scalars(
        select(Minutes)
        .where(Minutes.round_id.in_(rounds), Minutes.approved_at.is_(None))
        .order_by(Minutes.id)
    )
    tasks = []
    for m in rows:
        s = m.session
        if user.id not in sessions.present_member_ids(s):
            continue
        if any(a.user_id == user.id for a in m.approvals):
            continue
        tasks.append(Task(TaskKind.MINUTES, s.round_id, s.round.title,
                          f"Approve the minutes of {s.title}", _when(s), m.id, s.id))  # fmt: skip
    return tasks


SOURCES: Sequence[Source] = (
    Source("sessions", "Upcoming sessions", "No session of your panel is coming up.",
           upcoming_sessions),
    Source("scores", "Proposals waiting for your score", "No proposal waits for your score.",
           proposals_to_score),
    Source("votes", "Shortlist votes waiting for your ranking",
           "No shortlist vote waits for your ranking.", votes_to_cast),
    Source("minutes", "Minutes to approve", "No minutes wait for your approval.",
           minutes_to_approve),
    Source("manifests", "Manifests to sign", "No manifest waits for your signature.",
           manifests_to_sign),
    Source("checkpoints", "Ledger checkpoints to sign",
           "No ledger checkpoint waits for your signature.", checkpoints_to_sign),
)  # fmt: skip


def has_workspace(session: Session, user: User) -> bool:
    """Return True when the user sits on a panel or holds a signing key (the nav shows tasks)."""
    if getattr(user, "id", None) is None:
        return False
    on_panel = session.scalar(select(PanelMember.id).where(PanelMember.user_id == user.id))
    has_key = session.scalar(select(SigningKey.id).where(SigningKey.user_id == user.id))
    return on_panel is not None or has_key is not None


def tasks_for(session: Session, user: User) -> list[TaskGroup]:
    """Return the user's tasks, one group per source, in page order."""
    if getattr(user, "id", None) is None:
        return []
    return [TaskGroup(s.key, s.heading, s.empty, tuple(s.find(session, user))) for s in SOURCES]


def task_count(groups: Sequence[TaskGroup]) -> int:
    """Return how many tasks wait in all groups."""
    return sum(g.count for g in groups)

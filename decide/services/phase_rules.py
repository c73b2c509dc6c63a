"""What stands in the way of a phase change: blockers, the guards, and the effects.

A guard returns None when the change may go ahead, else a message saying what is missing: a
plain string, or a PhaseBlocker that also names the place where it can be fixed. An effect
runs inside the same transaction after the phase is set (it may raise DomainError to stop the
change). Which guards and effects belong to which change is wired in
decide.services.composition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballots.wording import plural
from decide.models import (
    Proposal,
    Round,
    User,
)
from decide.services import register_setup
from decide.services.errors import DomainError
from decide.services.rounds import RoundSettings, settings_problems


class PhaseChangeRefused(DomainError):
    """A phase change whose guard failed, or that is not a permitted step."""


# Places where a blocked phase change can be fixed; the web layer turns each into a link.
FIX_PLACES = ("settings", "panel", "proposals", "review", "results", "publication", "eligibility")


@dataclass(frozen=True)
class PhaseBlocker:
    """Why a phase change cannot happen yet, and the place (one of FIX_PLACES) to fix it."""

    message: str
    fix: str | None = None

    def __str__(self) -> str:
        return self.message


Guard = Callable[[Session, Round], "str | PhaseBlocker | None"]
Effect = Callable[[Session, Round, User], None]


def needs_area(session: Session, rnd: Round) -> PhaseBlocker | None:
    """Proposals need at least one area."""
    return None if rnd.areas else PhaseBlocker("Proposals need at least one area.", "settings")


def needs_proposal(session: Session, rnd: Round) -> PhaseBlocker | None:
    """Deliberation needs at least one proposal."""
    count = session.scalar(
        select(func.count(Proposal.id)).where(
            Proposal.round_id == rnd.id, Proposal.withdrawn.is_(False)
        )
    )
    return None if count else PhaseBlocker("Deliberation needs at least one proposal.", "proposals")


def needs_project(session: Session, rnd: Round) -> PhaseBlocker | None:
    """Voting needs at least one accepted project."""
    live = [p for p in rnd.projects if not p.withdrawn]
    return None if live else PhaseBlocker("Voting needs at least one accepted project.", "review")


def needs_payees(session: Session, rnd: Round) -> PhaseBlocker | None:
    """Voting needs a payee for every project on the ballot."""
    # The manifest names each project's organisation and the ledger pays only that one, so a
    # project without one could never be paid once the results are signed.
    unpaid = [p for p in rnd.projects if not p.withdrawn and p.organisation_id is None]
    if not unpaid:
        return None
    names = ", ".join(f"{p.code} “{p.title}”" for p in unpaid)
    return PhaseBlocker(
        f"Voting needs a payee for every project on the ballot; {names} "
        f"{'has' if len(unpaid) == 1 else 'have'} none.",
        "review",
    )


def ballot_rules_complete(session: Session, rnd: Round) -> PhaseBlocker | None:
    """Voting needs complete ballot rules."""
    problems = settings_problems(RoundSettings.of(rnd))
    if problems:
        message = "Voting needs complete ballot rules: " + next(iter(problems.values())) + "."
        return PhaseBlocker(message, "settings")
    return None


def self_declared_confirmed(session: Session, rnd: Round) -> PhaseBlocker | None:
    """A self-declared round needs its warning confirmed before voting."""
    problem = register_setup.self_declared_problem(session, rnd)
    return PhaseBlocker(problem, "eligibility") if problem else None


def roll_uploaded_if_ticked(session: Session, rnd: Round) -> PhaseBlocker | None:
    """A round with the roll route ticked needs its roll before voting."""
    # Whether a round has a roll is fixed when voting opens (a roll added later would let
    # people who voted by account or code vote again as their roll entry).
    problem = register_setup.empty_roll_problem(session, rnd)
    return PhaseBlocker(problem, "eligibility") if problem else None


def needs_panel(session: Session, rnd: Round) -> PhaseBlocker | None:
    """Voting needs a panel to sign the results."""
    # Publishing needs a panel member's signature (never facilitators alone), so a round
    # without a panel could collect votes whose results can never be published.
    if rnd.panel:
        return None
    return PhaseBlocker(
        f"Voting needs a panel to sign the results: add at least one panel member "
        f"(the results need {plural(rnd.signature_threshold, 'signature')}).",
        "panel",
    )


def threshold_explained(session: Session, rnd: Round) -> PhaseBlocker | None:
    """A lone signer needs a stated reason before voting."""
    # The threshold locks when voting opens, and a lone signer must be a stated choice: the
    # reason is printed on the results (issue 13). A draft may leave it for later.
    if rnd.signature_threshold == 1 and not (rnd.threshold_reason or "").strip():
        return PhaseBlocker(
            "Voting needs a reason why one panel signature is enough to publish, "
            "or a threshold of 2 or more.",
            "settings",
        )
    return None


def stamp_voting_opened(session: Session, rnd: Round, actor: User) -> None:
    """Record the moment voting opened (an effect)."""
    rnd.voting_opened_at = dt.datetime.now(dt.UTC)
    # The timetable shows the real day voting opened, not "to be announced".
    if rnd.voting_open is None or rnd.voting_open > rnd.voting_opened_at.date():
        rnd.voting_open = rnd.voting_opened_at.date()


@dataclass
class Transition:
    """The guards and effects of one permitted phase change."""

    guards: list[Guard] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

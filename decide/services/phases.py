"""Phase changes through one guarded function: options, blockers, and the change itself."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from decide.models import (
    PHASE_LABELS,
    PHASES,
    Round,
    RoundLocked,
    User,
)
from decide.services.composition import TRANSITIONS
from decide.services.errors import DomainError
from decide.services.phase_rules import PhaseBlocker, PhaseChangeRefused


def next_phases(rnd: Round) -> list[str]:
    """Return the phases this round may move to, forwards first."""
    options = [to for (frm, to) in TRANSITIONS if frm == rnd.phase]
    return sorted(options, key=lambda p: (PHASES.index(p) < PHASES.index(rnd.phase), p))


def phase_blockers(session: Session, rnd: Round, to_phase: str) -> list[PhaseBlocker]:
    """Return what stops the round moving to `to_phase` now (empty when it can)."""
    transition = TRANSITIONS.get((rnd.phase, to_phase))
    if transition is None:
        label = PHASE_LABELS.get(to_phase, to_phase)
        return [PhaseBlocker(f"A round in “{rnd.phase_label}” cannot move to “{label}”.")]
    found = [g(session, rnd) for g in transition.guards]
    return [b if isinstance(b, PhaseBlocker) else PhaseBlocker(str(b)) for b in found if b]


def phase_problems(session: Session, rnd: Round, to_phase: str) -> list[str]:
    """Return why the round cannot move to `to_phase` now (empty when it can)."""
    return [b.message for b in phase_blockers(session, rnd, to_phase)]


@dataclass(frozen=True)
class PhaseOption:
    """A phase the round may move to next, and what stands in the way now."""

    to_phase: str
    label: str
    forward: bool
    blockers: tuple[PhaseBlocker, ...]

    @property
    def allowed(self) -> bool:
        """Return True when the change may go ahead now."""
        return not self.blockers


def phase_options(session: Session, rnd: Round) -> list[PhaseOption]:
    """Return each phase the round may move to, forwards first, with its blockers."""
    here = PHASES.index(rnd.phase)
    return [
        PhaseOption(
            to_phase=p,
            label=PHASE_LABELS.get(p, p),
            forward=PHASES.index(p) > here,
            blockers=tuple(phase_blockers(session, rnd, p)),
        )
        for p in next_phases(rnd)
    ]


def change_phase(session: Session, rnd: Round, to_phase: str, actor: User) -> Round:
    """Move the round to `to_phase` when its guards pass, run the effects, and commit."""
    problems = phase_problems(session, rnd, to_phase)
    if problems:
        raise PhaseChangeRefused(" ".join(problems))
    transition = TRANSITIONS[(rnd.phase, to_phase)]
    try:
        rnd.phase = to_phase
        for effect in transition.effects:
            effect(session, rnd, actor)
        session.commit()
    except (DomainError, RoundLocked) as exc:
        session.rollback()
        raise PhaseChangeRefused(str(exc)) from None
    except Exception:
        session.rollback()
        raise
    return rnd

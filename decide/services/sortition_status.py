"""Where a round's sortition stands, for the pages that offer only what can still be done: is
the panel drawn, can the lottery be computed yet, may the extra questions still change."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from decide.models import Round, SortitionQuota, SortitionSettings, Volunteer


def _settings(session: Session, rnd: Round) -> SortitionSettings | None:
    return session.scalar(select(SortitionSettings).where(SortitionSettings.round_id == rnd.id))


def panel_drawn(session: Session, rnd: Round) -> bool:
    """Return True once the round's panel has been drawn by lot."""
    found = _settings(session, rnd)
    return found is not None and found.drawn_at is not None


def volunteer_count(session: Session, rnd: Round) -> int:
    """Return how many people have registered interest in the round's panel."""
    query = select(func.count()).select_from(Volunteer).where(Volunteer.round_id == rnd.id)
    return session.scalar(query) or 0


def questions_locked(session: Session, rnd: Round) -> bool:
    """Return True once anyone has registered: the extra questions stay as they answered them.

    Someone who registered could not answer a question added later, and the draw would have to
    guess their answer; so the questions are fixed from the first registration.
    """
    return volunteer_count(session, rnd) > 0


def lottery_blocker(session: Session, rnd: Round) -> str | None:
    """Say in plain words why the lottery cannot be computed yet, or None when it can."""
    if volunteer_count(session, rnd) == 0:
        return "Nobody has registered interest yet: the lottery needs a pool to draw from."
    quota = select(SortitionQuota.id).where(SortitionQuota.round_id == rnd.id).limit(1)
    if session.scalar(quota) is None:
        return "Set at least one quota first: the lottery draws panels that meet the quotas."
    return None


__all__ = ["lottery_blocker", "panel_drawn", "questions_locked", "volunteer_count"]

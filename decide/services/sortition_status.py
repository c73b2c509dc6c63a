"""Where a round's sortition stands, for the pages that offer only what can still be done: is
the panel drawn, can the lottery be computed yet, may the extra questions still change; and
the pool's lock, which every change to the pool or its quotas takes."""

from __future__ import annotations

import datetime as dt

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


# A computation started this long ago and never stored was abandoned (its worker was killed):
# the pool counts as open again, and the lottery can be computed again.
LOTTERY_ABANDONED = dt.timedelta(minutes=15)


def lock_pool(session: Session, rnd: Round) -> SortitionSettings | None:
    """Take the round's pool lock until the transaction ends, and read its settings afresh.

    Registering, withdrawing, setting the panel size or quotas, and starting or storing the
    lottery all take it first, so whether the pool is open stays true until they commit.
    SQLite: BEGIN IMMEDIATE (one writer at a time). PostgreSQL: the round's row FOR NO KEY
    UPDATE, which still lets other rows that refer to the round be written.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        session.execute(select(Round.id).where(Round.id == rnd.id).with_for_update(key_share=True))
    query = select(SortitionSettings).where(SortitionSettings.round_id == rnd.id)
    return session.scalar(query.execution_options(populate_existing=True))


def lottery_running(found: SortitionSettings | None, now: dt.datetime) -> bool:
    """Return True while the lottery is being computed: the pool is closed until it is stored."""
    if found is None or found.lottery_at is not None or found.lottery_started_at is None:
        return False
    return now - as_utc(found.lottery_started_at) < LOTTERY_ABANDONED


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Return a stored time in UTC (SQLite gives times back without their zone; all are UTC)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


__all__ = [
    "LOTTERY_ABANDONED",
    "as_utc",
    "lock_pool",
    "lottery_blocker",
    "lottery_running",
    "panel_drawn",
    "questions_locked",
    "volunteer_count",
]

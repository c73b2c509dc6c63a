"""Keep the dashboard's facts and the open-data files until what they depend on changes.

The facts read every published ballot file and the ledger: far too much for each page view.
They change only at a few events: a round's results published (a manifest written, a phase
changed), a ledger payment, an area's population or decile edited, a proposal or project
changed, and the delivery records of issue 16 (milestones, impact figures, updates, stories).
`version(session)` reads one row of counts and latest ids or times over exactly those tables
(each an index or a small table), so a view asks "has anything changed?" with one cheap query
and rebuilds only when the answer is yes.

The store is per process: every worker keeps its own copy, all rebuilt from the same database,
so they agree. A rebuild happens at most once per change per worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from decide.models import (
    Area,
    ImpactFigure,
    LedgerPayment,
    Milestone,
    OutcomeMeasure,
    ProgressUpdate,
    Project,
    Proposal,
    ProposalVersion,
    Round,
    RoundManifest,
    Story,
)
from decide.services.learning import Facts, facts, public_phases

__all__ = ["cached", "clear", "current_facts", "version"]

T = TypeVar("T")

_lock = threading.Lock()
_store: dict[Hashable, tuple[tuple[str, ...], Any]] = {}


def version(session: Session) -> tuple[str, ...]:
    """Return a value that changes whenever a figure of the dashboard or open data may change."""
    queries = [
        select(func.count()).select_from(RoundManifest),
        select(func.max(RoundManifest.created_at)),
        select(func.count()).select_from(LedgerPayment),
        select(func.max(LedgerPayment.id)),
        select(func.max(ProposalVersion.id)),
        select(func.count()).select_from(Proposal),
        select(func.max(Proposal.updated_at)),
        select(func.count()).select_from(Project),
        select(func.max(Project.id)),
        select(func.sum(Area.population * 11 + Area.deprivation_decile)),
        select(func.count()).select_from(Area),
        select(func.max(Round.id)),
        select(func.count()).select_from(Round).where(Round.phase.in_(public_phases())),
        # Delivery (issue 16): a milestone's status and confirmation change in place.
        select(func.count()).select_from(Milestone),
        select(func.sum(Milestone.id * func.length(Milestone.status))),
        select(func.max(Milestone.confirmed_at)),
        select(func.max(ImpactFigure.id)),
        select(func.count()).select_from(ImpactFigure),
        select(func.max(OutcomeMeasure.id)),
        select(func.max(ProgressUpdate.id)),
        select(func.max(Story.id)),
        select(func.count()).select_from(Story).where(Story.withdrawn_at.is_not(None)),
    ]
    row = session.execute(select(*(q.scalar_subquery() for q in queries))).one()
    return tuple(str(v) for v in row)


def cached(session: Session, key: Hashable, build: Callable[[], T]) -> T:
    """Return the value kept under `key` if nothing changed since it was built, else build it."""
    now = version(session)
    with _lock:
        hit = _store.get(key)
    if hit is not None and hit[0] == now:
        return hit[1]  # type: ignore[no-any-return]
    value = build()
    with _lock:
        _store[key] = (now, value)
    return value


def clear() -> None:
    """Forget every kept value (tests that rebuild the database between cases)."""
    with _lock:
        _store.clear()


def current_facts(session: Session) -> Facts:
    """Return the dashboard's facts, rebuilt only when the tables they read have changed."""
    return cached(session, "facts", lambda: facts(session))

"""Keep the dashboard's facts and the open-data files until what they depend on changes.

The facts read every published ballot file and the ledger: far too much for each page view.
They change only at a few events: a round's results published, a ledger payment, an area's
population or decile edited, a proposal or project changed, a milestone confirmed, an impact
figure or story reported. Each of those writes bumps one counter in the same transaction
(`decide.models.learning`), so a view asks "has anything changed?" with one primary-key read
and rebuilds only when the answer is yes.

The store is per process and bounded: it keeps the most recently used `MAX_ENTRIES` values
(a visitor trying every filter cannot grow it without end). Every worker keeps its own
copy, all rebuilt from the same database, so they agree.
A rebuild happens at most once per change per worker.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.models import LearningVersion
from decide.services.learning import Facts, facts

__all__ = ["MAX_ENTRIES", "cached", "clear", "current_facts", "size", "version"]

T = TypeVar("T")

_lock = threading.Lock()
MAX_ENTRIES = 256
_store: OrderedDict[Hashable, tuple[tuple[str, ...], Any]] = OrderedDict()


def version(session: Session) -> tuple[str, ...]:
    """Return the counter that moves whenever a figure of the dashboard or open data may change."""
    counter = session.scalar(select(LearningVersion.counter).where(LearningVersion.id == 1))
    return (str(counter or 0),)


def cached(
    session: Session,
    key: Hashable,
    build: Callable[[], T],
    keep: Callable[[T], bool] = lambda value: True,
) -> T:
    """Return the value kept under `key` if nothing changed since it was built, else build it.

    A built value is kept only when `keep(value)` says so (a page for a mistyped address is
    not worth keeping).
    """
    now = version(session)
    with _lock:
        hit = _store.get(key)
        if hit is not None:
            _store.move_to_end(key)
    if hit is not None and hit[0] == now:
        return hit[1]  # type: ignore[no-any-return]
    value = build()
    if keep(value):
        with _lock:
            _store[key] = (now, value)
            _store.move_to_end(key)
            while len(_store) > MAX_ENTRIES:
                _store.popitem(last=False)  # the least recently used
    return value


def size() -> int:
    """Return how many values are kept."""
    with _lock:
        return len(_store)


def clear() -> None:
    """Forget every kept value (tests that rebuild the database between cases)."""
    with _lock:
        _store.clear()


def current_facts(session: Session) -> Facts:
    """Return the dashboard's facts, rebuilt only when the tables they read have changed."""
    return cached(session, "facts", lambda: facts(session))

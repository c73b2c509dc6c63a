"""One transaction per use case: commit when the work ends, roll back when it raises.

Views never commit or roll back; they call a service, and the service runs what it writes as
one unit of work: `with unit_of_work(session): ...`, or the whole service under
`@transactional`. A refusal raised inside (a DomainError, an IntegrityError from a race) rolls
the session back, so the page that shows the refusal starts from what is stored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Run the block as one transaction: commit at its end, roll back if it raises."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def transactional(
    service: Callable[Concatenate[Session, P], R],
) -> Callable[Concatenate[Session, P], R]:
    """Run a service (whose first argument is the session) as one unit of work."""

    @functools.wraps(service)
    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work(session):
            return service(session, *args, **kwargs)

    return run


def begin_write(session: Session) -> None:
    """On SQLite, take the write lock now, so what is read next stays true until commit.

    pysqlite opens a transaction only at the first INSERT; BEGIN IMMEDIATE waits (busy
    timeout) for the lock. Other databases lock rows instead (`SELECT ... FOR UPDATE`).
    """
    connection = session.connection()
    if (
        connection.dialect.name == "sqlite"
        and not connection.connection.dbapi_connection.in_transaction
    ):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def discard(session: Session) -> None:
    """Throw away what the session holds but has not committed (a write the database refused)."""
    session.rollback()


__all__ = ["begin_write", "discard", "transactional", "unit_of_work"]

"""A record of every committed update of a publication job's row: (kind, status, step, done,
total), kept only once the update's transaction commits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from decide.models import PublicationJob

_PROGRESS = ("kind", "status", "step", "done", "total")


def record_job_updates() -> Iterator[list[tuple[str, str, str, int, int]]]:
    """Yield a list that collects every job row update once its transaction commits."""
    log: list[tuple[str, str, str, int, int]] = []

    def flushed(mapper: Any, connection: Any, job: Any) -> None:
        session = object_session(job)
        # The heartbeat thread updates only heartbeat_at: that is no news of progress, and a
        # beat during a long step would otherwise log the step's count twice.
        state = inspect(job)
        news = any(state.attrs[name].history.has_changes() for name in _PROGRESS)
        if session is not None and news:
            row = (job.kind, job.status, job.step, job.done, job.total)
            session.info.setdefault("job_updates", []).append(row)

    def committed(session: Session) -> None:
        log.extend(session.info.pop("job_updates", ()))

    def rolled_back(session: Session) -> None:
        session.info.pop("job_updates", None)

    listeners = [
        (PublicationJob, "after_update", flushed),
        (Session, "after_commit", committed),
        (Session, "after_rollback", rolled_back),
    ]
    for target, name, function in listeners:
        event.listen(target, name, function)
    try:
        yield log
    finally:
        for target, name, function in listeners:
            event.remove(target, name, function)

"""The background jobs that do long publication work (close, manifest, publish, edition).

A job (close, manifest, publish, edition) is a `PublicationJob` row: the request that asks
for the work writes the row in its own transaction, and once that transaction commits a
thread in the same process runs the work with its own session. Progress (step, done of total)
is written to the row in short separate transactions, so a facilitator's progress page served
by any worker sees it; a second thread beats the heartbeat while the work runs, so a slow step
never looks stalled. A job whose heartbeat stops (its worker died) shows as stalled and may be
started again. Every job writes its results in one transaction at the end, so running it
twice is harmless; a run that was started again (its `created_at` changed) stops at its next
progress report and never overwrites the newer run's row.

On SQLite the progress writes need the write-ahead log (decide.extensions): in the default
journal the job's own open read of the ballots would block them ("database is locked").
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from audits.receipts import ServerKey
from decide.models import (
    PublicationJob,
    Round,
)
from decide.services.errors import DomainError
from decide.services.voting import load_server_key

STALL_SECONDS = 60
HEARTBEAT_SECONDS = 10
# Ballots between progress reports, unless the app sets PUBLICATION_PROGRESS_CHUNK.
CHUNK = 10_000
JOB_LABELS = {
    "close": "Closing the board",
    "manifest": "Writing the manifest",
    "publish": "Publishing the results",
    "edition": "Writing a new PDF edition",
}
_PENDING_KEY = "decide_publication_jobs"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class JobSuperseded(Exception):
    """The job was started again (or removed) while this run was at work: stop quietly."""


def server_key() -> ServerKey:
    """Return the server's receipt key, from the app's RECEIPT_KEY_FILE.

    Jobs run in the app (this is the one service module that knows Flask), and so does work
    that the demo and the commands run inline.
    """
    return load_server_key(current_app.config["RECEIPT_KEY_FILE"])


def progress_chunk() -> int:
    """Return how many ballots go between progress reports (PUBLICATION_PROGRESS_CHUNK)."""
    if has_app_context():
        return max(1, int(current_app.config.get("PUBLICATION_PROGRESS_CHUNK") or CHUNK))
    return CHUNK


# --- Jobs -----------------------------------------------------------------------------------


def job_for(session: Session, round_id: int, kind: str) -> PublicationJob | None:
    """Return the round's job of this kind, or None."""
    return session.scalar(
        select(PublicationJob).where(
            PublicationJob.round_id == round_id, PublicationJob.kind == kind
        )
    )


def is_stalled(job: PublicationJob, now: dt.datetime | None = None) -> bool:
    """Return True for an unfinished job whose heartbeat stopped (its worker is gone)."""
    if job.status in ("done", "failed"):
        return False
    age = (now or _now()) - _aware(job.heartbeat_at)
    return age.total_seconds() > STALL_SECONDS


def is_active(job: PublicationJob | None) -> bool:
    """Return True while a job is pending or running and not stalled."""
    return job is not None and job.status in ("pending", "running") and not is_stalled(job)


def _duration(seconds: float) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = int(seconds)
    return f"{n} second{'s' if n != 1 else ''}"


def stall_reason(job: PublicationJob, now: dt.datetime | None = None) -> str:
    """Say in plain words what is known about a job whose worker stopped reporting."""
    silent = _duration(((now or _now()) - _aware(job.heartbeat_at)).total_seconds())
    if job.status == "pending":
        where = "It was asked for but never started"
    else:
        counts = f" ({job.done:,} of {job.total:,})" if job.total else ""
        where = f"It was last at “{job.step}”{counts}"
    return (
        f"Nothing has been heard from the work for {silent}. {where}: the server was probably "
        "restarted while it ran. Nothing from the unfinished run was saved, so it is safe to "
        "try again."
    )


def failure_message(exc: BaseException) -> str:
    """Say in plain words why a job stopped on an error that is not a domain error."""
    if isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower():
        return (
            "The database was busy with other work for too long, so this stopped before "
            "saving anything. Try again."
        )
    if isinstance(exc, DBAPIError):
        detail = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        return (
            f"The database refused the work{f' ({detail})' if detail else ''}, so this stopped "
            "before saving anything. Try again; if it fails again, the server log has details."
        )
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (
        f"An unexpected error ({exc.__class__.__name__}{f': {detail}' if detail else ''}) "
        "stopped this before anything was saved. Try again; if it fails again, the server log "
        "has details."
    )


def schedule_job(session: Session, rnd: Round, kind: str) -> PublicationJob:
    """Add (or reset) the round's job of this kind; it starts once the transaction commits.

    Refuse while the same job is already running. The caller commits.
    """
    if kind not in JOB_LABELS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = job_for(session, rnd.id, kind)
    if is_active(job):
        raise DomainError(f"{JOB_LABELS[kind]} is already under way.")
    now = _now()
    if job is None:
        job = PublicationJob(round_id=rnd.id, kind=kind, created_at=now, heartbeat_at=now)
        session.add(job)
    job.status, job.step, job.done, job.total = "pending", "Waiting to start", 0, 0
    job.message, job.seconds = "", ""
    job.created_at = job.heartbeat_at = now
    session.flush()
    app = current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]
    # Outside a request (the CLI, the demo seeder) nobody waits on a page: run it inline.
    inline = app is not None and (
        bool(app.config.get("PUBLICATION_JOBS_INLINE")) or not has_request_context()
    )
    session.info.setdefault(_PENDING_KEY, []).append((app, job.id, inline))
    return job


@event.listens_for(Session, "after_commit")
def _start_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    for app, job_id, inline in pending or ():
        if app is None:
            continue
        thread = threading.Thread(target=run_job, args=(app, job_id), daemon=True)
        thread.start()
        if inline:
            thread.join()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _same_run(job: PublicationJob | None, attempt: dt.datetime | None) -> bool:
    """Return True when the row still belongs to the run that claimed it at `attempt`."""
    if job is None:
        return False
    return attempt is None or _aware(job.created_at) == attempt


@dataclass
class Progress:
    """Writes a job's step and counts to its row, at most once per `interval` seconds.

    Raises JobSuperseded when the job was started again since this run claimed it.
    """

    app: Flask | None
    job_id: int | None
    interval: float = 0.5
    attempt: dt.datetime | None = None
    _last: float = 0.0

    def __call__(self, step: str, done: int = 0, total: int = 0, *, force: bool = False) -> None:
        """Record that the job is at `step`, `done` of `total`."""
        if self.job_id is None or self.app is None:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        from decide.extensions import db

        try:
            with Session(db.engine) as s:
                job = s.get(PublicationJob, self.job_id)
                if not _same_run(job, self.attempt):
                    raise JobSuperseded(self.job_id)
                assert job is not None
                job.step, job.done, job.total = step[:200], done, total
                job.status, job.heartbeat_at = "running", _now()
                s.commit()
        except OperationalError as exc:
            # Progress is only news: a database too busy to take it delays the next report,
            # never the work itself.
            self.app.logger.warning("job %s: progress not recorded: %s", self.job_id, exc.orig)


def no_progress(step: str, done: int = 0, total: int = 0, *, force: bool = False) -> None:
    """Ignore progress (for work run outside a job)."""


def _worker(kind: str) -> Callable[..., None]:
    # The workers import this module (to schedule jobs and report progress), so the table
    # that names them is read when a job runs, not when this module loads.
    from decide.services.composition import JOB_WORKERS

    return JOB_WORKERS[kind]


def _claim(engine: Engine, job_id: int) -> tuple[str, int, dt.datetime] | None:
    """Mark a pending job running; return (kind, round id, attempt), or None if taken."""
    # One conditional UPDATE, so two threads started for the same job cannot both claim it.
    with Session(engine) as session:
        claimed = session.execute(
            update(PublicationJob)
            .where(PublicationJob.id == job_id, PublicationJob.status == "pending")
            .values(status="running", step="Starting", heartbeat_at=_now())
        )
        session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        job = session.get(PublicationJob, job_id)
        if job is None:
            return None
        return job.kind, job.round_id, _aware(job.created_at)


def _beat(engine: Engine, job_id: int, attempt: dt.datetime, stop: threading.Event) -> None:
    """Refresh the job's heartbeat until `stop` is set, so a long step never looks stalled."""
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            with Session(engine) as session:
                job = session.get(PublicationJob, job_id)
                if not _same_run(job, attempt) or job is None or job.status != "running":
                    return
                job.heartbeat_at = _now()
                session.commit()
        except OperationalError:
            continue  # busy: the next beat will do


def _finish(
    engine: Engine, job_id: int, attempt: dt.datetime, status: str, message: str, seconds: float
) -> bool:
    """Record the job's outcome, retrying while the database is busy; False if it could not."""
    for pause in (0.2, 0.5, 1.0, 2.0, 4.0, 0.0):
        try:
            with Session(engine) as session:
                job = session.get(PublicationJob, job_id)
                if not _same_run(job, attempt) or job is None:
                    return True  # started again meanwhile: the newer run reports
                job.status, job.message = status, message
                job.step = "Finished" if status == "done" else "Stopped"
                job.seconds = f"{seconds:.2f}"
                job.heartbeat_at = _now()
                session.commit()
                return True
        except OperationalError:
            time.sleep(pause)
    return False


def run_job(app: Flask, job_id: int) -> None:
    """Run one job to the end in its own app context and session, recording the outcome."""
    from decide.extensions import db

    with app.app_context():
        engine = db.engine
        try:
            claimed = _claim(engine, job_id)
        except OperationalError:
            app.logger.exception("publication job %s could not start", job_id)
            return  # still pending: it shows as stalled, with a retry
        if claimed is None:
            return
        kind, round_id, attempt = claimed
        interval = float(app.config.get("PUBLICATION_PROGRESS_INTERVAL", 0.5))
        progress = Progress(app, job_id, interval=interval, attempt=attempt)
        stop = threading.Event()
        beat = threading.Thread(target=_beat, args=(engine, job_id, attempt, stop), daemon=True)
        beat.start()
        started = time.perf_counter()
        status, message = "done", ""
        try:
            with Session(engine, expire_on_commit=False) as session:
                rnd = session.get(Round, round_id)
                if rnd is None:
                    raise DomainError("The round no longer exists.")
                _worker(kind)(session, rnd, progress)
        except JobSuperseded:
            app.logger.info("publication job %s was started again; this run stopped", job_id)
            return
        except DomainError as exc:
            status, message = "failed", exc.message
        except Exception as exc:  # recorded for the facilitator in plain words, then logged
            status, message = "failed", failure_message(exc)
            app.logger.exception("publication job %s failed", job_id)
        finally:
            stop.set()
            beat.join()
        seconds = time.perf_counter() - started
        if not _finish(engine, job_id, attempt, status, message, seconds):
            app.logger.error("publication job %s ended (%s) but could not say so", job_id, status)

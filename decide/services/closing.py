"""Closing a round's board, and the background jobs that do long publication work.

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

Closing opens the sealed box (`open_box`): in one transaction, with the round row locked, it
decrypts every envelope, writes the commitment board (tracker, commitment, route; sorted by
tracker) and the plaintext ballot list (sorted by canonical bytes; no tracker, no route, no
time), chains the list, deletes the envelopes (and with them the salts), and records the
Merkle root and the tally. For 100k ballots this takes a few seconds.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import delete, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from audits import chain, recompute
from audits.board import BoardLine, OpenedBoard, commitment, list_id, open_board
from audits.merkle import MerkleTree
from audits.receipts import ServerKey
from ballots.canonical import canonical_ballot_bytes
from ballots.model import Profile
from decide.models import (
    Ballot,
    BoardEntry,
    ChainState,
    PublicationJob,
    Round,
    RoundClosing,
    SealedBallot,
    User,
)
from decide.services.errors import DomainError
from decide.services.sealing import BoxKeys
from decide.services.voting import (
    ballot_projects,
    ballot_rules,
    chain_round_id,
    choices_from_json,
    load_server_key,
    lock_box,
    round_instance,
)

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
# kind -> "module:function" taking (session, round, progress); resolved lazily (no cycles).
JOB_WORKERS: dict[str, str] = {
    "close": "decide.services.closing:close_board",
    "manifest": "decide.services.publication:write_manifest",
    "publish": "decide.services.publication:publish_round",
    "edition": "decide.services.publication:write_edition",
}
_PENDING_KEY = "decide_publication_jobs"


class ClosingError(DomainError):
    """The board cannot be closed as it stands (a broken chain, say)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class JobSuperseded(Exception):
    """The job was started again (or removed) while this run was at work: stop quietly."""


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
    if kind not in JOB_WORKERS:
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
    module, _, name = JOB_WORKERS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


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


# --- Closing --------------------------------------------------------------------------------


class BoardRow(NamedTuple):
    """One ballot as read in bulk for closing and the manifest (a plain tuple: fast to build)."""

    sequence: int
    tracker: bytes
    ballot_bytes: bytes
    choices_json: str
    channel: str
    leaf: bytes
    head: bytes


def read_board(session: Session, round_id: int, progress: Any = no_progress) -> list[BoardRow]:
    """Return the round's ballots in sequence order, read with one query in chunks."""
    total = session.scalar(select(ChainState.sequence).where(ChainState.round_id == round_id))
    chunk_size = progress_chunk()
    # A Core execution on the session's connection: no ORM row processing for 100k rows.
    result = session.connection().execute(
        select(
            Ballot.sequence, Ballot.tracker, Ballot.ballot_bytes, Ballot.choices_json,
            Ballot.channel, Ballot.leaf, Ballot.head,
        )
        .where(Ballot.round_id == round_id)
        .order_by(Ballot.sequence)
        .execution_options(yield_per=chunk_size)
    )  # fmt: skip
    rows: list[BoardRow] = []
    for chunk in result.partitions():
        # Both drivers return bytes for binary columns, so rows are taken as they come.
        rows.extend(map(BoardRow._make, chunk))
        progress("Reading the ballots", len(rows), total or 0)
    return rows


def parse_choices(rows: list[BoardRow]) -> list[Any]:
    """Return each row's core ballot, parsing each distinct choice text once."""
    parsed: dict[str, Any] = {}
    out = []
    for r in rows:
        ballot = parsed.get(r.choices_json)
        if ballot is None:
            ballot = parsed[r.choices_json] = choices_from_json(r.choices_json)
        out.append(ballot)
    return out


def check_board(round_id: int, rows: list[BoardRow], progress: Any = no_progress) -> list[bytes]:
    """Recompute every leaf and head from the stored ballots; return the leaves."""
    key = chain_round_id(round_id)
    head = chain.genesis(key)
    leaves = []
    chunk_size = progress_chunk()
    for expected, r in enumerate(rows, start=1):
        if r.sequence != expected:
            raise ClosingError(f"The board skips from ballot {expected - 1} to {r.sequence}.")
        leaf = chain.leaf_hash(key, r.sequence, r.tracker, r.ballot_bytes)
        head = chain.next_head(head, leaf)
        if leaf != r.leaf or head != r.head:
            raise ClosingError(f"Ballot {r.sequence} on the board does not match its chain hash.")
        leaves.append(leaf)
        if expected % chunk_size == 0:
            progress("Checking the hash chain", expected, len(rows))
    return leaves


def _server_key() -> ServerKey:
    return load_server_key(current_app.config["RECEIPT_KEY_FILE"])


def open_box(
    session: Session, rnd: Round, server_key: ServerKey, today: dt.date, progress: Any = no_progress
) -> tuple[OpenedBoard, list[BoardRow]]:
    """Open the round's sealed box in memory: the board and the chained plaintext list.

    Nothing is written here (so progress reports are not blocked by a write lock on SQLite);
    `write_box` stores the result. Ballots already in the list with a tracker (imported rounds,
    or rounds cast before the sealed box) join the board under their tracker with a fresh salt.
    """
    lock_box(session, rnd.id, exclusive=True)
    key = chain_round_id(rnd.id)
    keys = BoxKeys(server_key, rnd.id)
    chunk = progress_chunk()
    lines: list[BoardLine] = []
    texts: dict[bytes, str] = {}
    envelopes = session.execute(
        select(SealedBallot.id, SealedBallot.box).where(SealedBallot.round_id == rnd.id)
    ).all()
    legacy = session.execute(
        select(Ballot.tracker, Ballot.ballot_bytes, Ballot.choices_json, Ballot.channel).where(
            Ballot.round_id == rnd.id, Ballot.channel != "sealed"
        )
    ).all()
    total = len(envelopes) + len(legacy)
    for done, (envelope_id, box) in enumerate(envelopes, 1):
        opened = keys.open(bytes(envelope_id), bytes(box))
        data = canonical_ballot_bytes(rnd.ballot_kind, choices_from_json(opened.choices_json))
        lines.append(BoardLine(opened.tracker, commitment(opened.salt, data), opened.route, data))
        texts.setdefault(data, opened.choices_json)
        if done % chunk == 0 or done == total:
            progress("Reading the ballots", done, total)
    for done, (tracker, data, text, channel) in enumerate(legacy, len(envelopes) + 1):
        salt = secrets.token_bytes(32)
        lines.append(BoardLine(bytes(tracker), commitment(salt, bytes(data)), channel, bytes(data)))
        texts.setdefault(bytes(data), text)
        if done % chunk == 0 or done == total:
            progress("Reading the ballots", done, total)
    opened_board = open_board(key, lines)
    imported = {line.ballot for line in opened_board.lines if line.route == "imported"}
    head = chain.genesis(key)
    rows: list[BoardRow] = []
    for i, data in enumerate(opened_board.ballots, 1):
        list_key = list_id(i)
        leaf, head = chain.append(head, key, i, list_key, data)
        channel = "imported" if data in imported else "sealed"
        rows.append(BoardRow(i, list_key, data, texts[data], channel, leaf, head))
        if i % chunk == 0:
            progress("Checking the hash chain", i, total)
    return opened_board, rows


def write_box(
    session: Session, rnd: Round, opened: OpenedBoard, rows: list[BoardRow], today: dt.date
) -> None:
    """Store the opened box: delete the envelopes, write the board and the list; no commit."""
    session.execute(delete(SealedBallot).where(SealedBallot.round_id == rnd.id))
    session.execute(delete(Ballot).where(Ballot.round_id == rnd.id))
    session.execute(delete(BoardEntry).where(BoardEntry.round_id == rnd.id))
    entries = [
        {
            "round_id": rnd.id,
            "position": i,
            "tracker": line.tracker,
            "commitment": line.commitment,
            "route": line.route,
            "leaf": leaf,
        }
        for i, (line, leaf) in enumerate(zip(opened.lines, opened.leaves, strict=True), 1)
    ]
    listed = [
        {
            "round_id": rnd.id,
            "sequence": r.sequence,
            "tracker": r.tracker,
            "ballot_bytes": r.ballot_bytes,
            "choices_json": r.choices_json,
            "channel": r.channel,
            "cast_on": today,
            "leaf": r.leaf,
            "head": r.head,
        }
        for r in rows
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(BoardEntry), entries[start : start + 5000])
        session.execute(insert(Ballot), listed[start : start + 5000])
    head = rows[-1].head if rows else chain.genesis(chain_round_id(rnd.id))
    state = session.get(ChainState, rnd.id)
    if state is None:
        session.add(ChainState(round_id=rnd.id, sequence=len(rows), head=head))
    else:
        state.sequence, state.head = len(rows), head
    session.flush()


def _opened_before(session: Session, round_id: int) -> bool:
    return (
        session.scalar(select(BoardEntry.round_id).where(BoardEntry.round_id == round_id).limit(1))
        is not None
    )


def _routes(session: Session, round_id: int) -> dict[str, int]:
    rows = session.execute(
        select(BoardEntry.route, func.count())
        .where(BoardEntry.round_id == round_id)
        .group_by(BoardEntry.route)
    ).all()
    return dict(sorted((r, int(n)) for r, n in rows))


def close_board(
    session: Session,
    rnd: Round,
    progress: Any = no_progress,
    *,
    server_key: ServerKey | None = None,
) -> RoundClosing:
    """Open the box (once), verify the list's chain, compute the Merkle root and the tally."""
    if rnd.phase not in ("closed", "published", "delivery"):
        raise ClosingError("The board can be closed only once voting has closed.")
    # Two runs at once: the second waits here, then finds the first one's result.
    lock_box(session, rnd.id, exclusive=True)
    existing = session.get(RoundClosing, rnd.id)
    if existing is not None:
        return existing
    today = _now().date()
    if _opened_before(session, rnd.id):
        # A closing that failed after the box was opened: check the stored list again.
        opened = None
        rows = read_board(session, rnd.id, progress)
        leaves = check_board(rnd.id, rows, progress)
        routes = _routes(session, rnd.id)
    else:
        opened, rows = open_box(session, rnd, server_key or _server_key(), today, progress)
        leaves = [r.leaf for r in rows]
        routes = opened.routes()
    progress("Building the Merkle tree", len(rows), len(rows), force=True)
    root = MerkleTree(leaves).root
    head = rows[-1].head if rows else chain.genesis(chain_round_id(rnd.id))
    progress("Counting the votes", len(rows), len(rows), force=True)
    instance = round_instance(rnd, ballot_projects(session, rnd.id))
    rules = ballot_rules(rnd)
    profile = Profile(rules.vote_type, tuple(parse_choices(rows)))
    tally = recompute.tally_json(instance, profile, rules)
    if opened is not None:
        write_box(session, rnd, opened, rows, today)
    closing = RoundClosing(
        round_id=rnd.id,
        ballot_count=len(rows),
        channels_json=json.dumps(routes),
        merkle_root=root.hex(),
        chain_head=head.hex(),
        tally_json=json.dumps(tally, sort_keys=True),
        closed_at=_now(),
    )
    session.add(closing)
    try:
        session.commit()
    except IntegrityError:  # another run finished first; its result is the same
        session.rollback()
        return session.get(RoundClosing, rnd.id)  # type: ignore[return-value]
    return closing


def on_close(session: Session, rnd: Round, actor: User) -> None:
    """Phase effect for voting -> closed: wait for casts in flight, then schedule the job.

    The box lock, taken exclusively here, is held until the phase change commits: a cast
    that started before waits no longer than its own short transaction, and one that starts
    after sees the round closed.
    """
    lock_box(session, rnd.id, exclusive=True)
    schedule_job(session, rnd, "close")


def closing_of(session: Session, round_id: int) -> RoundClosing | None:
    """Return what closing found, or None before it finished."""
    return session.get(RoundClosing, round_id)

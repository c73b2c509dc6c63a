"""Publication jobs: progress on every chunk without locking SQLite, failed and stalled jobs
that say why, and a "Try again" that is safe to repeat."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from decide.models import Ballot, PublicationJob, RoundClosing
from decide.services import composition, jobs
from tests.helpers.jobs import record_job_updates
from tests.publication.conftest import login


@pytest.fixture
def app_config(receipt_key_file: str) -> dict[str, Any]:
    """Jobs inline, and progress written for every single ballot (a chunk of one)."""
    return {
        "PUBLICATION_JOBS_INLINE": True,
        "RECEIPT_KEY_FILE": receipt_key_file,
        "PUBLICATION_PROGRESS_CHUNK": 1,
        "PUBLICATION_PROGRESS_INTERVAL": 0,
    }


@pytest.fixture(autouse=True)
def progress_log() -> Iterator[list[tuple[str, str, str, int, int]]]:
    """Record every committed update of a job row: (kind, status, step, done, total).

    Autouse, so that it also sees the close job that the `closed` fixture runs.
    """
    yield from record_job_updates()


def _job(db: Any, kind: str = "close") -> PublicationJob:
    db.session.expire_all()
    job = db.session.scalar(select(PublicationJob).where(PublicationJob.kind == kind))
    assert job is not None
    return job


def _reopen_board(db: Any, rnd_id: int) -> None:
    """Forget what closing found, so that the close job does its work again."""
    db.session.execute(RoundClosing.__table__.delete().where(RoundClosing.round_id == rnd_id))
    db.session.commit()


def test_progress_is_reported_on_every_chunk_and_the_job_finishes_first_time(
    app, db, closed, progress_log
):
    job = _job(db)
    assert (job.status, job.message) == ("done", "")
    reads = [done for kind, _, step, done, _ in progress_log if step == "Reading the ballots"]
    checks = [done for kind, _, step, done, _ in progress_log if step == "Checking the hash chain"]
    assert reads == list(range(1, 13)) and checks == list(range(1, 13))
    assert all(status != "failed" for _, status, *_ in progress_log)
    if db.engine.dialect.name == "sqlite":
        # Readers and the job's progress writer work at once only in the write-ahead log.
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_a_failed_job_says_why_and_try_again_is_safe_to_repeat(app, db, closed):
    rnd = closed.round
    _reopen_board(db, rnd.id)
    ballot = db.session.scalar(
        select(Ballot).where(Ballot.round_id == rnd.id, Ballot.sequence == 3)
    )
    good_leaf = bytes(ballot.leaf)
    ballot.leaf = b"\x00" * len(good_leaf)
    db.session.commit()
    client = login(app.test_client(), closed.facilitator)
    started = client.post(f"/rounds/{rnd.id}/publication/jobs/close")
    assert started.status_code == 303
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "Stopped:" in page and "Ballot 3 on the board does not match its chain hash" in page
    assert f'action="/rounds/{rnd.id}/publication/jobs/close"' in page
    assert 'name="csrf_token"' in page and ">Try again</button>" in page
    assert 'hx-trigger="every 1s"' not in page  # nothing left to poll
    assert db.session.get(RoundClosing, rnd.id) is None  # a failed run saved nothing

    ballot = db.session.get(Ballot, ballot.id)
    ballot.leaf = good_leaf
    db.session.commit()
    roots = []
    for _ in range(2):  # a double click, or a second try later: the same result, kept once
        again = client.post(f"/rounds/{rnd.id}/publication/jobs/close")
        assert again.status_code == 303 and again.headers["Location"].endswith("/progress/close")
        assert "Finished" in client.get(again.headers["Location"]).get_data(as_text=True)
        db.session.expire_all()
        roots.append(db.session.get(RoundClosing, rnd.id).merkle_root)
    assert roots[0] == roots[1]
    count = db.session.scalar(select(func.count()).select_from(RoundClosing))
    assert count == 1 and _job(db).status == "done"


def _locked() -> OperationalError:
    return OperationalError(
        "UPDATE publication_job ...", {}, sqlite3.OperationalError("database is locked")
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_locked, "The database was busy with other work for too long"),
        (lambda: RuntimeError("disk\nfull"), "An unexpected error (RuntimeError: disk)"),
    ],
)
def test_an_unexpected_error_is_said_in_plain_words(app, db, closed, monkeypatch, error, expected):
    rnd = closed.round
    _reopen_board(db, rnd.id)

    def broken(session: Any, rnd: Any, progress: Any) -> None:
        progress("Reading the ballots", 0, 12, force=True)
        raise error()

    monkeypatch.setitem(composition.JOB_WORKERS, "close", broken)
    client = login(app.test_client(), closed.facilitator)
    page = client.get(client.post(f"/rounds/{rnd.id}/publication/jobs/close").headers["Location"])
    html = page.get_data(as_text=True)
    job = _job(db)
    assert job.status == "failed" and job.message.startswith(expected)
    assert "\n" not in job.message and "sqlalche.me" not in job.message
    assert expected in html and ">Try again</button>" in html


def test_a_stalled_job_says_why_and_offers_a_retry(app, db, closed):
    rnd = closed.round
    five_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5, seconds=3)
    db.session.execute(
        update(PublicationJob)
        .where(PublicationJob.kind == "close")
        .values(status="running", step="Reading the ballots", done=5, total=12,
                heartbeat_at=five_minutes_ago)
    )  # fmt: skip
    db.session.commit()
    client = login(app.test_client(), closed.facilitator)
    url = f"/rounds/{rnd.id}/publication/progress/close"
    page = client.get(url).get_data(as_text=True)
    assert "Stalled:" in page
    assert "Nothing has been heard from the work for 5 minutes" in page
    assert "It was last at “Reading the ballots” (5 of 12)" in page
    assert ">Try again</button>" in page and 'hx-trigger="every 1s"' not in page
    assert "http-equiv" not in page  # a stalled page does not reload itself

    retried = client.post(f"/rounds/{rnd.id}/publication/jobs/close")
    assert "Finished" in client.get(retried.headers["Location"]).get_data(as_text=True)
    job = _job(db)
    assert job.status == "done" and not jobs.is_stalled(job)


def test_a_job_that_never_started_says_so(app, db, closed):
    job = _job(db)
    job.status, job.heartbeat_at = "pending", dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    db.session.commit()
    reason = jobs.stall_reason(_job(db))
    assert reason.startswith("Nothing has been heard from the work for 2 hours.")
    assert "never started" in reason


def test_try_again_while_a_run_is_under_way_starts_nothing(app, db, closed):
    rnd = closed.round
    job = _job(db)
    job.status, job.heartbeat_at = "running", dt.datetime.now(dt.UTC)
    db.session.commit()
    before = _job(db).created_at
    client = login(app.test_client(), closed.facilitator)
    response = client.post(f"/rounds/{rnd.id}/publication/jobs/close")
    assert response.status_code == 303 and response.headers["Location"].endswith("/progress/close")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is already under way" in page
    job = _job(db)
    assert job.status == "running" and job.created_at == before


def test_a_run_that_was_started_again_stops_and_never_overwrites_the_newer_run(app, db, closed):
    job = _job(db)
    older_attempt = jobs._aware(job.created_at) - dt.timedelta(minutes=3)
    progress = jobs.Progress(app, job.id, interval=0, attempt=older_attempt)
    with pytest.raises(jobs.JobSuperseded):
        progress("Reading the ballots", 1, 12)
    assert jobs._finish(db.engine, job.id, older_attempt, "failed", "old news", 1.0)
    job = _job(db)
    assert (job.status, job.message, job.step) == ("done", "", "Finished")
    jobs.run_job(app, job.id)  # a finished job is not claimed again
    assert _job(db).status == "done"


def test_the_heartbeat_goes_on_through_a_long_step(app, db, closed, monkeypatch):
    rnd = closed.round
    _reopen_board(db, rnd.id)
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.01)
    seen = threading.Event()

    def long_step(session: Any, rnd: Any, progress: Any) -> None:
        progress("A long step", force=True)
        first = _heartbeat()
        for _ in range(500):  # no progress reported meanwhile; only the heartbeat thread writes
            if _heartbeat() != first:
                seen.set()
                return
            threading.Event().wait(0.01)

    def _heartbeat() -> Any:
        with db.engine.connect() as conn:
            query = select(PublicationJob.heartbeat_at).where(PublicationJob.kind == "close")
            return conn.execute(query).scalar()

    monkeypatch.setitem(composition.JOB_WORKERS, "close", long_step)
    jobs.schedule_job(db.session, rnd, "close")
    db.session.commit()
    assert seen.is_set()
    assert _job(db).status == "done"

"""Issue 13, item 9 and acceptance 4: the public /audit page bounds what a stranger costs.

Uploads over the cap are refused from their declared size before the body is parsed, the 11th
upload in a minute from one address is refused, and a file that fails the cheap checks is never
parsed for ballots or recomputed.
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
from typing import Any

import pytest

from audits.canonical import canonical_json, parse_canonical
from audits.pdf import read_attachments
from decide.services import auditing, publication
from decide.services.phases import change_phase
from tests.publication.conftest import ready_to_publish


@pytest.fixture
def published(app, db, closed, panel_keys):
    ready_to_publish(db.session, closed, panel_keys)
    change_phase(db.session, closed.round, "published", closed.facilitator)
    publication.publish_round(db.session, closed.round)
    return closed


@pytest.fixture
def app_config(receipt_key_file: str, tmp_path: Any) -> dict[str, Any]:
    return {
        "RECEIPT_KEY_FILE": receipt_key_file,
        "AUDIT_JOBS_DIR": str(tmp_path / "audit-jobs"),
        "RATELIMIT_ENABLED": True,
        "AUDIT_RATE_LIMIT": "10 per minute",
    }


def test_a_50_mb_upload_is_refused_from_its_size_without_being_read(app, monkeypatch):
    def never(**kwargs: Any) -> None:
        raise AssertionError("the upload reached the audit service")

    monkeypatch.setattr("decide.web.auditor.run_audit", never)
    client = app.test_client()
    big = io.BytesIO(b"%PDF-1.7\n" + b"0" * (50 * 1024 * 1024))
    response = client.post("/audit", data={"pdf": (big, "huge.pdf")})
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "larger than 4 MB" in text and 'id="error-summary"' in text


def test_the_eleventh_upload_in_a_minute_is_refused(app):
    client = app.test_client()
    codes = [
        client.post("/audit", data={"pdf": (io.BytesIO(b"not a pdf"), "x.pdf")}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [422] * 10
    assert codes[10] == 429
    # Reading the page is not limited.
    assert client.get("/audit").status_code == 200


def _good_pdf(db) -> bytes:
    from sqlalchemy import select

    from decide.models import Edition

    return db.session.scalar(select(Edition)).pdf


def _no_process(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("a background job was started for a file that failed the cheap checks")


def test_a_pdf_failing_the_cheap_checks_is_not_recomputed(published, monkeypatch, db, tmp_path):
    files = read_attachments(_good_pdf(db))
    sigs = parse_canonical(files["signatures.json"])
    sigs["aggregate"] = sigs["signatures"][0]["signature"]
    files["signatures.json"] = canonical_json(sigs)

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("ballots were recomputed for a file that failed the cheap checks")

    monkeypatch.setattr(auditing, "verify_bundle", never)
    monkeypatch.setattr(auditing.subprocess, "Popen", _no_process)
    for report in (
        auditing.audit(files=files),
        auditing.start_audit(jobs_dir=tmp_path, files=files),
    ):
        assert isinstance(report, auditing.AuditReport)
        assert report.verdict.status == 1
        statuses = {c.number: c.status for c in report.checks}
        assert statuses[1] == "PASS" and statuses[6] == "FAIL"
        assert all(statuses[n] == "SKIP" for n in (2, 3, 4, 5, 7, 9))
        assert "not run" in report.checks[1].reason
    assert not any(tmp_path.iterdir())  # nothing of the upload was kept


def test_the_recomputation_runs_as_a_background_job_under_the_memory_limit(published, db, tmp_path):
    good = _good_pdf(db)
    keys = read_attachments(good)["keys.json"]
    job_id = auditing.start_audit(jobs_dir=tmp_path, pdf=good, keys=keys, wait=True)
    assert isinstance(job_id, str)
    job = auditing.audit_job(tmp_path, job_id)
    assert job is not None and job.report is not None
    assert job.report.verdict.status == 0, [c.line() for c in job.report.checks]
    assert job.done == job.total == 11
    # The job's own process ran under an address-space limit of its imports plus MEMORY_LIMIT.
    assert auditing.MEMORY_LIMIT < job.memory_limit < auditing.MEMORY_LIMIT + 2 * 1024**3
    assert not (tmp_path / job_id / "input").exists()  # the upload is gone once read


def test_a_recomputation_over_the_memory_limit_is_stopped_not_the_worker(published, db, tmp_path):
    # With no room to grow, the recomputation runs out of memory in its own process: the job
    # reports it, and this process (the web worker) carries on.
    job_id = auditing.start_audit(jobs_dir=tmp_path, pdf=_good_pdf(db), memory_limit=0, wait=True)
    assert isinstance(job_id, str)
    job = auditing.audit_job(tmp_path, job_id)
    assert job is not None and job.report is not None
    assert job.report.error == f"These files cannot be checked: {auditing.OUT_OF_MEMORY}."
    assert job.report.verdict.status == 2


def test_jobs_beyond_the_limit_are_refused_while_others_run(published, db, tmp_path, monkeypatch):
    running = _Running()
    monkeypatch.setattr(auditing.subprocess, "Popen", lambda *a, **k: running)
    good = _good_pdf(db)
    try:
        first = auditing.start_audit(jobs_dir=tmp_path, pdf=good, max_running=1)
        assert isinstance(first, str)
        with pytest.raises(auditing.AuditBusy, match="Try again in a minute"):
            auditing.start_audit(jobs_dir=tmp_path, pdf=good, max_running=1)
    finally:
        running.stop.set()


class _Running:
    """A job process that runs until the test stops it (its watcher then kills it)."""

    def __init__(self) -> None:
        self.stop = threading.Event()

    def wait(self, timeout: float | None = None) -> int:
        if timeout is not None:
            self.stop.wait()
            raise subprocess.TimeoutExpired("job", timeout)
        return -9

    def kill(self) -> None:
        pass


def test_the_job_page_follows_a_running_job_then_shows_its_checks(app, tmp_path):
    import json

    app.config["AUDIT_JOBS_DIR"] = str(tmp_path)
    job = tmp_path / ("a" * 22)
    job.mkdir()
    (job / "job.json").write_text(json.dumps({"started": time.time(), "source": "the PDF"}))
    (job / "progress.json").write_text(json.dumps({"done": 3, "step": "Check 3 done"}))
    client = app.test_client()
    page = client.get(f"/audit/jobs/{'a' * 22}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "3 of 11 checks done" in text
    assert '<meta http-equiv="refresh" content="2">' in text  # inside <noscript>
    fragment = client.get(f"/audit/jobs/{'a' * 22}", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="audit-job" hx-get=')
    assert "HX-Request" in fragment.headers["Vary"]
    checks = [{"number": n, "title": f"check {n}", "status": "PASS", "reason": "fine"}
              for n in range(1, 12)]  # fmt: skip
    (job / "result.json").write_text(json.dumps({"checks": checks, "limit": 1}))
    text = client.get(f"/audit/jobs/{'a' * 22}").get_data(as_text=True)
    assert "ALL CHECKS PASSED" in text and "http-equiv" not in text and "hx-get" not in text
    assert client.get(f"/audit/jobs/{'b' * 22}").status_code == 404
    assert client.get("/audit/jobs/..%2F..%2Fetc").status_code == 404


def test_an_upload_goes_to_its_job_page(app, db, published, tmp_path):
    app.config.update(AUDIT_JOBS_DIR=str(tmp_path), AUDIT_JOBS_INLINE=True)
    good = _good_pdf(db)
    keys = read_attachments(good)["keys.json"]
    client = app.test_client()
    response = client.post(
        "/audit", data={"pdf": (io.BytesIO(good), "r.pdf"), "keys": (io.BytesIO(keys), "k.json")}
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/audit/jobs/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ALL CHECKS PASSED" in page and page.count('class="check-pass"') == 8


def test_junk_under_the_cap_is_refused_before_pypdf_reads_it(monkeypatch, tmp_path):
    def never(pdf: bytes) -> None:
        raise AssertionError("pypdf was asked to search junk for a PDF's structure")

    monkeypatch.setattr(auditing, "read_attachments", never)
    junk = b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024)
    report = auditing.start_audit(jobs_dir=tmp_path, pdf=junk)
    assert isinstance(report, auditing.AuditReport)
    assert "does not end with %%EOF" in report.error

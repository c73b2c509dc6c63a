"""Issue 13, item 9 and acceptance 4: the public /audit page bounds what a stranger costs.

Uploads over the cap are refused from their declared size before the body is parsed, the 11th
upload in a minute from one address is refused, and a file that fails the cheap checks is never
parsed for ballots or recomputed.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from audits.canonical import canonical_json, parse_canonical
from audits.pdf import read_attachments
from decide.services import auditing, publication
from decide.services.rounds import change_phase
from tests.publication.conftest import ready_to_publish


@pytest.fixture
def published(app, db, closed, panel_keys):
    ready_to_publish(db.session, closed, panel_keys)
    change_phase(db.session, closed.round, "published", closed.facilitator)
    publication.publish_round(db.session, closed.round)
    return closed


@pytest.fixture
def app_config(receipt_key_file: str) -> dict[str, Any]:
    return {
        "RECEIPT_KEY_FILE": receipt_key_file,
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


def test_a_pdf_failing_the_cheap_checks_is_not_recomputed(published, monkeypatch, db):
    from sqlalchemy import select

    from decide.models import Edition

    good = db.session.scalar(select(Edition)).pdf
    files = read_attachments(good)
    sigs = parse_canonical(files["signatures.json"])
    sigs["aggregate"] = sigs["signatures"][0]["signature"]
    files["signatures.json"] = canonical_json(sigs)

    def never(kwargs: Any) -> None:
        raise AssertionError("ballots were recomputed for a file that failed the cheap checks")

    monkeypatch.setattr(auditing, "_full_checks", never)
    report = auditing.audit(files=files)
    assert report.verdict.status == 1
    statuses = {c.number: c.status for c in report.checks}
    assert statuses[1] == "PASS" and statuses[6] == "FAIL"
    assert all(statuses[n] == "SKIP" for n in (2, 3, 4, 5, 7, 9))
    assert "not run" in report.checks[1].reason


def test_full_checks_run_in_a_memory_limited_process(published, db):
    from sqlalchemy import select

    from decide.models import Edition

    good = db.session.scalar(select(Edition)).pdf
    keys = read_attachments(good)["keys.json"]
    report = auditing.audit(pdf=good, keys=keys)
    assert report.verdict.status == 0, [c.line() for c in report.checks]
    assert auditing.MEMORY_LIMIT <= 1024**3


def test_a_recomputation_over_the_memory_limit_is_stopped_not_the_worker(
    published, db, monkeypatch
):
    from sqlalchemy import select

    from decide.models import Edition

    good = db.session.scalar(select(Edition)).pdf

    def greedy(**kwargs: Any) -> None:
        bytearray(600 * 1024 * 1024)  # more than the child may take

    monkeypatch.setattr(auditing, "MEMORY_LIMIT", 200 * 1024 * 1024)
    monkeypatch.setattr(auditing, "verify_bundle", greedy)
    report = auditing.audit(pdf=good)
    assert report.error and "more memory than this server allows" in report.error
    assert report.verdict.status == 2

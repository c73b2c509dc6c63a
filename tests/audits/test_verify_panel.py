"""Check 11 of decide-verify: the minutes' head, the shortlist the minutes record against the
ballot, and the sortition record's hash. Tampering with either fails with a clear message."""

from __future__ import annotations

import dataclasses
import hashlib

from audits.verify_panel import check_panel
from audits.verify_state import State, run_check

HEAD = "ab" * 32
RECORD = b'{"format":"decide/sortition-record/v1","seed":"numbers 3 14 15"}'


def _check(full, record: bytes | None = RECORD, **extra):
    m = full.closing.manifest
    m = dataclasses.replace(m, extra={**m.extra, **extra})
    return run_check(11, lambda: check_panel(State(full.files, manifest=m), record))


def _codes(full) -> list[str]:
    return [p.id for p in full.closing.manifest.projects]


def test_the_panel_check_passes_and_shows_the_minutes_head_and_record(full):
    digest = hashlib.sha256(RECORD).hexdigest()
    check = _check(
        full, minutes_head=HEAD, minutes_count=2, minutes_shortlist=_codes(full)[::-1],
        sortition_record=digest,
    )  # fmt: skip
    assert check.status == "PASS", check.line()
    assert HEAD in check.reason and digest in check.reason and "matches" in check.reason
    unchecked = _check(full, record=None, sortition_record=digest)
    assert unchecked.status == "PASS" and "not given" in unchecked.reason
    assert _check(full, record=None).status == "SKIP"


def test_a_changed_shortlist_fails(full):
    codes = _codes(full)
    for tampered in (codes[:-1], [*codes, "P99"], [*codes[:-1], "proposal 7 (not on the ballot)"]):
        check = _check(full, minutes_head=HEAD, minutes_count=1, minutes_shortlist=tampered)
        assert check.status == "FAIL"
        assert "is not the ballot's project list" in check.reason, check.line()


def test_a_changed_sortition_record_or_hash_fails(full):
    digest = hashlib.sha256(RECORD).hexdigest()
    changed = RECORD.replace(b"15", b"16")
    check = _check(full, record=changed, sortition_record=digest)
    assert check.status == "FAIL" and "the manifest names " + digest in check.reason
    other = hashlib.sha256(b"another record").hexdigest()
    assert _check(full, sortition_record=other).status == "FAIL"
    assert _check(full, sortition_record="not hex").status == "FAIL"
    assert _check(full, minutes_head="00").status == "FAIL"


def test_a_record_for_a_manifest_naming_none_fails_saying_why(full):
    check = _check(full)  # the record is given; the manifest has no sortition_record
    assert check.status == "FAIL"
    assert "this manifest names no sortition_record" in check.reason
    assert "nothing links the record to this round" in check.reason
    assert "Leave the record out" in check.reason

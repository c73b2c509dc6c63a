"""The verifier's check 11 (see audits/verify.py): what the manifest records of the panel.

- ``minutes_head`` (the head of the round's chain of approved minutes, audits.minutes) and
  ``minutes_count`` are shown; the head must be 64 hex characters.
- ``minutes_shortlist``, the project codes of the shortlist the approved minutes record, must
  be exactly the ballot's projects (the manifest's ``projects``): the shortlist on the ballot
  is the one the minutes record.
- ``sortition_record`` is the SHA-256 of the canonical bytes of the panel's sortition record
  (decide.sortition.record). When the record is given (``--sortition-record RECORD.json``, or
  ``sortition-record.json`` in a folder), its SHA-256 must be that value; the record itself
  is checked by ``decide sortition verify RECORD.json``.

A record given for a manifest that names none FAILs, saying why: nothing links it to the round.

SKIP when the manifest records no panel deliberation.
"""

from __future__ import annotations

import hashlib
import re

from audits.verify_state import Fail, Skip, State, need

__all__ = ["SORTITION_FILE", "check_panel"]

SORTITION_FILE = "sortition-record.json"
_HEX = re.compile(r"[0-9a-f]{64}")


def _minutes(extra: dict[str, object], codes: list[str]) -> list[str]:
    head = extra.get("minutes_head")
    if head is None:
        return []
    if not isinstance(head, str) or not _HEX.fullmatch(head):
        raise Fail(f"minutes_head is not a SHA-256 in hex: {head!r}")
    said = [f"minutes head {head} over {extra.get('minutes_count')} approved minutes"]
    shortlist = extra.get("minutes_shortlist")
    if shortlist is None:
        return said
    if not isinstance(shortlist, list) or sorted(map(str, shortlist)) != sorted(codes):
        recorded = ", ".join(map(str, shortlist)) if isinstance(shortlist, list) else shortlist
        raise Fail(
            f"the shortlist the minutes record ({recorded}) is not the ballot's project list "
            f"({', '.join(sorted(codes))})"
        )
    return [*said, f"the ballot's {len(codes)} projects are the shortlist the minutes record"]


def _sortition(extra: dict[str, object], record: bytes | None) -> list[str]:
    digest = extra.get("sortition_record")
    if digest is None:
        if record is not None:
            raise Fail(
                "a sortition record was given (--sortition-record, or sortition-record.json in "
                "the folder) but this manifest names no sortition_record, so nothing links the "
                "record to this round: its panel was not drawn by lot on the site, or the "
                "record is another round's. Leave the record out to check this round"
            )
        return []
    if not isinstance(digest, str) or not _HEX.fullmatch(digest):
        raise Fail(f"sortition_record is not a SHA-256 in hex: {digest!r}")
    if record is None:
        return [
            f"sortition record {digest} (not given: check it with --sortition-record "
            "RECORD.json and `decide sortition verify RECORD.json`)"
        ]
    got = hashlib.sha256(record).hexdigest()
    if got != digest:
        raise Fail(f"the sortition record given has SHA-256 {got}, the manifest names {digest}")
    return [f"sortition record {digest} matches the record given"]


def check_panel(st: State, sortition_record: bytes | None) -> str:
    """Check 11: the minutes' head and shortlist, and the sortition record's hash."""
    m = need(st.manifest, "manifest.json unusable")
    extra = dict(m.extra)
    said = _minutes(extra, [p.id for p in m.projects]) + _sortition(extra, sortition_record)
    if not said:
        raise Skip("the manifest records no panel minutes or sortition")
    return "; ".join(said)

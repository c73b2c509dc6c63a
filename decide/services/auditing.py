"""The auditor page's service: run `audits.verify` on uploaded files, the same code as the CLI.

Nothing uploaded is stored. The server only runs the checks; an auditor who does not trust it
runs ``decide-verify`` on the same PDF and gets the same numbered lines.

The page is open to anyone, so the work it does for a stranger is bounded (issue 13, item 9):

- the upload size is capped (`MAX_UPLOAD`, enough for the largest real round's PDF) and the
  number of uploads per address is rate-limited by the view;
- the cheap checks run first: the PDF's structure and attachments and their digests
  (check 1), then the signatures against the pinned keys (check 6); the first failure stops
  the audit there, before any ballot is parsed or any rule is run;
- only then is the rest (ballots, chain, tally, allocation, ledger, the re-rendered pages) run,
  in a separate process that may grow by at most `MEMORY_LIMIT` beyond the worker it was forked
  from, within a time limit, so one upload cannot take the worker's memory or hold it forever.
"""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audits.edition import document_from_files
from audits.html import render_html
from audits.pdf import ATTACHMENT_NAMES, printed_digests, read_attachments
from audits.receipts import SignedReceipt
from audits.verify import (
    TITLES,
    Check,
    PinnedKeys,
    UnusableInput,
    Verdict,
    load_pinned_keys,
    quick_checks,
    verdict,
    verify_bundle,
)

# The largest real round, Warszawa 2026 (61,668 ballots), publishes a PDF of about 3 MB.
MAX_UPLOAD = 4 * 1024 * 1024
MEMORY_LIMIT = 1024 * 1024 * 1024
TIME_LIMIT = 120


@dataclass(frozen=True)
class AuditReport:
    """The checks, or why the input could not be checked at all."""

    checks: tuple[Check, ...] = ()
    error: str = ""
    source: str = ""

    @property
    def verdict(self) -> Verdict:
        """Return the exit status decide-verify would give (0, 1 or 3) and its closing lines."""
        if self.error or not self.checks:
            return Verdict(2, (self.error,))
        return verdict(self.checks)

    @property
    def passed(self) -> bool:
        """Return True when every check passed against pinned keys (decide-verify exits 0)."""
        return self.verdict.status == 0

    @property
    def consistent(self) -> bool:
        """Return True when nothing failed but trust is incomplete (decide-verify exits 3)."""
        return self.verdict.status == 3


def _address_space() -> int:
    """Return this process's virtual size in bytes (0 where /proc cannot tell)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * resource.getpagesize()


def _limited(conn: Any, kwargs: dict[str, Any]) -> None:
    """Run the full checks in a child process under the memory limit; send back the checks."""
    try:
        # The child starts as a copy of the worker: it may grow by MEMORY_LIMIT, no more.
        limit = _address_space() + MEMORY_LIMIT
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        conn.send(("ok", verify_bundle(**kwargs)))
    except MemoryError:
        conn.send(("error", "checking these files needs more memory than this server allows"))
    except Exception as exc:  # the parent reports it; a hostile file must not crash the worker
        conn.send(("error", f"the files could not be checked ({type(exc).__name__})"))
    finally:
        conn.close()


def _full_checks(kwargs: dict[str, Any]) -> list[Check]:
    """Run every check in a memory-limited child process (inline when processes are off)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_limited, args=(child, kwargs), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(TIME_LIMIT):
            raise UnusableInput(f"checking these files took longer than {TIME_LIMIT} seconds")
        kind, value = parent.recv()
    except EOFError:
        raise UnusableInput(
            "checking these files needs more memory than this server allows"
        ) from None
    finally:
        process.join(timeout=1)
        if process.is_alive():
            process.kill()
            process.join()
    if kind != "ok":
        raise UnusableInput(value)
    return list(value)


def _stopped(quick: list[Check]) -> tuple[Check, ...]:
    """Return the quick checks and every other check marked as not run."""
    done = {c.number for c in quick}
    rest = [
        Check(n, TITLES[n], "SKIP", "not run: an earlier check failed")
        for n in sorted(TITLES)
        if n not in done
    ]
    return tuple(sorted([*quick, *rest], key=lambda c: c.number))


def audit(
    *,
    pdf: bytes | None = None,
    files: Mapping[str, bytes] | None = None,
    keys: bytes | None = None,
    receipt: bytes | None = None,
    isolate: bool = True,
) -> AuditReport:
    """Verify a published PDF, or a round's files by name, with optional pinned keys and receipt."""
    try:
        pinned: PinnedKeys | None = load_pinned_keys(keys) if keys else None
        signed = None
        if receipt:
            try:
                signed = SignedReceipt.from_json(receipt)
            except ValueError as exc:
                raise UnusableInput(f"the receipt cannot be read: {exc}") from exc
        printed = None
        if pdf:
            if not pdf.startswith(b"%PDF-"):
                raise UnusableInput("not a PDF file")
            try:
                found = read_attachments(pdf)
                printed = printed_digests(pdf)
            except ValueError as exc:
                raise UnusableInput(str(exc)) from exc
            source = "the PDF"
        elif files:
            unknown = sorted(set(files) - set(ATTACHMENT_NAMES))
            if unknown:
                raise UnusableInput(
                    f"unexpected file names {', '.join(unknown)}; the round's files are "
                    + ", ".join(ATTACHMENT_NAMES)
                )
            found = dict(files)
            source = "the uploaded files"
        else:
            raise UnusableInput("choose the published PDF, or the round's files")
        quick = quick_checks(found, pinned_keys=pinned, printed=printed)
        if any(c.status == "FAIL" for c in quick):
            return AuditReport(_stopped(quick), source=source)
        kwargs: dict[str, Any] = {
            "files": found,
            "pinned_keys": pinned,
            "receipt": signed,
            "printed": printed,
            "pdf": pdf or None,
        }
        checks = _full_checks(kwargs) if isolate else verify_bundle(**kwargs)
    except UnusableInput as exc:
        return AuditReport(error=f"These files cannot be checked: {exc}.")
    return AuditReport(tuple(checks), source=source)


_TALLY_PAGES: dict[str, bytes] = {}


def tally_html(pdf: bytes, sha256: str) -> bytes | None:
    """Return the accessible HTML tally of a published PDF (the page check 9 re-renders).

    It is rendered from the PDF's own attachments, so it carries the same digests; pages are
    kept by the edition's SHA-256, as an edition never changes. None if the PDF has no
    readable attachments.
    """
    page = _TALLY_PAGES.get(sha256)
    if page is None:
        try:
            page = render_html(document_from_files(read_attachments(pdf)))
        except (ValueError, KeyError, TypeError):
            return None
        if len(_TALLY_PAGES) >= 16:
            _TALLY_PAGES.pop(next(iter(_TALLY_PAGES)))
        _TALLY_PAGES[sha256] = page
    return page

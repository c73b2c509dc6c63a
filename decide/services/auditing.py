"""The auditor page's service: run `audits.verify` on uploaded files, the same code as the CLI.

The server only runs the checks; an auditor who does not trust it runs ``decide-verify`` on the
same PDF and gets the same numbered lines. Uploads are kept only while they are checked.

The page is open to anyone, so the work it does for a stranger is bounded (issue 13, item 9):

- the upload size is capped (`MAX_UPLOAD`, enough for the largest real round's PDF) and the
  number of uploads per address is rate-limited by the view;
- the cheap checks run in the request: the PDF's structure and attachments and their digests
  (check 1), then the signatures against the pinned keys (check 6). The first failure stops
  the audit there, before any ballot is parsed or any rule is run;
- only then is the rest (ballots, chain, tally, allocation, ledger, the re-rendered pages) run
  as a background job (`start_audit`): a separate process (``python -m
  decide.services.auditing JOB_DIR``) that may grow by at most `MEMORY_LIMIT` of address space
  beyond what its imports take and may use `TIME_LIMIT` seconds of CPU, so one upload can take
  neither a worker's memory nor its time. At most `MAX_RUNNING` jobs run at once.

A job is a folder under the jobs directory named by an unguessable id: ``input/`` (the upload,
deleted as soon as the job has read it), ``progress.json`` (checks done so far) and
``result.json`` (the checks, or why there are none). The job page reads these, so any worker
on the machine can show a job's progress. Folders older than `KEEP_SECONDS` are removed when
the next job starts.
"""

from __future__ import annotations

import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from audits.edition import document_from_files
from audits.html import render_html
from audits.pdf import ATTACHMENT_NAMES, read_attachments
from audits.receipts import SignedReceipt
from audits.verify import (
    TITLES,
    Check,
    PinnedKeys,
    UnusableInput,
    Verdict,
    load_pinned_keys,
    open_pdf,
    quick_checks,
    verdict,
    verify_bundle,
)
from decide.services.errors import DomainError

# The largest real round, Warszawa 2026 (61,668 ballots), publishes a PDF of about 3 MB.
MAX_UPLOAD = 4 * 1024 * 1024
# Address space a job may add to what its imports take; Warszawa 2026 needs about 400 MB.
MEMORY_LIMIT = 1024 * 1024 * 1024
TIME_LIMIT = 120
MAX_RUNNING = 2
KEEP_SECONDS = 3600
JOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")
OUT_OF_MEMORY = "checking these files needs more memory than this server allows"
_ROOT = Path(__file__).resolve().parents[2]


class AuditBusy(DomainError):
    """As many audits are running as the server allows; try again shortly."""


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


@dataclass(frozen=True)
class AuditJob:
    """A background audit as its page shows it: running (checks done so far) or finished."""

    id: str
    done: int
    total: int
    step: str
    report: AuditReport | None
    stalled: bool = False
    memory_limit: int = 0

    @property
    def finished(self) -> bool:
        """Return True once the job has a report (or stopped without one)."""
        return self.report is not None or self.stalled


@dataclass(frozen=True)
class _Input:
    """An upload read and checked for shape: what the background job needs."""

    files: dict[str, bytes]
    pinned: PinnedKeys | None
    receipt: SignedReceipt | None
    printed: Mapping[str, str] | None
    pdf: bytes | None
    source: str


def _read_input(
    pdf: bytes | None,
    files: Mapping[str, bytes] | None,
    keys: bytes | None,
    receipt: bytes | None,
) -> _Input:
    """Parse the upload; raise UnusableInput for anything that cannot be checked at all."""
    pinned: PinnedKeys | None = load_pinned_keys(keys) if keys else None
    signed = None
    if receipt:
        try:
            signed = SignedReceipt.from_json(receipt)
        except ValueError as exc:
            raise UnusableInput(f"the receipt cannot be read: {exc}") from exc
    if pdf:
        if pdf.startswith(b"%PDF-") and b"%%EOF" not in pdf[-1024:]:
            # A PDF's last line is %%EOF; without it pypdf searches the whole file for its
            # structure, seconds of a worker's time for a few megabytes of junk.
            raise UnusableInput("not a complete PDF file: it does not end with %%EOF")
        found, printed = open_pdf(pdf)
        return _Input(found, pinned, signed, printed, pdf, "the PDF")
    if files:
        unknown = sorted(set(files) - set(ATTACHMENT_NAMES))
        if unknown:
            raise UnusableInput(
                f"unexpected file names {', '.join(unknown)}; the round's files are "
                + ", ".join(ATTACHMENT_NAMES)
            )
        return _Input(dict(files), pinned, signed, None, None, "the uploaded files")
    raise UnusableInput("choose the published PDF, or the round's files")


def _stopped(quick: list[Check]) -> tuple[Check, ...]:
    """Return the quick checks and every other check marked as not run."""
    done = {c.number for c in quick}
    rest = [
        Check(n, TITLES[n], "SKIP", "not run: an earlier check failed")
        for n in sorted(TITLES)
        if n not in done
    ]
    return tuple(sorted([*quick, *rest], key=lambda c: c.number))


def _unusable(exc: UnusableInput) -> AuditReport:
    return AuditReport(error=f"These files cannot be checked: {exc}.")


def audit(
    *,
    pdf: bytes | None = None,
    files: Mapping[str, bytes] | None = None,
    keys: bytes | None = None,
    receipt: bytes | None = None,
) -> AuditReport:
    """Verify a published PDF, or a round's files by name, in this process (no limits).

    For the command line and tests; the public page uses `start_audit`.
    """
    try:
        given = _read_input(pdf, files, keys, receipt)
        quick = quick_checks(given.files, pinned_keys=given.pinned, printed=given.printed)
        if any(c.status == "FAIL" for c in quick):
            return AuditReport(_stopped(quick), source=given.source)
        checks = verify_bundle(
            given.files,
            pinned_keys=given.pinned,
            receipt=given.receipt,
            printed=given.printed,
            pdf=given.pdf,
        )
    except UnusableInput as exc:
        return _unusable(exc)
    return AuditReport(tuple(checks), source=given.source)


# --- Background jobs --------------------------------------------------------------------------


def _write_json(path: Path, value: Any) -> None:
    """Write JSON atomically, so a page never reads half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _running(jobs_dir: Path, now: float) -> int:
    count = 0
    for job in jobs_dir.iterdir():
        if job.is_dir() and not (job / "result.json").exists():
            started = _read_json(job / "job.json") or {}
            if now - float(started.get("started", 0)) <= TIME_LIMIT + 30:
                count += 1
    return count


def _sweep(jobs_dir: Path, now: float) -> None:
    """Remove jobs older than KEEP_SECONDS (their results were shown long ago)."""
    for job in jobs_dir.iterdir():
        started = (_read_json(job / "job.json") or {}).get("started")
        try:
            age = now - float(started if started is not None else job.stat().st_mtime)
        except OSError:
            continue
        if age > KEEP_SECONDS:
            shutil.rmtree(job, ignore_errors=True)


def start_audit(
    *,
    jobs_dir: Path,
    pdf: bytes | None = None,
    files: Mapping[str, bytes] | None = None,
    keys: bytes | None = None,
    receipt: bytes | None = None,
    memory_limit: int = MEMORY_LIMIT,
    max_running: int = MAX_RUNNING,
    wait: bool = False,
) -> AuditReport | str:
    """Run the cheap checks now; if they pass, start the full checks as a background job.

    Return the finished report when the input is unusable or a cheap check fails, else the
    job's id (see `audit_job`). With `wait`, return once the job has finished (tests, the CLI).
    Raise AuditBusy when `max_running` jobs are already under way.
    """
    try:
        given = _read_input(pdf, files, keys, receipt)
        quick = quick_checks(given.files, pinned_keys=given.pinned, printed=given.printed)
    except UnusableInput as exc:
        return _unusable(exc)
    if any(c.status == "FAIL" for c in quick):
        return AuditReport(_stopped(quick), source=given.source)
    jobs_dir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    _sweep(jobs_dir, now)
    if _running(jobs_dir, now) >= max_running:
        raise AuditBusy(
            "The server is already checking as many uploads as it can. Try again in a minute, "
            "or run decide-verify on your own computer."
        )
    job_id = secrets.token_urlsafe(16)
    job = jobs_dir / job_id
    inputs = job / "input"
    (inputs / "files").mkdir(parents=True)
    for name, data in given.files.items():
        (inputs / "files" / name).write_bytes(data)
    if given.pdf is not None:
        (inputs / "round.pdf").write_bytes(given.pdf)
    if keys:
        (inputs / "keys.json").write_bytes(keys)
    if receipt:
        (inputs / "receipt.json").write_bytes(receipt)
    _write_json(job / "job.json", {"started": now, "source": given.source})
    _write_json(job / "progress.json", {"done": 0, "step": "Waiting to start"})
    process = subprocess.Popen(
        [sys.executable, "-m", "decide.services.auditing", str(job), str(memory_limit)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,
        cwd=_ROOT,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, (str(_ROOT), os.environ.get("PYTHONPATH")))),
        },
    )
    watcher = threading.Thread(target=_watch, args=(process, job), daemon=True)
    watcher.start()
    if wait:
        watcher.join()
    return job_id


def _watch(process: subprocess.Popen[bytes], job: Path) -> None:
    """Reap the job's process; record why it stopped if it left no result."""
    try:
        code = process.wait(timeout=TIME_LIMIT + 30)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    shutil.rmtree(job / "input", ignore_errors=True)
    if (job / "result.json").exists():
        return
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        message = f"checking these files took longer than {TIME_LIMIT} seconds"
    else:
        # The allocator fails hard in C code (fonts, BLS) rather than raise MemoryError.
        message = OUT_OF_MEMORY
    _write_json(job / "result.json", {"error": message})


def audit_job(jobs_dir: Path, job_id: str, now: float | None = None) -> AuditJob | None:
    """Return a job's progress or report, or None if there is no such job."""
    if not JOB_ID.fullmatch(job_id):
        return None
    job = jobs_dir / job_id
    meta = _read_json(job / "job.json")
    if meta is None:
        return None
    result = _read_json(job / "result.json")
    progress = _read_json(job / "progress.json") or {}
    total = len(TITLES)
    if result is not None:
        if result.get("error"):
            report = AuditReport(error=f"These files cannot be checked: {result['error']}.")
        else:
            checks = tuple(Check(**c) for c in result.get("checks", ()))
            report = AuditReport(checks, source=str(meta.get("source", "")))
        return AuditJob(
            job_id, total, total, "Finished", report, memory_limit=int(result.get("limit", 0))
        )
    stalled = (now or time.time()) - float(meta.get("started", 0)) > TIME_LIMIT + 60
    return AuditJob(
        job_id,
        int(progress.get("done", 0)),
        total,
        str(progress.get("step", "")),
        None,
        stalled=stalled,
    )


def _address_space() -> int:
    """Return this process's virtual size in bytes (0 where /proc cannot tell)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * resource.getpagesize()


def run_job(job: Path, memory_limit: int) -> None:
    """Run one job's full checks under the memory and CPU limits (the job's own process)."""
    inputs = job / "input"
    files = {p.name: p.read_bytes() for p in sorted((inputs / "files").iterdir())}
    pdf_path, keys_path, receipt_path = (
        inputs / "round.pdf",
        inputs / "keys.json",
        inputs / "receipt.json",
    )
    pdf = pdf_path.read_bytes() if pdf_path.exists() else None
    keys = keys_path.read_bytes() if keys_path.exists() else None
    receipt = receipt_path.read_bytes() if receipt_path.exists() else None
    shutil.rmtree(inputs, ignore_errors=True)
    # Only the soft limits are lowered: this trusted code raises them again to report.
    _, hard_as = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + memory_limit
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard_as))
    _, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_LIMIT, hard_cpu))
    done = 0

    def progress(check: Check) -> None:
        nonlocal done
        done += 1
        _write_json(job / "progress.json", {"done": done, "step": f"Check {check.number} done"})

    checks: list[Check] | None = None
    problem = OUT_OF_MEMORY
    try:
        given = _read_input(pdf, None if pdf else files, keys, receipt)
        checks = verify_bundle(
            given.files,
            pinned_keys=given.pinned,
            receipt=given.receipt,
            printed=given.printed,
            pdf=given.pdf,
            progress=progress,
        )
    except MemoryError:
        pass  # allocate nothing until the limit is lifted below
    except UnusableInput as exc:
        problem = str(exc)
    resource.setrlimit(resource.RLIMIT_AS, (hard_as, hard_as))
    result: dict[str, Any] = {"limit": limit}
    if checks is None:
        result["error"] = problem
    else:
        result["checks"] = [asdict(c) for c in checks]
    _write_json(job / "result.json", result)


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


if __name__ == "__main__":
    run_job(Path(sys.argv[1]), int(sys.argv[2]))

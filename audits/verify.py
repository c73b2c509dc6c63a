"""``decide-verify``: check a published round from its PDF (or a folder of its files) alone.

Usage::

    decide-verify FILE.pdf|FOLDER [--keys KEYS.json] [--receipt RECEIPT.json]
                  [--ledger-head HEX] [--with-pabutools]
    decide-verify --source-archive FILE.tar | --source-listing

It prints what the manifest decided (rules, reason for a change, Add1's k, the tie-break,
the software), then numbered checks, each PASS, WARN, FAIL or SKIP with a reason, and exits:

- 0: ALL CHECKS PASSED, against keys you pinned with ``--keys``;
- 3: every check passed, but trust is incomplete: no keys were pinned ("the signatures are
  consistent, but anyone could have made them: pin the panel's keys"), or payments in the
  ledger lie outside every co-signed checkpoint (they are listed);
- 1: a check failed;
- 2: the input cannot be used at all (no such file, not a PDF, a malformed --keys or
  --receipt file, a malformed --ledger-head).

1. attachments present; their digests match the manifest and the digests printed on the page;
   ballots.pb states the manifest's budget and projects
2. every ballot in ballots.pb is valid under the round's rules; no tracker repeats; counts match
3. chain head and Merkle root recomputed from ballots.pb; with board.json, the commitment
   board's root (the manifest's "board_root"), its length and its tracker order
4. tally recomputed
5. allocation recomputed with the named rule and parameters (decide.allocation)
6. every key's proof of possession; each signature; the k-of-n threshold; the aggregate;
   keys match the pinned --keys when given
   (WARN when no keys are pinned)
7. ledger chain intact; payments per project <= allocation; payees are the projects'
   organisations; checkpoint signatures; each checkpoint names the one before; with
   --ledger-head, a co-signed checkpoint has that head (WARN for payments after the last
   checkpoint)
8. with --receipt: the receipt's server signature, and its tracker and commitment on the
   commitment board, included under the board root
9. the printed pages: re-rendered from the attached files with the fonts and layout the
   manifest names, byte for byte; the first page and line that differ are reported (in
   folder mode the folder's tally.html is re-rendered instead; SKIP without one)
10. with --with-pabutools: pabutools recomputes greedy, Phragmén or equal shares (at Add1's
   k and k+1, completed by greedy) and agrees (SKIP otherwise)
11. the panel (audits/verify_panel.py): the minutes' head, the shortlist the minutes record
   equals the ballot's projects, and with --sortition-record (or sortition-record.json in a
   folder) the record's SHA-256 equals the manifest's "sortition_record" (SKIP when the
   manifest records neither)

Check 5 also checks the manifest's words against its data: the rule and tie-break in words,
Add1's k, and that a rule other than the one fixed at voting comes with a public reason.

`verify_bundle` and `verify_pdf` return the same checks for the web auditor page.

The checks live in audits/verify_state.py (what every check shares), verify_data.py (checks
1-5: the files, ballots, chain, tally and allocation) and verify_trust.py (checks 6-9: keys
and signatures, ledger, receipt, printed pages); this module runs them and is the CLI.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audits.archive import source_archive, source_archive_sha256, source_files, source_root
from audits.bls import PublicKeyRecord
from audits.canonical import sha256_hex, unhex
from audits.manifest import Manifest
from audits.pdf import (
    ATTACHMENT_NAMES,
    printed_digests,
    read_attachments,
)
from audits.receipts import SignedReceipt
from audits.verify_data import (
    check_allocation,
    check_ballots,
    check_chain,
    check_files,
    check_tally,
)
from audits.verify_panel import SORTITION_FILE, check_panel
from audits.verify_state import (
    NOT_PINNED,
    THRESHOLD_NOT_PINNED,
    TITLES,
    Check,
    Fail,
    PinnedKeys,
    Skip,
    State,
    UnusableInput,
    load_keys,
    need,
    pinned,
    run_check,
)
from audits.verify_trust import (
    check_html,
    check_ledger,
    check_pages,
    check_receipt,
    check_signatures,
)

__all__ = [
    "NOT_PINNED",
    "THRESHOLD_NOT_PINNED",
    "TITLES",
    "Check",
    "PinnedKeys",
    "UnusableInput",
    "Verdict",
    "load_pinned_keys",
    "main",
    "open_pdf",
    "quick_checks",
    "read_folder",
    "verdict",
    "verify_bundle",
    "verify_pdf",
]


def verify_bundle(
    files: Mapping[str, bytes],
    *,
    pinned_keys: PinnedKeys | Sequence[PublicKeyRecord] | None = None,
    receipt: SignedReceipt | None = None,
    printed: Mapping[str, str] | None = None,
    pdf: bytes | None = None,
    ledger_head: bytes | None = None,
    with_pabutools: bool = False,
    html: bytes | None = None,
    progress: Callable[[Check], None] | None = None,
    sortition_record: bytes | None = None,
) -> list[Check]:
    """Run checks 1-11 on a round's files; `printed` holds the digests read from the PDF page.

    `pdf` is the published PDF itself, for check 9; in folder mode check 9 compares the folder's
    tally.html (`html`) instead, and is SKIP without one. `progress`, if given, is called with
    each check as it finishes (a background job reports how far it is).
    """
    st = State(files)
    checks = _Reported(progress)
    checks.append(run_check(1, lambda: check_files(st, printed)))
    checks.append(run_check(2, lambda: check_ballots(st)))
    checks.append(run_check(3, lambda: check_chain(st)))
    checks.append(run_check(4, lambda: check_tally(st)))
    checks.append(run_check(5, lambda: check_allocation(st)))
    checks.append(run_check(6, lambda: check_signatures(st, pinned(pinned_keys))))
    checks.append(run_check(7, lambda: check_ledger(st, ledger_head)))
    if receipt is None:
        checks.append(Check(8, TITLES[8], "SKIP", "no receipt given"))
    else:
        checks.append(run_check(8, lambda: check_receipt(st, receipt)))
    if pdf is None and html is not None:
        checks.append(run_check(9, lambda: check_html(st, html)))
    elif pdf is None:
        checks.append(Check(9, TITLES[9], "SKIP", "a folder of files has no printed pages"))
    else:
        checks.append(run_check(9, lambda: check_pages(st, pdf)))
    if not with_pabutools:
        checks.append(Check(10, TITLES[10], "SKIP", "not asked for (--with-pabutools)"))
    elif importlib.util.find_spec("pabutools") is None:
        checks.append(
            Check(10, TITLES[10], "SKIP", "pabutools is not installed (pip install pabutools)")
        )
    else:
        checks.append(run_check(10, lambda: _check_pabutools(st)))
    checks.append(run_check(11, lambda: check_panel(st, sortition_record)))
    return list(checks)


class _Reported(list[Check]):
    """A list of checks that tells `progress` about each check appended."""

    def __init__(self, progress: Callable[[Check], None] | None) -> None:
        super().__init__()
        self._progress = progress

    def append(self, check: Check) -> None:
        super().append(check)
        if self._progress is not None:
            self._progress(check)


def _check_pabutools(st: State) -> str:
    from audits.second_opinion import second_opinion

    m = need(st.manifest, "manifest.json unusable")
    need(st.profile, "the ballots did not pass check 2")
    agrees, reason = second_opinion(m, st.files["ballots.pb"].decode("utf-8"))
    if agrees is None:
        raise Skip(reason)
    if not agrees:
        raise Fail(reason)
    return reason


def open_pdf(pdf: bytes) -> tuple[dict[str, bytes], Mapping[str, str]]:
    """Return a PDF's attachments and printed digests; raise UnusableInput if it is unreadable."""
    if not pdf.startswith(b"%PDF-"):
        raise UnusableInput("not a PDF file")
    try:
        return read_attachments(pdf), printed_digests(pdf)
    except ValueError as exc:
        raise UnusableInput(str(exc)) from exc


def verify_pdf(
    pdf: bytes,
    *,
    pinned_keys: PinnedKeys | Sequence[PublicKeyRecord] | None = None,
    receipt: SignedReceipt | None = None,
    ledger_head: bytes | None = None,
    with_pabutools: bool = False,
    sortition_record: bytes | None = None,
) -> list[Check]:
    """Run checks 1-11 on a published PDF; raise UnusableInput if it is not a readable PDF."""
    files, printed = open_pdf(pdf)
    return verify_bundle(
        files,
        pinned_keys=pinned_keys,
        receipt=receipt,
        printed=printed,
        pdf=pdf,
        ledger_head=ledger_head,
        with_pabutools=with_pabutools,
        sortition_record=sortition_record,
    )


def quick_checks(
    files: Mapping[str, bytes],
    *,
    pinned_keys: PinnedKeys | Sequence[PublicKeyRecord] | None = None,
    printed: Mapping[str, str] | None = None,
) -> list[Check]:
    """Run only the cheap checks: 1 (files and digests, ballots not parsed) and 6 (signatures).

    A public page runs these first and stops at the first failure, before any ballot is parsed
    or any rule is run.
    """
    st = State(files, quick=True)
    first = run_check(1, lambda: check_files(st, printed))
    if first.status == "FAIL":
        return [first]
    return [first, run_check(6, lambda: check_signatures(st, pinned(pinned_keys)))]


@dataclass(frozen=True)
class Verdict:
    """The exit status and the closing lines for a list of checks."""

    status: int
    lines: tuple[str, ...]


def verdict(checks: Sequence[Check]) -> Verdict:
    """Return exit 1 if a check failed, 3 if one only warned, else 0, with the final words."""
    failed = [c.number for c in checks if c.status == "FAIL"]
    if failed:
        return Verdict(1, (f"FAILED: check(s) {', '.join(map(str, failed))}",))
    warned = [c for c in checks if c.status == "WARN"]
    if not warned:
        return Verdict(0, ("ALL CHECKS PASSED",))
    lines = []
    for c in warned:
        if c.number == 6:
            lines.append(NOT_PINNED + " (--keys KEYS.json)")
        elif c.number == 7:
            lines.append(f"payments not covered by the panel: {c.reason}")
        else:
            lines.append(f"check {c.number}: {c.reason}")
    lines.append(f"NOT TRUSTED YET: check(s) {', '.join(str(c.number) for c in warned)} warn")
    return Verdict(3, tuple(lines))


def summary_lines(files: Mapping[str, bytes]) -> list[str]:
    """Return what the manifest decided, for people, before the checks (empty if unreadable)."""
    try:
        m = Manifest.from_json_bytes(files["manifest.json"])
    except (KeyError, ValueError):
        return []
    lines = [
        f"Round {m.round_id}: {m.title}",
        f"Rule fixed when voting opened: {m.rule_at_voting}",
        f"Rule confirmed: {m.rule} ({m.rule_words})",
    ]
    if m.rule_change_reason:
        lines.append(f"Public reason for the change: {m.rule_change_reason}")
    if m.add1:
        lines.append(
            f"Add1: final k = {m.add1.get('k')}, step {m.add1.get('step')} minor unit, "
            f"{m.add1.get('budget_per_voter')} per voter (minor units)"
        )
    lines.append(f"Tie-break: {m.tie_break_words} (data: {dict(m.tie_break)})")
    lines.append(
        f"Threshold: k={m.threshold}"
        + (f" (reason: {m.threshold_reason})" if m.threshold_reason else "")
    )
    lines.append(
        f"Software: {m.software_version}, commit {m.software_commit}, "
        f"{m.software_repository or 'repository not stated'}"
    )
    if "minutes_head" in m.extra:
        lines.append(f"Panel minutes: head {m.extra['minutes_head']}")
    if "sortition_record" in m.extra:
        lines.append(f"Panel drawn by lot: sortition record {m.extra['sortition_record']}")
    ours = source_archive_sha256()
    same = "this verifier's" if ours == m.verifier_archive_sha256 else "NOT this verifier's"
    lines.append(f"Verifier source archive named: {m.verifier_archive_sha256} ({same})")
    return lines


def load_pinned_keys(data: bytes) -> PinnedKeys:
    """Read pinned keys (keys.json, a list of public key records, or one); raise UnusableInput.

    A keys.json (``decide-keys/v1``) may state the threshold k; the verifier then refuses a
    manifest with a lower k.
    """
    try:
        return load_keys(data, "the pinned keys file")
    except Fail as exc:
        raise UnusableInput(str(exc)) from exc


def read_folder(folder: Path) -> dict[str, bytes]:
    """Return the round's files found in a folder, by name."""
    return {n: (folder / n).read_bytes() for n in ATTACHMENT_NAMES if (folder / n).is_file()}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the decide-verify command line."""
    parser = argparse.ArgumentParser(
        prog="decide-verify", description="Verify a published decide round from its PDF."
    )
    parser.add_argument(
        "source", nargs="?", help="the published PDF, or a folder holding its files"
    )
    parser.add_argument("--keys", help="the panel's public keys, as you got them yourself")
    parser.add_argument("--receipt", help="your ballot receipt (JSON)")
    parser.add_argument(
        "--ledger-head", help="a ledger head (64 hex) you kept from an earlier edition"
    )
    parser.add_argument(
        "--with-pabutools", action="store_true", help="recompute the allocation with pabutools"
    )
    parser.add_argument(
        "--sortition-record", help="the panel's sortition record (RECORD.json) to check"
    )
    parser.add_argument("--source-archive", help="write this verifier's source archive here")
    parser.add_argument(
        "--source-listing", action="store_true", help="print each source file's SHA-256"
    )
    args = parser.parse_args(argv)
    if args.source_archive or args.source_listing:
        return _source(args)
    if not args.source:
        parser.error("give the published PDF or a folder of its files")
    try:
        head = None
        if args.ledger_head is not None:
            try:
                head = unhex(args.ledger_head.strip().lower(), 32, "--ledger-head")
            except ValueError as exc:
                raise UnusableInput(str(exc)) from exc
        pinned = load_pinned_keys(Path(args.keys).read_bytes()) if args.keys else None
        receipt = None
        if args.receipt:
            try:
                receipt = SignedReceipt.from_json(Path(args.receipt).read_bytes())
            except ValueError as exc:
                raise UnusableInput(f"{args.receipt}: {exc}") from exc
        source = Path(args.source)
        options: dict[str, Any] = {
            "pinned_keys": pinned,
            "receipt": receipt,
            "ledger_head": head,
            "with_pabutools": args.with_pabutools,
            "sortition_record": Path(args.sortition_record).read_bytes()
            if args.sortition_record
            else None,
        }
        if source.is_dir():
            record = source / SORTITION_FILE
            if options["sortition_record"] is None and record.is_file():
                options["sortition_record"] = record.read_bytes()
            files = read_folder(source)
            page = source / "tally.html"
            html = page.read_bytes() if page.is_file() else None
            checks = verify_bundle(files, html=html, **options)
        elif source.is_file():
            data = source.read_bytes()
            checks = verify_pdf(data, **options)
            files = read_attachments(data)
        else:
            raise UnusableInput(f"{source}: no such file or folder")
    except (OSError, UnusableInput) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary_lines(files):
        print(line)
    print()
    for check in checks:
        print(check.line())
    result = verdict(checks)
    for line in result.lines:
        print(line)
    return result.status


def _source(args: argparse.Namespace) -> int:
    if args.source_listing:
        root = source_root()
        for rel in source_files(root):
            print(f"{sha256_hex((root / rel).read_bytes())}  {rel}")
    if args.source_archive:
        data = source_archive()
        Path(args.source_archive).write_bytes(data)
        print(f"{sha256_hex(data)}  {args.source_archive}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

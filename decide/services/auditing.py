"""The auditor page's service: run `audits.verify` on uploaded files, the same code as the CLI.

Nothing uploaded is stored. The server only runs the checks; an auditor who does not trust it
runs ``decide-verify`` on the same PDF and gets the same numbered lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from audits.pdf import ATTACHMENT_NAMES
from audits.receipts import SignedReceipt
from audits.verify import Check, UnusableInput, load_pinned_keys, verify_bundle, verify_pdf


@dataclass(frozen=True)
class AuditReport:
    """The checks, or why the input could not be checked at all."""

    checks: tuple[Check, ...] = ()
    error: str = ""
    source: str = ""

    @property
    def passed(self) -> bool:
        """Return True when every check passed (SKIP counts as not failing)."""
        return bool(self.checks) and all(c.ok for c in self.checks) and not self.error


def audit(
    *,
    pdf: bytes | None = None,
    files: Mapping[str, bytes] | None = None,
    keys: bytes | None = None,
    receipt: bytes | None = None,
) -> AuditReport:
    """Verify a published PDF, or a round's files by name, with optional pinned keys and receipt."""
    try:
        pinned = load_pinned_keys(keys) if keys else None
        signed = None
        if receipt:
            try:
                signed = SignedReceipt.from_json(receipt)
            except ValueError as exc:
                raise UnusableInput(f"the receipt cannot be read: {exc}") from exc
        if pdf:
            checks = verify_pdf(pdf, pinned_keys=pinned, receipt=signed)
            source = "the PDF"
        elif files:
            unknown = sorted(set(files) - set(ATTACHMENT_NAMES))
            if unknown:
                raise UnusableInput(
                    f"unexpected file names {', '.join(unknown)}; the round's files are "
                    + ", ".join(ATTACHMENT_NAMES)
                )
            checks = verify_bundle(files, pinned_keys=pinned, receipt=signed)
            source = "the uploaded files"
        else:
            raise UnusableInput("choose the published PDF, or the round's files")
    except UnusableInput as exc:
        return AuditReport(error=f"These files cannot be checked: {exc}.")
    return AuditReport(tuple(checks), source=source)

"""Re-verifying a disbursement ledger: its chain, its payees, its amounts and its checkpoints.

`verify_ledger` recomputes what `audits.ledger` builds: every entry's hash from the genesis,
that each payment goes to a funded project's organisation and stays within its allocation, and
that each checkpoint names a head the chain really had, in order. Checkpoint signatures need the
panel's keys and are checked by the caller (audits.verify_trust).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from audits.ledger import Checkpoint, Ledger, LedgerEntry, ledger_genesis
from ballots.wording import plural


@dataclass(frozen=True)
class LedgerCheck:
    """The result of re-verifying a ledger."""

    ok: bool
    reason: str
    heads: tuple[bytes, ...] = ()
    uncovered: tuple[LedgerEntry, ...] = ()


def verify_ledger(
    ledger: Ledger,
    *,
    allocation: Mapping[str, Fraction | int],
    organisations: Mapping[str, str],
) -> LedgerCheck:
    """Recompute the chain; check amounts against allocations and payees against organisations.

    Checkpoint signatures are checked by the caller (they need the panel's keys); this checks
    that each checkpoint names a head the chain really had.
    """
    heads = [ledger_genesis(ledger.round_id)]
    previous: Checkpoint | None = None
    problem = _entries_problem(ledger, allocation, organisations, heads)
    if problem is None:
        problem, previous = _checkpoints_problem(ledger, heads)
    if problem is not None:
        return LedgerCheck(False, problem)
    payments, checkpoints = len(ledger.entries), len(ledger.checkpoints)
    summary = f"{plural(payments, 'payment')}, {plural(checkpoints, 'checkpoint')}"
    covered = previous.count if previous is not None else 0
    uncovered = ledger.entries[covered:]
    if uncovered:
        summary += f"; {plural(len(uncovered), 'payment')} after the last checkpoint"
    return LedgerCheck(True, summary, tuple(heads), tuple(uncovered))


def _entries_problem(
    ledger: Ledger,
    allocation: Mapping[str, Fraction | int],
    organisations: Mapping[str, str],
    heads: list[bytes],
) -> str | None:
    """Recompute the chain into `heads`; return the first entry's problem, or None."""
    head = heads[0]
    paid: dict[str, int] = {}
    for position, e in enumerate(ledger.entries, start=1):
        where = f"ledger entry {position}"
        if e.round_id != ledger.round_id:
            return f"{where} belongs to round {e.round_id!r}"
        if e.sequence != position:
            return f"{where} has sequence {e.sequence}"
        problems = e.problems()
        if problems:
            return f"{where}: {'; '.join(problems)}"
        head = e.chain_hash(head)
        if e.hash != head:
            return f"{where}: hash does not follow from the chain"
        heads.append(head)
        problem = _payment_problem(e, where, allocation, organisations, paid)
        if problem is not None:
            return problem
    return None


def _payment_problem(
    e: LedgerEntry,
    where: str,
    allocation: Mapping[str, Fraction | int],
    organisations: Mapping[str, str],
    paid: dict[str, int],
) -> str | None:
    """Whether a payment goes to a funded project's organisation, within its allocation."""
    if e.project_id not in allocation:
        return f"{where} pays project {e.project_id}, which was not funded"
    if organisations.get(e.project_id) != e.organisation:
        return (
            f"{where} pays {e.organisation!r}, but project {e.project_id} is run by "
            f"{organisations.get(e.project_id)!r}"
        )
    paid[e.project_id] = paid.get(e.project_id, 0) + e.amount_pence
    if paid[e.project_id] > Fraction(allocation[e.project_id]):
        return (
            f"{where}: payments to project {e.project_id} reach {paid[e.project_id]} pence, "
            f"over its allocation of {allocation[e.project_id]}"
        )
    return None


def _checkpoints_problem(
    ledger: Ledger, heads: list[bytes]
) -> tuple[str | None, Checkpoint | None]:
    """Check each checkpoint against the chain and the one before; return the first problem
    (or None) and the last checkpoint."""
    previous: Checkpoint | None = None
    for i, c in enumerate(ledger.checkpoints, start=1):
        cp = c.checkpoint
        if cp.round_id != ledger.round_id:
            return f"checkpoint {i} belongs to round {cp.round_id!r}", previous
        if cp.count > len(ledger.entries) or heads[cp.count] != cp.head:
            return f"checkpoint {i} names a head the ledger did not have at {cp.count}", previous
        expected = None if previous is None else previous.digest()
        if cp.previous != expected:
            what = (
                "the first checkpoint names a previous one"
                if expected is None
                else (
                    f"checkpoint {i} does not name checkpoint {i - 1} as the one before it "
                    "(a checkpoint was removed or reordered)"
                )
            )
            return what, previous
        if previous is not None and (cp.count < previous.count or cp.date < previous.date):
            return f"checkpoint {i} goes back in count or date", previous
        previous = cp
    return None, previous

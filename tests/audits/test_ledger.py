from __future__ import annotations

import pytest

from audits.canonical import sha256_hex
from audits.ledger import (
    Ledger,
    LedgerEntry,
    LedgerError,
    OverAllocation,
    ledger_genesis,
    verify_ledger,
)

ALLOC = {"a": 100_000, "b": 50_000}
ORGS = {"a": "Org A", "b": "Org B", "c": "Org C"}
REF = sha256_hex(b"ref")


def pay(ledger, pid, amount, org=None, date="2026-11-01"):
    return ledger.append(
        project_id=pid,
        organisation=org or ORGS[pid],
        amount_pence=amount,
        date=date,
        bank_reference_sha256=REF,
        approver="Fay",
        allocation=ALLOC,
        organisations=ORGS,
    )


def test_chain_and_verify():
    ledger = pay(pay(Ledger("r"), "a", 60_000), "a", 40_000)
    assert ledger.paid("a") == 100_000
    assert ledger.entries[0].hash == ledger.entries[0].chain_hash(ledger_genesis("r"))
    assert ledger.head == ledger.entries[1].chain_hash(ledger.entries[0].hash)
    assert verify_ledger(ledger, allocation=ALLOC, organisations=ORGS).ok
    assert Ledger.from_json_bytes(ledger.to_json_bytes()) == ledger


def test_overspend_refused_with_clear_message_and_nothing_changes():
    ledger = pay(Ledger("r"), "b", 30_000)
    with pytest.raises(OverAllocation, match=r"over its allocation of £500.00 \(£200.00 left\)"):
        pay(ledger, "b", 20_001)
    assert ledger.count == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pid": "c", "amount": 1}, "not allocated"),
        ({"pid": "a", "amount": 0}, "positive"),
        ({"pid": "a", "amount": 10, "org": "Org B"}, "run by"),
        ({"pid": "a", "amount": 10, "date": "1/11/2026"}, "YYYY-MM-DD"),
    ],
)
def test_bad_payments_refused(kwargs, message):
    with pytest.raises(LedgerError, match=message):
        pay(Ledger("r"), **kwargs)


def test_altered_amount_and_rehash_detected():
    ledger = pay(pay(Ledger("r"), "a", 60_000), "b", 10_000)
    e = ledger.entries[0]
    altered = LedgerEntry(**{**e.__dict__, "amount_pence": 90_000})
    tampered = Ledger("r", (altered, ledger.entries[1]))
    check = verify_ledger(tampered, allocation=ALLOC, organisations=ORGS)
    assert not check.ok and "entry 1" in check.reason


def test_overspend_detected_even_when_rehashed():
    entries, head = [], ledger_genesis("r")
    for seq, amount in enumerate([80_000, 30_000], start=1):
        e = LedgerEntry("r", seq, "a", "Org A", amount, "2026-11-01", REF, "Fay")
        e = LedgerEntry(**{**e.__dict__, "hash": e.chain_hash(head)})
        head = e.hash
        entries.append(e)
    check = verify_ledger(Ledger("r", tuple(entries)), allocation=ALLOC, organisations=ORGS)
    assert not check.ok and "over its allocation" in check.reason


def test_wrong_payee_detected():
    e = LedgerEntry("r", 1, "a", "Shell Ltd", 10, "2026-11-01", REF, "Fay")
    e = LedgerEntry(**{**e.__dict__, "hash": e.chain_hash(ledger_genesis("r"))})
    check = verify_ledger(Ledger("r", (e,)), allocation=ALLOC, organisations=ORGS)
    assert not check.ok and "run by" in check.reason


def test_malformed_ledger_json():
    with pytest.raises(LedgerError):
        Ledger.from_json_bytes(b'{"type":"decide-ledger/v1"}')
    with pytest.raises(LedgerError):
        Ledger.from_json_bytes(b"[1.5]")


def test_summary_counts_payments_after_last_checkpoint():
    ledger = pay(Ledger("r"), "a", 10)
    check = verify_ledger(ledger, allocation=ALLOC, organisations=ORGS)
    assert check.ok and "1 payment after the last checkpoint" in check.reason


def test_a_reason_is_hashed_into_its_entry_and_survives_ledger_json():
    """A payment beyond confirmed tranches carries its reason in the chain (FORMATS.md §10.1)."""
    ledger = Ledger("r").append(
        project_id="a", organisation="Org A", amount_pence=10, date="2026-11-01",
        bank_reference_sha256=REF, approver="Fay", allocation={"a": 100},
        reason="Paid ahead of the first milestone",
    )  # fmt: skip
    plain = Ledger("r").append(
        project_id="a", organisation="Org A", amount_pence=10, date="2026-11-01",
        bank_reference_sha256=REF, approver="Fay", allocation={"a": 100},
    )  # fmt: skip
    assert "reason" not in plain.entries[0].body() and plain.head != ledger.head
    again = Ledger.from_json_bytes(ledger.to_json_bytes())
    assert again.entries[0].reason == "Paid ahead of the first milestone"
    assert again.head == ledger.head
    altered = ledger.to_json_bytes().replace(b"Paid ahead", b"Paid early")
    check = verify_ledger(
        Ledger.from_json_bytes(altered), allocation={"a": 100}, organisations={"a": "Org A"}
    )
    assert not check.ok

"""Valid form data that tests change one field of, to see the bad value refused."""

from __future__ import annotations

import datetime as dt
from typing import Any


def round_form(world: Any, **changes: str) -> dict[str, Any]:
    """Return a valid new-round form for the test world, with `changes` applied."""
    data: dict[str, Any] = {
        "title": "Healthy Moorfield",
        "description": "",
        "budget_pence": "10,000",
        "area_ids": [str(a.id) for a in world.areas],
        "ballot_kind": "approval",
        "min_choices": "1",
        "allocation_rule": "greedy",
        "signature_threshold": "1",
    }
    data.update(changes)
    return data


def payment_form(**changes: str) -> dict[str, str]:
    """Return a valid ledger payment form (project P1, today), with `changes` applied."""
    form = {
        "project_code": "P1",
        "amount": "100",
        "paid_on": dt.date.today().isoformat(),
        "bank_reference": "BACS-1",
        "approver": "Fay Facilitator",
        # No milestone is confirmed in these tests: every payment needs its reason.
        "reason": "Paid ahead of milestones",
    }
    form.update(changes)
    return form

"""Plain words for quotas that no panel can meet, naming the quotas that conflict.

Every quota is two bounds ("at least min", "at most max"). A deletion filter finds a smallest
conflicting set: start from all bounds; leave one out; if no panel meets the rest either, it
was not needed for the conflict and stays out. What is left conflicts, and leaving out any one
of its bounds makes the rest feasible (an irreducible infeasible subset, in the language of
linear programming), so every bound named is part of the problem.
"""

from __future__ import annotations

from collections.abc import Sequence

from decide.sortition.pool import Pool, Quota, type_table
from decide.sortition.programs import Bound, PanelProgram

__all__ = ["InfeasibleQuotas", "conflicting_bounds", "explain_infeasible"]


class InfeasibleQuotas(ValueError):
    """No panel of the asked size meets the quotas; the message names those that conflict."""


def conflicting_bounds(pool: Pool, quotas: Sequence[Quota], size: int) -> list[Bound]:
    """Return an irreducible set of quota bounds that no panel of `size` meets together."""
    table = type_table(pool, quotas)
    every: list[Bound] = []
    for q, quota in enumerate(quotas):
        if quota.min > 0:
            every.append((q, "min"))
        every.append((q, "max"))
    keep = list(every)
    for bound in every:
        trial = [b for b in keep if b != bound]
        relaxed = frozenset(b for b in every if b not in trial)
        if PanelProgram(table, quotas, size, relaxed=relaxed).best() is None:
            keep = trial
    return keep


def explain_infeasible(pool: Pool, quotas: Sequence[Quota], size: int) -> str:
    """Return a message saying which quotas cannot be met together, and why, in plain words."""
    n = len(pool.people)
    if n < size:
        return f"The pool has {n} people, fewer than the {size} the panel needs."
    bounds = conflicting_bounds(pool, quotas, size)
    parts = []
    for q, kind in bounds:
        quota = quotas[q]
        have = sum(1 for p in pool.people if p.features[quota.feature] == quota.value)
        if kind == "min":
            parts.append(f"at least {quota.min} with {quota.label} (the pool has {have})")
        else:
            parts.append(f"at most {quota.max} with {quota.label}")
    if not parts:
        return f"No panel of {size} can be drawn from this pool."
    listed = "; ".join(parts)
    return (
        f"No panel of {size} people from this pool meets these quotas together: {listed}. "
        "Loosen one of them (or change the panel size)."
    )

"""Access rules for the results pages: compare, equity settings, confirm, results, my ballot.

Comparing, equity settings and confirming are for facilitators on a closed round. The results
page and "how my ballot was used" (by stated choices) are public (before publication they
show a "not yet" page to everyone but facilitators and the panel, who see a preview).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from decide.demo.results import demo_choices
from decide.services import results as results_service
from tests.results.factory import closed_round, project_codes
from tests.web.access import FACILITATOR_ONLY, PUBLIC, Access


def _r(w: Any) -> SimpleNamespace:
    """Build (once per world) a closed round and a published round with a confirmed rule."""
    if hasattr(w, "_results"):
        return w._results
    voters = demo_choices()[:60]
    closed = closed_round(w.session, title="Results closed", voters=voters)
    published = closed_round(w.session, title="Results published", voters=voters)
    results_service.confirm_rule(
        w.session, published.id, rule="equal-shares", reason="", actor=w.users["facilitator"]
    )
    published.phase = "published"
    w.session.commit()
    w._results = SimpleNamespace(
        closed=closed.id,
        published=published.id,
        choices=[project_codes()[k] for k in voters[0][1]],
    )
    return w._results


RULES = [
    Access(
        "results.compare",
        "GET",
        lambda w: f"/rounds/{_r(w).closed}/results/compare",
        FACILITATOR_ONLY,
    ),
    Access(
        "results.confirm",
        "POST",
        lambda w: f"/rounds/{_r(w).closed}/results/confirm",
        FACILITATOR_ONLY,
        data=lambda w: {"rule": "equal-shares", "tie_break": "lex"},
    ),
    Access(
        "results.equity",
        "GET",
        lambda w: f"/rounds/{_r(w).closed}/results/equity",
        FACILITATOR_ONLY,
    ),
    Access(
        "results.equity",
        "POST",
        lambda w: f"/rounds/{_r(w).closed}/results/equity",
        FACILITATOR_ONLY,
        data=lambda w: {"floor_share": "20", "weight_1": "1", "action": "preview"},
    ),
    Access("results.show", "GET", lambda w: f"/rounds/{_r(w).published}/results", PUBLIC),
    Access(
        "results.show",
        "GET",
        lambda w: f"/rounds/{_r(w).closed}/results",
        PUBLIC,
        note="closed",
    ),
    Access(
        "results.my_ballot",
        "GET",
        lambda w: f"/rounds/{_r(w).published}/results/my-ballot",
        PUBLIC,
    ),
    Access(
        "results.my_ballot",
        "POST",
        lambda w: f"/rounds/{_r(w).published}/results/my-ballot",
        PUBLIC,
        data=lambda w: {"project": _r(w).choices},
    ),
]

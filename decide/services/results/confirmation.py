"""Confirming a closed round's rule, and reading back the confirmed result."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.allocation import RULES, Outcome, TieBreak
from decide.models import ALLOCATION_RULES, ChainState, Round, RoundResult, User
from decide.services.errors import InvalidInput
from decide.services.results.election import (
    PUBLIC_PHASES,
    RESULT_PHASES,
    Election,
    ResultsError,
    round_to_election,
)
from decide.services.results.equity import equity_spec
from decide.services.results.explanation.words import money_in_text
from decide.services.results.rules import rule_parameters, run_rule
from decide.services.unit_of_work import unit_of_work

REASON_MIN = 20
REASON_MAX = 2000


def outcome_digest(outcome_json: Mapping[str, Any]) -> str:
    """Return the SHA-256 of the outcome JSON in canonical form (sorted keys, no spaces)."""
    text = json.dumps(outcome_json, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def confirm_rule(
    session: Session,
    round_id: int,
    *,
    rule: str,
    reason: str,
    actor: User,
    tie_break: TieBreak | None = None,
    now: dt.datetime | None = None,
) -> RoundResult:
    """Confirm the round's allocation rule (or change it with a reason); store the outcome.

    Raise InvalidInput (field "reason" or "rule") or ResultsError; nothing is written then.
    """
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise ResultsError(f"There is no round {round_id}.")
    if rnd.phase != "closed":
        raise ResultsError(
            "The rule can be confirmed only while the round is closed and not yet published "
            f"(it is at: {rnd.phase_label})."
        )
    reason = (reason or "").strip()
    if rule not in RULES:
        raise InvalidInput({"rule": "Choose one of the allocation rules."})
    if rule != rnd.allocation_rule:
        if not reason:
            raise InvalidInput(
                {
                    "reason": (
                        f"You chose {ALLOCATION_RULES.get(rule, rule)} instead of the rule fixed "
                        f"when voting opened ({ALLOCATION_RULES.get(rnd.allocation_rule)}). "
                        "Give the reason for the change; it is shown publicly with the results."
                    )
                }
            )
        if len(reason) < REASON_MIN:
            raise InvalidInput(
                {"reason": f"Give a reason of at least {REASON_MIN} characters, in full words."}
            )
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": f"Keep the reason under {REASON_MAX} characters."})
    election = round_to_election(session, round_id)
    spec = equity_spec(session, election)
    parameters = rule_parameters(rule, election, spec)
    tb = tie_break or TieBreak()
    outcome = run_rule(election, rule, parameters=parameters, tie_break=tb)
    if outcome.program is not None and outcome.program.status == "infeasible":
        raise InvalidInput({"rule": money_in_text(" ".join(outcome.notes), election.currency)})
    data = outcome.to_json_dict()
    row = session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))
    if row is None:
        row = RoundResult(round_id=round_id)
        session.add(row)
    row.original_rule = rnd.allocation_rule
    row.rule = rule
    row.change_reason = reason if rule != rnd.allocation_rule else ""
    row.parameters = parameters
    row.tie_break_kind = tb.kind
    row.tie_break_seed = tb.seed
    row.selected = list(outcome.selected)
    row.amounts = {k: v for k, v in data["amounts"].items()}
    row.outcome = data
    row.outcome_sha256 = outcome_digest(data)
    row.ballot_count = election.voters
    row.confirmed_by_id = actor.id
    row.confirmed_at = now or dt.datetime.now(dt.UTC)
    with unit_of_work(session):
        session.flush()
    return row


def confirmed_result(session: Session, round_id: int) -> RoundResult | None:
    """Return the round's confirmed result (what publication publishes), or None."""
    return session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))


def result_tie_break(result: RoundResult) -> TieBreak:
    """Return the confirmed result's tie-break."""
    return TieBreak(kind=result.tie_break_kind, seed=result.tie_break_seed)  # type: ignore[arg-type]


# Recomputed confirmed outcomes, so the public results page does not re-run a rule (seconds on
# a large round) for every visitor. Keyed by the result's identity and digest (a re-confirmed
# result has a new digest) and the board's chain head (which fixes every ballot on it).
_RECOMPUTED: dict[tuple[int, int, str, bytes], tuple[Election, Outcome]] = {}
_RECOMPUTED_MAX = 16


def recompute_result(session: Session, result: RoundResult) -> tuple[Election, Outcome]:
    """Re-run the confirmed rule on the board; raise ResultsError if it no longer matches."""
    head = session.scalar(select(ChainState.head).where(ChainState.round_id == result.round_id))
    key = (result.id, result.round_id, result.outcome_sha256, bytes(head or b""))
    cached = _RECOMPUTED.get(key)
    if cached is not None:
        return cached
    election = round_to_election(session, result.round_id)
    outcome = run_rule(
        election, result.rule, parameters=result.parameters, tie_break=result_tie_break(result)
    )
    if outcome_digest(outcome.to_json_dict()) != result.outcome_sha256:
        raise ResultsError(
            "Recomputing the confirmed rule on the board gives a different outcome; the "
            "stored result is out of date. Confirm the rule again."
        )
    if len(_RECOMPUTED) >= _RECOMPUTED_MAX:
        _RECOMPUTED.pop(next(iter(_RECOMPUTED)), None)
    _RECOMPUTED[key] = (election, outcome)
    return election, outcome


def results_visible(rnd: Round, *, privileged: bool) -> bool:
    """Return whether the results page shows the outcome (public once published)."""
    if rnd.phase in PUBLIC_PHASES:
        return True
    return privileged and rnd.phase in RESULT_PHASES

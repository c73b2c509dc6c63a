"""How one ballot was used by the confirmed outcome, and the funded projects as rows."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from ballots.model import Ballot as CoreBallot
from decide.allocation import BallotUsage, Outcome, ballot_usage
from decide.models import Round
from decide.services.results.confirmation import confirmed_result, recompute_result
from decide.services.results.election import Election, ResultsError, pence_int
from decide.services.results.explanation.words import supporters_of


@dataclass(frozen=True)
class UsageView:
    """How one ballot was used, with the projects' titles."""

    usage: BallotUsage
    ballot: CoreBallot
    funded: tuple[tuple[str, str, int, int], ...]  # (code, title, cost pence, share pence)
    not_funded: tuple[tuple[str, str], ...]
    total: int  # pence, to the nearest penny


def ballot_with_choices(election: Election, kind: str, stated: CoreBallot) -> CoreBallot | None:
    """Return a counted ballot with the same canonical bytes as the stated one, or None.

    Ballots with the same choices are used the same way by every rule, so any one of them
    says how the voter's was used; no tracker or voter is needed, and none could be.
    """
    from ballots.canonical import canonical_ballot_bytes

    want = canonical_ballot_bytes(kind, stated)
    return next(
        (b for b in election.profile.ballots if canonical_ballot_bytes(kind, b) == want), None
    )


def usage_for_choices(session: Session, round_id: int, stated: CoreBallot) -> UsageView | None:
    """Say how a ballot with these choices was used by the confirmed outcome (None if none was).

    Raise ResultsError when no outcome is confirmed yet.
    """
    result = confirmed_result(session, round_id)
    if result is None:
        raise ResultsError("The results of this round are not confirmed yet.")
    election, outcome = recompute_result(session, result)
    rnd = session.get(Round, round_id)
    ballot = ballot_with_choices(election, rnd.ballot_kind if rnd else "approval", stated)
    if ballot is None:
        return None
    usage = ballot_usage(outcome, election.instance, ballot)
    funded = tuple(
        (
            s.project,
            election.titles.get(s.project, s.project),
            pence_int(s.cost),
            pence_int(s.share),
        )
        for s in usage.supported_funded
    )
    not_funded = tuple(
        (code, election.titles.get(code, code)) for code in usage.supported_not_funded
    )
    return UsageView(usage, ballot, funded, not_funded, pence_int(usage.total))


def funded_rows(election: Election, outcome: Outcome) -> list[dict[str, Any]]:
    """Return one row per project: title, area, organisation, supporters, cost, funded."""
    supporters = supporters_of(election)
    names = {a.id: a.name for a in election.areas}
    rows = []
    for p in election.instance.projects:
        rows.append(
            {
                "code": p.id,
                "title": p.name or p.id,
                "area": names.get(election.project_area.get(p.id, ""), ""),
                "organisation": election.project_organisation.get(p.id, ""),
                "supporters": supporters.get(p.id, 0),
                "cost": pence_int(p.cost),
                "funded": p.id in outcome.amounts,
                "amount": pence_int(outcome.amounts.get(p.id, Fraction(0))),
            }
        )
    order = {code: i for i, code in enumerate(outcome.selected)}
    rows.sort(key=lambda r: (not r["funded"], order.get(r["code"], 0), -r["supporters"]))
    return rows

"""Ranked-choice decisions among a panel's members, counted by pyrankvote, with transcripts.

One place is decided by instant-runoff voting (IRV), N places by the single transferable vote
(STV), both as pyrankvote 2.0 counts them (https://github.com/jontingvold/pyrankvote):

- STV's quota is ``ballots / (places + 1)`` (not rounded; a candidate reaching it, within
  pyrankvote's margin of 10⁻⁶, is elected). An elected candidate's surplus goes on at a
  fractional value shared equally by every ballot that was counted for them; when nobody
  reaches the quota, the candidate with the fewest votes is eliminated and their ballots move
  to the next choice still in the race.
- IRV elects a candidate with a majority of the ballots not yet exhausted, else eliminates.
- Ties are broken by most second choices, then third, and so on; a tie left after that is
  broken by a generator seeded with the decision's recorded seed (pyrankvote draws from the
  ``random`` module; here it draws from ``random.Random(seed)`` instead), so a count is the same
  every time it is run with the same ballots and seed.

The transcript lists each round's counts, the candidates elected or eliminated in it, and the
votes moved before it (each count minus the previous round's count), written as decimals with
six places: pyrankvote counts in floating point.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pyrankvote
from pyrankvote import helpers as _pyrankvote_helpers

__all__ = [
    "CountMethod",
    "RankedCount",
    "RankedRound",
    "RankingRefused",
    "count_ranked",
    "method_for",
]

_SEEDED = threading.Lock()


class CountMethod(Enum):
    """How a ranked vote is counted."""

    IRV = "irv"
    STV = "stv"

    @property
    def words(self) -> str:
        """Return the method's name for people."""
        return {"irv": "instant-runoff vote", "stv": "single transferable vote"}[self.value]


class RankingRefused(ValueError):
    """A ballot or a count's settings that cannot be counted, with a message for people."""


def method_for(places: int) -> CountMethod:
    """Return IRV for one place and STV for more."""
    return CountMethod.IRV if places == 1 else CountMethod.STV


@dataclass(frozen=True)
class RankedRound:
    """One round of a count: votes held, who was elected or eliminated, and what moved."""

    number: int
    counts: Mapping[str, str]
    exhausted: str
    elected: tuple[str, ...]
    eliminated: tuple[str, ...]
    transfers: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        """Return the round as plain JSON values."""
        return {
            "round": self.number,
            "counts": dict(self.counts),
            "exhausted": self.exhausted,
            "elected": list(self.elected),
            "eliminated": list(self.eliminated),
            "transfers": dict(self.transfers),
        }


@dataclass(frozen=True)
class RankedCount:
    """A counted vote: the winners in the order they were elected, and every round."""

    method: CountMethod
    places: int
    ballot_count: int
    quota: str
    winners: tuple[str, ...]
    rounds: tuple[RankedRound, ...]
    seed: str

    def to_json(self) -> dict[str, Any]:
        """Return the count as plain JSON values (what the minutes keep)."""
        return {
            "method": self.method.value,
            "places": self.places,
            "ballots": self.ballot_count,
            "quota": self.quota,
            "winners": list(self.winners),
            "rounds": [r.to_json() for r in self.rounds],
            "seed": self.seed,
        }


def _decimal(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _check(candidates: Sequence[str], ballots: Sequence[Sequence[str]], places: int) -> None:
    if len(set(candidates)) != len(candidates):
        raise RankingRefused("A candidate is listed twice.")
    if not 1 <= places <= len(candidates):
        raise RankingRefused(f"Choose from 1 to {len(candidates)} places.")
    known = set(candidates)
    for ranking in ballots:
        if len(set(ranking)) != len(ranking):
            raise RankingRefused("A ballot ranks the same candidate twice.")
        unknown = set(ranking) - known
        if unknown:
            raise RankingRefused(f"A ballot ranks an unknown candidate: {sorted(unknown)[0]}.")


def count_ranked(
    candidates: Sequence[str], ballots: Sequence[Sequence[str]], *, places: int, seed: str
) -> RankedCount:
    """Count ranked ballots for `places` places (IRV for one, STV for more)."""
    _check(candidates, ballots, places)
    method = method_for(places)
    people = {c: pyrankvote.Candidate(c) for c in candidates}
    votes = [pyrankvote.Ballot([people[c] for c in ranking]) for ranking in ballots]
    with _SEEDED:
        saved = _pyrankvote_helpers.random
        _pyrankvote_helpers.random = random.Random(seed)
        try:
            if method is CountMethod.IRV:
                result = pyrankvote.instant_runoff_voting(list(people.values()), votes)
            else:
                result = pyrankvote.single_transferable_vote(
                    list(people.values()), votes, number_of_seats=places
                )
        finally:
            _pyrankvote_helpers.random = saved
    return RankedCount(
        method=method,
        places=places,
        ballot_count=len(ballots),
        quota=_decimal(len(ballots) / (places + 1)) if method is CountMethod.STV else "",
        winners=tuple(c.name for c in result.get_winners()),
        rounds=_rounds(result, candidates),
        seed=seed,
    )


def _rounds(result: Any, candidates: Sequence[str]) -> tuple[RankedRound, ...]:
    rounds: list[RankedRound] = []
    before: dict[str, float] = {}
    status_before = {c: "Hopeful" for c in candidates}
    for number, round_result in enumerate(result.rounds, start=1):
        counts = {
            r.candidate.name: float(r.number_of_votes) for r in round_result.candidate_results
        }
        status = {r.candidate.name: str(r.status) for r in round_result.candidate_results}
        changed = [c for c in candidates if status[c] != status_before[c]]
        moved = {
            c: _decimal(counts[c] - before[c])
            for c in candidates
            if before and abs(counts[c] - before[c]) > 1e-9
        }
        rounds.append(
            RankedRound(
                number=number,
                counts={c: _decimal(counts[c]) for c in candidates},
                exhausted=_decimal(float(round_result.number_of_blank_votes)),
                elected=tuple(c for c in changed if status[c] == "Elected"),
                eliminated=tuple(c for c in changed if status[c] == "Rejected"),
                transfers=moved,
            )
        )
        before, status_before = counts, status
    return tuple(rounds)

"""Turn an Instance and Profile into compact integer-indexed data that the rules share.

Identical ballots are treated identically by every rule here, so they are collapsed into
weighted voter groups. Money stays exact: gmpy2's ``mpq`` (the fast exact rational pabutools
itself uses, a required dependency); rules convert back to Fraction at their boundary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain
from operator import attrgetter, mul

from gmpy2 import mpq

from ballots.model import Ballot, Instance, Profile

Rational = int | Fraction | mpq


def Q(numerator: Rational, denominator: int = 1) -> mpq:
    """Return an exact rational (gmpy2 mpq)."""
    if isinstance(numerator, Fraction):
        return mpq(numerator.numerator, numerator.denominator)
    if isinstance(numerator, mpq):
        return numerator if denominator == 1 else numerator / denominator
    return mpq(numerator, denominator)


def to_fraction(x: Rational) -> Fraction:
    """Convert an int, Fraction or mpq to a Fraction."""
    if isinstance(x, int):
        return Fraction(x)
    return Fraction(int(x.numerator), int(x.denominator))


CARDINAL_TYPES = ("cumulative", "scoring")


@dataclass
class Prepared:
    """Projects by index, and ballots collapsed into groups of identical ballots.

    `groups[g]` lists ``(project index, points)`` pairs (points are 1 for approval and ordinal
    ballots, read as approval of every listed project); `mult[g]` is how many voters cast it.
    """

    ids: list[str]
    costs: list[mpq]
    budget: mpq
    n_voters: int
    cardinal: bool
    groups: list[tuple[tuple[int, int], ...]]
    mult: list[int]
    approvals: list[int]
    points: list[int]

    def supporters(self, indices: list[int]) -> dict[str, int]:
        """Return the number of voters listing each of these projects, by id."""
        return {self.ids[i]: self.approvals[i] for i in indices}


def _no_points(ballot: Ballot) -> tuple[tuple[str, int], ...]:
    raise ValueError(f"ballot {ballot.voter_id} has no points")


def prepare(instance: Instance, profile: Profile) -> Prepared:
    """Index the projects and collapse identical ballots; reject unknown project ids."""
    ids = [p.id for p in instance.projects]
    if len(set(ids)) != len(ids):
        raise ValueError("project ids must be unique")
    index = {pid: i for i, pid in enumerate(ids)}
    cardinal = profile.vote_type in CARDINAL_TYPES
    counts: dict[tuple[tuple[int, int], ...], int] = {}
    if cardinal:
        # Count identical ballots first (hashing in C), then index each distinct ballot once.
        raw = Counter(
            tuple(zip(b.projects, b.points)) if b.points is not None else _no_points(b)
            for b in profile.ballots
        )
        for ballot_key, n in raw.items():
            # A project listed twice keeps its last points, as pabutools' dict ballot does.
            key_items = []
            for pid, pt in dict(ballot_key).items():
                i = index.get(pid)
                if i is None:
                    raise ValueError(f"a ballot lists unknown project {pid!r}")
                key_items.append((i, int(pt)))
            key = tuple(sorted(key_items))
            counts[key] = counts.get(key, 0) + n
    else:
        # Count ballots as cast first (their tuples already exist, so this hashes in C), then
        # index each distinct one as a set. The (index, 1) pairs are shared, not rebuilt per
        # ballot, which leaves far fewer new objects for the garbage collector to scan.
        approve = [(i, 1) for i in range(len(ids))]
        for cast, n in Counter(map(attrgetter("projects"), profile.ballots)).items():
            try:
                key = tuple(map(approve.__getitem__, sorted({*map(index.__getitem__, cast)})))
            except KeyError as exc:
                raise ValueError(f"a ballot lists unknown project {exc.args[0]!r}") from None
            counts[key] = counts.get(key, 0) + n
    groups = list(counts)
    mult = list(counts.values())
    approvals = [0] * len(ids)
    points = [0] * len(ids)
    if cardinal:
        for g, m in zip(groups, mult):
            for i, pt in g:
                approvals[i] += m
                points[i] += m * pt
    else:
        # Count supporters in C: each distinct ballot's pairs, repeated once per voter.
        listed = Counter(chain.from_iterable(map(mul, groups, mult)))
        for (i, _pt), n in listed.items():
            approvals[i] = n
            points[i] = n
    return Prepared(
        ids=ids,
        costs=[Q(p.cost) for p in instance.projects],
        budget=Q(instance.budget),
        n_voters=len(profile.ballots),
        cardinal=cardinal,
        groups=groups,
        mult=mult,
        approvals=approvals,
        points=points,
    )

"""Core values shared by ballots, allocation rules and audits.

These are the contract between the pure packages: an `Instance` (budget and projects) and a
`Profile` (the ballots cast). Costs and budgets are exact `Fraction`s in the round's money unit
(pence inside the app; the file's own unit for pabulib files, which may hold decimals such as
``2572946.76``). Nothing here is ever a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

VoteType = Literal["approval", "cumulative", "ordinal", "scoring"]
"""How a ballot expresses preference, as pabulib's ``vote_type`` names it."""

BallotKind = Literal["approval", "knapsack", "cumulative", "ranked"]
"""The ballot kinds a round can use in the app."""

VOTE_TYPE_OF_KIND: Mapping[str, VoteType] = {
    "approval": "approval",
    "knapsack": "approval",
    "cumulative": "cumulative",
    "ranked": "ordinal",
}


@dataclass(frozen=True)
class Project:
    """A project on the ballot: its id, exact cost, and any further columns kept verbatim."""

    id: str
    cost: Fraction
    name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict, compare=True, hash=False)


@dataclass(frozen=True)
class Instance:
    """A budget and the projects competing for it, in their published order."""

    budget: Fraction
    projects: tuple[Project, ...]
    meta: Mapping[str, str] = field(default_factory=dict, compare=True, hash=False)

    def project(self, project_id: str) -> Project:
        """Return the project with this id, or raise KeyError."""
        for p in self.projects:
            if p.id == project_id:
                return p
        raise KeyError(project_id)

    @property
    def project_ids(self) -> tuple[str, ...]:
        """Return the project ids in published order."""
        return tuple(p.id for p in self.projects)


@dataclass(frozen=True)
class Ballot:
    """One voter's ballot.

    `projects` is in the order cast: for ordinal ballots that order is the ranking, best first.
    `points` is aligned with `projects` for cumulative and scoring ballots and is None otherwise.
    `voter_id` is an opaque label (a pabulib voter id, or a tracker inside the app), never a
    person's identity. `fields` keeps any further columns verbatim.
    """

    voter_id: str
    projects: tuple[str, ...]
    points: tuple[int, ...] | None = None
    fields: Mapping[str, str] = field(default_factory=dict, compare=True, hash=False)

    # A ballot can list a project twice (pabulib's Amsterdam 604 does). `projects` keeps the
    # ballot as cast so that files round-trip; rules read it through these views, which follow
    # pabutools 1.2.3: an approval ballot is a set, a ranking keeps a project's first place,
    # and a project's points are the last points listed for it.

    @property
    def approved(self) -> frozenset[str]:
        """Return the projects listed on the ballot, as a set."""
        return frozenset(self.projects)

    @property
    def ranking(self) -> tuple[str, ...]:
        """Return the projects in ballot order, keeping each project's first place only."""
        return tuple(dict.fromkeys(self.projects))

    @property
    def points_by_project(self) -> Mapping[str, int]:
        """Return each listed project's points (the last listed, if repeated); empty if none."""
        if self.points is None:
            return {}
        return dict(zip(self.projects, self.points))


@dataclass(frozen=True)
class Profile:
    """All ballots of one instance, with their vote type."""

    vote_type: VoteType
    ballots: tuple[Ballot, ...]

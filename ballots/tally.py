"""Per-project tallies of a profile, in a form that audits can recompute and compare.

Definitions (for every project of the instance, keyed by project id, in the order of the ids
compared as strings, which is how pabutools breaks ties):

* ``approvals``: the number of ballots that list the project. A ballot that lists a project
  twice counts once. For cumulative and scoring ballots a project listed with 0 points is
  still listed, as pabutools' cost satisfaction reads it (see NOTES.md, "Satisfaction").
* ``points``: cumulative and scoring only: the sum over ballots of the project's points (its
  last points if a ballot lists it twice, as `Ballot.points_by_project`). Empty otherwise.
* ``borda``: ordinal only: with rank depth k, a project at place i (1 = best) of a ballot's
  ranking (`Ballot.ranking`, repeats removed) scores k - i + 1; places beyond k score nothing.
  k is the `rank_depth` argument, or else the length of the longest ranking in the profile.
  With k = 3 this is the 3-2-1 score of Kraków's district rounds (the files' ``score``
  column). Empty for other vote types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ballots.model import Instance, Profile, VoteType


@dataclass(frozen=True)
class Tally:
    """Per-project counts for one profile; every mapping is keyed by id, in string order."""

    vote_type: VoteType
    ballots: int
    approvals: Mapping[str, int] = field(hash=False)
    points: Mapping[str, int] = field(default_factory=dict, hash=False)
    borda: Mapping[str, int] = field(default_factory=dict, hash=False)
    rank_depth: int | None = None

    def as_json(self) -> dict[str, object]:
        """Return the tally as integers and strings only, ready for canonical JSON."""
        projects: dict[str, dict[str, int]] = {}
        for pid, n in self.approvals.items():
            row = {"approvals": n}
            if self.points:
                row["points"] = self.points[pid]
            if self.borda:
                row["borda"] = self.borda[pid]
            projects[pid] = row
        out: dict[str, object] = {
            "vote_type": self.vote_type,
            "ballots": self.ballots,
            "projects": projects,
        }
        if self.rank_depth is not None:
            out["rank_depth"] = self.rank_depth
        return out


def tally(instance: Instance, profile: Profile, *, rank_depth: int | None = None) -> Tally:
    """Count approvals, points and (for ordinal ballots) Borda scores per project.

    Raise ValueError if a ballot names a project that is not in the instance, or if a
    cumulative or scoring ballot has no points aligned with its projects.
    """
    ids = sorted(p.id for p in instance.projects)
    approvals = dict.fromkeys(ids, 0)
    cardinal = profile.vote_type in ("cumulative", "scoring")
    ordinal = profile.vote_type == "ordinal"
    points = dict.fromkeys(ids, 0) if cardinal else {}
    borda = dict.fromkeys(ids, 0) if ordinal else {}
    depth: int | None = None
    if ordinal:
        if rank_depth is not None and rank_depth < 0:
            raise ValueError("rank_depth must not be negative")
        depth = rank_depth
        if depth is None:
            depth = max((len(b.ranking) for b in profile.ballots), default=0)
    for b in profile.ballots:
        listed = b.approved
        for pid in listed:
            if pid not in approvals:
                raise ValueError(f"ballot {b.voter_id} names unknown project {pid!r}")
            approvals[pid] += 1
        if cardinal:
            if b.points is None or len(b.points) != len(b.projects):
                raise ValueError(f"ballot {b.voter_id} has no points aligned with its projects")
            for pid, value in b.points_by_project.items():
                points[pid] += value
        if ordinal and depth:
            for place, pid in enumerate(b.ranking[:depth]):
                borda[pid] += depth - place
    return Tally(
        vote_type=profile.vote_type,
        ballots=len(profile.ballots),
        approvals=approvals,
        points=points,
        borda=borda,
        rank_depth=depth,
    )

"""Ballot values: the voter's project order, choices as stored, ballot rules and review payloads.

Split from decide.services.voting (which casts); pure helpers over rows, plus `board_profile`,
the one query that reads opened ballots as a profile.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots.model import VOTE_TYPE_OF_KIND, Instance, Profile
from ballots.model import Ballot as CoreBallot
from ballots.model import Project as CoreProject
from ballots.rules import BallotRules, describe
from decide.models import (
    Ballot,
    Project,
    Round,
)
from decide.services.eligibility import VoterKey
from decide.services.voting_errors import BallotRejected

Choices = Sequence[str] | Mapping[str, int]


def ballot_projects(session: Session, round_id: int) -> list[Project]:
    """Return the round's projects on the ballot, in published order."""
    return list(
        session.scalars(
            select(Project)
            .where(Project.round_id == round_id, Project.withdrawn.is_(False))
            .order_by(Project.position, Project.id)
        )
    )


def choices_json(ballot: CoreBallot) -> str:
    """Return the choices as stored on the board: project codes and aligned points."""
    return json.dumps(
        {
            "projects": list(ballot.projects),
            "points": list(ballot.points) if ballot.points is not None else None,
        },
        separators=(",", ":"),
    )


def voter_order(
    secret_key: str, round_id: int, voter: VoterKey | str, codes: Sequence[str]
) -> list[str]:
    """Return project codes in this voter's fixed random order.

    The order sorts on sha256(round secret || voter key || project code), where the round secret
    is an HMAC of the app's secret key: the same voter always sees the same order, different
    voters see different orders, and no random state is involved.
    """
    round_secret = hmac.new(
        secret_key.encode(), f"decide/order/v1/{round_id}".encode(), hashlib.sha256
    ).digest()
    prefix = round_secret + str(voter).encode() + b"\x00"
    return sorted(codes, key=lambda code: hashlib.sha256(prefix + code.encode()).digest())


def make_core_ballot(kind: str, choices: Choices) -> CoreBallot:
    """Return the core ballot value for the submitted choices (no voter id)."""
    if kind == "cumulative":
        if not isinstance(choices, Mapping):
            raise BallotRejected(["Give your points as a number for each project."])
        items = [(code, pts) for code, pts in choices.items() if pts != 0]
        return CoreBallot(
            voter_id="", projects=tuple(c for c, _ in items), points=tuple(p for _, p in items)
        )
    if isinstance(choices, Mapping):
        raise BallotRejected(["This ballot takes a list of projects, not points."])
    return CoreBallot(voter_id="", projects=tuple(choices))


def choices_from_json(text: str) -> CoreBallot:
    """Return the core ballot stored as JSON on a ballot row."""
    data = json.loads(text)
    points = tuple(data["points"]) if data.get("points") is not None else None
    return CoreBallot(voter_id="", projects=tuple(data["projects"]), points=points)


def ballot_rules(rnd: Round) -> BallotRules:
    """Return the round's ballot limits as the pure `ballots.rules` value."""
    kind = rnd.ballot_kind
    args: dict[str, Any] = {"kind": kind, "min_choices": max(0, rnd.min_choices or 0)}
    args["currency"] = {"GBP": "£", "EUR": "€"}.get(rnd.currency, rnd.currency)
    if kind != "ranked" and rnd.max_choices:
        args["max_choices"] = rnd.max_choices
    if kind == "knapsack" and rnd.min_budget_share_percent:
        args["min_budget_share"] = Fraction(rnd.min_budget_share_percent, 100)
    if kind == "cumulative":
        args["total_points"] = rnd.points_total or 10
        args["max_points_per_project"] = rnd.max_points_per_project
    if kind == "ranked":
        args["rank_depth"] = rnd.rank_depth
    return BallotRules(**args)


def round_instance(rnd: Round, projects: Sequence[Project]) -> Instance:
    """Return the round's budget and ballot projects as the pure `Instance` (costs in pence)."""
    return Instance(
        budget=Fraction(rnd.budget_pence),
        projects=tuple(CoreProject(p.code, Fraction(p.cost_pence), p.title) for p in projects),
    )


def board_profile(session: Session, rnd: Round) -> Profile:
    """Return every ballot on the round's board, in sequence order, trackers as voter ids."""
    vote_type = VOTE_TYPE_OF_KIND[rnd.ballot_kind]
    rows = session.execute(
        select(Ballot.tracker, Ballot.choices_json)
        .where(Ballot.round_id == rnd.id)
        .order_by(Ballot.sequence)
    ).all()
    ballots = []
    for tracker, choices in rows:
        core = choices_from_json(choices)
        points = (core.points or ()) if vote_type == "cumulative" else None
        ballots.append(CoreBallot(bytes(tracker).hex(), core.projects, points))
    return Profile(vote_type=vote_type, ballots=tuple(ballots))


def describe_rules(session: Session, rnd: Round) -> list[str]:
    """Return the round's ballot rules in plain words."""
    return describe(ballot_rules(rnd), round_instance(rnd, ballot_projects(session, rnd.id)))


def sign_choices(secret_key: str, round_id: int, voter: VoterKey | str, payload: str) -> str:
    """Return a MAC binding the reviewed choices to this voter and round (review -> cast)."""
    message = f"decide/review/v1\x00{round_id}\x00{voter}\x00{payload}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def review_payload(ballot: CoreBallot) -> str:
    """Return the reviewed choices as the hidden form field carries them."""
    return choices_json(ballot)


def parse_payload(kind: str, payload: str) -> Choices:
    """Return choices from the hidden field, or raise BallotRejected."""
    try:
        data: Any = json.loads(payload)
        projects = [str(p) for p in data["projects"]]
        points = data.get("points")
    except (ValueError, KeyError, TypeError):
        raise BallotRejected(
            ["Your choices could not be read. Please fill in the ballot again."]
        ) from None
    if kind == "cumulative":
        if not isinstance(points, list) or len(points) != len(projects):
            raise BallotRejected(
                ["Your points could not be read. Please fill in the ballot again."]
            )
        return dict(zip(projects, (int(p) for p in points)))
    return projects

"""pabulib import and export: replay past elections as closed rounds, publish anonymised ballots.

Money: pabulib costs and budgets are in the file's currency unit and may have decimals
(``2572946.76``). The app stores integer pence, so an imported amount is multiplied by 100 and
must then be a whole number; an amount with more than two decimals is refused with a message
(nothing is rounded). Export divides by 100 again, writing the shortest exact decimal.

Imported ballots get fresh random trackers and go through the same hash chain as online
ballots (channel ``imported``), so the board, receipts-style checks and the manifest work on a
replayed election too. Their pabulib voter ids are not stored; the export writes the trackers
as voter ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import replace
from fractions import Fraction
from typing import Literal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from audits import chain
from ballots import pabulib
from ballots.canonical import canonical_ballot_bytes
from ballots.model import Ballot as CoreBallot
from ballots.model import Instance, Profile
from ballots.model import Project as CoreProject
from ballots.rules import validate
from decide.models import Ballot, ChainState, Project, Round
from decide.models.limits import INT32_MAX
from decide.services.ballot_box import voting_closed
from decide.services.ballot_values import ballot_rules, board_profile, round_instance
from decide.services.unit_of_work import transactional
from decide.services.voting import ballot_projects, chain_round_id

KIND_OF_VOTE_TYPE = {"approval": "approval", "cumulative": "cumulative", "ordinal": "ranked"}
VOTE_TYPE_OF_KIND = {"approval": "approval", "knapsack": "approval", "cumulative": "cumulative",
                     "ranked": "ordinal"}  # fmt: skip


Repeats = Literal["refuse", "merge"]


class PbImportError(Exception):
    """A .pb file that cannot become a round; the message says why (with the line if known)."""


class ExportRefused(Exception):
    """The round's ballots cannot be exported yet."""


def _pence(value: Fraction, what: str) -> int:
    pence = value * 100
    if pence.denominator != 1:
        raise PbImportError(
            f"{what} is {pabulib.format_decimal(value)}, which has more than two decimals; "
            "the app stores money in whole pence (cents) and does not round."
        )
    if abs(pence) >= 2**63:
        raise PbImportError(f"{what} is too large to store.")
    return int(pence)


def _int_meta(meta: dict[str, str], key: str) -> int | None:
    """Return a whole-number META value (None when absent or empty); it must fit the round."""
    text = (meta.get(key) or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > pabulib.MAX_NUMBER_LENGTH:
        raise PbImportError(
            f"META {key} is '{pabulib.shown(text)}', which is not a whole number of 0 or more."
        )
    value = int(text)
    if value > INT32_MAX:
        raise PbImportError(
            f"META {key} is {pabulib.shown(text)}, more than the {INT32_MAX:,} that a round can "
            "hold."
        )
    return value


def _title(title: str | None) -> str | None:
    """Return the title asked for, stripped (None when empty); refuse control characters."""
    if title is None or not title.strip():
        return None
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in title):
        raise PbImportError(
            "the title contains invisible control characters; type it again instead of pasting it."
        )
    return title.strip()


def _merge_repeats(pb: pabulib.PbFile) -> pabulib.PbFile:
    """Return `pb` with each approval vote listing a project once (its first place kept)."""
    if pb.profile.vote_type != "approval":
        return pb
    ballots = tuple(
        replace(b, projects=tuple(dict.fromkeys(b.projects)))
        if len(set(b.projects)) != len(b.projects)
        else b
        for b in pb.profile.ballots
    )
    return replace(pb, profile=Profile(pb.profile.vote_type, ballots))


def _check_ballots(pb: pabulib.PbFile, rnd: Round) -> None:
    """Refuse a ballot that the round's own rules (and so the verifier) would reject."""
    rules = ballot_rules(rnd)
    instance = round_instance(rnd, rnd.projects)
    lines = pb.vote_lines
    for index, ballot in enumerate(pb.profile.ballots):
        problems = validate(CoreBallot("", ballot.projects, ballot.points), rules, instance)
        if problems:
            line = lines[index] if index < len(lines) else index + 1
            raise PbImportError(
                f"line {line}: voter {ballot.voter_id}'s ballot breaks the round's rules: "
                f"{problems[0].message}"
            )


def _parse(text: str, repeats: Repeats) -> tuple[pabulib.PbFile, str]:
    """Return the parsed file and the round's ballot kind; refuse what cannot be a round."""
    try:
        pb = pabulib.parse(text)
    except pabulib.PbError as exc:
        raise PbImportError(str(exc)) from exc
    if repeats == "merge":
        pb = _merge_repeats(pb)
    kind = KIND_OF_VOTE_TYPE.get(pb.profile.vote_type)
    if kind is None:
        raise PbImportError(
            f"vote type {pb.profile.vote_type!r} has no ballot kind in the app "
            "(approval, cumulative and ordinal files can be imported)."
        )
    if not pb.instance.projects:
        raise PbImportError("the file has no projects.")
    return pb, kind


def _budget_and_costs(instance: Instance) -> tuple[int, dict[str, int]]:
    """Return the budget and each project's cost in pence; refuse a zero or a long id."""
    budget = _pence(instance.budget, "the budget")
    if budget <= 0:
        raise PbImportError("the budget must be more than zero.")
    costs = {}
    for p in instance.projects:
        costs[p.id] = _pence(p.cost, f"the cost of project {p.id}")
        if costs[p.id] <= 0:
            raise PbImportError(f"the cost of project {p.id} must be more than zero.")
        if len(p.id) > 40:
            raise PbImportError(f"project id {p.id[:40]!r}... is longer than 40 characters.")
    return budget, costs


def _length_limits(meta: dict[str, str]) -> tuple[int | None, int | None]:
    """Return META (min_length, max_length); refuse limits no ballot could keep."""
    max_len = _int_meta(meta, "max_length")
    min_len = _int_meta(meta, "min_length")
    if max_len is not None and min_len is not None and min_len > max_len:
        raise PbImportError(f"META min_length ({min_len}) is more than max_length ({max_len}).")
    if max_len == 0:
        raise PbImportError(
            "META max_length is 0: in pabulib a vote lists at most max_length projects "
            "(https://pabulib.org/format), so no ballot could choose a project."
        )
    return min_len, max_len


def _check_limits(pb: pabulib.PbFile) -> None:
    """Refuse a ballot that breaks the file's own META limits, saying how to merge repeats."""
    try:
        pabulib.check_limits(pb)
    except pabulib.PbError as exc:
        reason = str(exc)
        if "twice" in exc.reason and pb.profile.vote_type == "approval":
            reason += (
                "; to read such a vote as listing the project once, import with --repeats merge"
            )
        raise PbImportError(reason) from exc


def _points(
    kind: str, stated_points: int | None, sums: list[int], meta: dict[str, str]
) -> tuple[int | None, int | None]:
    """Return (points each voter has, most points on one project) for a points round."""
    if kind != "cumulative":
        return None, None
    points_total = stated_points or max(sums, default=1) or 1
    if points_total > INT32_MAX:
        raise PbImportError(
            f"a ballot gives {points_total:,} points in all, more than the {INT32_MAX:,} "
            "that a round can hold."
        )
    return points_total, _int_meta(meta, "max_points") or None


def _label(title: str | None, meta: dict[str, str]) -> str:
    """Return the round's name: the title asked for, else the file's description or place."""
    return (
        title
        or meta.get("description")
        or " ".join(v for v in (meta.get("unit"), meta.get("instance")) if v)
        or "Imported pabulib election"
    )


def _chain_rows(
    rnd: Round, profile: Profile, today: dt.date
) -> tuple[list[dict[str, object]], bytes]:
    """Return the board's rows (fresh trackers, chained) and the chain's head."""
    round_key = chain_round_id(rnd.id)
    head = chain.genesis(round_key)
    rows = []
    used: set[bytes] = set()
    for sequence, ballot in enumerate(profile.ballots, start=1):
        tracker = secrets.token_bytes(chain.TRACKER_BYTES)
        while tracker in used:
            tracker = secrets.token_bytes(chain.TRACKER_BYTES)
        used.add(tracker)
        core = CoreBallot("", tuple(ballot.projects), ballot.points)
        try:
            data = canonical_ballot_bytes(profile.vote_type, core)
        except ValueError as exc:
            raise PbImportError(f"ballot {ballot.voter_id}: {exc}") from exc
        leaf, head = chain.append(head, round_key, sequence, tracker, data)
        points = list(core.points) if core.points is not None else None
        choices = {"projects": list(core.projects), "points": points}
        rows.append(
            {
                "round_id": rnd.id,
                "sequence": sequence,
                "tracker": tracker,
                "ballot_bytes": data,
                "choices_json": json.dumps(choices, separators=(",", ":")),
                "channel": "imported",
                "cast_on": today,
                "leaf": leaf,
                "head": head,
            }
        )
    return rows, head


@transactional
def import_pb(
    session: Session,
    text: str,
    *,
    title: str | None = None,
    today: dt.date,
    repeats: Repeats = "refuse",
) -> Round:
    """Create a closed round with the file's projects, budget and ballots; commit; return it.

    Every ballot must keep the limits that the file's META states (`pabulib.check_limits`) and
    the rules of the round made from it. An approval vote that lists a project twice is refused,
    or with ``repeats="merge"`` read as listing it once (as pabutools reads it).
    Raise PbImportError, writing nothing, for a file or title that cannot become a round.
    """
    title = _title(title)
    pb, kind = _parse(text, repeats)
    instance, profile = pb.instance, pb.profile
    meta = dict(instance.meta)
    budget, costs = _budget_and_costs(instance)
    label = _label(title, meta)
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    slug_base = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:150] or "imported"
    lengths = [len(b.ranking) for b in profile.ballots]
    sums = [sum(b.points_by_project.values()) for b in profile.ballots]
    min_len, max_len = _length_limits(meta)
    stated_points = _int_meta(meta, "max_sum_points") if kind == "cumulative" else None
    if stated_points == 0:
        raise PbImportError(
            "META max_sum_points is 0: in pabulib a cumulative vote gives at most "
            "max_sum_points in all (https://pabulib.org/format), so no ballot could give a point."
        )
    _check_limits(pb)
    points_total, max_per_project = _points(kind, stated_points, sums, meta)
    currency = (meta.get("currency") or "").strip().upper()
    rnd = Round(
        title=f"Imported: {label}"[:200],
        slug=f"{slug_base}-{digest}-{secrets.token_hex(3)}",
        description=meta.get("comment", "")[:5000],
        budget_pence=budget,
        currency=currency if re.fullmatch(r"[A-Z]{3}", currency) else "GBP",
        phase="closed",
        ballot_kind=kind,
        min_choices=min_len or 0,
        max_choices=max_len if kind != "ranked" else None,
        rank_depth=(max_len or max(lengths, default=1) or 1) if kind == "ranked" else None,
        points_total=points_total,
        max_points_per_project=max_per_project,
    )
    rnd.projects = [
        Project(
            code=p.id,
            position=i,
            title=(p.name or f"Project {p.id}")[:200],
            summary=p.fields.get("description", "") if p.fields else "",
            cost_pence=costs[p.id],
        )
        for i, p in enumerate(instance.projects)
    ]
    _check_ballots(pb, rnd)
    session.add(rnd)
    session.flush()
    rows, head = _chain_rows(rnd, profile, today)
    for start in range(0, len(rows), 5000):
        session.execute(insert(Ballot), rows[start : start + 5000])
    session.add(ChainState(round_id=rnd.id, sequence=len(rows), head=head))
    return rnd


def round_election(session: Session, round_id: int) -> tuple[Instance, Profile]:
    """Return a round's ballot projects (costs in pence) and its ballots (trackers as ids)."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise ExportRefused(f"There is no round {round_id}.")
    instance = round_instance(rnd, ballot_projects(session, rnd.id))
    return instance, board_profile(session, rnd)


def export_pb(session: Session, round_id: int) -> str:
    """Return the round's anonymised ballots as a pabulib file (trackers as voter ids)."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise ExportRefused(f"There is no round {round_id}.")
    if not voting_closed(rnd):
        raise ExportRefused(
            f"The ballots of “{rnd.title}” can be exported only after voting closes; "
            f"the round is at: {rnd.phase_label}."
        )
    pence_instance, profile = round_election(session, rnd.id)
    vote_type = profile.vote_type
    meta = {
        "description": rnd.title,
        "country": "",
        "unit": "",
        "instance": str(rnd.id),
        "currency": rnd.currency,
        "budget": pabulib.format_decimal(Fraction(rnd.budget_pence, 100)),
        "vote_type": vote_type,
        "rule": rnd.allocation_rule,
        "ballot_kind": rnd.ballot_kind,
    }
    if rnd.ballot_kind == "cumulative" and rnd.points_total:
        meta["max_sum_points"] = str(rnd.points_total)
    if rnd.max_choices:
        meta["max_length"] = str(rnd.max_choices)
    if rnd.ballot_kind == "ranked" and rnd.rank_depth:
        meta["max_length"] = str(rnd.rank_depth)
    meta["min_length"] = str(rnd.min_choices or 0)
    meta = {k: v for k, v in meta.items() if v != ""}
    # The file's money unit is the currency unit: pence / 100, written as exact decimals.
    instance = Instance(
        budget=pence_instance.budget / 100,
        projects=tuple(CoreProject(p.id, p.cost / 100, p.name) for p in pence_instance.projects),
        meta=meta,
    )
    return pabulib.write(pabulib.PbFile(instance=instance, profile=profile), add_counts=True)

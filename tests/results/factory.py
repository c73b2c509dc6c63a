"""A demo-like closed round for results tests, written straight to the tables (fast).

The projects and the 300 voters are the demo's own (`decide.demo.results`), so the
tests run on the same round the demo shows; the ballots are chained exactly as casting chains
them (`audits.chain`, `ballots.canonical`), but inserted in one transaction with trackers drawn
from a fixed seed, so the tests are deterministic and quick.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from audits import chain
from ballots.canonical import canonical_ballot_bytes
from ballots.model import Ballot as CoreBallot
from decide.demo.catalogue import AREAS, ORGANISATIONS, THEMES
from decide.demo.results import PROJECTS, demo_choices
from decide.models import (
    Area,
    Ballot,
    ChainState,
    CostLine,
    Organisation,
    Project,
    Proposal,
    Round,
    Theme,
    User,
)
from decide.services.voting import chain_round_id
from tests.helpers.sessions import VERIFIED_AT


def _get(session: Session, model, slug: str, **values):
    row = session.scalar(select(model).where(model.slug == slug))
    if row is None:
        row = model(slug=slug, **values)
        session.add(row)
        session.flush()
    return row


def user(session: Session, email: str, **values) -> User:
    """Return the account with this email, creating it (cheap password hash)."""
    row = session.scalar(select(User).where(User.email == email))
    if row is None:
        row = User(
            email=email,
            display_name=email.split("@")[0],
            password_hash=generate_password_hash("x", method="pbkdf2:sha256:1000"),
            **{"email_verified_at": VERIFIED_AT, **values},
        )
        session.add(row)
        session.flush()
    return row


def tracker_for(round_id: int, sequence: int) -> bytes:
    """Return the fixed test tracker of a ballot."""
    return hashlib.sha256(f"results-test/{round_id}/{sequence}".encode()).digest()[:16]


def closed_round(
    session: Session,
    *,
    title: str = "Healthy Neighbourhoods test round",
    voters: Sequence[tuple[str, tuple[str, ...]]] | None = None,
    allocation_rule: str = "equal-shares",
    ballot_kind: str = "approval",
    phase: str = "closed",
    withdrawn: Sequence[str] = (),
) -> Round:
    """Create a closed round with the demo's projects and ballots; commit; return it."""
    areas = {
        slug: _get(session, Area, slug, name=n, population=p, deprivation_decile=d)
        for slug, (n, p, d) in AREAS.items()
    }
    themes = {slug: _get(session, Theme, slug, name=n) for slug, n in THEMES.items()}
    orgs = {
        o.slug: _get(session, Organisation, o.slug, name=o.name, kind=o.kind) for o in ORGANISATIONS
    }
    author = user(session, "results-author@test.example")
    slug = hashlib.sha256(title.encode()).hexdigest()[:12]
    rnd = Round(
        title=title,
        slug=f"results-{slug}",
        phase="deliberation",  # projects are added before the ballot locks
        budget_pence=10_000_000,
        ballot_kind=ballot_kind,
        min_choices=1,
        max_choices=4 if ballot_kind != "ranked" else None,
        rank_depth=4 if ballot_kind == "ranked" else None,
        allocation_rule=allocation_rule,
    )
    rnd.areas = list(areas.values())
    rnd.themes = list(themes.values())
    session.add(rnd)
    session.flush()
    codes = {}
    for i, p in enumerate(PROJECTS):
        proposal = Proposal(
            round=rnd, author=author, organisation=orgs[p.org], area=areas[p.area],
            title=p.title, summary=p.summary, description_md=p.description,
            feasibility="feasible",
            cost_lines=[CostLine(position=j, item=it, amount_pence=a)
                        for j, (it, a) in enumerate(p.lines)],
        )  # fmt: skip
        proposal.themes = [themes[t] for t in p.themes]
        session.add(proposal)
        session.flush()
        code = f"P{i + 1}"
        codes[p.key] = code
        session.add(
            Project(
                round=rnd, proposal_id=proposal.id, code=code, position=i, title=p.title,
                summary=p.summary, cost_pence=sum(a for _, a in p.lines),
                area=areas[p.area], organisation=orgs[p.org], withdrawn=p.key in withdrawn,
            )
        )  # fmt: skip
    session.flush()
    rnd.phase = phase
    session.flush()
    key = chain_round_id(rnd.id)
    head = chain.genesis(key)
    kind = "ordinal" if ballot_kind == "ranked" else "approval"
    chosen = list(voters if voters is not None else demo_choices())
    rows = []
    for sequence, (_area, keys) in enumerate(chosen, start=1):
        core = CoreBallot("", tuple(codes[k] for k in keys))
        data = canonical_ballot_bytes(kind, core)
        tracker = tracker_for(rnd.id, sequence)
        leaf, head = chain.append(head, key, sequence, tracker, data)
        rows.append(
            {
                "round_id": rnd.id, "sequence": sequence, "tracker": tracker,
                "ballot_bytes": data, "channel": "online", "cast_on": dt.date(2026, 3, 1),
                "choices_json": json.dumps({"projects": list(core.projects), "points": None}),
                "leaf": leaf, "head": head,
            }
        )  # fmt: skip
    if rows:
        session.execute(insert(Ballot), rows)
    session.add(ChainState(round_id=rnd.id, sequence=len(chosen), head=head))
    session.commit()
    return rnd


def project_codes() -> dict[str, str]:
    """Return demo project key -> code in the factory's round."""
    return {p.key: f"P{i + 1}" for i, p in enumerate(PROJECTS)}

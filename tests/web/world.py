"""A small world for web tests: one person per role, a round taking proposals, a draft round.

Factories add rows and flush; `build_world` commits once at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from decide.models import (
    Area,
    CostLine,
    Membership,
    Organisation,
    PanelMember,
    Proposal,
    ProposalVersion,
    Round,
    Theme,
    User,
)
from tests.helpers.sessions import VERIFIED_AT, log_in

PASSWORD = "correct-horse-battery"
ROLES = ("anonymous", "citizen", "asset_member", "panel_member", "facilitator")


@lru_cache(maxsize=1)
def password_hash() -> str:
    """Return a cheap hash of PASSWORD (few iterations keep the tests fast)."""
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def make_user(session: Session, email: str, name: str = "", **values: Any) -> User:
    """Add an account with PASSWORD."""
    values.setdefault("email_verified_at", VERIFIED_AT)
    user = User(email=email, display_name=name or email.split("@")[0], **values)
    user.password_hash = password_hash()
    session.add(user)
    session.flush()
    return user


def make_round(session: Session, title: str, phase: str, **values: Any) -> Round:
    """Add a round."""
    values.setdefault("budget_pence", 10_000_000)
    rnd = Round(title=title, slug=title.lower().replace(" ", "-"), phase=phase, **values)
    session.add(rnd)
    session.flush()
    return rnd


def make_proposal(
    session: Session,
    rnd: Round,
    author: User,
    title: str = "Walking group",
    *,
    organisation: Organisation | None = None,
    area: Area | None = None,
    lines: tuple[tuple[str, int], ...] = (("Leader training", 50_000),),
    feasibility: str = "pending",
) -> Proposal:
    """Add a proposal with its cost lines and version 1."""
    proposal = Proposal(
        round=rnd,
        author=author,
        organisation=organisation,
        area=area or (rnd.areas[0] if rnd.areas else None),
        title=title,
        summary=f"Summary of {title}",
        description_md="Some *Markdown*.",
        feasibility=feasibility,
        cost_lines=[
            CostLine(position=i, item=i_, amount_pence=a) for i, (i_, a) in enumerate(lines)
        ],
    )
    session.add(proposal)
    session.flush()
    session.add(
        ProposalVersion(
            proposal=proposal, number=1, content=proposal.snapshot(), edited_by_id=author.id
        )
    )
    session.flush()
    return proposal


@dataclass
class World:
    """Rows the web tests and the permission test refer to."""

    session: Session
    areas: list[Area]
    themes: list[Theme]
    organisation: Organisation
    users: dict[str, User]
    other_member: Membership
    round: Round
    draft: Round
    proposal: Proposal
    panel_seat: PanelMember

    def user(self, role: str) -> User | None:
        """Return the account playing `role` (None for anonymous)."""
        return self.users.get(role)


def build_world(session: Session) -> World:
    """Create one of everything and commit."""
    areas = [
        Area(name="Riverside", slug="riverside", population=12_000, deprivation_decile=1),
        Area(name="Moorfield", slug="moorfield", population=9_000, deprivation_decile=8),
    ]
    themes = [
        Theme(name="Healthy food", slug="healthy-food"),
        Theme(name="Mental health", slug="mental-health"),
    ]
    session.add_all(areas + themes)
    org = Organisation(name="Riverside Food Bank", slug="riverside-food-bank", kind="charity")
    org.areas = [areas[0]]
    session.add(org)
    users = {
        "citizen": make_user(session, "citizen@test.example", "Cara Citizen", postcode="NB1 1AA"),
        "asset_member": make_user(session, "member@test.example", "Ash Member"),
        "panel_member": make_user(session, "panel@test.example", "Pat Panel"),
        "facilitator": make_user(
            session, "facilitator@test.example", "Fay Facilitator", is_facilitator=True
        ),
    }
    session.add(Membership(user=users["asset_member"], organisation=org, role="admin"))
    extra = make_user(session, "volunteer@test.example", "Val Volunteer")
    other_member = Membership(user=extra, organisation=org, role="member")
    session.add(other_member)
    today = dt.date.today()
    rnd = make_round(
        session,
        "Healthy Riverside",
        "proposals",
        proposals_close=today + dt.timedelta(days=10),
        max_choices=3,
    )
    rnd.areas = areas
    rnd.themes = themes
    seat = PanelMember(round=rnd, user=users["panel_member"])
    session.add(seat)
    draft = make_round(session, "Secret Draft", "draft")
    draft.areas = [areas[0]]
    session.flush()
    proposal = make_proposal(
        session, rnd, users["asset_member"], "Fresh food pantry", organisation=org, area=areas[0]
    )
    proposal.themes = [themes[0]]
    session.commit()
    return World(
        session=session,
        areas=areas,
        themes=themes,
        organisation=org,
        users=users,
        other_member=other_member,
        round=rnd,
        draft=draft,
        proposal=proposal,
        panel_seat=seat,
    )


def login(client: FlaskClient, user: User | None) -> FlaskClient:
    """Log the client in as `user` (no password round trip), or leave it anonymous."""
    return log_in(client, user)

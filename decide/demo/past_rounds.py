"""Demo: two earlier rounds (2024 and 2025), published like the 2026 one, so that together
they make three past rounds with a trend.

Each is voted on by demo residents (online and on paper), closed, confirmed, signed by the
two demo panel keys and published through the real services. Delivery data for all three is
seeded by `decide.demo.delivery`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from audits.bls import BlsKeyPair
from audits.canonical import canonical_json
from decide.demo.catalogue import FACILITATOR_EMAIL, PANEL_EMAIL
from decide.demo.foundation import DemoBallotItem, demo_round, seed_ballot
from decide.demo.published import (
    SECOND_PANEL_EMAIL,
    DemoVoter,
    cast_demo_votes,
    close_and_confirm,
    demo_key,
    register_demo_key,
    sign_and_publish,
)
from decide.models import Area, PanelMember, Round, SigningKey, User
from decide.models.phase import Phase
from decide.services.phases import change_phase


@dataclass(frozen=True)
class PastRound:
    """An earlier round of the demo."""

    slug: str
    title: str
    years_ago: int
    budget_pence: int
    items: tuple[DemoBallotItem, ...]
    patterns: tuple[tuple[str, ...], ...]
    online: int
    paper: int
    final_phase: Phase


def _item(code: str, title: str, area: str, org: str, lines: tuple[tuple[str, int], ...],
          themes: tuple[str, ...], summary: str) -> DemoBallotItem:  # fmt: skip
    outcomes = "Figures at each milestone: people reached by area, sessions held, volunteer hours."
    return DemoBallotItem(code, title, summary, area, org, summary, outcomes, lines, themes)


ROUND_2024 = PastRound(
    slug="northbridge-health-fund-2024",
    title="Northbridge Health Fund 2024",
    years_ago=2,
    budget_pence=3_000_000,
    items=(
        _item("A1", "Community fridge", "riverside", "riverside-community-food-bank",
              (("Fridge and freezer", 250_000), ("Running costs for a year", 350_000)),
              ("healthy-food",), "A shared fridge where shops and neighbours leave surplus food."),
        _item("A2", "Chair yoga for over-60s", "st-annes", "st-annes-church-community-centre",
              (("Teacher, 40 sessions", 320_000), ("Mats and chairs", 80_000)),
              ("older-people", "physical-activity"), "Gentle weekly yoga on chairs."),
        _item("A3", "Peer support for new parents", "canal-side", "canal-side-tenants-association",
              (("Peer supporter training", 400_000), ("Crèche", 300_000)),
              ("children-families", "mental-health"), "Parents who have been there help others."),
        _item("A4", "Junior parkrun volunteers", "moorfield", "moorfield-harriers",
              (("Kit and first aid", 150_000), ("Volunteer expenses", 150_000)),
              ("physical-activity",), "A 2 km Sunday run for children, run by volunteers."),
        _item("A5", "Men's shed", "old-market", "old-market-wellbeing-hub",
              (("Workshop tools", 600_000), ("Rent for a year", 700_000)),
              ("social-isolation", "mental-health"), "A workshop where men meet, make and talk."),
    ),
    patterns=(("A1", "A3"), ("A2",), ("A1", "A5"), ("A3", "A4"), ("A5",), ("A1", "A2")),
    online=14,
    paper=10,
    final_phase=Phase.DELIVERY,
)  # fmt: skip
ROUND_2025 = PastRound(
    slug="northbridge-health-fund-2025",
    title="Northbridge Health Fund 2025",
    years_ago=1,
    budget_pence=3_500_000,
    items=(
        _item("B1", "Cook and eat sessions", "canal-side", "green-plate-kitchen",
              (("Chef", 500_000), ("Ingredients", 300_000)),
              ("healthy-food",), "Learn to cook a cheap healthy meal, then eat it together."),
        _item("B2", "Walk and talk groups", "hillfoot", "hillfoot-mind-matters",
              (("Walk leader training", 200_000), ("Coordinator", 400_000)),
              ("mental-health", "physical-activity"), "Weekly walks with someone to talk to."),
        _item("B3", "Women's swimming sessions", "riverside", "al-noor-womens-group",
              (("Pool hire", 600_000), ("Female lifeguard and instructor", 300_000)),
              ("physical-activity",), "Women-only swimming with a female instructor."),
        _item("B4", "Warm homes advice", "old-market", "canal-side-tenants-association",
              (("Energy adviser", 450_000), ("Draught-proofing kits", 250_000)),
              ("housing-health",), "Home visits with advice and kits against cold and damp."),
        _item("B5", "Lunch and a film", "st-annes", "st-annes-church-community-centre",
              (("Lunches", 300_000), ("Licence and projector", 150_000)),
              ("older-people", "social-isolation"), "A monthly lunch and a film for older people."),
    ),
    patterns=(("B1", "B3"), ("B2", "B4"), ("B3",), ("B1", "B5"), ("B4", "B3"), ("B2",)),
    online=16,
    paper=12,
    final_phase=Phase.DELIVERY,
)  # fmt: skip
PAST_ROUNDS = (ROUND_2024, ROUND_2025)
DISTRICTS = ("NB1", "NB2", "NB3", "NB4", "NB5", "NB6")


def _users(session: Session) -> tuple[User, User, User]:
    facilitator = session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    panel_one = session.scalar(select(User).where(User.email == PANEL_EMAIL))
    panel_two = session.scalar(select(User).where(User.email == SECOND_PANEL_EMAIL))
    if facilitator is None or panel_one is None or panel_two is None:
        raise RuntimeError("seed_past_rounds needs the foundation and published demos")
    return facilitator, panel_one, panel_two


def _vote(session: Session, rnd: Round, spec: PastRound, cast_on: dt.date, officer: User) -> None:
    year = cast_on.year
    patterns = spec.patterns
    residents = []
    for i in range(spec.online):
        # More voters from the most deprived districts (NB1, NB2) in later rounds: a trend.
        district = DISTRICTS[(i * (1 if spec.years_ago == 2 else 5)) % 6]
        residents.append(
            DemoVoter(
                f"resident-{year}-{i + 1:02d}@example.org", f"Demo resident {i + 1} ({year})",
                f"{district} {1 + i % 9}EF", dt.date(1955 + i, 3, 1), patterns[i % len(patterns)],
            )
        )  # fmt: skip
    paper = [patterns[(i * 5 + 1) % len(patterns)] for i in range(spec.paper)]
    cast_demo_votes(session, rnd, residents, paper, cast_on=cast_on, officer=officer)


def _proof_of_possession(session: Session, user: User, key: BlsKeyPair) -> str:
    """Return the key's proof of possession: as the 2026 round stored it, else made afresh
    (a proof covers the key alone, not a round; making one takes a second of py-ecc)."""
    stored = session.scalar(
        select(SigningKey.proof_of_possession).where(
            SigningKey.user_id == user.id, SigningKey.public_key == key.public_key.hex()
        ).limit(1)
    )  # fmt: skip
    if stored is not None:
        return stored
    return str(json.loads(canonical_json(key.public_record().to_dict()))["proof_of_possession"])


def _publish_past_round(session: Session, spec: PastRound) -> None:
    facilitator, panel_one, panel_two = _users(session)
    today = dt.datetime.now(dt.UTC).date()
    opened = today - dt.timedelta(days=365 * spec.years_ago + 40)
    rnd = demo_round(
        opened, (0, 20, 26),
        slug=spec.slug, title=spec.title,
        description=f"An earlier round: {spec.title}, decided by residents and delivered since.",
        budget_pence=spec.budget_pence, phase="deliberation", max_choices=3,
        signature_threshold=2,
    )  # fmt: skip
    rnd.areas = list(session.scalars(select(Area)))
    session.add(rnd)
    seed_ballot(session, rnd, spec.items)
    rnd.phase = "voting"
    rnd.voting_opened_at = dt.datetime.combine(opened, dt.time(9), tzinfo=dt.UTC)
    session.add(PanelMember(round=rnd, user=panel_one, role_title="Resident panel member"))
    session.add(PanelMember(round=rnd, user=panel_two, role_title="Partnership panel member"))
    session.commit()
    _vote(session, rnd, spec, opened + dt.timedelta(days=10), facilitator)
    close_and_confirm(session, rnd, facilitator)
    keys = []
    for user in (panel_one, panel_two):
        key = demo_key(user.display_name)
        register_demo_key(session, rnd, user, key, _proof_of_possession(session, user, key))
        keys.append((user, key))
    sign_and_publish(session, rnd, facilitator, keys)
    if spec.final_phase is not Phase.PUBLISHED:
        change_phase(session, rnd, spec.final_phase, facilitator)


def seed_past_rounds(session: Session) -> None:
    """Seed the 2024 and 2025 rounds, published and in delivery (skipped when present)."""
    for spec in PAST_ROUNDS:
        if session.scalar(select(Round.id).where(Round.slug == spec.slug)) is None:
            _publish_past_round(session, spec)

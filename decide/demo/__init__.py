"""Demo data: a small city's community-health round, its people and community assets.

`seed_demo(session)` runs every seeder in DEMO_SEEDERS, in order. Each seeder takes the
session, finds what earlier seeders made by natural keys (emails, slugs, round slugs: see
`decide.demo.catalogue`), and commits its own work.

- `catalogue`: the cast (areas, themes, organisations, residents) and their proposals.
- `foundation`: writes the catalogue, and a round taking proposals.
- `voting`: rounds open for voting, with a voter roll and paper numbers.
- `published`: a published round with its manifest, signatures and ledger.
- `results`: a closed round whose rules can be compared and confirmed.
- `deliberation`: a round in deliberation, with panel sessions, scores, an STV shortlist and
  approved minutes.
- `past_rounds`: the 2024 and 2025 rounds, published and in delivery (with 2026: three past
  rounds for a trend).
- `delivery`: milestones, payments by tranche, updates with photos, impact figures, two
  consented stories and retrospectives for the three past rounds.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.demo.catalogue import DEMO_EMAIL_DOMAIN, FACILITATOR_EMAIL
from decide.demo.deliberation import seed_deliberation
from decide.demo.delivery import seed_delivery
from decide.demo.foundation import seed_foundation
from decide.demo.past_rounds import seed_past_rounds
from decide.demo.published import seed_published, seed_published_checkpoint
from decide.demo.results import seed_results
from decide.demo.voting import seed_voting
from decide.models import PanelMember, User

DEMO_SEEDERS: tuple[Callable[[Session], None], ...] = (
    seed_foundation,
    seed_voting,
    seed_published,
    seed_results,
    seed_deliberation,
    seed_past_rounds,
    seed_delivery,
    seed_published_checkpoint,  # after delivery: edition 2's annex shows it
)


def demo_present(session: Session) -> bool:
    """Return True when the demo facilitator account exists."""
    return session.scalar(select(User.id).where(User.email == FACILITATOR_EMAIL)) is not None


def seed_demo(session: Session) -> None:
    """Run every seeder in DEMO_SEEDERS, in order."""
    for seeder in DEMO_SEEDERS:
        seeder(session)


def demo_accounts(session: Session) -> list[tuple[str, str, str]]:
    """Return (role, email, name) for each demo account, facilitators first."""
    users = session.scalars(
        select(User).where(User.email.like(f"%@{DEMO_EMAIL_DOMAIN}")).order_by(User.email)
    ).all()
    rows: list[tuple[int, str, str, str]] = []
    for user in users:
        roles = []
        if user.is_facilitator:
            roles.append("facilitator")
        if user.is_officer and not user.is_facilitator:
            roles.append("officer")
        panels = session.scalars(select(PanelMember).where(PanelMember.user_id == user.id)).all()
        if panels:
            roles.append("panel member")
        if user.memberships:
            names = ", ".join(sorted(m.organisation.name for m in user.memberships))
            roles.append(f"asset member ({names})")
        rank = 0 if user.is_facilitator else 1 if panels or user.is_officer else 2
        if not roles:
            roles.append("citizen")
            rank = 3
        rows.append((rank, "; ".join(roles), user.email, user.display_name))
    rows.sort(key=lambda r: (r[0], r[2]))
    return [(role, email, name) for _, role, email, name in rows]

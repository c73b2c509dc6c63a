# ruff: noqa: E501 - the demo project table keeps one project per line
"""Demo voting: four rounds open for voting (one per ballot kind) with ballots already cast.

Seeded after the foundation's demo (areas, people). Every demo ballot goes through
`cast_ballot`, so the boards carry valid hash chains. The named demo citizens have not voted
yet, so they can try each ballot. One batch of access codes is printed to a PDF in the instance
folder (the codes exist nowhere else), and a small voter roll is uploaded for the ranked round.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.models import Area, PostcodeDistrict, Project, Round, User
from decide.services import eligibility as elig
from decide.services.demo import (
    AREAS,
    DEMO_POSTCODE_DISTRICTS,
    demo_user,
)
from decide.services.voting import cast_ballot, load_server_key

OFFICER_EMAIL = "officer@example.org"
DEMO_ROLL = (("NB-1001", "1984-04-12"), ("NB-1002", "1992-09-30"), ("NB-1003", "1958-01-05"))
VOTING_ROUND_SLUGS = {
    "approval": "northbridge-small-grants-vote-2027",
    "knapsack": "riverside-canal-side-budget-vote-2027",
    "cumulative": "old-market-points-vote-2027",
    "ranked": "hillfoot-moorfield-ranked-vote-2027",
}

# (code, title, summary, cost in pence, area slug)
_PROJECTS: dict[str, list[tuple[str, str, str, int, str]]] = {
    "approval": [
        ("A1", "Riverside community fridge", "A shared fridge at the Riverside Centre so surplus food from local shops reaches families instead of the bin.", 480_000, "riverside"),
        ("A2", "Canal towpath walking group", "Weekly led walks for people recovering from illness, with trained volunteer walk leaders and a tea stop.", 260_000, "canal-side"),
        ("A3", "Men's mental-health peer circle", "Fortnightly peer-support evenings at the rugby club, run with the social prescribing hub.", 350_000, "old-market"),
        ("A4", "Warm space at St Anne's hall", "Opening the church hall three afternoons a week through winter with hot drinks, Wi-Fi and benefits advice.", 420_000, "st-annes"),
        ("A5", "Chair-based exercise for carers", "Gentle strength and balance classes for unpaid carers, with respite cover arranged.", 190_000, "hillfoot"),
        ("A6", "Allotment cookery sessions", "Grow-and-cook sessions on the Moorfield allotments for families on low incomes.", 300_000, "moorfield"),
    ],
    "knapsack": [
        ("K1", "Breakfast club at Riverside Primary", "Free breakfasts before school for 60 children, with a volunteer rota and food bank supplies.", 1_450_000, "riverside"),
        ("K2", "Tenants' damp and mould advice", "A housing-health worker visiting flats with damp, helping tenants get repairs and treating asthma triggers.", 1_800_000, "canal-side"),
        ("K3", "Youth boxing and mentoring", "Evening boxing sessions with mentoring for young people at risk of exclusion.", 1_200_000, "riverside"),
        ("K4", "Community health champions", "Training twelve local residents to share health information in their own languages.", 950_000, "canal-side"),
        ("K5", "Food bank delivery van", "A second-hand electric van so housebound people receive parcels every week.", 1_600_000, "riverside"),
        ("K6", "Baby bank and weaning workshops", "Clothes, equipment and weaning advice for new parents, run by volunteers.", 700_000, "canal-side"),
    ],
    "cumulative": [
        ("C1", "Old Market dementia café", "A monthly café for people living with dementia and their carers, with music and memory activities.", 600_000, "old-market"),
        ("C2", "Bereavement peer support", "Trained volunteers offering one-to-one and group support after a loss.", 450_000, "old-market"),
        ("C3", "Street football for all ages", "Free weekly football on the market square, with walking football for over-60s.", 380_000, "old-market"),
        ("C4", "Cooking on a budget course", "Six-week courses teaching healthy meals for under £2 a portion.", 320_000, "old-market"),
        ("C5", "Digital help desk at the library", "Help with online GP appointments, prescriptions and benefits forms.", 280_000, "old-market"),
    ],
    "ranked": [
        ("R1", "Hillfoot befriending phone line", "Volunteers call isolated older residents twice a week for a chat and a check-in.", 550_000, "hillfoot"),
        ("R2", "Moorfield green gym", "Conservation volunteering sessions that get people active outdoors.", 400_000, "moorfield"),
        ("R3", "Community transport to clinics", "A minibus service to hospital and GP appointments for people without a car.", 900_000, "hillfoot"),
        ("R4", "Parent and toddler swim sessions", "Subsidised swimming sessions with a qualified instructor.", 350_000, "moorfield"),
        ("R5", "Falls prevention home visits", "Occupational therapist visits with small home adaptations for people at risk of falls.", 700_000, "hillfoot"),
    ],
}  # fmt: skip

_ROUNDS: dict[str, dict[str, Any]] = {
    "approval": {
        "title": "Northbridge small health grants: vote for the ideas you support",
        "budget_pence": 1_200_000,
        "min_choices": 1,
        "max_choices": 3,
        "areas": list(AREAS),
    },
    "knapsack": {
        "title": "Riverside and Canal Side health budget: build your own package",
        "budget_pence": 4_000_000,
        "min_choices": 1,
        "min_budget_share_percent": 50,
        "areas": ["riverside", "canal-side"],
    },
    "cumulative": {
        "title": "Old Market, St Anne's and Riverside wellbeing fund: spread your points",
        "budget_pence": 1_200_000,
        "min_choices": 1,
        "points_total": 10,
        "max_points_per_project": 5,
        "areas": ["old-market", "st-annes", "riverside"],
    },
    "ranked": {
        "title": "Hillfoot, Moorfield and Riverside: rank the projects that matter most",
        "budget_pence": 1_500_000,
        "min_choices": 1,
        "rank_depth": 3,
        "areas": ["hillfoot", "moorfield", "riverside"],
    },
}

_DESCRIPTION = (
    "Residents decide how this money is spent to improve health where they live. "
    "Every ballot gets a tracker code on the public bulletin board; nobody can see who cast it."
)
_BALLOTS_PER_ROUND = 9


def _pick(seed: str, n: int) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") % n


def _demo_choices(kind: str, codes: list[str], costs: dict[str, int], budget: int, i: int) -> Any:
    """Return valid, varied choices for demo voter i (derived from a hash, not random)."""
    order = sorted(codes, key=lambda c: hashlib.sha256(f"{kind}/{i}/{c}".encode()).digest())
    if kind == "approval":
        return order[: 1 + _pick(f"a{i}", 3)]
    if kind == "knapsack":
        chosen, total = [], 0
        for code in order:
            if total + costs[code] <= budget:
                chosen.append(code)
                total += costs[code]
        return chosen
    if kind == "cumulative":
        first = 3 + _pick(f"c{i}", 3)
        second = min(5, 9 - first)
        return {order[0]: first, order[1]: second, order[2]: 10 - first - second}
    return order[: 1 + _pick(f"r{i}", 3)]


def seed_voting(session: Session) -> None:
    """Seed postcode districts, four rounds open for voting, demo ballots and access codes."""
    from flask import current_app

    areas = {a.slug: a for a in session.scalars(select(Area))}
    for slug, district in DEMO_POSTCODE_DISTRICTS.items():
        if (
            slug in areas
            and session.scalar(
                select(PostcodeDistrict).where(PostcodeDistrict.district == district)
            )
            is None
        ):
            session.add(PostcodeDistrict(district=district, area_id=areas[slug].id))
    demo_user(session, OFFICER_EMAIL, "Grace Mensah", postcode="NB2 4PL", officer=True)
    session.commit()

    key = load_server_key(current_app.config["RECEIPT_KEY_FILE"])
    today = dt.datetime.now(dt.UTC).date()
    districts = list(DEMO_POSTCODE_DISTRICTS.items())
    for kind, settings in _ROUNDS.items():
        slug = VOTING_ROUND_SLUGS[kind]
        if session.scalar(select(Round).where(Round.slug == slug)) is not None:
            continue
        values = {k: v for k, v in settings.items() if k != "areas"}
        rnd = Round(
            slug=slug,
            description=_DESCRIPTION,
            phase="voting",
            ballot_kind=kind,
            allocation_rule="equal-shares" if kind != "ranked" else "greedy",
            voting_open=today - dt.timedelta(days=3),
            voting_close=today + dt.timedelta(days=18),
            voting_opened_at=dt.datetime.now(dt.UTC),
            **values,
        )
        rnd.areas = [areas[a] for a in settings["areas"] if a in areas]
        rnd.projects = [
            Project(
                code=code,
                position=i,
                title=title,
                summary=summary,
                cost_pence=cost,
                area=areas.get(area),
            )
            for i, (code, title, summary, cost, area) in enumerate(_PROJECTS[kind])
        ]
        session.add(rnd)
        session.commit()
        elig.save_settings(
            session, rnd.id, by_postcode=True, by_roll=kind == "ranked", by_code=kind == "approval",
            min_age=16 if kind == "ranked" else None,
        )  # fmt: skip
        in_round = [d for d in districts if d[0] in settings["areas"]]
        codes = [p[0] for p in _PROJECTS[kind]]
        costs = {p[0]: p[3] for p in _PROJECTS[kind]}
        for i in range(_BALLOTS_PER_ROUND):
            _, district = in_round[i % len(in_round)]
            voter = demo_user(
                session,
                f"resident-{kind}-{i + 1:02d}@example.org",
                f"Demo resident {i + 1} ({kind})",
                postcode=f"{district} {1 + i % 9}AB",
                date_of_birth=dt.date(1950 + 3 * i, 1 + i % 12, 1 + i),
            )
            session.commit()
            choices = _demo_choices(kind, codes, costs, rnd.budget_pence, i)
            cast_ballot(
                session,
                rnd.id,
                elig.VoterKey("user", voter.id),
                choices,
                channel="online",
                server_key=key,
                today=today,
            )
        if kind == "ranked":
            roll = "reference,date_of_birth\n" + "".join(f"{r},{d}\n" for r, d in DEMO_ROLL)
            elig.upload_roll(session, rnd.id, roll, secret_key=current_app.config["SECRET_KEY"])
            print(
                f"Demo voter roll for “{rnd.title}”: reference {DEMO_ROLL[0][0]}, "
                f"date of birth {DEMO_ROLL[0][1]}."
            )
        if kind == "approval":
            batch, access = elig.generate_codes(
                session, rnd.id, 20, label="Northbridge health fair", today=today
            )
            pdf = elig.access_code_pdf(
                rnd.title,
                batch.label,
                access,
                vote_url=f"{current_app.config['PUBLIC_BASE_URL']}/rounds/{rnd.id}/vote",
            )
            path = Path(current_app.instance_path) / f"access-codes-round{rnd.id}.pdf"
            path.write_bytes(pdf)
            print(f"Printed {len(access)} demo access codes for “{rnd.title}”: {path}")


def demo_voters_who_have_not_voted(session: Session) -> list[User]:
    """Return the named demo citizens (they are left to try the ballots themselves)."""
    from decide.services.demo import CITIZENS

    emails = [c[0] for c in CITIZENS]
    return list(session.scalars(select(User).where(User.email.in_(emails))))

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

from decide.demo.catalogue import AREAS, DEMO_POSTCODE_DISTRICTS
from decide.demo.foundation import DemoBallotItem, demo_user, seed_ballot
from decide.models import Area, Round, User
from decide.services import access_codes, postcodes, register, register_setup, voter_roll
from decide.services import eligibility as elig
from decide.services.accounts import POSTCODE_EXAMPLE
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

# The proposal behind each project: (proposer: organisation slug or a resident's email,
# payee slug for a resident's project, themes, description, expected outcomes, cost lines).
_BEHIND: dict[str, tuple[str, str | None, tuple[str, ...], str, str, tuple[tuple[str, int], ...]]] = {
    "A1": ("riverside-community-food-bank", None, ("healthy-food",),
           "Local shops throw away good food every evening while families nearby go without. A **shared fridge** in the Riverside Centre's foyer, stocked by volunteers twice a day, lets anyone take what they need with no questions asked.",
           "Two tonnes of food a year eaten rather than thrown away; 80 households using the fridge each week.",
           (("Commercial fridge and freezer", 260_000), ("Electrical work and hygiene signage", 70_000), ("Volunteer coordinator, 10 hours a month for a year", 150_000))),
    "A2": ("kwame@example.org", "canal-side-tenants-association", ("physical-activity", "older-people"),
           "I walk the towpath every day and see neighbours who have been ill stop going out. A **led walk every Thursday**, short enough for anyone, with a cup of tea at the lock café at the end, would get them back on their feet. The tenants' association has offered to host it.",
           "30 regular walkers; walkers say they feel more confident going out alone after three months.",
           (("Walk leader training for 6 volunteers", 120_000), ("First-aid kits and hi-vis vests", 40_000), ("Tea stop at the lock café, 50 weeks", 100_000))),
    "A3": ("old-market-wellbeing-hub", None, ("mental-health",),
           "Men referred to our link workers rarely come to a clinic. **Peer circles at the rugby club**, every other Tuesday evening, are led by men who have been through hard times themselves and supervised by a counsellor.",
           "35 men attend at least four evenings; a clear route to NHS Talking Therapies for those who need it.",
           (("Two peer facilitators, 26 evenings", 234_000), ("Room hire at the rugby club", 78_000), ("Clinical supervision", 38_000))),
    "A4": ("st-annes-church-community-centre", None, ("older-people", "social-isolation"),
           "Our hall will be **warm and open three afternoons a week** from November to March, with hot drinks, free Wi-Fi, board games and a benefits adviser every other week.",
           "Around 35 visitors each afternoon; 80 households helped to claim benefits or cut their energy bills.",
           (("Heating and lighting, three afternoons a week for 20 weeks", 240_000), ("Hot drinks and snacks", 90_000), ("Benefits adviser, one afternoon a fortnight", 90_000))),
    "A5": ("john@example.org", "northbridge-city-council", ("physical-activity", "older-people"),
           "I care for my wife, and carers like me stop looking after ourselves. **Chair-based strength and balance classes** once a week, with someone to sit with the person we care for, would keep us well enough to keep caring. The council's carers' service will hold the grant.",
           "25 carers attending regularly; fewer falls and better sleep reported after ten weeks.",
           (("Qualified instructor, 40 classes", 120_000), ("Respite cover for carers", 50_000), ("Resistance bands and chairs", 20_000))),
    "A6": ("green-plate-kitchen", None, ("healthy-food", "children-families"),
           "Families with an allotment plot often do not know what to do with a glut of courgettes. **Grow-and-cook sessions** on the Moorfield allotments turn the harvest into cheap, healthy meals, cooked on site.",
           "40 families take part; families eat more vegetables they grew themselves.",
           (("Sessional cook, 30 sessions", 150_000), ("Ingredients and seeds", 90_000), ("Camping stoves and cookware", 60_000))),
    "K1": ("amira@example.org", "riverside-community-food-bank", ("children-families", "healthy-food"),
           "Teachers at Riverside Primary tell me some children arrive too hungry to learn. A **free breakfast club** from 8 am, run by parent volunteers with food from the food bank, would give 60 children a good start. The food bank has agreed to host it.",
           "60 children eating breakfast every school day; better attendance and punctuality by the spring term.",
           (("Breakfast food for 60 children, 38 weeks", 910_000), ("Breakfast club assistant, 7.5 hours a week", 480_000), ("Toaster, fridge and crockery", 60_000))),
    "K2": ("canal-side-tenants-association", None, ("housing-health",),
           "Damp and mould make children's asthma worse, and many tenants do not know how to get landlords to act. A **housing-health worker** visits affected flats, records the problem, chases repairs and lends dehumidifiers.",
           "120 homes visited; repair requests logged and followed up; fewer asthma-related GP visits.",
           (("Housing-health worker, 0.5 full-time equivalent", 1_500_000), ("Humidity meters and dehumidifiers to lend", 220_000), ("Interpreting", 80_000))),
    "K3": ("olivia@example.org", "northbridge-city-council", ("physical-activity", "mental-health"),
           "My brother turned his life around at a boxing club. **Two evenings a week of boxing with a mentor** for young people at risk of exclusion would give others the same chance. The council's youth service will hold the money and employ the coach.",
           "30 young people attend regularly; fewer exclusions among those taking part.",
           (("Boxing coach and youth mentor, 2 evenings a week", 880_000), ("Gym hire", 220_000), ("Gloves, pads and first-aid kit", 100_000))),
    "K4": ("old-market-wellbeing-hub", None, ("social-isolation",),
           "We will train **twelve health champions** who speak the languages of Canal Side, so that advice about screening, vaccinations and local services reaches people in their own words.",
           "12 champions trained; 600 conversations a year; more people from the estate taking up screening.",
           (("Training for twelve champions", 360_000), ("Champion expenses and childcare", 290_000), ("Coordinator, 6 hours a week", 300_000))),
    "K5": ("riverside-community-food-bank", None, ("healthy-food", "older-people"),
           "Housebound people cannot collect parcels. A **second-hand electric van** and a volunteer driver rota would deliver every week to people referred by GPs and district nurses.",
           "70 housebound households receive food every week.",
           (("Second-hand electric van", 1_350_000), ("Insurance and charging for a year", 180_000), ("Signwriting and crates", 70_000))),
    "K6": ("green-plate-kitchen", None, ("children-families", "healthy-food"),
           "A **baby bank** of donated clothes and equipment, checked for safety, alongside monthly weaning workshops in our kitchen where parents make purées and finger foods to take home.",
           "150 families helped with equipment; 120 parents attend a weaning workshop.",
           (("Storage and shelving for donated equipment", 150_000), ("Weaning workshops, 24 sessions", 360_000), ("New car seats and safety items", 190_000))),
    "C1": ("st-annes-church-community-centre", None, ("older-people", "mental-health"),
           "A **monthly café** for people living with dementia and the people who care for them, with live music, memory activities and a dementia adviser to talk to.",
           "25 families attending regularly; carers feel less alone.",
           (("Dementia adviser time", 260_000), ("Musician and memory activities", 200_000), ("Refreshments and transport", 140_000))),
    "C2": ("olivia@example.org", "old-market-wellbeing-hub", ("mental-health", "social-isolation"),
           "After my dad died there was a six-month wait for counselling. **Trained volunteers who have been bereaved themselves** could offer one-to-one and group support straight away. The Wellbeing Hub will supervise the volunteers and hold the grant.",
           "60 people supported in the first year; shorter waits for NHS bereavement counselling.",
           (("Training for 10 volunteers", 180_000), ("Volunteer supervision", 150_000), ("Room hire and refreshments", 120_000))),
    "C3": ("kwame@example.org", "northbridge-city-council", ("physical-activity", "older-people"),
           "The market square is empty on Sunday mornings. **Free football for everyone**, with walking football for the over-60s at the same time, would fill it. The square belongs to the council, which will hold the money and the event licence.",
           "50 players a week, a third of them over 60.",
           (("Coaches, 50 sessions", 250_000), ("Portable goals and balls", 80_000), ("Event licence and insurance", 50_000))),
    "C4": ("al-noor-womens-group", None, ("healthy-food",),
           "**Six-week courses** in our community kitchen teaching healthy family meals for under £2 a portion, in English, Urdu and Bengali.",
           "90 people complete a course; families report cooking from scratch more often.",
           (("Cookery tutor, 36 sessions", 180_000), ("Ingredients", 100_000), ("Translated recipe cards", 40_000))),
    "C5": ("old-market-wellbeing-hub", None, ("older-people", "social-isolation"),
           "More and more of the NHS is online. A **digital help desk** at Old Market library, three mornings a week, helps people book GP appointments, order prescriptions and fill in forms.",
           "400 people helped a year; fewer missed appointments.",
           (("Digital helper, 6 hours a week", 200_000), ("Two tablets and a printer", 60_000), ("Leaflets in community languages", 20_000))),
    "R1": ("hillfoot-mind-matters", None, ("social-isolation", "older-people"),
           "Trained volunteers **phone isolated older residents twice a week** for a chat and a check that all is well, and pass on worries to the right service.",
           "100 people called regularly; lower loneliness scores after six months.",
           (("Volunteer coordinator, 12 hours a week", 420_000), ("Phone system and call costs", 80_000), ("Volunteer training", 50_000))),
    "R2": ("john@example.org", "moorfield-harriers", ("physical-activity", "mental-health"),
           "Moorfield's woods and hedges need looking after, and so do we. A **green gym**, two mornings a week of conservation work led by a ranger, gets people active outdoors. The Harriers will host it and hold the money.",
           "40 regular volunteers; a path and two hedgerows restored.",
           (("Conservation leader, 48 sessions", 250_000), ("Tools and gloves", 90_000), ("Tool store", 60_000))),
    "R3": ("northbridge-city-council", None, ("older-people",),
           "People without a car miss hospital appointments because the bus takes two changes. A **booked minibus** to the hospital and GP surgeries, five days a week, with a driver trained to help passengers.",
           "3,000 journeys a year; fewer missed hospital appointments from Hillfoot.",
           (("Minibus lease for a year", 520_000), ("Driver, 20 hours a week", 330_000), ("Fuel and insurance", 50_000))),
    "R4": ("moorfield-harriers", None, ("children-families", "physical-activity"),
           "**Subsidised parent and toddler swimming** with a qualified instructor, at times that suit parents on shifts.",
           "60 toddlers and their parents swimming weekly.",
           (("Pool hire, 40 sessions", 200_000), ("Qualified instructor", 110_000), ("Subsidised places", 40_000))),
    "R5": ("old-market-wellbeing-hub", None, ("older-people", "housing-health"),
           "An **occupational therapist visits people at risk of falls** at home and fits small adaptations the same week: grab rails, a second banister, brighter bulbs.",
           "150 homes made safer; fewer falls needing an ambulance.",
           (("Occupational therapist, 2 days a week for 6 months", 480_000), ("Grab rails, ramps and small adaptations", 190_000), ("Travel", 30_000))),
}  # fmt: skip


def ballot_items(kind: str) -> tuple[DemoBallotItem, ...]:
    """Return a voting round's demo ballot with the proposal behind each project."""
    items = []
    for code, title, summary, cost, area in _PROJECTS[kind]:
        proposer, payee, themes, description, outcomes, lines = _BEHIND[code]
        if sum(pence for _, pence in lines) != cost:
            raise ValueError(f"the cost lines of demo project {code} do not add up to its cost")
        items.append(
            DemoBallotItem(
                code, title, summary, area, proposer, description, outcomes, lines, themes, payee
            )
        )
    return tuple(items)


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


# The inward codes the demo's postcodes use; each demo district lists all of them, 1 to 9.
_DEMO_INWARD_LETTERS = ("AA", "AB", "CD", "EF", "HD", "JP", "LW", "PL", "QT", "RS", "XY")
# The example postcode every hint shows lies in Riverside.
EXAMPLE_POSTCODE_AREA = "riverside"


def demo_postcode_table(session: Session) -> str:
    """Return the demo's postcode -> area table as CSV (postcode,area), as a facilitator would."""
    areas = {a.slug: a for a in session.scalars(select(Area))}
    lines = ["postcode,area", f"{POSTCODE_EXAMPLE},{EXAMPLE_POSTCODE_AREA}"]
    for slug, district in DEMO_POSTCODE_DISTRICTS.items():
        if slug not in areas:
            continue
        for digit in range(1, 10):
            lines.extend(f"{district} {digit}{letters},{slug}" for letters in _DEMO_INWARD_LETTERS)
    return "\n".join(lines) + "\n"


def seed_voting(session: Session) -> None:
    """Seed the postcode -> area table, four rounds open for voting, demo ballots and access codes."""
    from flask import current_app

    areas = {a.slug: a for a in session.scalars(select(Area))}
    if not postcodes.summary(session, None).total:
        postcodes.upload_table(session, None, demo_postcode_table(session))
    demo_user(session, OFFICER_EMAIL, "Grace Mensah", postcode="NB2 4PL", officer=True)
    session.commit()

    key = load_server_key(current_app.config["RECEIPT_KEY_FILE"])
    today = dt.datetime.now(dt.UTC).date()
    for kind, settings in _ROUNDS.items():
        slug = VOTING_ROUND_SLUGS[kind]
        if session.scalar(select(Round).where(Round.slug == slug)) is not None:
            continue
        rnd = _open_round(session, kind, settings, areas, today)
        _cast_demo_ballots(session, rnd, kind, settings, key, today)
        if kind == "approval":
            _print_access_codes(session, rnd, today)


def _residents() -> list[tuple[str, dt.date]]:
    """Return the demo residents' roll references and dates of birth."""
    return [
        (f"NB-2{i + 1:03d}", dt.date(1950 + 3 * i, 1 + i % 12, 1 + i))
        for i in range(_BALLOTS_PER_ROUND)
    ]


def _open_round(
    session: Session, kind: str, settings: dict[str, Any], areas: dict[str, Area], today: dt.date
) -> Round:
    """Create one demo round with its ballot and who may vote, and open voting."""
    from flask import current_app

    values = {k: v for k, v in settings.items() if k != "areas"}
    rnd = Round(
        slug=VOTING_ROUND_SLUGS[kind],
        description=_DESCRIPTION,
        phase="deliberation",  # voting opens below, once the ballot is in place
        ballot_kind=kind,
        allocation_rule="equal-shares" if kind != "ranked" else "greedy",
        voting_open=today - dt.timedelta(days=3),
        voting_close=today + dt.timedelta(days=18),
        **values,
    )
    rnd.areas = [areas[a] for a in settings["areas"] if a in areas]
    session.add(rnd)
    seed_ballot(session, rnd, ballot_items(kind))
    session.commit()
    # Who may vote is settled before voting opens (it locks then, like the budget).
    elig.save_settings(
        session,
        rnd.id,
        by_postcode=True,
        by_roll=kind == "ranked",
        by_code=kind == "approval",
        min_age=16 if kind == "ranked" else None,
    )
    if kind == "ranked":
        # One register: the demo residents are on the roll, and their accounts are linked
        # to their places on it; the named demo citizens are not (they try it themselves).
        roll = "reference,date_of_birth\n" + "".join(
            f"{r},{d}\n" for r, d in (*DEMO_ROLL, *((r, d.isoformat()) for r, d in _residents()))
        )
        voter_roll.upload_roll(session, rnd.id, roll, secret_key=current_app.config["SECRET_KEY"])
        print(
            f"Demo voter roll for “{rnd.title}”: reference {DEMO_ROLL[0][0]}, "
            f"date of birth {DEMO_ROLL[0][1]}."
        )
    else:
        register_setup.confirm_self_declared(session, rnd.id, confirmed=True)
    rnd.phase = "voting"
    rnd.voting_opened_at = dt.datetime.now(dt.UTC)
    session.commit()
    return rnd


def _cast_demo_ballots(
    session: Session,
    rnd: Round,
    kind: str,
    settings: dict[str, Any],
    key: Any,
    today: dt.date,
) -> None:
    """Cast the demo residents' ballots in one round (linking them to the roll if it has one)."""
    from flask import current_app

    residents = _residents()
    in_round = [d for d in DEMO_POSTCODE_DISTRICTS.items() if d[0] in settings["areas"]]
    codes = [p[0] for p in _PROJECTS[kind]]
    costs = {p[0]: p[3] for p in _PROJECTS[kind]}
    for i in range(_BALLOTS_PER_ROUND):
        _, district = in_round[i % len(in_round)]
        voter = demo_user(
            session,
            f"resident-{kind}-{i + 1:02d}@example.org",
            f"Demo resident {i + 1} ({kind})",
            postcode=f"{district} {1 + i % 9}AB",
            date_of_birth=residents[i][1],
        )
        session.commit()
        if kind == "ranked":
            entry = voter_roll.verify_roll(
                session,
                rnd.id,
                residents[i][0],
                residents[i][1],
                secret_key=current_app.config["SECRET_KEY"],
                today=today,
            )
            register.bind_account(session, rnd.id, voter.id, entry)
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


def _print_access_codes(session: Session, rnd: Round, today: dt.date) -> None:
    """Make one batch of access codes and print them to a PDF in the instance folder."""
    from flask import current_app

    batch, access = access_codes.generate_codes(
        session, rnd.id, 20, label="Northbridge health fair", today=today
    )
    pdf = access_codes.access_code_pdf(
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
    from decide.demo.catalogue import CITIZENS

    emails = [c[0] for c in CITIZENS]
    return list(session.scalars(select(User).where(User.email.in_(emails))))

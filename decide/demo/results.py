"""Demo results: a closed round of 300 ballots on which the allocation rules visibly disagree.

The round goes through the real path: proposals submitted by the demo organisations, reviewed
and accepted onto the ballot, phase changes through `phases.change_phase`, voters admitted with
one-time access codes handed out at an event in each ward, and every ballot cast with
`cast_ballot`, so the board, the hash chain and the receipts are all genuine.

The voters are built so that the rules give different outcomes: a large, well-organised turnout
in affluent Moorfield (and its neighbour Hillfoot) backs three expensive sports and garden
projects, while smaller groups in deprived Riverside and Canal Side back cheaper food, housing
and walking projects. Greedy funds the big bloc's projects; equal shares gives every group its
share; the equity rule guarantees a floor for deciles 1 and 2.

Choices are derived from sha256 of a fixed seed, so the same ballots are cast every time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.demo.catalogue import (
    AREAS,
    DEMO_THRESHOLD_REASON,
    FACILITATOR_EMAIL,
    PANEL_EMAIL,
    THEMES,
    DemoProposal,
)
from decide.demo.foundation import demo_round, submit_demo_proposal
from decide.models import Area, Organisation, PanelMember, Round, Theme, User
from decide.services import access_codes, phases, register_setup
from decide.services import eligibility as elig
from decide.services import proposals as proposal_service
from decide.services.voting import cast_ballot, load_server_key

RESULTS_ROUND_SLUG = "northbridge-healthy-neighbourhoods-2026"
SEED = "decide-demo-results-v1"
BUDGET_PENCE = 10_000_000


@dataclass(frozen=True)
class DemoProject(DemoProposal):
    """A proposal of the closed round (its author a member of the organisation), with the key
    the demo ballots name it by."""

    org: str  # every project here comes from an organisation
    key: str = ""
    review: tuple[str, str] = ("feasible", "")


PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        "harriers@example.org", "moorfield-harriers", "moorfield", ("physical-activity",),
        "Floodlit all-weather track at Moorfield Park",
        "Resurface the cinder track and add floodlights so the club and residents can run "
        "safely on winter evenings.",
        "The cinder track at Moorfield Park floods from October to March. A **porous "
        "all-weather surface** and LED floodlights on a timer would let the club's 300 members "
        "and anyone else use it until 9 pm all year.",
        "Track open 80 hours a week all year; club membership up by a third.",
        (("All-weather resurfacing, 400 m", 2_600_000), ("LED floodlights", 900_000),
         ("Accessible changing room refit", 300_000)),
        key="track",
    ),
    DemoProject(
        "harriers@example.org", "moorfield-harriers", "hillfoot",
        ("physical-activity", "older-people"),
        "Outdoor gym on Hillfoot Park",
        "Ten pieces of free outdoor gym equipment, including accessible stations for older "
        "people and wheelchair users.",
        "An outdoor gym is free, open all day, and used by people who would never join a gym. "
        "We will install **ten stations**, three of them accessible, with QR codes linking to "
        "short videos.",
        "200 regular users a week; a monthly led session for over-60s.",
        (("Equipment, ten stations", 1_850_000), ("Installation and safety surfacing", 750_000)),
        key="gym",
    ),
    DemoProject(
        "mindmatters@example.org", "hillfoot-mind-matters", "moorfield",
        ("mental-health",),
        "Moorfield wellbeing garden",
        "Turn the disused bowling green into a quiet sensory garden with raised beds and a "
        "shelter for peer-support groups.",
        "Gardening together is one of the most effective things our members do for their "
        "mental health. The old bowling green has water and a pavilion. We will build "
        "**raised beds at wheelchair height**, a sensory path and a covered meeting space.",
        "Weekly gardening sessions for 60 people; a space for our peer groups in summer.",
        (("Landscaping and raised beds", 1_500_000), ("Covered meeting shelter", 700_000)),
        key="garden",
    ),
    DemoProject(
        "mindmatters@example.org", "hillfoot-mind-matters", "hillfoot",
        ("mental-health",),
        "Men's peer support circles in Hillfoot",
        "Fortnightly evening circles where men talk about how they are really doing, led by "
        "trained peers.",
        "Men in Hillfoot are the least likely to ask their GP for help with their mental "
        "health. Our circles meet in the rugby club's back room, not a clinic, and are led by "
        "men with **lived experience**, supervised by a counsellor.",
        "40 men attend at least four sessions; a clear route to NHS Talking Therapies.",
        (("Two peer facilitators", 1_200_000), ("Room hire and supervision", 400_000)),
        key="circles",
    ),
    DemoProject(
        "foodbank@example.org", "riverside-community-food-bank", "riverside",
        ("healthy-food", "children-families"),
        "Riverside fresh food pantry",
        "A weekly pantry of fresh fruit, vegetables and dairy for families on low incomes.",
        "Our parcels are tins and dried food. Parents tell us their children have not eaten "
        "fresh fruit for weeks. Members pay **£4 for a bag worth £20**.",
        "120 households a week with fresh food; fewer emergency parcels by spring.",
        (("Chilled display cabinets", 480_000), ("Fresh produce, 48 weeks", 920_000)),
        key="pantry",
    ),
    DemoProject(
        "hub@example.org", "old-market-wellbeing-hub", "riverside",
        ("physical-activity", "mental-health"),
        "Walking for Wellbeing",
        "Led walks from Riverside surgery for patients referred by their GP, with a cuppa "
        "at the end.",
        "Link workers refer patients with low mood, diabetes or loneliness. Each walk has "
        "**two trained leaders** and a short route for people who are just starting.",
        "80 walkers a year; walkers report better mood after 12 weeks.",
        (("Walk leader training", 250_000), ("Coordinator, 4 hours a week", 350_000)),
        key="walking",
    ),
    DemoProject(
        "greenplate@example.org", "green-plate-kitchen", "canal-side",
        ("healthy-food", "children-families"),
        "Cook and eat for Canal Side families",
        "Ten-week courses where parents and children cook a healthy meal together on a "
        "two-ring hob, then eat it together.",
        "Each course is for **eight families**, who take home the ingredients to cook the "
        "meal again that week.",
        "48 families complete a course; families cook from scratch more often.",
        (("Sessional chef, 60 sessions", 530_000), ("Ingredients and take-home bags", 420_000)),
        key="cook",
    ),
    DemoProject(
        "tenants@example.org", "canal-side-tenants-association", "canal-side",
        ("housing-health", "children-families"),
        "Damp and mould advice surgeries",
        "Monthly drop-in surgeries where tenants get help to record damp and mould and get "
        "repairs done.",
        "Damp and mould make children's asthma worse. A housing adviser, **humidity meters "
        "on loan** and a photo diary help tenants get landlords to act.",
        "150 homes advised; repair requests logged and followed up.",
        (("Housing adviser, 12 months", 600_000), ("Humidity meters and translation", 300_000)),
        key="damp",
    ),
    DemoProject(
        "hub@example.org", "old-market-wellbeing-hub", "old-market",
        ("mental-health", "social-isolation"),
        "Community navigator for Old Market",
        "A part-time navigator who meets people in the places they already go: the mosque, "
        "the market and the library.",
        "Our link workers are based in surgeries, so we miss people who rarely see a GP. A "
        "**community navigator** will hold weekly sessions in three community venues.",
        "300 conversations a year; 150 people join an activity or service.",
        (("Navigator, 0.6 full-time equivalent", 1_650_000), ("Training", 150_000)),
        key="navigator",
    ),
    DemoProject(
        "alnoor@example.org", "al-noor-womens-group", "old-market",
        ("physical-activity",),
        "Women-only swimming sessions",
        "A weekly women-only session at Old Market pool with female lifeguards and a crèche.",
        "Many women in our group have never learned to swim and will not use mixed sessions. "
        "A **private weekly session** with female staff and a crèche changes that.",
        "50 women swimming regularly; 25 learn to swim 25 metres.",
        (("Pool hire, 50 sessions", 700_000), ("Female lifeguard, teacher and crèche", 500_000)),
        key="swim",
    ),
    DemoProject(
        "church@example.org", "st-annes-church-community-centre", "st-annes",
        ("older-people", "social-isolation"),
        "Warm Welcome winter space",
        "A warm, free space with soup and hot drinks, four afternoons a week from November "
        "to March.",
        "Last winter many older neighbours sat in one cold room to save on heating. Our hall "
        "will be open **four afternoons a week**, with an energy adviser once a month.",
        "Around 40 visitors a day; energy advice for at least 100 households.",
        (("Heating and lighting for the hall", 500_000), ("Soup, bread and drinks", 300_000),
         ("Volunteer coordinator", 300_000)),
        key="warm",
    ),
)  # fmt: skip

# Voters per ward and the chance (percent) that each approves a project. Moorfield turns out in
# force for the expensive projects; the deprived wards are smaller groups with cheaper needs.
BLOCS: tuple[tuple[str, int, Mapping[str, int]], ...] = (
    ("moorfield", 112, {"track": 95, "garden": 85, "gym": 80, "circles": 20, "walking": 5}),
    ("hillfoot", 38, {"gym": 90, "circles": 80, "garden": 50, "track": 30}),
    ("st-annes", 30, {"warm": 90, "navigator": 50, "walking": 40, "gym": 10}),
    ("old-market", 45, {"navigator": 85, "swim": 70, "walking": 40, "warm": 15}),
    ("riverside", 41, {"pantry": 90, "walking": 70, "cook": 30, "damp": 10}),
    ("canal-side", 34, {"damp": 85, "cook": 80, "pantry": 40, "walking": 10}),
)
MAX_CHOICES = 4


def _chance(*parts: object) -> int:
    """Return a number from 0 to 99 derived from the seed and the parts (no random state)."""
    text = "/".join([SEED, *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % 100


def demo_choices() -> list[tuple[str, tuple[str, ...]]]:
    """Return (ward, approved project keys) for every demo voter, in casting order."""
    voters: list[tuple[str, tuple[str, ...]]] = []
    for area, count, chances in BLOCS:
        ranked = sorted(chances, key=lambda k: -chances[k])
        for i in range(count):
            chosen = [k for k in ranked if _chance(area, i, k) < chances[k]][:MAX_CHOICES]
            voters.append((area, tuple(chosen or ranked[:1])))
    # Interleave the wards as ballots would arrive over two weeks.
    keyed = [
        (hashlib.sha256(f"{SEED}/order/{n}".encode()).digest(), v) for n, v in enumerate(voters)
    ]
    return [v for _, v in sorted(keyed)]


DEMO_EQUITY_FORM = {
    "floor_share": "30",
    "weight_1": "3",
    "weight_2": "2",
    "org_cap": "40000",
}


def _cast_all(
    session: Session, rnd: Round, codes: Mapping[str, str], area_names: Mapping[str, str]
) -> int:
    """Hand out access codes per ward and cast every demo ballot; return how many were cast.

    The ballots are cast on one dedicated connection. On SQLite that connection stops waiting
    for the disk at each commit while the demo is cast (300 fsyncs take many seconds on a busy
    disk; demo data can simply be seeded again after a crash), and is restored before it goes
    back to the pool. PostgreSQL is left alone.
    """
    from flask import current_app

    key = load_server_key(current_app.config["RECEIPT_KEY_FILE"])
    voters = demo_choices()
    opened = rnd.voting_open or dt.date.today()
    with session.get_bind().connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA synchronous = OFF")
        conn.commit()  # end the autobegun transaction: each cast commits its own
        try:
            with Session(bind=conn, expire_on_commit=False) as s:
                batches: dict[str, list[int]] = {}
                for area, count, _ in BLOCS:
                    batch, _codes = access_codes.generate_codes(
                        s, rnd.id, count, label=f"{area_names[area]} community event", today=opened
                    )
                    batches[area] = [c.id for c in batch.codes]
                used = dict.fromkeys(batches, 0)
                for area, keys in voters:
                    code_id = batches[area][used[area]]
                    used[area] += 1
                    cast_ballot(
                        s, rnd.id, elig.VoterKey("code", code_id), [codes[k] for k in keys],
                        channel="online", server_key=key,
                        today=opened + dt.timedelta(days=used[area] % 14),
                    )  # fmt: skip
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA synchronous = FULL")
    session.expire_all()
    return len(voters)


def seed_results(session: Session) -> None:
    """Seed a closed round with 300 cast ballots and equity settings (rule not yet confirmed)."""

    if session.scalar(select(Round).where(Round.slug == RESULTS_ROUND_SLUG)) is not None:
        return
    facilitator = session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    if facilitator is None:
        raise RuntimeError("seed_results runs after the foundation demo (no facilitator).")
    areas = {a.slug: a for a in session.scalars(select(Area).where(Area.slug.in_(AREAS)))}
    themes = {t.slug: t for t in session.scalars(select(Theme).where(Theme.slug.in_(THEMES)))}
    orgs = {o.slug: o for o in session.scalars(select(Organisation))}
    today = dt.datetime.now(dt.UTC).date()
    opened = today - dt.timedelta(days=84)
    rnd = demo_round(
        today,
        (-84, -63, -42, -28, -2, 7),  # proposals opened 84 days ago; voting closed 2 days ago
        slug=RESULTS_ROUND_SLUG,
        title="Healthy Neighbourhoods Fund 2026",
        description=(
            "£100,000 from the Northbridge Health and Wellbeing Partnership for community "
            "projects in the six wards. Voting has closed: 300 residents voted at community "
            "events in every ward. The facilitator now compares the allocation rules, the "
            "panel checks the result, and it is published with a signed record anyone can "
            "verify."
        ),
        budget_pence=BUDGET_PENCE,
        phase="proposals",
        max_choices=MAX_CHOICES,
        signature_threshold=1,
        threshold_reason=DEMO_THRESHOLD_REASON,
        areas=[areas[a] for a in AREAS if a in areas],
        themes=[themes[t] for t in THEMES if t in themes],
    )
    session.add(rnd)
    panel = session.scalar(select(User).where(User.email == PANEL_EMAIL))
    if panel is not None:
        session.add(PanelMember(round=rnd, user=panel, role_title="Resident panel member"))
    session.commit()

    codes: dict[str, str] = {}
    for p in PROJECTS:
        proposal = submit_demo_proposal(
            session, rnd, p, areas, themes, orgs[p.org], facilitator, opened + dt.timedelta(days=3)
        )
        codes[p.key] = proposal_service.accept_onto_ballot(session, proposal, facilitator).code
    phases.change_phase(session, rnd, "deliberation", facilitator)
    elig.save_settings(session, rnd.id, by_postcode=True, by_roll=False, by_code=True, min_age=None)
    # The demo has no voter roll: it accepts the self-declared warning, as a facilitator must.
    register_setup.confirm_self_declared(session, rnd.id, confirmed=True)
    phases.change_phase(session, rnd, "voting", facilitator)
    cast = _cast_all(session, rnd, codes, {slug: a.name for slug, a in areas.items()})
    phases.change_phase(session, rnd, "closed", facilitator)

    from decide.services import results as results_service

    election = results_service.round_to_election(session, rnd.id)
    spec = results_service.parse_equity_form(DEMO_EQUITY_FORM, election)
    results_service.save_equity_settings(session, rnd.id, spec)
    print(
        f"Demo round for results: “{rnd.title}” (round {rnd.id}), closed with "
        f"{cast} ballots; compare the rules at /rounds/{rnd.id}/results/compare."
    )

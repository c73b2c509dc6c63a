"""Demo data: a small city's community-health round, its people and community assets.

`seed_demo(session)` runs every seeder named in DEMO_SEEDERS, in order. Other parts of the
app add their own seeder by appending a "module:function" string; each seeder takes the
session, finds what earlier seeders made by natural keys (emails, slugs, round slugs: see
the constants below), and commits its own work.

Every demo account has the password DEMO_PASSWORD. Real accounts never get it: it exists
only in this module and is printed by `decide accounts`.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from decide.models import (
    Area,
    CostLine,
    Membership,
    Organisation,
    PanelMember,
    Project,
    Proposal,
    ProposalVersion,
    Round,
    Theme,
    User,
)
from decide.services import proposals as proposal_service

DEMO_SEEDERS: list[str] = [
    "decide.services.demo:seed_foundation",
    "decide.services.demo_voting:seed_voting",
    "decide.services.demo_published:seed_published",
    "decide.services.demo_results:seed_results",
    "decide.services.demo_deliberation:seed_deliberation",
]

DEMO_PASSWORD = "community-health"  # noqa: S105 - demo accounts only; printed by `decide accounts`
DEMO_EMAIL_DOMAIN = "example.org"
# Demo rounds with one panel member say why one signature is enough, as every such round must.
DEMO_THRESHOLD_REASON = (
    "A demonstration round with one panel member, so a newcomer can try publishing alone. "
    "Live rounds ask for two or more signatures."
)
FACILITATOR_EMAIL = "facilitator@example.org"
PANEL_EMAIL = "panel@example.org"
FOUNDATION_ROUND_SLUG = "healthy-northbridge-2027"

# slug: (name, population, deprivation decile; 1 = most deprived tenth)
AREAS: dict[str, tuple[str, int, int]] = {
    "riverside": ("Riverside", 14_820, 1),
    "canal-side": ("Canal Side", 11_450, 2),
    "old-market": ("Old Market", 16_230, 3),
    "st-annes": ("St Anne's", 12_960, 5),
    "hillfoot": ("Hillfoot", 10_340, 7),
    "moorfield": ("Moorfield", 13_510, 9),
}
# Postcode district of each demo area (the voting part maps postcodes to areas with these).
DEMO_POSTCODE_DISTRICTS: dict[str, str] = {
    "riverside": "NB1",
    "canal-side": "NB2",
    "old-market": "NB3",
    "st-annes": "NB4",
    "hillfoot": "NB5",
    "moorfield": "NB6",
}
THEMES: dict[str, str] = {
    "mental-health": "Mental health",
    "healthy-food": "Healthy food",
    "physical-activity": "Physical activity",
    "social-isolation": "Loneliness and isolation",
    "children-families": "Children and families",
    "older-people": "Older people",
    "housing-health": "Housing and health",
}


COUNCIL_SLUG = "northbridge-city-council"


@dataclass(frozen=True)
class DemoOrg:
    slug: str
    name: str
    kind: str
    areas: tuple[str, ...]
    description: str
    email: str
    phone: str
    admin: tuple[str, str]  # (email, name) of its admin member


ORGANISATIONS: tuple[DemoOrg, ...] = (
    DemoOrg(
        "riverside-community-food-bank",
        "Riverside Community Food Bank",
        "charity",
        ("riverside", "canal-side"),
        "A volunteer-run food bank in the old Co-op building on Wharf Street, open three days "
        "a week. We give emergency food parcels on referral from GPs, schools and Citizens "
        "Advice, and run a benefits advice table alongside.",
        "hello@riversidefoodbank.example.org",
        "0113 496 0101",
        ("foodbank@example.org", "Margaret Doyle"),
    ),
    DemoOrg(
        "st-annes-church-community-centre",
        "St Anne's Church and Community Centre",
        "faith",
        ("st-annes", "old-market"),
        "Parish church and community centre hosting a lunch club, a toddler group and "
        "twelve-step meetings. Our hall is step-free and has a hearing loop.",
        "office@stannes.example.org",
        "0113 496 0102",
        ("church@example.org", "Revd David Mensah"),
    ),
    DemoOrg(
        "moorfield-harriers",
        "Moorfield Harriers Running Club",
        "sports",
        ("moorfield", "hillfoot"),
        "A friendly running and walking club for all abilities. England Athletics affiliated, "
        "with qualified run and walk leaders.",
        "club@moorfieldharriers.example.org",
        "0113 496 0103",
        ("harriers@example.org", "Lucy Brennan"),
    ),
    DemoOrg(
        "canal-side-tenants-association",
        "Canal Side Tenants' Association",
        "tenants",
        ("canal-side",),
        "Represents tenants of the 640 council and housing-association homes on the Canal "
        "Side estate. Monthly meetings in the estate's community flat.",
        "canalsideta@example.org",
        "0113 496 0104",
        ("tenants@example.org", "Bernadette Walsh"),
    ),
    DemoOrg(
        "old-market-wellbeing-hub",
        "Old Market Wellbeing Hub",
        "social-prescribing",
        ("old-market", "riverside", "st-annes"),
        "The social prescribing service of Old Market Primary Care Network. Link workers help "
        "patients referred by their GP find activities, advice and support in the community.",
        "wellbeing.hub@example.org",
        "0113 496 0105",
        ("hub@example.org", "Sam Whitfield"),
    ),
    DemoOrg(
        "hillfoot-mind-matters",
        "Hillfoot Mind Matters",
        "community-group",
        ("hillfoot", "moorfield"),
        "Peer support for people living with anxiety, depression and other mental-health "
        "conditions, led by people with lived experience and supervised by a counsellor.",
        "mindmatters@example.org",
        "0113 496 0106",
        ("mindmatters@example.org", "Jordan Ellis"),
    ),
    DemoOrg(
        "green-plate-kitchen",
        "Green Plate Community Kitchen CIC",
        "social-enterprise",
        ("canal-side", "riverside"),
        "A community interest company running a pay-what-you-can café and cooking classes, "
        "and training young people for jobs in catering.",
        "kitchen@greenplate.example.org",
        "0113 496 0107",
        ("greenplate@example.org", "Nadia Haddad"),
    ),
    DemoOrg(
        "al-noor-womens-group",
        "Al-Noor Mosque Women's Group",
        "faith",
        ("old-market",),
        "A women's group at Al-Noor Mosque offering English classes, a mothers' circle and "
        "health talks in Urdu, Bengali and Somali.",
        "sisters@alnoor.example.org",
        "0113 496 0108",
        ("alnoor@example.org", "Farah Qureshi"),
    ),
    DemoOrg(
        COUNCIL_SLUG,
        "Northbridge City Council",
        "statutory",
        tuple(AREAS),
        "The council's communities and public health team. Residents' own projects need an "
        "organisation to receive the money: when no local group hosts one, the council holds "
        "the grant and pays suppliers on the residents' behalf.",
        "communities@northbridge.example.org",
        "0113 496 0100",
        ("council@example.org", "Helen Okoro"),
    ),
)

# (email, name, postcode, date of birth)
CITIZENS: tuple[tuple[str, str, str, dt.date], ...] = (
    ("amira@example.org", "Amira Hussain", "NB1 4QT", dt.date(1988, 5, 14)),
    ("john@example.org", "John Pickering", "NB6 2LW", dt.date(1951, 11, 2)),
    ("olivia@example.org", "Olivia Grant", "NB3 7HD", dt.date(1996, 2, 29)),
    ("kwame@example.org", "Kwame Asante", "NB2 1RS", dt.date(1979, 8, 21)),
)


@dataclass(frozen=True)
class DemoProposal:
    author: str  # email
    org: str | None  # organisation slug, or None for a resident's own proposal
    area: str
    themes: tuple[str, ...]
    title: str
    summary: str
    description: str
    outcomes: str
    lines: tuple[tuple[str, int], ...]  # (item, pence)
    review: tuple[str, str] = ("pending", "")


PROPOSALS: tuple[DemoProposal, ...] = (
    DemoProposal(
        "foodbank@example.org",
        "riverside-community-food-bank",
        "riverside",
        ("healthy-food", "children-families"),
        "Saturday fresh food pantry",
        "A weekly pantry of fresh fruit, vegetables and dairy for families on low incomes, "
        "alongside our emergency parcels.",
        "Our parcels keep people from going hungry, but they are tins and dried food. Parents "
        "tell us their children have not eaten fresh fruit for weeks.\n\n"
        "We will open a **Saturday pantry** where members pay £4 for a bag worth £20:\n\n"
        "- fresh produce from local growers and FareShare;\n"
        "- a chilled cabinet for milk, eggs and yoghurt;\n"
        "- recipe cards in five languages.\n\n"
        "Referral partners: Riverside Surgery, St Peter's Primary and Citizens Advice.",
        "120 households a week with fresh food; fewer emergency parcels needed by spring; "
        "families' fruit and vegetable intake measured at joining and after six months.",
        (
            ("Two chilled display cabinets", 480_000),
            ("Fresh produce top-up, 48 weeks at £300", 1_440_000),
            ("Food hygiene training for 12 volunteers", 120_000),
            ("Van hire for Saturday collections", 360_000),
        ),
        ("feasible", ""),
    ),
    DemoProposal(
        "harriers@example.org",
        "moorfield-harriers",
        "moorfield",
        ("physical-activity", "older-people", "social-isolation"),
        "Walk and Talk: weekly walking groups for over-60s",
        "Gentle, led walks of 30 to 60 minutes from three community venues, finishing with "
        "tea and a chat.",
        "Many older residents told our survey they would walk more with company. We will run "
        "**three walks a week** from St Anne's hall, Moorfield library and Hillfoot park gates.\n\n"
        "Each walk has two trained leaders, a short and a long route, and a stop at a bench "
        "every ten minutes.",
        "60 regular walkers; walkers report less loneliness (UCLA 3-item scale) after 12 weeks.",
        (
            ("Walk leader training for 8 volunteers", 240_000),
            ("Insurance and first-aid kits", 150_000),
            ("Large-print leaflets and posters", 50_000),
            ("Tea and biscuits after walks, 52 weeks", 156_000),
        ),
        ("feasible", ""),
    ),
    DemoProposal(
        "mindmatters@example.org",
        "hillfoot-mind-matters",
        "hillfoot",
        ("mental-health",),
        "Peer support circles for men's mental health",
        "Fortnightly evening circles where men talk about how they are really doing, led by "
        "trained peers.",
        "Men in Hillfoot are the least likely group to ask their GP for help with their mental "
        "health, and suicide rates among men aged 40–59 are the highest in the city.\n\n"
        "Our circles meet in the back room of the rugby club, not a clinic. Facilitators have "
        "**lived experience** and are supervised by a qualified counsellor each month.",
        "40 men attending at least four sessions; WEMWBS wellbeing scores rise by 3 points on "
        "average; a clear route to NHS Talking Therapies for those who need it.",
        (
            ("Two peer facilitators, 5 hours a week each", 1_872_000),
            ("Room hire, 26 evenings", 312_000),
            ("Clinical supervision", 240_000),
            ("Suicide-prevention training", 150_000),
        ),
    ),
    DemoProposal(
        "tenants@example.org",
        "canal-side-tenants-association",
        "canal-side",
        ("housing-health", "children-families"),
        "Damp and mould advice surgeries",
        "Monthly drop-in surgeries where tenants get help to record damp and mould and get "
        "repairs done.",
        "Damp and mould make children's asthma worse. Many tenants do not know their rights "
        "or how to report problems so that landlords act.\n\n"
        "We will hold **monthly surgeries** with a housing adviser, lend humidity meters, and "
        "help tenants keep a photo diary.",
        "150 homes advised; repair requests logged and followed up; fewer asthma-related GP "
        "visits among children on the estate.",
        (
            ("Housing adviser sessions, 12 months", 600_000),
            ("Loan library of 30 humidity meters", 180_000),
            ("Interpreting and translated leaflets", 160_000),
        ),
    ),
    DemoProposal(
        "hub@example.org",
        "old-market-wellbeing-hub",
        "old-market",
        ("mental-health", "social-isolation"),
        "Community navigator for Old Market",
        "A part-time navigator who meets people referred by their GP in the places they "
        "already go: the mosque, the market and the library.",
        "Our link workers are based in surgeries, so we miss people who rarely see a GP. A "
        "**community navigator** will hold weekly sessions in three community venues and "
        "connect people to groups, advice and support.",
        "300 conversations a year; 150 people supported to join an activity or service.",
        (
            ("Community navigator, 0.6 full-time equivalent", 2_100_000),
            ("Training and supervision", 150_000),
            ("Outreach materials in community languages", 80_000),
        ),
    ),
    DemoProposal(
        "greenplate@example.org",
        "green-plate-kitchen",
        "canal-side",
        ("healthy-food", "children-families"),
        "Cook and eat sessions for families",
        "Ten-week courses where parents and children cook a healthy meal together and eat "
        "it together.",
        "Each course is for **eight families**. We cook cheap, healthy meals that work on a "
        "two-ring hob, and every family takes home the ingredients to cook it again.",
        "64 families complete a course; families report cooking from scratch more often.",
        (
            ("Sessional chef, 80 sessions", 640_000),
            ("Ingredients and take-home bags", 420_000),
            ("Slow cookers to give to families", 192_000),
        ),
    ),
    DemoProposal(
        "alnoor@example.org",
        "al-noor-womens-group",
        "old-market",
        ("physical-activity", "mental-health"),
        "Women-only swimming sessions",
        "A weekly women-only session at Old Market pool with female lifeguards and a crèche.",
        "Many women in our group have never learned to swim and will not use mixed sessions. "
        "We will book the pool for a **private weekly session** with female staff, swimming "
        "lessons for beginners and a crèche so mothers can take part.",
        "50 women swimming regularly; 25 learn to swim 25 metres.",
        (
            ("Pool hire, 50 sessions", 780_000),
            ("Female lifeguard and swimming teacher", 420_000),
            ("Crèche staff", 300_000),
        ),
    ),
    DemoProposal(
        "church@example.org",
        "st-annes-church-community-centre",
        "st-annes",
        ("older-people", "social-isolation"),
        "Warm Welcome space over winter",
        "A warm, free space with hot drinks and soup, four afternoons a week from November "
        "to March.",
        "Last winter many older neighbours sat in one cold room or went to bed early to save "
        "on heating. Our hall will be open **four afternoons a week**, with soup, board "
        "games, phone charging and an energy adviser once a month.",
        "Around 40 visitors a day; advice on energy bills for at least 100 households.",
        (
            ("Extra heating and lighting for the hall", 550_000),
            ("Soup, bread and hot drinks", 320_000),
            ("Volunteer coordinator, 6 months part-time", 600_000),
        ),
    ),
    DemoProposal(
        "church@example.org",
        "st-annes-church-community-centre",
        "st-annes",
        ("older-people", "mental-health"),
        "Dementia-friendly café",
        "A monthly café for people living with dementia and the people who care for them.",
        "Carers tell us they feel cut off once a diagnosis comes. Our café offers **music, "
        "reminiscence and a friendly cuppa**, with a dementia adviser present.",
        "25 families attending regularly; carers feel more confident and less alone.",
        (
            ("Dementia adviser time", 240_000),
            ("Musician and activities", 180_000),
            ("Refreshments and transport help", 210_000),
        ),
    ),
    DemoProposal(
        "harriers@example.org",
        "moorfield-harriers",
        "hillfoot",
        ("physical-activity", "mental-health"),
        "Couch to 5K for people with long-term conditions",
        "A nine-week beginners' running course for people with diabetes, arthritis or "
        "depression, referred by the Wellbeing Hub.",
        "Run leaders are trained to adapt each session. Everyone gets a **free pair of "
        "running shoes fitted by a local shop**, which removes the biggest cost of starting.",
        "Three courses of 20 people; two in three finish a 5 km parkrun.",
        (
            ("Run leader training in long-term conditions", 180_000),
            ("Running shoes for 60 people", 360_000),
            ("Venue hire and changing rooms", 120_000),
        ),
    ),
    DemoProposal(
        "kwame@example.org",
        None,
        "canal-side",
        ("physical-activity", "older-people"),
        "Benches and shade along the canal towpath",
        "Six benches and two shade trees along the towpath so older residents can rest on "
        "their walk to the shops.",
        "I walk the towpath every day. There is nowhere to sit between the lock and the "
        "market, a distance of almost a mile, and my neighbours with bad knees will not "
        "attempt it.",
        "More older people walking to the shops instead of taking the bus.",
        (
            ("Six benches", 720_000),
            ("Installation", 240_000),
            ("Two trees with guards", 90_000),
        ),
        (
            "infeasible",
            "The towpath belongs to the Canal & River Trust. Fixed benches need their consent, "
            "which takes about 18 months, so the project could not be delivered in this round. "
            "We have passed your idea to the Trust's local team.",
        ),
    ),
    DemoProposal(
        "amira@example.org",
        None,
        "riverside",
        ("children-families", "physical-activity"),
        "Sunday play streets",
        "Close three residential streets to through traffic on Sunday afternoons so children "
        "can play outside safely.",
        "Children on our streets have no garden and the nearest park is across the ring road. "
        "With a **temporary road closure**, trained volunteer marshals and a box of play kit, "
        "the street becomes a playground for three hours.",
        "Children playing outside for three more hours a week; neighbours getting to know "
        "each other.",
        (
            ("Road closure orders for a year", 120_000),
            ("Marshal training and hi-vis", 80_000),
            ("Play kit: chalk, balls, skipping ropes, crates", 150_000),
        ),
        (
            "feasible",
            "The council's highways team issues play-street orders within six weeks. As a "
            "resident's proposal it needs a payee before it goes on the ballot.",
        ),
    ),
)


DEMO_VERIFIED_AT = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """Return one hash of DEMO_PASSWORD, computed once, for every demo account."""
    return generate_password_hash(DEMO_PASSWORD)


def demo_user(
    session: Session, email: str, name: str, *, postcode: str | None = None,
    date_of_birth: dt.date | None = None, facilitator: bool = False, officer: bool = False,
) -> User:  # fmt: skip
    """Return the demo account with this email, creating it with the demo password."""
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            display_name=name,
            password_hash=demo_password_hash(),
            postcode=postcode,
            date_of_birth=date_of_birth,
            is_facilitator=facilitator,
            is_officer=officer,
            # Demo accounts are verified, so they can vote at once.
            email_verified_at=DEMO_VERIFIED_AT,
        )
        session.add(user)
        session.flush()
    return user


def _get_or_create(session: Session, model: Any, slug: str, **values: Any) -> Any:
    row = session.scalar(select(model).where(model.slug == slug))
    if row is None:
        row = model(slug=slug, **values)
        session.add(row)
        session.flush()
    return row


def seed_foundation(session: Session) -> None:
    """Seed areas, themes, people, community assets and a round taking proposals."""
    areas = {
        slug: _get_or_create(session, Area, slug, name=n, population=p, deprivation_decile=d)
        for slug, (n, p, d) in AREAS.items()
    }
    themes = {slug: _get_or_create(session, Theme, slug, name=n) for slug, n in THEMES.items()}
    demo_user(
        session, FACILITATOR_EMAIL, "Priya Shah", facilitator=True, officer=True,
        postcode="NB3 1AA", date_of_birth=dt.date(1983, 3, 9),
    )  # fmt: skip
    panel = demo_user(
        session, PANEL_EMAIL, "Tom Okafor", postcode="NB5 3JP", date_of_birth=dt.date(1969, 7, 30)
    )
    for email, name, postcode, born in CITIZENS:
        demo_user(session, email, name, postcode=postcode, date_of_birth=born)
    for o in ORGANISATIONS:
        org = session.scalar(select(Organisation).where(Organisation.slug == o.slug))
        if org is None:
            org = Organisation(
                slug=o.slug, name=o.name, kind=o.kind, description=o.description,
                contact_email=o.email, contact_phone=o.phone,
                areas=[areas[a] for a in o.areas],
            )  # fmt: skip
            session.add(org)
            session.flush()
        admin = demo_user(session, *o.admin)
        if not admin.is_member_of(org.id):
            session.add(Membership(user=admin, organisation=org, role="admin"))
    # The hub's link worker also helps the Harriers with referrals: a member of two assets.
    hub_worker = demo_user(session, "hub@example.org", "Sam Whitfield")
    harriers = session.scalar(select(Organisation).where(Organisation.slug == "moorfield-harriers"))
    if harriers is not None and not hub_worker.is_member_of(harriers.id):
        session.add(Membership(user=hub_worker, organisation=harriers, role="member"))
    session.flush()

    rnd = session.scalar(select(Round).where(Round.slug == FOUNDATION_ROUND_SLUG))
    if rnd is None:
        today = dt.date.today()
        rnd = Round(
            slug=FOUNDATION_ROUND_SLUG,
            title="Healthy Northbridge 2027",
            description=(
                "£250,000 from the Northbridge Health and Wellbeing Partnership for community "
                "projects that reduce health inequalities in six wards. Community groups and "
                "residents propose projects; a panel of residents and the partnership checks "
                "them; then everyone aged 16 or over who lives in the six wards votes."
            ),
            budget_pence=25_000_000,
            phase="proposals",
            ballot_kind="approval",
            min_choices=1,
            max_choices=5,
            allocation_rule="equal-shares",
            signature_threshold=1,
            threshold_reason=DEMO_THRESHOLD_REASON,
            proposals_open=today - dt.timedelta(days=14),
            proposals_close=today + dt.timedelta(days=28),
            deliberation_close=today + dt.timedelta(days=49),
            voting_open=today + dt.timedelta(days=56),
            voting_close=today + dt.timedelta(days=70),
            results_date=today + dt.timedelta(days=77),
            areas=list(areas.values()),
            themes=list(themes.values()),
        )
        session.add(rnd)
        session.add(PanelMember(round=rnd, user=panel, role_title="Resident panel member"))
        session.commit()
    has_proposals = session.scalar(
        select(func.count(Proposal.id)).where(Proposal.round_id == rnd.id)
    )
    if not has_proposals:
        _seed_proposals(session, rnd, areas, themes)
    session.commit()


def _seed_proposals(
    session: Session, rnd: Round, areas: dict[str, Area], themes: dict[str, Theme]
) -> None:
    facilitator = session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    assert facilitator is not None
    for p in PROPOSALS:
        author = session.scalar(select(User).where(User.email == p.author))
        assert author is not None, p.author
        org = (
            session.scalar(select(Organisation).where(Organisation.slug == p.org))
            if p.org
            else None
        )
        draft = proposal_service.ProposalDraft(
            title=p.title,
            summary=p.summary,
            description_md=p.description,
            expected_outcomes=p.outcomes,
            area_id=areas[p.area].id,
            theme_ids=tuple(themes[t].id for t in p.themes),
            cost_lines=p.lines,
            organisation_id=org.id if org else None,
        )
        proposal = proposal_service.submit_proposal(session, rnd, author, draft)
        status, reason = p.review
        if status != "pending":
            proposal_service.review_proposal(
                session, proposal, feasibility=status, feasibility_reason=reason,
                adjusted_cost_pence=None, cost_adjustment_reason="", actor=facilitator,
            )  # fmt: skip


@dataclass(frozen=True)
class DemoBallotItem:
    """A project on a demo ballot with the proposal behind it."""

    code: str
    title: str
    summary: str
    area: str  # area slug
    proposer: str  # organisation slug, or a resident's email
    description: str
    outcomes: str
    lines: tuple[tuple[str, int], ...]  # (item, pence); they add up to the project's cost
    themes: tuple[str, ...] = ()
    payee: str | None = None  # organisation slug paid for a resident's project


def seed_ballot(session: Session, rnd: Round, items: tuple[DemoBallotItem, ...]) -> list[Project]:
    """Put each item on the round's ballot with its proposal (version 1, reviewed feasible).

    Call it before voting opens: it flushes the new rows, so the caller may then open voting
    and commit. A resident's item names its payee; an organisation's is paid itself.
    """
    areas = {a.slug: a for a in session.scalars(select(Area))}
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    orgs = {o.slug: o for o in session.scalars(select(Organisation))}
    rnd.themes = sorted(
        {*rnd.themes, *(themes[t] for item in items for t in item.themes)}, key=lambda t: t.name
    )
    projects = []
    for position, item in enumerate(items):
        org = orgs.get(item.proposer)
        author = _author_of(session, item.proposer, org)
        payee = orgs[item.payee] if item.payee else org
        if payee is None:
            raise ValueError(f"demo project {item.code} is a resident's: it needs a payee")
        note = f"{payee.name} hosts this resident's project and receives the money."
        proposal = Proposal(
            round=rnd, author=author, organisation=org, area=areas[item.area],
            payee_id=payee.id if org is None else None, title=item.title,
            summary=item.summary, description_md=item.description,
            expected_outcomes=item.outcomes, version=1, feasibility="feasible",
            feasibility_reason=note if org is None else "",
            themes=[themes[t] for t in item.themes],
            cost_lines=[
                CostLine(position=i, item=what, amount_pence=pence)
                for i, (what, pence) in enumerate(item.lines)
            ],
        )  # fmt: skip
        session.add(proposal)
        session.flush()
        session.add(
            ProposalVersion(
                proposal=proposal, number=1, content=proposal.snapshot(), edited_by_id=author.id
            )
        )
        project = Project(
            round=rnd, proposal_id=proposal.id, code=item.code, position=position,
            title=item.title, summary=item.summary, cost_pence=proposal.total_pence,
            area=areas[item.area], organisation=payee,
        )  # fmt: skip
        session.add(project)
        projects.append(project)
    session.flush()
    return projects


def _author_of(session: Session, proposer: str, org: Organisation | None) -> User:
    if org is None:
        user = session.scalar(select(User).where(User.email == proposer))
    else:
        user = session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == org.id, Membership.role == "admin")
            .order_by(Membership.id)
            .limit(1)
        )
    if user is None:
        raise RuntimeError(f"the demo has no account to propose for {proposer}")
    return user


def demo_present(session: Session) -> bool:
    """Return True when the demo facilitator account exists."""
    return session.scalar(select(User.id).where(User.email == FACILITATOR_EMAIL)) is not None


def seed_demo(session: Session) -> None:
    """Run every seeder in DEMO_SEEDERS, in order."""
    for name in DEMO_SEEDERS:
        module, _, function = name.partition(":")
        getattr(importlib.import_module(module), function)(session)


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

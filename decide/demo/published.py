"""Demo: a published round with its whole verifiable record.

Ballots are cast through `cast_ballot` (online by demo residents, and paper ballots), the round
is closed through the phase change, the rule is confirmed through the results service, two panel
members register BLS keys and sign the manifest, the round is published (PDF edition 1) and two
payments are recorded. Once delivery is seeded (milestones, their tranches paid, impact
figures), a ledger checkpoint is co-signed with the delivery annex (edition 2:
`seed_published_checkpoint`).

The two demo panel keys are derived from a fixed seed so the demo is the same every time. Their
PRIVATE key files are written only to the instance folder (``instance/demo-panel-keys/``), never
to the repository, so that a person trying the demo can sign later checkpoints with
``decide-keys sign``. py-ecc's BLS is slow, so the demo does as few pairings as it can.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from audits.bls import BlsKeyPair, SignatureRecord, generate, sign_document
from audits.canonical import canonical_json
from audits.manifest import Manifest
from decide.demo.catalogue import FACILITATOR_EMAIL, PANEL_EMAIL
from decide.demo.foundation import DemoBallotItem, demo_round, demo_user, seed_ballot
from decide.models import (
    Area,
    CosignSignature,
    PanelMember,
    Round,
    SigningKey,
    User,
)
from decide.services import ledger, manifests, publication, signing
from decide.services.eligibility import VoterKey
from decide.services.jobs import schedule_job
from decide.services.paper import enter_paper_ballot
from decide.services.phases import change_phase
from decide.services.register_setup import issue_paper_numbers
from decide.services.voting import cast_ballot, load_server_key

PUBLISHED_ROUND_SLUG = "northbridge-health-fund-2026"
SECOND_PANEL_EMAIL = "panel2@example.org"
KEY_SEED = b"decide demo panel key v1 / "
# The ballot, each project with the proposal behind it; a resident proposed N5, which the
# Harriers host and are paid for.
PROJECTS: tuple[DemoBallotItem, ...] = (
    DemoBallotItem(
        "N1", "Riverside food bank fresh-food shelf",
        "A chilled shelf of fresh fruit, vegetables and dairy alongside the emergency parcels.",
        "riverside", "riverside-community-food-bank",
        "Our parcels keep people from going hungry, but they are tins and dried food. A "
        "**chilled shelf**, restocked twice a week from local growers, adds fresh food to "
        "every parcel.",
        "Every parcel includes fresh food; 150 households a week.",
        (("Chilled shelving", 400_000), ("Fresh produce for a year", 700_000),
         ("Volunteer food hygiene training", 100_000)),
        ("healthy-food",),
    ),
    DemoBallotItem(
        "N2", "Lunch club for isolated older people",
        "A hot two-course lunch twice a week in the church hall, with transport for those who "
        "need it.",
        "st-annes", "st-annes-church-community-centre",
        "For many of our older neighbours a shared meal is the only time they talk to anyone "
        "all week. **Two lunches a week**, with a minibus for people who cannot walk to the "
        "hall.",
        "45 regular guests; lower loneliness scores after six months.",
        (("Cook, two lunches a week", 450_000), ("Food and drinks", 300_000),
         ("Door-to-door transport", 150_000)),
        ("older-people", "social-isolation"),
    ),
    DemoBallotItem(
        "N3", "Couch to 5k for beginners",
        "A nine-week beginners' running course with trained run leaders and fitted shoes.",
        "moorfield", "moorfield-harriers",
        "Three courses a year for people who have never run. Everyone gets a **pair of running "
        "shoes fitted by a local shop**, the biggest cost of starting.",
        "Three courses of 20 people; two in three finish a 5 km parkrun.",
        (("Run leader training", 150_000), ("Running shoes for 40 beginners", 300_000),
         ("Venue hire and changing rooms", 150_000)),
        ("physical-activity",),
    ),
    DemoBallotItem(
        "N4", "Family cooking nights",
        "Weekly evenings where families cook a healthy meal together and take the "
        "ingredients home.",
        "canal-side", "riverside-community-food-bank",
        "Parents and children cook **a cheap, healthy meal together** in the Canal Side "
        "community flat, eat it together, and take home the ingredients to cook it again.",
        "60 families complete eight evenings; families cook from scratch more often.",
        (("Sessional chef, 48 evenings", 720_000), ("Ingredients and take-home bags", 600_000),
         ("Crèche for younger children", 180_000)),
        ("healthy-food", "children-families"),
    ),
    DemoBallotItem(
        "N5", "Walking netball for women",
        "Weekly walking netball in Hillfoot sports hall for women of every age and fitness.",
        "hillfoot", "olivia@example.org",
        "I played netball at school and miss it. **Walking netball** has no running or "
        "jumping, so anyone can play. The Harriers have offered to host the sessions and "
        "hold the money.",
        "40 women playing every week; players report feeling fitter after twelve weeks.",
        (("Qualified coach, 45 sessions", 270_000), ("Sports hall hire", 180_000),
         ("Balls, bibs and first-aid kit", 50_000)),
        ("physical-activity",),
        "moorfield-harriers",
    ),
    DemoBallotItem(
        "N6", "Hall heating for the toddler group",
        "A new boiler and insulation so the church hall is warm enough for toddlers all "
        "winter.",
        "old-market", "st-annes-church-community-centre",
        "Our toddler group closes on the coldest days because the hall's old boiler cannot "
        "cope. A **new boiler, radiator valves and loft insulation** keep it open all winter "
        "and cut the hall's bills.",
        "The toddler group open every week of the year; 30 families a week.",
        (("Replacement boiler", 800_000), ("Radiator valves and insulation", 250_000),
         ("Electrical safety check", 50_000)),
        ("children-families", "housing-health"),
    ),
)  # fmt: skip
# Approval ballots (project codes), cycled; online residents first, then paper ballots.
PATTERNS = (
    ("N1", "N4"), ("N1", "N2"), ("N3", "N5"), ("N1",), ("N2", "N6"), ("N4", "N1", "N3"),
    ("N6",), ("N1", "N5"), ("N2",), ("N3", "N1"), ("N4",), ("N5", "N2", "N1"),
)  # fmt: skip
ONLINE_BALLOTS = 12
PAPER_BALLOTS = 36


def demo_key(name: str) -> BlsKeyPair:
    """Return a demo panel member's key pair, derived from a fixed seed (demo only)."""
    return generate(name, seed=hashlib.sha256(KEY_SEED + name.encode()).digest())


def _write_key_files(folder: Path, key: BlsKeyPair, public_json: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    slug = key.name.lower().replace(" ", "-")
    private = folder / f"{slug}.key.json"
    if not private.exists():
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(canonical_json(key.private_record()) + b"\n")
    (folder / f"{slug}.pub.json").write_bytes(public_json + b"\n")


def _store_own_signature(session: Session, rnd: Round, user: User, record: SignatureRecord) -> None:
    """Store a signature the demo made itself with its own key (no slow pairing check)."""
    key = signing.key_of(session, rnd.id, user.id)
    assert key is not None and key.public_key == record.public_key.hex()
    session.add(
        CosignSignature(
            round_id=rnd.id, key_id=key.id, document_type=record.document_type,
            digest=record.digest.hex(), signature=record.signature.hex(),
        )
    )  # fmt: skip
    session.commit()


@dataclass(frozen=True)
class DemoVoter:
    """A demo resident who votes online, and the projects they approve."""

    email: str
    name: str
    postcode: str
    date_of_birth: dt.date
    choices: tuple[str, ...]


def cast_demo_votes(
    session: Session, rnd: Round, residents: Sequence[DemoVoter], paper: Sequence[tuple[str, ...]],
    *, cast_on: dt.date, officer: User,
) -> None:  # fmt: skip
    """Cast each resident's ballot online, then enter the paper ballots on new paper numbers."""
    server_key = load_server_key(current_app.config["RECEIPT_KEY_FILE"])
    for r in residents:
        voter = demo_user(
            session, r.email, r.name, postcode=r.postcode, date_of_birth=r.date_of_birth
        )
        session.commit()
        cast_ballot(
            session, rnd.id, VoterKey("user", voter.id), list(r.choices),
            server_key=server_key, today=cast_on,
        )  # fmt: skip
    numbers = issue_paper_numbers(
        session, rnd.id, len(paper), label="Polling station papers", today=cast_on
    ).numbers
    for number, choices in zip(numbers, paper, strict=True):
        enter_paper_ballot(
            session, rnd.id, list(choices), number=number.number, officer_id=officer.id,
            server_key=server_key, today=cast_on,
        )  # fmt: skip


def close_and_confirm(session: Session, rnd: Round, facilitator: User) -> None:
    """Close the round (its board closes inline outside requests) and confirm its rule."""
    from decide.services.results import confirm_rule

    change_phase(session, rnd, "closed", facilitator)
    if publication.closing_of(session, rnd.id) is None:
        from decide.services.closing import close_board

        close_board(session, rnd)
    confirm_rule(session, rnd.id, rule=rnd.allocation_rule, reason="", actor=facilitator)


def register_demo_key(
    session: Session, rnd: Round, user: User, key: BlsKeyPair, proof: str
) -> None:
    """Register a demo panel key for the round (the demo made it: no slow proof check)."""
    session.add(
        SigningKey(
            round_id=rnd.id, user_id=user.id, role="panel", name=key.name,
            public_key=key.public_key.hex(), proof_of_possession=proof,
        )
    )  # fmt: skip
    session.commit()


def sign_and_publish(
    session: Session, rnd: Round, facilitator: User, keys: list[tuple[User, BlsKeyPair]]
) -> None:
    """Write the manifest, store each panel key's signature of it, and publish (edition 1)."""
    manifest = manifests.write_manifest(session, rnd)
    document = Manifest.from_json_bytes(manifest.manifest_json).to_dict()
    for user, key in keys:
        _store_own_signature(session, rnd, user, sign_document(key, document))
    change_phase(session, rnd, "published", facilitator)  # writes edition 1 (inline)
    if not publication.editions(session, rnd.id):
        publication.publish_round(session, rnd)


def seed_published(session: Session) -> None:
    """Seed a published round with ballots, signatures, a PDF and two payments."""
    if session.scalar(select(Round).where(Round.slug == PUBLISHED_ROUND_SLUG)) is not None:
        return
    areas = {a.slug: a for a in session.scalars(select(Area))}
    facilitator = session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    panel_one = session.scalar(select(User).where(User.email == PANEL_EMAIL))
    if facilitator is None or panel_one is None:
        raise RuntimeError("seed_published needs the foundation demo (run seed_foundation)")
    panel_two = demo_user(
        session, SECOND_PANEL_EMAIL, "Amira Haddad", postcode="NB1 2CD",
        date_of_birth=dt.date(1977, 11, 2),
    )  # fmt: skip
    today = dt.datetime.now(dt.UTC).date()
    rnd = demo_round(
        today,
        (-40, -20, -14),
        slug=PUBLISHED_ROUND_SLUG,
        title="Northbridge Health Fund 2026",
        description=(
            "Last year's round: £40,000 for community health projects, decided by residents "
            "and published with a verifiable record. Download the PDF and check it yourself."
        ),
        budget_pence=4_000_000,
        phase="deliberation",  # voting opens below, once the ballot is in place
        max_choices=3,
        signature_threshold=2,
    )
    rnd.areas = [a for a in areas.values()]
    session.add(rnd)
    seed_ballot(session, rnd, PROJECTS)
    rnd.phase = "voting"
    rnd.voting_opened_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    session.add(PanelMember(round=rnd, user=panel_one, role_title="Resident panel member"))
    session.add(PanelMember(round=rnd, user=panel_two, role_title="Partnership panel member"))
    session.commit()

    cast_on = today - dt.timedelta(days=25)
    districts = ("NB1", "NB2", "NB3", "NB4", "NB5", "NB6")
    residents = [
        DemoVoter(
            f"resident-2026-{i + 1:02d}@example.org", f"Demo resident {i + 1} (2026)",
            f"{districts[i % 6]} {1 + i % 9}EF", dt.date(1960 + i, 5, 1),
            PATTERNS[i % len(PATTERNS)],
        )
        for i in range(ONLINE_BALLOTS)
    ]  # fmt: skip
    paper = [PATTERNS[(i * 5 + 3) % len(PATTERNS)] for i in range(PAPER_BALLOTS)]
    cast_demo_votes(session, rnd, residents, paper, cast_on=cast_on, officer=facilitator)

    close_and_confirm(session, rnd, facilitator)

    folder = Path(current_app.instance_path) / "demo-panel-keys"
    keys = []
    for user in (panel_one, panel_two):
        key = demo_key(user.display_name)
        public_json = canonical_json(key.public_record().to_dict())
        _write_key_files(folder, key, public_json)
        # The demo made these keys itself, so the slow proof check is skipped; the verifier
        # checks every proof of possession in the published PDF anyway.
        register_demo_key(session, rnd, user, key, json.loads(public_json)["proof_of_possession"])
        keys.append((user, key))
    sign_and_publish(session, rnd, facilitator, keys)

    spend = {p.code: p for p in ledger.spend_by_project(session, rnd)}
    for n, code in enumerate(sorted(spend)[:2], start=1):
        ledger.record_payment(
            session, rnd,
            ledger.PaymentForm(
                project_code=code, amount_pence=int(spend[code].allocated) // 2,
                paid_on=today - dt.timedelta(days=7 - n), bank_reference=f"NB-DEMO-BACS-{n:04d}",
                approver="Priya Shah",
                reason="Half paid at the start of delivery, as the panel agreed",
            ),
            facilitator,
        )  # fmt: skip


def seed_published_checkpoint(session: Session) -> None:
    """Draw up and co-sign the published round's ledger checkpoint (edition 2).

    Run after the delivery seeder, so the delivery annex the panel co-signs with the ledger,
    and edition 2 prints, has the round's milestones and impact figures."""
    rnd = session.scalar(select(Round).where(Round.slug == PUBLISHED_ROUND_SLUG))
    facilitator = session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    if rnd is None or facilitator is None or ledger.checkpoints(session, rnd.id):
        return
    if not ledger.payments(session, rnd.id):
        return
    panel = session.scalars(
        select(User).join(PanelMember).where(PanelMember.round_id == rnd.id).order_by(User.id)
    )
    keys = [(user, demo_key(user.display_name)) for user in panel]
    checkpoint = ledger.create_checkpoint(session, rnd, facilitator)
    for user, key in keys:
        _store_own_signature(
            session, rnd, user, sign_document(key, ledger.checkpoint_document(checkpoint))
        )
    checkpoint.signed_at = dt.datetime.now(dt.UTC)
    schedule_job(session, rnd, "edition")
    session.commit()  # writes edition 2 (inline outside requests)
    latest = publication.edition(session, rnd.id)
    folder = Path(current_app.instance_path) / "demo-panel-keys"
    print(
        f"Published demo round {rnd.id} “{rnd.title}”: {ONLINE_BALLOTS + PAPER_BALLOTS} ballots, "
        f"{len(publication.editions(session, rnd.id))} PDF editions (latest "
        f"{latest.number if latest else '-'}). Demo panel keys (private, demo only): {folder}"
    )

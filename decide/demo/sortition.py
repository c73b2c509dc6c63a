"""Demo: the pool of 150 volunteers from which Healthy Canal Side 2027's panel was drawn.

The volunteers' features are made up from a fixed random seed; the quotas give the panel of
five two residents and one seat each for a community asset, statutory services and research,
and balance gender and age. The leximin lottery is computed with the services' own code, the
seed is announced and the panel drawn, and the five demo panel members are the people drawn.
Solving takes about a second: only the quota features split the pool into types.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide import sortition as pure
from decide.demo.foundation import demo_password_hash
from decide.models import (
    AGE_BANDS,
    Area,
    Round,
    SortitionQuota,
    SortitionSettings,
    User,
    Volunteer,
)
from decide.services.sortition import CONSENT_TEXT, full_quotas

POOL_SIZE = 150
PANEL_SIZE = 5
# Read out at the public meeting of 2 February: their SHA-256 is the seed.
MEETING_NUMBERS = "7 19 23 41 56 62"
SEED = hashlib.sha256(MEETING_NUMBERS.encode()).hexdigest()
QUOTAS = (
    ("partner_type", "resident", 2, 2),
    ("partner_type", "community-asset", 1, 1),
    ("partner_type", "statutory-service", 1, 1),
    ("partner_type", "researcher", 1, 1),
    ("gender", "woman", 2, 3),
    ("gender", "man", 2, 3),
    ("gender", "other", 0, 1),
    ("age_band", "16-24", 0, 2),
    ("age_band", "65+", 0, 2),
)
_TYPES = (("resident", 100), ("community-asset", 20), ("statutory-service", 15), ("researcher", 15))
_GENDERS = (("woman", 72), ("man", 72), ("other", 6))


def _people(area: Area) -> list[dict[str, str]]:
    rng = random.Random(2027)
    types = [t for t, n in _TYPES for _ in range(n)]
    rng.shuffle(types)
    return [
        {
            "area": area.slug,
            "deprivation_decile": str(area.deprivation_decile),
            "age_band": rng.choice(AGE_BANDS),
            "gender": rng.choices([g for g, _ in _GENDERS], [w for _, w in _GENDERS])[0],
            "partner_type": partner_type,
        }
        for partner_type in types
    ]


def seed_sortition(session: Session, rnd: Round, panel: Mapping[str, User]) -> None:
    """Add the volunteer pool, the quotas and the drawn record; the panel are those drawn.

    `panel` maps each demo panel member's partner type ("resident" twice: a list order) to
    the account that sits in the seat; they take the place of the volunteers drawn.
    """
    if session.scalar(select(SortitionSettings.id).where(SortitionSettings.round_id == rnd.id)):
        return
    area = rnd.areas[0]
    features = _people(area)
    pseudonyms = [f"V-{hashlib.sha256(f'demo {i}'.encode()).hexdigest()[:8]}" for i in range(150)]
    pool = pure.Pool(
        tuple(pure.Person(p, f) for p, f in zip(pseudonyms, features)),
        tuple(sorted(features[0])),
    )
    rows = [
        SortitionQuota(round_id=rnd.id, feature=f, value=v, min_count=lo, max_count=hi)
        for f, v, lo, hi in QUOTAS
    ]
    session.add_all(rows)
    # Commit-reveal as the site does it (decide.services.sortition): the nonce's hash is
    # published with the panels, the seed announced after, the nonce revealed at the draw. The
    # demo's nonces are fixed so that it seeds the same panel every time; the site's are random.
    nonce, next_nonce = (hashlib.sha256(f"demo nonce {i}".encode()).hexdigest() for i in (1, 2))
    record = pure.select(pool, full_quotas(pool, rows, PANEL_SIZE), PANEL_SIZE)
    record["nonce_hash"] = pure.nonce_hash(nonce)
    record = pure.draw(record, SEED, nonce)
    record["next_nonce_hash"] = pure.nonce_hash(next_nonce)
    data = pure.record_bytes(record)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    session.add(
        SortitionSettings(
            round_id=rnd.id, panel_size=PANEL_SIZE, extra_features=[], record=data,
            record_hash=hashlib.sha256(data).hexdigest(), seed=SEED, nonce=nonce,
            replacement_nonce=next_nonce,
            lottery_at=now - dt.timedelta(days=40, hours=2),
            seed_announced_at=now - dt.timedelta(days=40),
            drawn_at=now - dt.timedelta(days=40) + dt.timedelta(minutes=5),
        )
    )  # fmt: skip
    seats = {t: [u for k, u in panel.items() if k.startswith(t)] for t, _ in _TYPES}
    for n, (pseudonym, feats) in enumerate(zip(pseudonyms, features)):
        if pseudonym in record["selected"]:
            user = seats[feats["partner_type"]].pop(0)
        else:
            user = User(
                email=f"volunteer{n:03d}@pool.example.net",
                display_name=f"Volunteer {n:03d}",
                password_hash=demo_password_hash(),
            )
            session.add(user)
        session.add(
            Volunteer(
                round_id=rnd.id, user=user, pseudonym=pseudonym, consent_text=CONSENT_TEXT,
                consent_at=now - dt.timedelta(days=50, minutes=n), area=area,
                age_band=feats["age_band"], gender=feats["gender"],
                partner_type=feats["partner_type"], extra={},
            )
        )  # fmt: skip
    session.commit()

"""Panel selection by sortition for a round: volunteers, quotas, the lottery, the seed, the draw.

The order of work protects the draw (docs/THREATS.md): volunteers register until the
facilitator computes the lottery, which freezes the pool and the quotas and publishes the
hash of the m panels; only then is a seed announced (for example the hash of numbers read out
at a public meeting), and the draw takes the panel the seed names. The record
(decide.sortition.record) is stored as canonical bytes; its SHA-256 goes into the results
manifest as ``sortition_record``.

The selection runs inside the request, for pools of at most `MAX_POOL` volunteers: a pool of
150 with a few quota features solves in about a second, and a bounded pool keeps a request
bounded without the publication job machinery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide import sortition
from decide.models import (
    AGE_BANDS,
    BUILT_IN_FEATURES,
    GENDERS,
    PARTNER_TYPES,
    Area,
    PanelMember,
    Round,
    SortitionQuota,
    SortitionSettings,
    User,
    Volunteer,
)
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from decide.services.sortition_quotas import feature_values, unknown_quota
from decide.services.sortition_status import questions_locked
from decide.services.unit_of_work import transactional

MAX_POOL = 500
QUESTIONS_LOCKED = (
    "People have registered already and could not answer a changed question, "
    "so the extra questions stay as they are"
)
# What is published, truthfully: the record lists every volunteer's answers under a random id;
# the names of those drawn and their seats are public, so a drawn member's answers can be
# linked to their name (the record shows which ids were drawn).
CONSENT_TEXT = (
    "I agree that my answers are used to draw the panel by lot and are published in the "
    "sortition record under a random id, not my name. If I am drawn, my name and my seat on "
    "the panel are public, so anyone can link my answers in the record to my name."
)


@dataclass(frozen=True)
class Interest:
    """What a volunteer declares when registering interest."""

    consent: bool
    area_id: int | None
    age_band: str
    gender: str
    partner_type: str
    extra: Mapping[str, str]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def settings_of(session: Session, rnd: Round) -> SortitionSettings | None:
    """Return the round's sortition settings, or None before the facilitator sets them."""
    return session.scalar(select(SortitionSettings).where(SortitionSettings.round_id == rnd.id))


def _settings(session: Session, rnd: Round) -> SortitionSettings:
    found = settings_of(session, rnd)
    if found is None:
        found = SortitionSettings(round_id=rnd.id, panel_size=12, extra_features=[])
        session.add(found)
    return found


def registration_open(session: Session, rnd: Round) -> bool:
    """Return True while volunteers may register or withdraw (before the lottery)."""
    found = settings_of(session, rnd)
    return rnd.phase.under_review and not (found is not None and found.pool_closed)


def volunteers_of(session: Session, rnd: Round) -> list[Volunteer]:
    """Return the round's volunteers, in the order they registered."""
    query = select(Volunteer).where(Volunteer.round_id == rnd.id).order_by(Volunteer.id)
    return list(session.scalars(query))


def volunteer_of(session: Session, rnd: Round, user: User) -> Volunteer | None:
    """Return the user's registration for the round, if any."""
    query = select(Volunteer).where(Volunteer.round_id == rnd.id, Volunteer.user_id == user.id)
    return session.scalar(query)


def _extra_problems(
    extra_features: Sequence[Mapping[str, Any]], extra: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for feature in extra_features:
        name = feature["name"]
        answer = extra.get(name, "")
        if answer not in feature["values"]:
            problems[f"extra_{name}"] = f"Choose an answer for “{feature['label']}”"
        else:
            values[name] = answer
    return values, problems


@transactional
def register_interest(session: Session, rnd: Round, user: User, interest: Interest) -> Volunteer:
    """Record a person's consent and features in the round's pool (once per person)."""
    if not registration_open(session, rnd):
        raise DomainError("Registration for this round's panel is closed.")
    if volunteer_of(session, rnd, user) is not None:
        raise DomainError("You have already registered interest in this round's panel.")
    problems: dict[str, str] = {}
    if not interest.consent:
        problems["consent"] = "Tick the box to give your consent, or you cannot be drawn"
    area = session.get(Area, interest.area_id) if interest.area_id else None
    if area is None or (rnd.areas and area not in rnd.areas):
        problems["area_id"] = "Choose the area you live or work in"
    if interest.age_band not in AGE_BANDS:
        problems["age_band"] = "Choose your age band"
    if interest.gender not in GENDERS:
        problems["gender"] = "Choose your gender"
    if interest.partner_type not in PARTNER_TYPES:
        problems["partner_type"] = "Choose whom you would sit for"
    found = settings_of(session, rnd)
    extra, extra_problems = _extra_problems(found.extra_features if found else [], interest.extra)
    problems.update(extra_problems)
    if problems:
        raise InvalidInput(problems)
    assert area is not None
    volunteer = Volunteer(
        round_id=rnd.id,
        user_id=user.id,
        pseudonym="V-" + secrets.token_hex(4),
        consent_at=_now(),
        consent_text=CONSENT_TEXT,
        area=area,
        age_band=interest.age_band,
        gender=interest.gender,
        partner_type=interest.partner_type,
        extra=extra,
    )
    session.add(volunteer)
    return volunteer


@transactional
def withdraw_interest(session: Session, volunteer: Volunteer, user: User) -> None:
    """Remove one's own registration, while registration is open."""
    if volunteer.user_id != user.id:
        raise NotAllowed("You can only withdraw your own registration.")
    rnd = session.get(Round, volunteer.round_id)
    assert rnd is not None
    if not registration_open(session, rnd):
        raise DomainError("The pool is closed: ask the facilitator to record you as a drop-out.")
    session.delete(volunteer)


def _check_open(session: Session, rnd: Round) -> SortitionSettings:
    found = _settings(session, rnd)
    if found.pool_closed:
        raise DomainError("The lottery is computed: the panel size and quotas cannot change.")
    return found


@transactional
def set_panel(
    session: Session,
    rnd: Round,
    size: int,
    extra_features: Sequence[Mapping[str, Any]] = (),
) -> SortitionSettings:
    """Set how many people the panel has, and the facilitator's extra questions."""
    if size < 1 or size > 200:
        raise InvalidInput({"panel_size": "The panel size must be between 1 and 200"})
    names = [f["name"] for f in extra_features]
    if len(set(names)) != len(names) or set(names) & set(BUILT_IN_FEATURES):
        raise InvalidInput({"extra": "Give each extra question its own name"})
    if any(len(f["values"]) < 2 for f in extra_features):
        raise InvalidInput({"extra": "Give each extra question at least two answers"})
    found = _check_open(session, rnd)
    new = [dict(f) for f in extra_features]
    if new != list(found.extra_features or []) and questions_locked(session, rnd):
        raise InvalidInput({"extra": QUESTIONS_LOCKED})
    found.panel_size = size
    found.extra_features = new
    return found


@transactional
def set_quotas(session: Session, rnd: Round, quotas: Sequence[sortition.Quota]) -> None:
    """Replace the round's quotas (feature, value, min, max).

    A quota must name a feature and a value that a volunteer can have: a misspelt one (such as
    "Old Market" for the area "old-market") would limit nobody, so it is refused.
    """
    found = _check_open(session, rnd)
    known = feature_values(session, found.extra_features or [])
    seen: set[tuple[str, str]] = set()
    for q in quotas:
        unknown = unknown_quota(q, known)
        if unknown is not None:
            raise InvalidInput({"quotas": unknown})
        if (q.feature, q.value) in seen:
            raise InvalidInput({"quotas": f"There are two quotas on {q.label}"})
        if q.min < 0 or q.max < q.min:
            raise InvalidInput({"quotas": f"The quota on {q.label} needs 0 ≤ min ≤ max"})
        seen.add((q.feature, q.value))
    for row in quotas_of(session, rnd):
        session.delete(row)
    session.flush()
    for q in quotas:
        session.add(
            SortitionQuota(
                round_id=rnd.id, feature=q.feature, value=q.value, min_count=q.min, max_count=q.max
            )
        )


def quotas_of(session: Session, rnd: Round) -> list[SortitionQuota]:
    """Return the round's quota rows, by feature and value."""
    query = (
        select(SortitionQuota)
        .where(SortitionQuota.round_id == rnd.id)
        .order_by(SortitionQuota.feature, SortitionQuota.value)
    )
    return list(session.scalars(query))


def pool_of(session: Session, rnd: Round) -> sortition.Pool:
    """Return the round's pool as the pure sortition code reads it (pseudonymous ids)."""
    rows = [(v.pseudonym, v.features()) for v in volunteers_of(session, rnd)]
    if not rows:
        raise DomainError("Nobody has registered interest yet.")
    names = {name for _, features in rows for name in features}
    # An extra question added after some registered: unanswered counts as its own value.
    people = tuple(
        sortition.Person(pseudonym, {n: features.get(n, "not asked") for n in names})
        for pseudonym, features in rows
    )
    return sortition.Pool(people, tuple(sorted(names)))


def pool_summary(session: Session, rnd: Round) -> dict[str, list[tuple[str, int]]]:
    """Return how many volunteers have each value of each feature."""
    counts: dict[str, Counter[str]] = {}
    for volunteer in volunteers_of(session, rnd):
        for name, value in volunteer.features().items():
            counts.setdefault(name, Counter())[value] += 1
    return {name: sorted(c.items()) for name, c in sorted(counts.items())}


def full_quotas(
    pool: sortition.Pool, rows: Sequence[SortitionQuota], size: int
) -> list[sortition.Quota]:
    """Return the quotas, with "min 0, max size" for pool values of a quota feature left unset."""
    quotas = [sortition.Quota(r.feature, r.value, r.min_count, r.max_count) for r in rows]
    named = {(q.feature, q.value) for q in quotas}
    for feature in sorted({q.feature for q in quotas}):
        values = sorted({p.features.get(feature, "") for p in pool.people})
        quotas += [
            sortition.Quota(feature, v, 0, size) for v in values if (feature, v) not in named
        ]
    return quotas


def _store(found: SortitionSettings, record: Mapping[str, Any]) -> None:
    data = sortition.record_bytes(record)
    found.record = data
    found.record_hash = hashlib.sha256(data).hexdigest()


def record_of(found: SortitionSettings | None) -> dict[str, Any] | None:
    """Return the stored sortition record, or None."""
    if found is None or found.record is None:
        return None
    loaded: dict[str, Any] = json.loads(found.record)
    return loaded


def _new_nonce() -> tuple[str, str]:
    """Return a fresh secret 32-byte nonce (hex) and its published SHA-256 (hex)."""
    nonce = secrets.token_bytes(32).hex()
    return nonce, sortition.nonce_hash(nonce)


@transactional
def compute_lottery(session: Session, rnd: Round) -> SortitionSettings:
    """Close the pool and compute the leximin lottery (no seed yet); publish its panels' hash.

    The server draws a secret nonce now and publishes only its SHA-256 in the record, before
    any seed is announced; the draw mixes the seed with it, and reveals it.
    """
    found = _check_open(session, rnd)
    pool = pool_of(session, rnd)
    if len(pool.people) > MAX_POOL:
        raise DomainError(f"The pool has more than {MAX_POOL} people: use `decide sortition`.")
    if not quotas_of(session, rnd):
        raise InvalidInput({"quotas": "Set at least one quota first"})
    quotas = full_quotas(pool, quotas_of(session, rnd), found.panel_size)
    nonce, committed = _new_nonce()
    try:
        dist = sortition.select_distribution(pool, quotas, found.panel_size, method="leximin")
        lottery = sortition.round_to_lottery(
            dist, sortition.DEFAULT_PANELS, pool_order=[p.id for p in pool.people]
        )
        record = sortition.build_record(pool, quotas, dist, lottery, None, committed)
    except sortition.InfeasibleQuotas as exc:
        raise InvalidInput({"quotas": str(exc)}) from None
    except (sortition.QuotaError, sortition.PoolError) as exc:
        raise InvalidInput({"quotas": str(exc)}) from None
    _store(found, record)
    found.nonce = nonce
    found.lottery_at = _now()
    return found


@transactional
def announce_seed(session: Session, rnd: Round, seed: str) -> SortitionSettings:
    """Record the seed announced in public, and when, after the lottery was published."""
    found = settings_of(session, rnd)
    if found is None or not found.pool_closed:
        raise DomainError("Compute the lottery first: the seed is announced after it.")
    if found.seed is not None:
        raise DomainError("The seed has already been announced.")
    seed = seed.strip()
    if not 8 <= len(seed) <= 200:
        raise InvalidInput({"seed": "The seed must be 8 to 200 characters"})
    found.seed = seed
    found.seed_announced_at = _now()
    return found


@transactional
def draw_panel(session: Session, rnd: Round) -> list[PanelMember]:
    """Draw the panel with the announced seed; the people drawn become the round's panel.

    Seats given by hand before the draw end: the panel is exactly the people drawn.
    """
    found = settings_of(session, rnd)
    record = record_of(found)
    if found is None or record is None or found.seed is None:
        raise DomainError("Announce the seed before the draw.")
    if found.drawn:
        raise DomainError("The panel has already been drawn.")
    record = sortition.draw(record, found.seed, found.nonce)
    # Commit now to the nonce of the first round of replacements, before its seed exists.
    found.replacement_nonce, record["next_nonce_hash"] = _new_nonce()
    _store(found, record)
    found.drawn_at = _now()
    # The panel is the people drawn: seats given by hand before the draw end with it.
    drawn = {v.user_id for v in volunteers_of(session, rnd) if v.pseudonym in record["selected"]}
    for member in list(rnd.panel):
        if member.user_id not in drawn:
            rnd.panel.remove(member)
    return _seat(session, rnd, record["selected"], [])


def _seat(
    session: Session, rnd: Round, joining: Sequence[str], leaving: Sequence[str]
) -> list[PanelMember]:
    by_pseudonym = {v.pseudonym: v for v in volunteers_of(session, rnd)}
    for pseudonym in leaving:
        user_id = by_pseudonym[pseudonym].user_id
        for member in list(rnd.panel):
            if member.user_id == user_id:
                rnd.panel.remove(member)
    seated = {m.user_id for m in rnd.panel}
    added = []
    for pseudonym in joining:
        volunteer = by_pseudonym[pseudonym]
        if volunteer.user_id not in seated:
            member = PanelMember(round=rnd, user_id=volunteer.user_id, role_title="Drawn by lot")
            session.add(member)
            added.append(member)
    return added


@transactional
def announce_replacement_seed(session: Session, rnd: Round, seed: str) -> SortitionSettings:
    """Record the seed announced in public for the next round of replacements, and when.

    Its nonce was committed in the record before (``next_nonce_hash``), so nobody who sees
    the seed can tell whom it would draw.
    """
    found = settings_of(session, rnd)
    if found is None or not found.drawn:
        raise DomainError("Draw the panel first.")
    if found.replacement_seed is not None:
        raise DomainError("A replacement seed is already announced: draw the replacements.")
    seed = seed.strip()
    if not 8 <= len(seed) <= 200:
        raise InvalidInput({"seed": "The seed must be 8 to 200 characters"})
    found.replacement_seed = seed
    found.replacement_seed_at = _now()
    return found


@transactional
def replace_dropouts(session: Session, rnd: Round, dropouts: Sequence[str]) -> list[PanelMember]:
    """Draw replacements for members who dropped out, with the seed announced for them.

    The round's committed nonce is revealed in the record, and a new one committed for the
    next round.
    """
    found = settings_of(session, rnd)
    record = record_of(found)
    if found is None or record is None or not found.drawn:
        raise DomainError("Draw the panel first.")
    if found.replacement_seed is None or found.replacement_seed_at is None:
        raise DomainError("Announce the seed for the replacements first.")
    if not dropouts:
        raise InvalidInput({"dropouts": "Choose who dropped out"})
    try:
        record = sortition.replace_dropouts(
            record,
            dropouts,
            found.replacement_seed,
            nonce=found.replacement_nonce,
            seed_announced_at=found.replacement_seed_at.isoformat(timespec="seconds"),
        )
    except (sortition.ReplacementImpossible, ValueError) as exc:
        raise DomainError(str(exc)) from None
    found.replacement_nonce, record["next_nonce_hash"] = _new_nonce()
    found.replacement_seed = found.replacement_seed_at = None
    _store(found, record)
    last = record["replacements"][-1]
    return _seat(session, rnd, last["replacements"], list(dropouts))


def current_panel(record: Mapping[str, Any] | None) -> list[str]:
    """Return the pseudonyms on the panel now (after any replacements)."""
    if not record:
        return []
    if record.get("replacements"):
        return list(record["replacements"][-1]["panel_after"])
    return list(record.get("selected") or [])


def manifest_fields(session: Session, rnd: Round) -> dict[str, Any]:
    """Return ``{"sortition_record": sha256}`` once the panel is drawn, else {}."""
    found = settings_of(session, rnd)
    if found is None or not found.drawn or found.record_hash is None:
        return {}
    return {"sortition_record": found.record_hash}


__all__ = [
    "CONSENT_TEXT",
    "MAX_POOL",
    "Interest",
    "announce_replacement_seed",
    "announce_seed",
    "compute_lottery",
    "current_panel",
    "draw_panel",
    "full_quotas",
    "manifest_fields",
    "pool_of",
    "pool_summary",
    "quotas_of",
    "record_of",
    "register_interest",
    "registration_open",
    "replace_dropouts",
    "set_panel",
    "set_quotas",
    "settings_of",
    "volunteer_of",
    "volunteers_of",
    "withdraw_interest",
]

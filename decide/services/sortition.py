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
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide import sortition
from decide.models import (
    BUILT_IN_FEATURES,
    PanelMember,
    Round,
    SortitionQuota,
    SortitionSettings,
    User,
    Volunteer,
)
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from decide.services.sortition_interest import CONSENT_TEXT, Interest, checked_interest
from decide.services.sortition_quotas import feature_values, unknown_quota
from decide.services.sortition_status import (
    as_utc,
    lock_pool,
    lottery_running,
    questions_locked,
)
from decide.services.unit_of_work import transactional, unit_of_work

MAX_POOL = 500
QUESTIONS_LOCKED = (
    "People have registered already and could not answer a changed question, "
    "so the extra questions stay as they are"
)


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


def lottery_running_now(found: SortitionSettings | None) -> bool:
    """Return True while the round's lottery is being computed (the pool is closed)."""
    return lottery_running(found, _now())


def registration_open(session: Session, rnd: Round) -> bool:
    """Return True while volunteers may register or withdraw (before the lottery starts)."""
    found = settings_of(session, rnd)
    closed = found is not None and (found.pool_closed or lottery_running_now(found))
    return rnd.phase.under_review and not closed


def volunteers_of(session: Session, rnd: Round) -> list[Volunteer]:
    """Return the round's volunteers, in the order they registered."""
    query = select(Volunteer).where(Volunteer.round_id == rnd.id).order_by(Volunteer.id)
    return list(session.scalars(query))


def volunteer_of(session: Session, rnd: Round, user: User) -> Volunteer | None:
    """Return the user's registration for the round, if any."""
    query = select(Volunteer).where(Volunteer.round_id == rnd.id, Volunteer.user_id == user.id)
    return session.scalar(query)


@transactional
def register_interest(session: Session, rnd: Round, user: User, interest: Interest) -> Volunteer:
    """Record a person's consent and features in the round's pool (once per person).

    Under the pool's lock: a registration lands before the lottery starts reading the pool, or
    is refused, never stored outside the published record's pool.
    """
    found = lock_pool(session, rnd)
    if lottery_running_now(found):
        raise DomainError("The panel's lottery is being computed, so registration has just closed.")
    if not registration_open(session, rnd):
        raise DomainError("Registration for this round's panel is closed.")
    if volunteer_of(session, rnd, user) is not None:
        raise DomainError("You have already registered interest in this round's panel.")
    area, extra = checked_interest(session, rnd, interest, found.extra_features if found else [])
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
    lock_pool(session, rnd)
    if not registration_open(session, rnd):
        raise DomainError("The pool is closed: ask the facilitator to record you as a drop-out.")
    session.delete(volunteer)


def _check_open(session: Session, rnd: Round) -> SortitionSettings:
    """Take the pool's lock and return the settings, or refuse once the lottery has started."""
    lock_pool(session, rnd)
    found = _settings(session, rnd)
    if found.pool_closed:
        raise DomainError("The lottery is computed: the panel size and quotas cannot change.")
    if lottery_running_now(found):
        raise DomainError(
            "The lottery is being computed: the panel size and quotas cannot change now."
        )
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


def compute_lottery(session: Session, rnd: Round) -> SortitionSettings:
    """Close the pool and compute the leximin lottery (no seed yet); publish its panels' hash.

    The pool closes (committed) before it is read, so a registration either is in the pool the
    lottery reads or is refused; it reopens if the lottery cannot be computed. The server
    draws a secret nonce now and publishes only its SHA-256 in the record, before any seed is
    announced; the draw mixes the seed with it, and reveals it.
    """
    with unit_of_work(session):
        found = _check_open(session, rnd)
        pool = pool_of(session, rnd)
        if len(pool.people) > MAX_POOL:
            raise DomainError(f"The pool has more than {MAX_POOL} people: use `decide sortition`.")
        if not quotas_of(session, rnd):
            raise InvalidInput({"quotas": "Set at least one quota first"})
        size = found.panel_size
        quotas = full_quotas(pool, quotas_of(session, rnd), size)
        found.lottery_started_at = started = _now()
    try:
        record = _lottery_record(pool, quotas, size)
    except BaseException:
        with unit_of_work(session):
            found = lock_pool(session, rnd)
            if found is not None and _started_at(found, started):
                found.lottery_started_at = None  # the pool reopens
        raise
    with unit_of_work(session):
        found = _ours(session, rnd, started)
        _store(found, record[0])
        found.nonce = record[1]
        found.lottery_at = _now()
    return found


def _started_at(found: SortitionSettings, started: dt.datetime) -> bool:
    """Return True if the lottery computation started at `started` is still the current one."""
    at = found.lottery_started_at
    return found.lottery_at is None and at is not None and as_utc(at) == started


def _ours(session: Session, rnd: Round, started: dt.datetime) -> SortitionSettings:
    """Return the settings under the pool's lock, if the computation started then is current."""
    found = lock_pool(session, rnd)
    if found is None or not _started_at(found, started):
        raise DomainError("The lottery was computed or started again meanwhile: reload the page.")
    return found


def _lottery_record(
    pool: sortition.Pool, quotas: Sequence[sortition.Quota], size: int
) -> tuple[dict[str, Any], str]:
    """Return the lottery's record (before the seed) and the secret nonce it commits to."""
    nonce, committed = _new_nonce()
    try:
        dist = sortition.select_distribution(pool, quotas, size, method="leximin")
        lottery = sortition.round_to_lottery(
            dist, sortition.DEFAULT_PANELS, pool_order=[p.id for p in pool.people]
        )
        return sortition.build_record(pool, quotas, dist, lottery, None, committed), nonce
    except (sortition.InfeasibleQuotas, sortition.QuotaError, sortition.PoolError) as exc:
        raise InvalidInput({"quotas": str(exc)}) from None


@transactional
def announce_seed(session: Session, rnd: Round, seed: str) -> SortitionSettings:
    """Record the seed announced in public, and when, after the lottery was published."""
    found = settings_of(session, rnd)
    if found is None or not found.pool_closed:
        raise DomainError("Compute the lottery first: the seed is announced after it.")
    found.seed, found.seed_announced_at = _announced(
        seed, found.seed, "The seed has already been announced."
    )
    return found


def _announced(seed: str, earlier: str | None, refusal: str) -> tuple[str, dt.datetime]:
    """Return the seed to announce (stripped) and the time, unless one is announced already."""
    if earlier is not None:
        raise DomainError(refusal)
    seed = seed.strip()
    if not 8 <= len(seed) <= 200:
        raise InvalidInput({"seed": "The seed must be 8 to 200 characters"})
    return seed, _now()


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
    found.replacement_seed, found.replacement_seed_at = _announced(
        seed,
        found.replacement_seed,
        "A replacement seed is already announced: draw the replacements.",
    )
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
    "lottery_running_now",
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

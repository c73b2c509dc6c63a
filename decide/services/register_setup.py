"""Setting up a round's register before voting: the roll merged from an upload, access codes
printed for roll entries, numbered paper ballots issued, and the self-declared confirmation.

See decide.services.register for what the register is and how every route marks it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ballots.wording import plural
from decide.models import (
    AccessCode,
    AccessCodeBatch,
    PaperBatch,
    PaperNumber,
    Round,
    RoundEligibility,
    VoterRollEntry,
)
from decide.services import access_codes, voter_roll
from decide.services import eligibility as elig
from decide.services.register import MAX_PAPER_BATCH, PAPER_DIGITS, has_roll
from decide.services.unit_of_work import transactional

# The roll, uploaded again ----------------------------------------------------------------


def reference_hash(secret_key: str, salt: str, reference: str) -> str:
    """Return the keyed hash of a roll reference alone (matches entries across uploads)."""
    key = hashlib.sha256(
        b"decide/roll-reference/v1\x00" + secret_key.encode() + bytes.fromhex(salt)
    )
    message = voter_roll.normalise_reference(reference).encode()
    return hmac.new(key.digest(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class RollReport:
    """What an upload of the roll did."""

    in_file: int
    added: int
    kept: int
    changed: int
    removed: int
    kept_absent: int

    def sentences(self) -> list[str]:
        """Return the report in plain words."""
        lines = [
            f"{plural(self.in_file, 'person')} in the file: {self.added} new, "
            f"{self.kept} already on the roll (kept as they were)"
            + (f", {self.changed} with a changed date of birth" if self.changed else "")
            + "."
        ]
        if self.removed:
            lines.append(
                f"{plural(self.removed, 'person')} not in the file "
                f"{'was' if self.removed == 1 else 'were'} taken off the roll."
            )
        if self.kept_absent:
            lines.append(
                f"{plural(self.kept_absent, 'person')} on the roll "
                f"{'is' if self.kept_absent == 1 else 'are'} not in the file but "
                f"{'stays' if self.kept_absent == 1 else 'stay'} on it: nobody is taken off "
                "the roll once voting has opened."
            )
        return lines


ROLL_TOO_LATE = (
    "Voting has opened without a voter roll, so this round is self-declared until it closes: "
    "who may vote cannot change now. A roll added now would let people who already voted "
    "vote again"
)
EMPTY_ROLL = (
    "Voting cannot open: “voter roll” is ticked on the “Who can vote” page, but no voter roll "
    "has been uploaded. Upload the roll, or untick “voter roll” (the round is then "
    "self-declared). A roll cannot be added once voting has opened."
)


@transactional
def store_roll(
    session: Session,
    round_id: int,
    people: Sequence[tuple[str, dt.date]],
    *,
    secret_key: str,
) -> RollReport:
    """Merge a parsed roll into the round's roll, keeping existing entries and ids; commit."""
    rnd = session.get(Round, round_id)
    locked = rnd is not None and rnd.ballot_locked
    settings = session.get(RoundEligibility, round_id)
    if locked and not has_roll(session, round_id):
        # Whether the round has a roll is fixed when voting opens. A first roll now would turn
        # a self-declared round into a roll round, and the marks already made (by account or
        # code) would no longer stop those people voting again as their roll entry.
        raise elig.RollError([ROLL_TOO_LATE])
    if settings is None:
        settings = RoundEligibility(round_id=round_id, by_postcode=False, by_roll=True)
        session.add(settings)
    if settings.roll_salt is None:
        settings.roll_salt = secrets.token_hex(16)
    settings.by_roll = True
    salt = settings.roll_salt
    existing = session.scalars(
        select(VoterRollEntry).where(VoterRollEntry.round_id == round_id)
    ).all()
    by_reference = {e.reference_hash: e for e in existing if e.reference_hash}
    by_identity = {e.identity_hash: e for e in existing if not e.reference_hash}
    matched: set[int] = set()
    added = kept = changed = 0
    for reference, born in people:
        ref = reference_hash(secret_key, salt, reference)
        ident = voter_roll.identity_hash(secret_key, salt, reference, born)
        entry = by_reference.get(ref) or by_identity.get(ident)
        if entry is None:
            session.add(VoterRollEntry(round_id=round_id, identity_hash=ident, reference_hash=ref))
            added += 1
            continue
        matched.add(entry.id)
        entry.reference_hash = ref
        if entry.identity_hash != ident:
            entry.identity_hash = ident
            changed += 1
        else:
            kept += 1
    absent = [e.id for e in existing if e.id not in matched]
    removed = kept_absent = 0
    if absent and locked:
        kept_absent = len(absent)
    elif absent:
        session.execute(delete(VoterRollEntry).where(VoterRollEntry.id.in_(absent)))
        removed = len(absent)
    return RollReport(len(people), added, kept, changed, removed, kept_absent)


# Access codes printed for roll entries ---------------------------------------------------


@transactional
def codes_for_references(
    session: Session,
    round_id: int,
    references: Sequence[str],
    *,
    secret_key: str,
    label: str,
    today: dt.date,
) -> tuple[AccessCodeBatch, list[tuple[str, str]]]:
    """Make one code per roll reference, commit, and return (reference, code) pairs (once)."""
    settings = session.get(RoundEligibility, round_id)
    if not has_roll(session, round_id) or settings is None or settings.roll_salt is None:
        raise elig.EligibilityError("Upload the voter roll first.")
    rnd = session.get(Round, round_id)
    if rnd is not None and rnd.ballot_locked and not settings.by_code:
        raise elig.EligibilityError(
            "Voting has opened without access codes: who may vote cannot change now."
        )
    wanted = [voter_roll.normalise_reference(r) for r in references if r.strip()]
    if not 1 <= len(wanted) <= access_codes.MAX_BATCH:
        raise elig.EligibilityError(
            f"List between 1 and {access_codes.MAX_BATCH} reference numbers."
        )
    entries = {
        e.reference_hash: e.id
        for e in session.scalars(select(VoterRollEntry).where(VoterRollEntry.round_id == round_id))
    }
    unknown = [
        r for r in wanted if reference_hash(secret_key, settings.roll_salt, r) not in entries
    ]
    if unknown:
        shown = ", ".join(unknown[:10]) + (
            f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        )
        raise elig.EligibilityError(f"Not on the voter roll: {shown}. No codes were made.")
    count = len(wanted)
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(
            "".join(
                secrets.choice(access_codes.CODE_ALPHABET) for _ in range(access_codes.CODE_LENGTH)
            )
        )
    batch = AccessCodeBatch(
        round_id=round_id,
        label=(label.strip() or f"Codes for {plural(count, 'person')} on the roll")[:120],
        size=count,
        created_on=today,
    )
    session.add(batch)
    settings.by_code = True
    pairs = list(zip(wanted, sorted(codes)))
    batch.codes = [
        AccessCode(
            round_id=round_id,
            code_hash=access_codes.code_hash(round_id, code),
            roll_entry_id=entries[reference_hash(secret_key, settings.roll_salt, ref)],
        )
        for ref, code in pairs
    ]
    return batch, [(ref, access_codes.format_code(code)) for ref, code in pairs]


# Numbered paper ballots ------------------------------------------------------------------


def issue_paper_numbers(
    session: Session, round_id: int, count: int, *, label: str, today: dt.date
) -> PaperBatch:
    """Issue `count` new unguessable paper ballot numbers for printing; commit."""
    if not 1 <= count <= MAX_PAPER_BATCH:
        raise elig.EligibilityError(f"A batch holds between 1 and {MAX_PAPER_BATCH} numbers.")
    taken = set(session.scalars(select(PaperNumber.number).where(PaperNumber.round_id == round_id)))
    numbers: set[str] = set()
    while len(numbers) < count:
        candidate = f"{secrets.randbelow(10**PAPER_DIGITS):0{PAPER_DIGITS}d}"
        if candidate not in taken:
            numbers.add(candidate)
    batch = PaperBatch(
        round_id=round_id,
        label=(label.strip() or f"Batch of {plural(count, 'paper ballot')}")[:120],
        size=count,
        created_on=today,
    )
    batch.numbers = [PaperNumber(round_id=round_id, number=n) for n in sorted(numbers)]
    session.add(batch)
    session.commit()
    return batch


def self_declared_warning(settings: RoundEligibility) -> list[str]:
    """Return, in plain words, what a round without a voter roll allows."""
    lines = [
        "This round has no voter roll, so it is self-declared: we cannot tell whether two "
        "accounts, codes or paper ballots belong to the same person."
    ]
    if settings.by_postcode:
        lines.append(
            "Anyone with a second e-mail address can make a second account and vote twice, and "
            "anyone can give a postcode in one of the round's areas without living there."
        )
    if settings.by_code:
        lines.append(
            "Each access code is a vote of its own: a person who gets two codes, or a code and "
            "an account, can vote twice."
        )
    lines.append(
        "Each issued paper ballot number is a vote of its own: the polling station's own list "
        "is the only check that a person votes once on paper, and nothing stops the same "
        "person voting online as well."
    )
    lines.append(
        "To prevent this, upload a voter roll before voting opens: then every route marks the "
        "person's one place on the roll."
    )
    return lines


def empty_roll_problem(session: Session, rnd: Round) -> str | None:
    """Return why voting cannot open while the roll route is ticked but no roll is uploaded."""
    settings = session.get(RoundEligibility, rnd.id)
    if settings is None or not settings.by_roll or has_roll(session, rnd.id):
        return None
    return EMPTY_ROLL


def self_declared_problem(session: Session, rnd: Round) -> str | None:
    """Return why voting cannot open yet for want of a confirmed self-declared warning."""
    if has_roll(session, rnd.id) or empty_roll_problem(session, rnd):
        return None  # with the roll route ticked, the roll is what is missing
    settings = session.get(RoundEligibility, rnd.id)
    if settings is not None and settings.self_declared_ok:
        return None
    return (
        "This round has no voter roll, so it is self-declared: a person with a second e-mail "
        "address could vote twice. Read what that allows and confirm it on the “Who can vote” "
        "page, or upload a voter roll."
    )


def confirm_self_declared(session: Session, round_id: int, *, confirmed: bool) -> None:
    """Record that the facilitator read and accepted the self-declared warning; commit."""
    settings = session.get(RoundEligibility, round_id)
    if settings is None:
        settings = RoundEligibility(
            round_id=round_id, by_postcode=True, by_roll=False, by_code=False
        )
        session.add(settings)
    settings.self_declared_ok = confirmed
    session.commit()

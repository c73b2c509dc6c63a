"""Who is voting: the voter proven in this browser's session, and why they may not vote now.

A roll or access-code voter is remembered in the session per round; otherwise the account
votes. An account that lacks only a detail the round needs (postcode, date of birth) is asked
for it instead of being refused.
"""

from __future__ import annotations

import datetime as dt

from flask import session
from flask_login import current_user

from decide.extensions import db
from decide.models import Round, User
from decide.services import eligibility as elig
from decide.services import register, voting
from decide.services.eligibility import VoterKey

SESSION_VOTERS = "voters"


def today() -> dt.date:
    """Return today's date in UTC (eligibility and receipts are dated by it)."""
    return dt.datetime.now(dt.UTC).date()


def current_voter(round_id: int) -> VoterKey | None:
    """Return who is voting in this round: a proven roll/code voter, else the account."""
    proven = session.get(SESSION_VOTERS, {}).get(str(round_id))
    if proven:
        return VoterKey.parse(proven)
    if current_user.is_authenticated:
        return VoterKey("user", current_user.id)
    return None


def remember_voter(round_id: int, voter: VoterKey) -> None:
    """Remember in the session who proved they may vote in this round (roll or code)."""
    voters = dict(session.get(SESSION_VOTERS, {}))
    voters[str(round_id)] = str(voter)
    session[SESSION_VOTERS] = voters


def forget_voter(round_id: int) -> None:
    """Forget the round's proven voter (after casting)."""
    voters = dict(session.get(SESSION_VOTERS, {}))
    if voters.pop(str(round_id), None) is not None:
        session[SESSION_VOTERS] = voters


def missing_details(rnd: Round, voter: VoterKey | None) -> frozenset[str]:
    """Return what the voting account lacks that the round needs: postcode, date of birth."""
    if voter is None or voter.kind != "user" or not rnd.phase.voting_open:
        return frozenset()
    settings = elig.settings_for(db.session, rnd.id)
    if not settings.by_postcode:
        return frozenset()
    if register.has_roll(db.session, rnd.id):
        return frozenset()  # with a voter roll the account is placed by its roll entry
    user = db.session.get(User, voter.id)
    if user is None or voting.has_voted(db.session, rnd.id, voter):
        return frozenset()
    missing = set()
    if not user.postcode:
        missing.add("postcode")
    if settings.min_age and user.date_of_birth is None:
        missing.add("date_of_birth")
    return frozenset(missing)


def account_fine_but_missing(rnd: Round, voter: VoterKey | None) -> frozenset[str]:
    """Return the missing details when they are the only reason the account cannot vote."""
    missing = missing_details(rnd, voter)
    if not missing or voter is None:
        return frozenset()
    user = db.session.get(User, voter.id)
    # The postcode is set: only ask for the birth date when the postcode itself is fine.
    if "postcode" not in missing and elig.postcode_outside_round(
        db.session, rnd, user.postcode if user else None
    ):
        return frozenset()
    return missing


def voter_problem(rnd: Round, voter: VoterKey | None) -> str | None:
    """Return why this visitor cannot vote now, or None."""
    if not rnd.phase.voting_open:
        return f"Voting is not open in this round (it is at: {rnd.phase_label})."
    if voter is None:
        return None
    already = register.already_message(db.session, rnd.id, voter)
    if already:
        return already
    try:
        register.check(db.session, rnd, voter, today())
    except (elig.EligibilityError, register.RegisterRefusal) as exc:
        return str(exc)
    return None

"""Named permission checks for deliberation. Views call one of these before anything else.

Panel members score, vote, declare conflicts and approve minutes; the facilitator schedules
sessions, records attendance, closes sessions, counts votes, moderates arguments and writes the
minutes. Arguments are posted by panel members while proposals are open or under deliberation,
and by any signed-in resident during deliberation only.
"""

from __future__ import annotations

from typing import Any

from decide.models import PanelSession, Round
from decide.services.permissions import (
    can_view_round,
    is_facilitator,
    is_panel_member,
    is_signed_in,
)


def can_see_sessions(user: Any, rnd: Round) -> bool:
    """See a round's sessions, agendas, decisions and approved minutes."""
    return can_view_round(user, rnd)


def can_run_sessions(user: Any, rnd: Round) -> bool:
    """Schedule sessions, add documents, record attendance, close, count and write minutes."""
    return is_facilitator(user)


def can_see_session_details(user: Any, rnd: Round) -> bool:
    """See the online link, draft minutes and who has scored: the panel and facilitators."""
    return is_facilitator(user) or is_panel_member(user, rnd)


def can_deliberate(user: Any, rnd: Round) -> bool:
    """Score, vote, declare a conflict and approve minutes: the round's panel members only."""
    return is_panel_member(user, rnd)


def can_post_argument(user: Any, rnd: Round) -> bool:
    """Post an argument: panel members while proposals are considered, residents in deliberation."""
    if is_panel_member(user, rnd):
        return rnd.phase.under_review
    return is_signed_in(user) and rnd.phase.deliberating


def can_report_argument(user: Any, rnd: Round) -> bool:
    """Report an argument to the moderators: anyone signed in who can see it."""
    return is_signed_in(user) and can_view_round(user, rnd)


def can_moderate(user: Any, rnd: Round) -> bool:
    """Hide an argument with a public reason: facilitators."""
    return is_facilitator(user)


def session_round(panel_session: PanelSession) -> Round:
    """Return the round a session belongs to."""
    return panel_session.round


def can_volunteer(user: Any, rnd: Round) -> bool:
    """Register interest in serving on a round's panel, or withdraw it: anyone signed in."""
    return is_signed_in(user) and can_view_round(user, rnd)


def can_run_sortition(user: Any, rnd: Round) -> bool:
    """Set the panel size and quotas, see the pool, compute the lottery, draw, replace."""
    return is_facilitator(user)

"""The deliberation blueprint and what its views share: loading a round, session, proposal or
shortlist decision with the permission to see it, the session page's context, and the redirect
back to a session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import PanelSession, Proposal, Round
from decide.services.deliberation import access as can
from decide.services.deliberation import minutes, scoring, sessions, shortlist
from decide.web.access import require
from decide.web.forms import ActionForm, options, submit_form
from decide.web.forms.deliberation import AttendanceForm, DocumentForm, ShortlistForm

bp = Blueprint("deliberation", __name__)
bp.add_app_template_global(scoring.shown, "shown")


# --- Loading, with the permission to see --------------------------------------------------
def load_round(round_id: int) -> Round:
    """Return the round, or 404; require permission to see its sessions."""
    rnd = db.get_or_404(Round, round_id)
    require(can.can_see_sessions(current_user, rnd))
    return rnd


def load_session(session_id: int, *also: Callable[[Any, Round], bool]) -> PanelSession:
    """Return the panel session, or 404; require permission to see it, and each permission
    in `also` (such as can.can_run_sessions) on its round."""
    panel_session = db.get_or_404(PanelSession, session_id)
    for may in (can.can_see_sessions, *also):
        require(may(current_user, panel_session.round))
    return panel_session


def load_proposal(proposal_id: int) -> Proposal:
    """Return the proposal, or 404; require permission to see its round's sessions."""
    proposal = db.get_or_404(Proposal, proposal_id)
    require(can.can_see_sessions(current_user, proposal.round))
    return proposal


def load_decision(panel_session: PanelSession) -> Any:
    """Return the session's shortlist decision, or 404."""
    decision = shortlist.decision_of(db.session, panel_session)
    if decision is None:
        abort(404)
    return decision


def back_to_session(panel_session: PanelSession, anchor: str = "") -> Response:
    """Redirect (303) to the session page, at the anchor if one is given."""
    target = url_for(".show", session_id=panel_session.id)
    return redirect(f"{target}#{anchor}" if anchor else target, 303)


# --- The session page ----------------------------------------------------------------------
def submit_on_session_page(
    panel_session: PanelSession,
    form: Any,
    action: Callable[[], Any],
    success: str,
    *,
    name: str,
    anchor: str,
) -> str | Response:
    """Submit the session page's form `name` (a show_context key): back to the page at
    `anchor`, or the page again with the form's errors."""
    if submit_form(form, action, success):
        return back_to_session(panel_session, anchor)
    return render_template("deliberation/show.html", **show_context(panel_session, **{name: form}))


def show_context(panel_session: PanelSession, **forms: Any) -> dict[str, Any]:
    """Return what the session page shows, with any submitted form in place of a blank one."""
    rnd = panel_session.round
    member = can.can_deliberate(current_user, rnd)
    decision = shortlist.decision_of(db.session, panel_session)
    attendance = forms.get("attendance_form") or AttendanceForm(
        formdata=None, data={"present": sorted(sessions.present_member_ids(panel_session))}
    )
    conflicts = sessions.conflicts_of_round(db.session, rnd)
    named = {c.user_id for c in conflicts} | {a.user_id for a in panel_session.attendance}
    labels = sessions.member_labels(db.session, rnd, named)
    attendance.present.choices = options([(s.user_id, labels[s.user_id]) for s in rnd.panel])
    return {
        "labels": labels,
        "s": panel_session,
        "round": rnd,
        "can_run": can.can_run_sessions(current_user, rnd),
        "can_see_details": can.can_see_session_details(current_user, rnd),
        "is_member": member,
        "conflicted": sessions.conflicted_proposal_ids(db.session, rnd, current_user)
        if member
        else set(),
        "conflicts": conflicts,
        "own": scoring.own_scores(db.session, panel_session, current_user) if member else {},
        "scored": scoring.scored_counts(db.session, panel_session),
        "summaries": scoring.summaries(db.session, panel_session)
        if panel_session.is_closed
        else [],
        "decision": decision,
        "voted": shortlist.voted_member_ids(db.session, decision) if decision else set(),
        "present": sessions.present_member_ids(panel_session),
        "set_aside": shortlist.set_aside_member_ids(db.session, panel_session),
        "started": sessions.has_started(panel_session),
        "candidates": shortlist.candidates_of(panel_session),
        "minutes": minutes.minutes_of(db.session, panel_session),
        "document_form": forms.get("document_form") or DocumentForm(formdata=None),
        "attendance_form": attendance,
        "shortlist_form": forms.get("shortlist_form") or ShortlistForm(formdata=None),
        "action_form": ActionForm(),
    }

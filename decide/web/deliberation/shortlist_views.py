"""The panel's shortlist (a ranked vote or an adopted score threshold), its reasons, applying it
to the ballot, and the minutes that record it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ballots.wording import plural
from decide.extensions import db
from decide.models import PanelSession
from decide.services.deliberation import access as can
from decide.services.deliberation import minutes, sessions, shortlist
from decide.services.deliberation.shortlist_ballot import ballot_change
from decide.services.errors import DomainError
from decide.web.access import require
from decide.web.deliberation.common import (
    back_to_session,
    bp,
    load_decision,
    load_session,
    submit_on_session_page,
)
from decide.web.forms import ActionForm, run_action, submit_form
from decide.web.forms.deliberation import (
    ApplyShortlistForm,
    ReasonForm,
    ShortlistForm,
    ranking_form,
)


# --- The shortlist --------------------------------------------------------------------------
@bp.post("/sessions/<int:session_id>/shortlist")
def start_shortlist(session_id: int) -> str | Response:
    """Open the panel's ranked vote, or record the score threshold it adopted (facilitators)."""
    panel_session = load_session(session_id, can.can_run_sessions)
    form = ShortlistForm()
    return submit_on_session_page(
        panel_session, form, lambda: _start(panel_session, form), "Shortlist decision started.",
        name="shortlist_form", anchor="shortlist",
    )  # fmt: skip


def _start(panel_session: PanelSession, form: ShortlistForm) -> None:
    if form.method.data == "ranked":
        shortlist.open_ranked_vote(db.session, panel_session, form.places.data)
    else:
        shortlist.adopt_threshold(db.session, panel_session, form.threshold_value())


@bp.route("/sessions/<int:session_id>/shortlist/ballot", methods=["GET", "POST"])
def ballot(session_id: int) -> str | Response:
    """Rank the candidates for the shortlist (panel members)."""
    panel_session = load_session(session_id, can.can_deliberate)
    decision = load_decision(panel_session)
    candidates = shortlist.decision_candidates(db.session, decision)
    mine: list[int] = next(
        (b.ranking for b in decision.ballots if b.user_id == current_user.id), []
    )
    form = ranking_form(candidates, mine)
    blocked = shortlist.why_no_ballot(db.session, decision, current_user)
    if blocked is None and submit_form(
        form,
        lambda: shortlist.cast_ranking(db.session, decision, current_user, form.ranking()),
        "Your ranking is recorded. You can change it until the vote is counted.",
    ):
        return back_to_session(panel_session, "shortlist")
    conflicted = sessions.conflicted_proposal_ids(db.session, panel_session.round, current_user)
    return render_template(
        "deliberation/ballot.html",
        form=form, s=panel_session, decision=decision, candidates=candidates, conflicted=conflicted,
        blocked=blocked,
    )  # fmt: skip


@bp.post("/sessions/<int:session_id>/shortlist/count")
def count(session_id: int) -> Response:
    """Count the panel's rankings with pyrankvote (facilitators)."""
    panel_session = load_session(session_id, can.can_run_sessions)
    decision = load_decision(panel_session)
    run_action(lambda: shortlist.count_vote(db.session, decision), "The vote is counted.")
    return redirect(url_for(".shortlist_page", session_id=panel_session.id), 303)


@bp.get("/sessions/<int:session_id>/shortlist")
def shortlist_page(session_id: int) -> str:
    """Show the shortlist, the count round by round, and why each other proposal was left out."""
    return _shortlist_page(load_session(session_id))


def _shortlist_page(panel_session: PanelSession, reason_error: Any = None) -> str:
    decision = load_decision(panel_session)
    return render_template(
        "deliberation/shortlist.html",
        s=panel_session,
        decision=decision,
        transcript=shortlist.transcript_rows(db.session, decision) if decision.decided_at else None,
        can_run=can.can_run_sessions(current_user, panel_session.round),
        minutes=minutes.minutes_of(db.session, panel_session),
        recorded=shortlist.minutes_record(db.session, decision),
        is_ballot=decision.decided_at is not None and ballot_change(db.session, decision).already,
        is_member=can.can_deliberate(current_user, panel_session.round),
        present=sessions.present_member_ids(panel_session),
        voted=shortlist.voted_member_ids(db.session, decision),
        reason_form=ReasonForm(formdata=None),
        action_form=ActionForm(),
        reason_error=reason_error,
    )


@bp.post("/sessions/<int:session_id>/shortlist/reasons/<int:proposal_id>")
def reason(session_id: int, proposal_id: int) -> str | Response:
    """Write the public reason a proposal was not shortlisted (facilitators)."""
    panel_session = load_session(session_id, can.can_run_sessions)
    decision = load_decision(panel_session)
    form = ReasonForm()
    if not form.validate_on_submit():
        # Shown next to this proposal's reason box.
        return _shortlist_page(panel_session, (proposal_id, next(iter(form.errors.values()))[0]))
    run_action(
        lambda: shortlist.set_reason(db.session, decision, proposal_id, form.reason.data or ""),
        "Reason saved.",
    )
    return redirect(url_for(".shortlist_page", session_id=panel_session.id) + "#reasons", 303)


@bp.get("/sessions/<int:session_id>/shortlist/apply")
def confirm_apply(session_id: int) -> str:
    """Show the ballot now and what the shortlist would replace it with (facilitators)."""
    panel_session = load_session(session_id, can.can_run_sessions)
    decision = load_decision(panel_session)
    change = ballot_change(db.session, decision)
    form = ApplyShortlistForm(formdata=None, seen=",".join(str(p.id) for p in change.now))
    return render_template(
        "deliberation/apply.html",
        s=panel_session,
        change=change,
        refusal=shortlist.ballot_refusal(db.session, decision),
        form=form,
    )


@bp.post("/sessions/<int:session_id>/shortlist/apply")
def apply(session_id: int) -> Response:
    """Make the shortlist the ballot's project list once confirmed (facilitators)."""
    panel_session = load_session(session_id, can.can_run_sessions)
    decision = load_decision(panel_session)
    form = ApplyShortlistForm()
    if not form.validate_on_submit() or form.confirm.data != "replace":
        # Only the confirm page, which shows the change, replaces the ballot.
        return redirect(url_for(".confirm_apply", session_id=panel_session.id), 303)
    try:
        shortlist.apply_to_ballot(db.session, decision, current_user, seen=form.seen_ids())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".confirm_apply", session_id=panel_session.id), 303)
    count = len(panel_session.round.projects)
    flash(f"The shortlist is now the ballot: it lists {plural(count, 'project')}.", "success")
    return redirect(url_for(".shortlist_page", session_id=panel_session.id), 303)


# --- Minutes --------------------------------------------------------------------------------
@bp.post("/sessions/<int:session_id>/minutes")
def write_minutes(session_id: int) -> Response:
    """Generate the minutes of a closed session (facilitators)."""
    panel_session = load_session(session_id, can.can_run_sessions)
    run_action(
        lambda: minutes.generate_minutes(db.session, panel_session),
        "Minutes written. The members who attended can now approve them.",
    )
    return redirect(url_for(".minutes_page", session_id=panel_session.id), 303)


def _minutes(panel_session: PanelSession) -> Any:
    found = minutes.minutes_of(db.session, panel_session)
    if found is None:
        abort(404)
    if not found.is_approved:
        require(can.can_see_session_details(current_user, panel_session.round))
    return found


@bp.get("/sessions/<int:session_id>/minutes")
def minutes_page(session_id: int) -> str:
    """Show the minutes (drafts to the panel and facilitators; approved ones to everyone)."""
    panel_session = load_session(session_id)
    found = _minutes(panel_session)
    return render_template(
        "deliberation/minutes.html",
        s=panel_session,
        m=found,
        doc=minutes.read_document(found),
        is_member=can.can_deliberate(current_user, panel_session.round),
        approved_by={a.user_id for a in found.approvals},
        attended=current_user.is_authenticated
        and current_user.id in sessions.present_member_ids(panel_session),
        action_form=ActionForm(),
    )


@bp.get("/sessions/<int:session_id>/minutes.json")
def minutes_json(session_id: int) -> Response:
    """Download the minutes document, byte for byte what the chain hashes."""
    found = _minutes(load_session(session_id))
    response = Response(found.document, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="minutes-{session_id}.json"'
    return response


@bp.post("/sessions/<int:session_id>/minutes/approve")
def approve(session_id: int) -> Response:
    """Approve the minutes (panel members who attended)."""
    panel_session = load_session(session_id, can.can_deliberate)
    found = _minutes(panel_session)
    run_action(
        lambda: minutes.approve_minutes(db.session, found, current_user),
        lambda m: (
            "Minutes approved by the panel and published."
            if m.is_approved
            else "Your approval is recorded."
        ),
    )
    return redirect(url_for(".minutes_page", session_id=panel_session.id), 303)

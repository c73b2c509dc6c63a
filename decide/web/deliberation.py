"""The panel's sessions: agendas, documents, attendance, conflicts, scores, the shortlist vote
and the minutes; arguments for and against proposals, with moderation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import Argument, PanelSession, Proposal, Round
from decide.services.deliberation import access as can
from decide.services.deliberation import arguments, minutes, scoring, sessions, shortlist
from decide.services.errors import DomainError
from decide.services.proposals import list_proposals
from decide.web.access import require
from decide.web.forms import ActionForm, options, run_action, show_domain_error
from decide.web.forms.deliberation import (
    ArgumentForm,
    AttendanceForm,
    ConflictForm,
    DocumentForm,
    HideForm,
    ReasonForm,
    ReportForm,
    RubricForm,
    SessionForm,
    ShortlistForm,
    ranking_form,
    score_form,
    score_values,
)

bp = Blueprint("deliberation", __name__)
bp.add_app_template_global(scoring.shown, "shown")


# --- Loading, with the permission to see --------------------------------------------------
def _round(round_id: int) -> Round:
    rnd = db.get_or_404(Round, round_id)
    require(can.can_see_sessions(current_user, rnd))
    return rnd


def _session(session_id: int) -> PanelSession:
    panel_session = db.get_or_404(PanelSession, session_id)
    require(can.can_see_sessions(current_user, panel_session.round))
    return panel_session


def _proposal(proposal_id: int) -> Proposal:
    proposal = db.get_or_404(Proposal, proposal_id)
    require(can.can_see_sessions(current_user, proposal.round))
    return proposal


def _decision(panel_session: PanelSession) -> Any:
    decision = shortlist.decision_of(db.session, panel_session)
    if decision is None:
        abort(404)
    return decision


def _back(panel_session: PanelSession, anchor: str = "") -> Response:
    target = url_for(".show", session_id=panel_session.id)
    return redirect(f"{target}#{anchor}" if anchor else target, 303)


# --- Sessions -------------------------------------------------------------------------------
def _agenda_choices(form: SessionForm, rnd: Round) -> SessionForm:
    live = [p for p in rnd_proposals(rnd) if not p.withdrawn]
    form.proposal_ids.choices = options([(p.id, p.title) for p in live])
    return form


def rnd_proposals(rnd: Round) -> list[Proposal]:
    """Return the round's proposals by title."""
    return list_proposals(db.session, rnd)


@bp.get("/rounds/<int:round_id>/sessions")
def index(round_id: int) -> str:
    """List the round's panel sessions, the rubric, and the conflicts declared."""
    rnd = _round(round_id)
    return render_template("deliberation/index.html", **_index_context(rnd))


def _index_context(rnd: Round, conflict_form: ConflictForm | None = None) -> dict[str, Any]:
    form = conflict_form or ConflictForm(formdata=None)
    form.proposal_id.choices = options([(p.id, p.title) for p in rnd_proposals(rnd)])
    return {
        "round": rnd,
        "sessions": sessions.sessions_of_round(db.session, rnd),
        "rubric": scoring.rubric_of(db.session, rnd),
        "conflicts": sessions.conflicts_of_round(db.session, rnd),
        "conflict_form": form,
        "can_run": can.can_run_sessions(current_user, rnd),
        "can_deliberate": can.can_deliberate(current_user, rnd),
    }


@bp.route("/rounds/<int:round_id>/sessions/new", methods=["GET", "POST"])
def schedule(round_id: int) -> str | Response:
    """Schedule a panel session with its agenda (facilitators)."""
    rnd = _round(round_id)
    require(can.can_run_sessions(current_user, rnd))
    form = _agenda_choices(SessionForm(), rnd)
    if form.validate_on_submit():
        plan = sessions.SessionPlan(
            title=form.title.data or "",
            starts_at=form.starts_at.data,
            place=form.place.data or "",
            online_link=form.online_link.data or "",
            proposal_ids=form.proposal_ids.data or [],
            topics=form.topic_list(),
        )
        try:
            panel_session = sessions.schedule_session(db.session, rnd, plan)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Session scheduled.", "success")
            return _back(panel_session)
    return render_template("deliberation/new.html", form=form, round=rnd)


@bp.get("/sessions/<int:session_id>")
def show(session_id: int) -> str:
    """Show a session: agenda, documents, attendance, scores, shortlist and minutes."""
    return render_template("deliberation/show.html", **_show_context(_session(session_id)))


def _show_context(panel_session: PanelSession, **forms: Any) -> dict[str, Any]:
    rnd = panel_session.round
    member = can.can_deliberate(current_user, rnd)
    decision = shortlist.decision_of(db.session, panel_session)
    attendance = forms.get("attendance_form") or AttendanceForm(
        formdata=None, data={"present": sorted(sessions.present_member_ids(panel_session))}
    )
    attendance.present.choices = options([(s.user_id, s.user.display_name) for s in rnd.panel])
    return {
        "s": panel_session,
        "round": rnd,
        "can_run": can.can_run_sessions(current_user, rnd),
        "can_see_details": can.can_see_session_details(current_user, rnd),
        "is_member": member,
        "conflicted": sessions.conflicted_proposal_ids(db.session, rnd, current_user)
        if member
        else set(),
        "conflicts": sessions.conflicts_of_round(db.session, rnd),
        "own": scoring.own_scores(db.session, panel_session, current_user) if member else {},
        "scored": scoring.scored_counts(db.session, panel_session),
        "summaries": scoring.summaries(db.session, panel_session)
        if panel_session.is_closed
        else [],
        "decision": decision,
        "voted": shortlist.voted_member_ids(db.session, decision) if decision else set(),
        "minutes": minutes.minutes_of(db.session, panel_session),
        "document_form": forms.get("document_form") or DocumentForm(formdata=None),
        "attendance_form": attendance,
        "shortlist_form": forms.get("shortlist_form") or ShortlistForm(formdata=None),
        "action_form": ActionForm(),
    }


@bp.post("/sessions/<int:session_id>/documents")
def add_document(session_id: int) -> str | Response:
    """Add a document to the session: a link or an uploaded file (facilitators)."""
    panel_session = _session(session_id)
    require(can.can_run_sessions(current_user, panel_session.round))
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.upload.data
        try:
            sessions.add_document(
                db.session,
                panel_session,
                title=form.title.data or "",
                url=(form.url.data or "").strip(),
                filename=upload.filename if upload else "",
                content_type=upload.mimetype if upload else "",
                content=upload.read() if upload else None,
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Document added.", "success")
            return _back(panel_session, "documents")
    return render_template(
        "deliberation/show.html", **_show_context(panel_session, document_form=form)
    )


@bp.get("/sessions/<int:session_id>/documents/<int:document_id>")
def document(session_id: int, document_id: int) -> Response:
    """Download an uploaded document of the session."""
    panel_session = _session(session_id)
    doc = next((d for d in panel_session.documents if d.id == document_id), None)
    if doc is None or doc.content is None:
        abort(404)
    ending = sessions.DOCUMENT_TYPES[doc.content_type]
    response = Response(doc.content, mimetype=doc.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="document-{doc.id}{ending}"'
    return response


@bp.post("/sessions/<int:session_id>/attendance")
def attendance(session_id: int) -> str | Response:
    """Record which panel members attended (facilitators)."""
    panel_session = _session(session_id)
    require(can.can_run_sessions(current_user, panel_session.round))
    form = AttendanceForm()
    if form.validate_on_submit():
        try:
            sessions.record_attendance(db.session, panel_session, form.present.data or [])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Attendance recorded.", "success")
            return _back(panel_session, "attendance")
    return render_template(
        "deliberation/show.html", **_show_context(panel_session, attendance_form=form)
    )


@bp.post("/sessions/<int:session_id>/close")
def close(session_id: int) -> Response:
    """Close the session: its scores are shown from now on (facilitators)."""
    panel_session = _session(session_id)
    require(can.can_run_sessions(current_user, panel_session.round))
    run_action(
        lambda: sessions.close_session(db.session, panel_session),
        "Session closed. The panel's scores are now shown.",
    )
    return _back(panel_session)


# --- Conflicts and the rubric ---------------------------------------------------------------
@bp.post("/rounds/<int:round_id>/conflicts")
def declare_conflict(round_id: int) -> str | Response:
    """Declare a conflict of interest with a proposal (panel members)."""
    rnd = _round(round_id)
    require(can.can_deliberate(current_user, rnd))
    form = ConflictForm()
    form.proposal_id.choices = options([(p.id, p.title) for p in rnd_proposals(rnd)])
    if form.validate_on_submit():
        try:
            sessions.declare_conflict(
                db.session, rnd, current_user, form.proposal_id.data, form.reason.data or ""
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Conflict of interest declared. You will not score or vote on it.", "success")
            return redirect(url_for(".index", round_id=rnd.id) + "#conflicts", 303)
    return render_template("deliberation/index.html", **_index_context(rnd, form))


@bp.route("/rounds/<int:round_id>/rubric", methods=["GET", "POST"])
def rubric(round_id: int) -> str | Response:
    """Set the round's scoring rubric: criteria and weights (facilitators)."""
    rnd = _round(round_id)
    require(can.can_run_sessions(current_user, rnd))
    current = scoring.rubric_of(db.session, rnd) or scoring.default_rubric()
    rows = [{"name": c.name, "weight": c.weight, "description": c.description} for c in current]
    form = RubricForm(data={"criteria": rows + [{"name": "", "weight": None}] * 2})
    if form.validate_on_submit():
        plans = [
            scoring.CriterionPlan(
                e.form.name.data or "", e.form.weight.data or 1, e.form.description.data or ""
            )
            for e in form.criteria.entries
        ]
        try:
            scoring.set_rubric(db.session, rnd, plans)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Rubric saved.", "success")
            return redirect(url_for(".index", round_id=rnd.id), 303)
    return render_template("deliberation/rubric.html", form=form, round=rnd)


# --- Scores ---------------------------------------------------------------------------------
@bp.route("/sessions/<int:session_id>/proposals/<int:proposal_id>/score", methods=["GET", "POST"])
def score(session_id: int, proposal_id: int) -> str | Response:
    """Score a proposal on the rubric, alone (panel members; others' scores stay hidden)."""
    panel_session = _session(session_id)
    require(can.can_deliberate(current_user, panel_session.round))
    proposal = db.get_or_404(Proposal, proposal_id)
    criteria = scoring.rubric_of(db.session, panel_session.round)
    own = scoring.own_scores(db.session, panel_session, current_user).get(proposal.id, {})
    form = score_form(criteria, own)
    if form.validate_on_submit():
        try:
            scoring.record_scores(
                db.session, panel_session, current_user, proposal, score_values(form, criteria)
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(
                f"Your scores for {proposal.title} are saved. "
                "Other members see them when the session closes.",
                "success",
            )
            return _back(panel_session, "agenda")
    return render_template(
        "deliberation/score.html", form=form, s=panel_session, proposal=proposal, criteria=criteria
    )


# --- The shortlist --------------------------------------------------------------------------
@bp.post("/sessions/<int:session_id>/shortlist")
def start_shortlist(session_id: int) -> str | Response:
    """Open the panel's ranked vote, or record the score threshold it adopted (facilitators)."""
    panel_session = _session(session_id)
    require(can.can_run_sessions(current_user, panel_session.round))
    form = ShortlistForm()
    if form.validate_on_submit():
        try:
            if form.method.data == "ranked":
                shortlist.open_ranked_vote(db.session, panel_session, form.places.data)
            else:
                shortlist.adopt_threshold(db.session, panel_session, form.threshold_value())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Shortlist decision started.", "success")
            return _back(panel_session, "shortlist")
    return render_template(
        "deliberation/show.html", **_show_context(panel_session, shortlist_form=form)
    )


@bp.route("/sessions/<int:session_id>/shortlist/ballot", methods=["GET", "POST"])
def ballot(session_id: int) -> str | Response:
    """Rank the candidates for the shortlist (panel members)."""
    panel_session = _session(session_id)
    require(can.can_deliberate(current_user, panel_session.round))
    decision = _decision(panel_session)
    candidates = [db.get_or_404(Proposal, i) for i in decision.candidate_ids]
    mine: list[int] = next(
        (b.ranking for b in decision.ballots if b.user_id == current_user.id), []
    )
    form = ranking_form(candidates, mine)
    if form.validate_on_submit():
        try:
            shortlist.cast_ranking(db.session, decision, current_user, form.ranking())
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(
                "Your ranking is recorded. You can change it until the vote is counted.", "success"
            )
            return _back(panel_session, "shortlist")
    conflicted = sessions.conflicted_proposal_ids(db.session, panel_session.round, current_user)
    return render_template(
        "deliberation/ballot.html",
        form=form, s=panel_session, decision=decision, candidates=candidates, conflicted=conflicted,
    )  # fmt: skip


@bp.post("/sessions/<int:session_id>/shortlist/count")
def count(session_id: int) -> Response:
    """Count the panel's rankings with pyrankvote (facilitators)."""
    panel_session = _session(session_id)
    require(can.can_run_sessions(current_user, panel_session.round))
    decision = _decision(panel_session)
    run_action(lambda: shortlist.count_vote(db.session, decision), "The vote is counted.")
    return redirect(url_for(".shortlist_page", session_id=panel_session.id), 303)


@bp.get("/sessions/<int:session_id>/shortlist")
def shortlist_page(session_id: int) -> str:
    """Show the shortlist, the count round by round, and why each other proposal was left out."""
    panel_session = _session(session_id)
    decision = _decision(panel_session)
    return render_template(
        "deliberation/shortlist.html",
        s=panel_session,
        decision=decision,
        transcript=shortlist.transcript_rows(db.session, decision) if decision.decided_at else None,
        can_run=can.can_run_sessions(current_user, panel_session.round),
        minutes=minutes.minutes_of(db.session, panel_session),
        reason_form=ReasonForm(formdata=None),
        action_form=ActionForm(),
    )


@bp.post("/sessions/<int:session_id>/shortlist/reasons/<int:proposal_id>")
def reason(session_id: int, proposal_id: int) -> Response:
    """Write the public reason a proposal was not shortlisted (facilitators)."""
    panel_session = _session(session_id)
    require(can.can_run_sessions(current_user, panel_session.round))
    decision = _decision(panel_session)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
    else:
        run_action(
            lambda: shortlist.set_reason(db.session, decision, proposal_id, form.reason.data or ""),
            "Reason saved.",
        )
    return redirect(url_for(".shortlist_page", session_id=panel_session.id) + "#reasons", 303)


@bp.post("/sessions/<int:session_id>/shortlist/apply")
def apply(session_id: int) -> Response:
    """Make the shortlist the ballot's project list (facilitators; minutes approved first)."""
    panel_session = _session(session_id)
    require(can.can_run_sessions(current_user, panel_session.round))
    decision = _decision(panel_session)
    run_action(
        lambda: shortlist.apply_to_ballot(db.session, decision, current_user),
        lambda projects: f"The ballot now lists the {len(projects)} shortlisted projects.",
    )
    return redirect(url_for(".shortlist_page", session_id=panel_session.id), 303)


# --- Minutes --------------------------------------------------------------------------------
@bp.post("/sessions/<int:session_id>/minutes")
def write_minutes(session_id: int) -> Response:
    """Generate the minutes of a closed session (facilitators)."""
    panel_session = _session(session_id)
    require(can.can_run_sessions(current_user, panel_session.round))
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
    panel_session = _session(session_id)
    found = _minutes(panel_session)
    return render_template(
        "deliberation/minutes.html",
        s=panel_session,
        m=found,
        doc=minutes.read_document(found),
        is_member=can.can_deliberate(current_user, panel_session.round),
        approved_by={a.user_id for a in found.approvals},
        action_form=ActionForm(),
    )


@bp.get("/sessions/<int:session_id>/minutes.json")
def minutes_json(session_id: int) -> Response:
    """Download the minutes document, byte for byte what the chain hashes."""
    found = _minutes(_session(session_id))
    response = Response(found.document, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="minutes-{session_id}.json"'
    return response


@bp.post("/sessions/<int:session_id>/minutes/approve")
def approve(session_id: int) -> Response:
    """Approve the minutes (panel members who attended)."""
    panel_session = _session(session_id)
    require(can.can_deliberate(current_user, panel_session.round))
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


# --- Arguments ------------------------------------------------------------------------------
@bp.route("/proposals/<int:proposal_id>/arguments", methods=["GET", "POST"])
def proposal_arguments(proposal_id: int) -> str | Response:
    """Show the arguments for and against a proposal and take a new one."""
    proposal = _proposal(proposal_id)
    form = ArgumentForm()
    if form.is_submitted():
        require(can.can_post_argument(current_user, proposal.round))
        if form.validate():
            try:
                arguments.post_argument(
                    db.session, proposal, current_user,
                    side=form.side.data, body=form.body.data or "", parent_id=form.parent(),
                )  # fmt: skip
            except DomainError as error:
                show_domain_error(form, error)
            else:
                flash("Your argument is posted.", "success")
                return redirect(url_for(".proposal_arguments", proposal_id=proposal.id), 303)
    return render_template("deliberation/arguments.html", **_arguments_context(proposal, form))


def _arguments_context(proposal: Proposal, form: ArgumentForm) -> dict[str, Any]:
    rnd = proposal.round
    return {
        "proposal": proposal,
        "round": rnd,
        "arguments": arguments.arguments_of(db.session, proposal),
        "reasons": shortlist.reasons_for_proposal(db.session, proposal),
        "form": form,
        "can_post": can.can_post_argument(current_user, rnd),
        "can_report": can.can_report_argument(current_user, rnd),
        "can_moderate": can.can_moderate(current_user, rnd),
        "hide_form": HideForm(formdata=None),
        "report_form": ReportForm(formdata=None),
    }


def _argument(argument_id: int) -> Argument:
    argument = db.get_or_404(Argument, argument_id)
    require(can.can_see_sessions(current_user, db.get_or_404(Proposal, argument.proposal_id).round))
    return argument


@bp.post("/arguments/<int:argument_id>/report")
def report(argument_id: int) -> Response:
    """Report an argument to the moderators (anyone signed in)."""
    argument = _argument(argument_id)
    rnd = db.session.get(Proposal, argument.proposal_id).round  # type: ignore[union-attr]
    require(can.can_report_argument(current_user, rnd))
    form = ReportForm()
    reason_text = form.reason.data or "" if form.validate_on_submit() else ""
    run_action(
        lambda: arguments.report_argument(db.session, argument, current_user, reason_text),
        "Thank you. The moderators will look at it.",
    )
    return redirect(url_for(".proposal_arguments", proposal_id=argument.proposal_id), 303)


@bp.post("/arguments/<int:argument_id>/hide")
def hide(argument_id: int) -> Response:
    """Hide an argument with a public reason (moderators)."""
    argument = _argument(argument_id)
    rnd = db.session.get(Proposal, argument.proposal_id).round  # type: ignore[union-attr]
    require(can.can_moderate(current_user, rnd))
    form = HideForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
    else:
        run_action(
            lambda: arguments.hide_argument(db.session, argument, current_user, form.reason.data),
            "The argument is hidden; its reason is shown in its place.",
        )
    return redirect(url_for(".proposal_arguments", proposal_id=argument.proposal_id), 303)

"""The panel's sessions: scheduling with an agenda, documents, attendance, closing, conflicts
of interest, the scoring rubric and each member's scores."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import Proposal, Round
from decide.services.deliberation import access as can
from decide.services.deliberation import scoring, sessions, shortlist
from decide.services.errors import DomainError
from decide.services.proposals import list_proposals
from decide.web.access import require
from decide.web.deliberation.common import (
    back_to_session,
    bp,
    load_round,
    load_session,
    show_context,
    submit_on_session_page,
)
from decide.web.forms import options, run_action, show_domain_error, submit_form
from decide.web.forms.deliberation import (
    AttendanceForm,
    ConflictForm,
    DocumentForm,
    RubricForm,
    SessionForm,
    score_form,
    score_values,
)


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
    rnd = load_round(round_id)
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
        "can_schedule": sessions.can_schedule(rnd),
        "rubric_locked": scoring.rubric_locked(db.session, rnd),
        "rubric_fixed": scoring.why_rubric_fixed(db.session, rnd),
    }


@bp.route("/rounds/<int:round_id>/sessions/new", methods=["GET", "POST"])
def schedule(round_id: int) -> str | Response:
    """Schedule a panel session with its agenda (facilitators)."""
    rnd = load_round(round_id)
    require(can.can_run_sessions(current_user, rnd))
    form = _agenda_choices(SessionForm(), rnd)
    open_ = sessions.can_schedule(rnd)
    if open_ and form.validate_on_submit():
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
            return back_to_session(panel_session)
    return render_template("deliberation/new.html", form=form, round=rnd, open=open_)


@bp.get("/sessions/<int:session_id>")
def show(session_id: int) -> str:
    """Show a session: agenda, documents, attendance, scores, shortlist and minutes."""
    return render_template("deliberation/show.html", **show_context(load_session(session_id)))


@bp.post("/sessions/<int:session_id>/documents")
def add_document(session_id: int) -> str | Response:
    """Add a document to the session: a link or an uploaded file (facilitators)."""
    panel_session = load_session(session_id, can.can_run_sessions)
    form = DocumentForm()
    return submit_on_session_page(
        panel_session, form, lambda: _add_document(panel_session, form), "Document added.",
        name="document_form", anchor="documents",
    )  # fmt: skip


def _add_document(panel_session: Any, form: DocumentForm) -> None:
    upload = form.upload.data
    sessions.add_document(
        db.session,
        panel_session,
        title=form.title.data or "",
        url=(form.url.data or "").strip(),
        filename=upload.filename if upload else "",
        content_type=upload.mimetype if upload else "",
        content=upload.read() if upload else None,
    )


@bp.get("/sessions/<int:session_id>/documents/<int:document_id>")
def document(session_id: int, document_id: int) -> Response:
    """Download an uploaded document of the session."""
    panel_session = load_session(session_id)
    doc = next((d for d in panel_session.documents if d.id == document_id), None)
    if doc is None or doc.content is None:
        abort(404)
    ending = sessions.DOCUMENT_TYPES[doc.content_type]
    response = Response(doc.content, mimetype=doc.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="document-{doc.id}{ending}"'
    return response


SET_ASIDE_WARNING = (
    "A member recorded as absent has ranked the proposals: their ranking will not count "
    "unless the attendance is corrected before the vote is counted."
)


@bp.post("/sessions/<int:session_id>/attendance")
def attendance(session_id: int) -> str | Response:
    """Record which panel members attended (facilitators)."""
    panel_session = load_session(session_id, can.can_run_sessions)
    form = AttendanceForm()
    if submit_form(
        form,
        lambda: sessions.record_attendance(db.session, panel_session, form.present.data or []),
        "Attendance recorded.",
    ):
        if shortlist.set_aside_member_ids(db.session, panel_session):
            flash(SET_ASIDE_WARNING, "error")
        return back_to_session(panel_session, "attendance")
    return render_template(
        "deliberation/show.html", **show_context(panel_session, attendance_form=form)
    )


@bp.post("/sessions/<int:session_id>/close")
def close(session_id: int) -> Response:
    """Close the session: its scores are shown from now on (facilitators)."""
    panel_session = load_session(session_id, can.can_run_sessions)
    run_action(
        lambda: sessions.close_session(db.session, panel_session),
        "Session closed. The panel's scores are now shown.",
    )
    return back_to_session(panel_session)


# --- Conflicts and the rubric ---------------------------------------------------------------
@bp.post("/rounds/<int:round_id>/conflicts")
def declare_conflict(round_id: int) -> str | Response:
    """Declare a conflict of interest with a proposal (panel members)."""
    rnd = load_round(round_id)
    require(can.can_deliberate(current_user, rnd))
    form = ConflictForm()
    form.proposal_id.choices = options([(p.id, p.title) for p in rnd_proposals(rnd)])
    if submit_form(
        form,
        lambda: sessions.declare_conflict(
            db.session, rnd, current_user, form.proposal_id.data, form.reason.data or ""
        ),
        "Conflict of interest declared. You will not score or vote on it.",
    ):
        return redirect(url_for(".index", round_id=rnd.id) + "#conflicts", 303)
    return render_template("deliberation/index.html", **_index_context(rnd, form))


@bp.route("/rounds/<int:round_id>/rubric", methods=["GET", "POST"])
def rubric(round_id: int) -> str | Response:
    """Set the round's scoring rubric: criteria and weights (facilitators)."""
    rnd = load_round(round_id)
    require(can.can_run_sessions(current_user, rnd))
    current = scoring.rubric_of(db.session, rnd) or scoring.default_rubric()
    rows = [{"name": c.name, "weight": c.weight, "description": c.description} for c in current]
    form = RubricForm(data={"criteria": rows + [{"name": "", "weight": None}] * 2})
    fixed = scoring.why_rubric_fixed(db.session, rnd)
    if fixed is None and submit_form(
        form, lambda: scoring.set_rubric(db.session, rnd, _criteria(form)), "Rubric saved."
    ):
        return redirect(url_for(".index", round_id=rnd.id), 303)
    return render_template(
        "deliberation/rubric.html", form=form, round=rnd, rubric=current,
        locked=fixed, scored=scoring.rubric_locked(db.session, rnd),
    )  # fmt: skip


def _criteria(form: RubricForm) -> list[scoring.CriterionPlan]:
    return [
        scoring.CriterionPlan(
            e.form.name.data or "", e.form.weight.data or 0, e.form.description.data or ""
        )
        for e in form.criteria.entries
    ]


# --- Scores ---------------------------------------------------------------------------------
@bp.route("/sessions/<int:session_id>/proposals/<int:proposal_id>/score", methods=["GET", "POST"])
def score(session_id: int, proposal_id: int) -> str | Response:
    """Score a proposal on the rubric, alone (panel members; others' scores stay hidden)."""
    panel_session = load_session(session_id, can.can_deliberate)
    proposal = db.get_or_404(Proposal, proposal_id)
    criteria = scoring.rubric_of(db.session, panel_session.round)
    own = scoring.own_scores(db.session, panel_session, current_user).get(proposal.id, {})
    form = score_form(criteria, own)
    blocked = scoring.why_no_scoring(db.session, panel_session, current_user, proposal)
    if blocked is None and submit_form(
        form,
        lambda: scoring.record_scores(
            db.session, panel_session, current_user, proposal, score_values(form, criteria)
        ),
        f"Your scores for {proposal.title} are saved. "
        "Other members see them when the session closes.",
    ):
        return back_to_session(panel_session, "agenda")
    return render_template(
        "deliberation/score.html",
        form=form, s=panel_session, proposal=proposal, criteria=criteria, blocked=blocked,
    )  # fmt: skip

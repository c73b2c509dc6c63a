"""What the delivering organisation reports: progress updates with photos, impact figures,
stories with consent, and milestone status. Members of other organisations get 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from decide.extensions import db, limiter
from decide.models import ImpactFigure, Milestone, Photo, ProgressUpdate, Story
from decide.models.delivery import MAX_PHOTOS_PER_UPDATE
from decide.services import delivery, delivery_reports
from decide.services import permissions as can
from decide.services.delivery_reports import FigureDraft, StoryDraft, UpdateDraft
from decide.services.errors import DomainError
from decide.services.photos import PhotoUpload
from decide.web.access import require
from decide.web.delivery.common import bp, funded, optional_id, parse_date, upload
from decide.web.filters import long_date
from decide.web.forms import (
    FigureForm,
    StatusForm,
    StoryForm,
    UpdateForm,
    add_error,
    apply_form,
    form_status,
    options,
    run_action,
    submit_form,
)

PHOTO_SLOTS = range(1, MAX_PHOTOS_PER_UPDATE + 1)


def _milestone_choices(project_id: int) -> list[Any]:
    return options(
        [("", "None in particular")]
        + [(str(m.id), m.title) for m in delivery.milestones(db.session, project_id)]
    )


def _measure_label(measure: Any) -> str:
    """Name a measure with its unit and breakdown: "People reached (people, by area and decile)"."""
    by = [w for w, on in (("area", measure.by_area), ("decile", measure.by_decile)) if on]
    return f"{measure.name} ({measure.unit}{', by ' + ' and '.join(by) if by else ''})"


def _breakdown_choices(form: Any, rnd: Any, measures: list[Any]) -> None:
    """Offer "none" for the area (or decile) only when some measure is not broken down by it:
    a measure broken down by area takes an area on every figure, and by decile a decile."""
    areas = sorted(rnd.areas, key=lambda a: a.name) if rnd.areas else []
    none: list[tuple[str, str]] = []
    if any(not m.by_area for m in measures):
        none = [("", "None (for a measure not broken down by area)")]
    form.area_id.choices = options(none + [(str(a.id), a.name) for a in areas])
    none = []
    if any(not m.by_decile or m.by_area for m in measures):
        none = [("", "None, or the area's decile (for a measure by area)")]
    form.decile.choices = options(none + [(str(d), str(d)) for d in range(1, 11)])


def _back(round_id: int, code: str, anchor: str = "") -> Any:
    target = url_for("delivery.project", round_id=round_id, code=code)
    return redirect(f"{target}#{anchor}" if anchor else target, 303)


def _confirm(round_id: int, code: str, anchor: str, question: str, effect: str, button: str) -> str:
    """A removal asks first, without JavaScript: the page's button posts to the same address,
    and Cancel goes back to where it was asked from."""
    back = url_for("delivery.project", round_id=round_id, code=code) + f"#{anchor}"
    return render_template(
        "delivery/confirm.html", question=question, effect=effect, button=button, back=back,
        action=request.path,
    )  # fmt: skip


def _ask_then(
    round_id: int, code: str, anchor: str, ask: tuple[str, str, str],
    action: Callable[[], Any], success: str,
) -> Any:  # fmt: skip
    """Ask first (a GET shows `ask`: question, effect, button); a POST runs the action, says
    how it went and goes back to the project page."""
    if request.method == "GET":
        return _confirm(round_id, code, anchor, *ask)
    run_action(action, success)
    return _back(round_id, code, anchor)


def _has_errors(form: Any) -> bool:
    return bool(getattr(form, "page_errors", None)) or any(f.errors for f in form)


def _choose_again(form: Any, chosen: dict[str, tuple[str, str]]) -> None:
    """When the page comes back with errors, ask again for each photo that was fine: a
    browser never keeps a chosen file, so it would otherwise be lost without a word.

    `chosen` maps a photo field that had a file to (its alt text field, its name in words)."""
    if not _has_errors(form):
        return
    for name, (alt, words) in chosen.items():
        if form[name].errors:
            continue  # the file itself was refused: its message already asks for another
        if form[alt].errors:
            # Say so now, or the file is lost a second time once the alt text is fixed.
            message = (
                f"Choose {words} again too, once its alt text is fixed: a browser does not "
                "keep a chosen file when the page shows an error"
            )
        else:
            message = (
                f"Choose {words} again, or leave it out: it was fine, but a browser does not "
                "keep a chosen file when the page shows an error"
            )
        add_error(form, name, message)


def _photo_gaps(form: Any, slots: dict[int, PhotoUpload | None]) -> int:
    """Mark each photo slot with alt text but no file, or a file but no alt text, with the
    other fields' errors (the service checks the alt text too); return how many."""
    gaps = 0
    chosen = [n for n, p in slots.items() if p is not None]
    for n, photo in slots.items():
        alt = (getattr(form, f"alt_{n}").data or "").strip()
        if photo is None and alt:
            # A browser never keeps a chosen file after the page comes back with an error.
            add_error(form, f"alt_{n}", f"Choose photo {n} again (a chosen file is not kept "
                      "when the page shows an error), or clear its alt text")  # fmt: skip
            gaps += 1
        elif photo is not None and not alt:
            what = "the photo" if chosen == [1] else f"photo {n}"
            add_error(form, f"alt_{n}", f"Describe {what} in its alt text, for people who "
                      "cannot see it")  # fmt: skip
            gaps += 1
    return gaps


def _update_limit() -> str:
    return str(current_app.config.get("UPDATE_RATE_LIMIT", "20 per hour"))


@bp.route("/rounds/<int:round_id>/projects/<code>/updates/new", methods=["GET", "POST"])
@limiter.limit(_update_limit, methods=["POST"])
def post_update(round_id: int, code: str) -> Any:
    """The delivering organisation posts progress with up to four photos."""
    rnd, project = funded(round_id, code)
    require(delivery.can_report(current_user, project))
    form = UpdateForm()
    form.milestone_id.choices = _milestone_choices(project.id)
    slots = {n: upload(f"photo_{n}", getattr(form, f"alt_{n}").data, n) for n in PHOTO_SLOTS}
    valid = form.validate_on_submit()
    gaps = _photo_gaps(form, slots) if form.is_submitted() else 0
    if (valid and not gaps) and apply_form(
        form,
        lambda: delivery_reports.post_update(
            db.session, project, _update(form, slots), current_user
        ),
        "Your update is published on the project page.",
    ):
        return _back(rnd.id, project.code, "updates")
    _choose_again(form, {f"photo_{n}": (f"alt_{n}", f"photo {n}") for n, p in slots.items() if p})
    return render_template(
        "delivery/update_form.html", round=rnd, project=project, form=form,
        photo_slots=PHOTO_SLOTS,
    ), form_status(form)  # fmt: skip


def _update(form: UpdateForm, slots: dict[int, PhotoUpload | None]) -> UpdateDraft:
    photos = tuple(p for p in slots.values() if p is not None)
    return UpdateDraft(form.text.data or "", optional_id(form.milestone_id.data), photos)


@bp.route("/rounds/<int:round_id>/projects/<code>/figures/new", methods=["GET", "POST"])
def report_figure(round_id: int, code: str) -> Any:
    """The delivering organisation reports a figure against the outcome framework."""
    rnd, project = funded(round_id, code)
    require(delivery.can_report(current_user, project))
    form = FigureForm()
    measures = delivery_reports.measures(db.session, rnd.id)
    form.measure_id.choices = options((str(m.id), _measure_label(m)) for m in measures)
    form.milestone_id.choices = _milestone_choices(project.id)
    _breakdown_choices(form, rnd, measures)
    if submit_form(
        form,
        lambda: delivery_reports.report_figure(db.session, project, _figure(form), current_user),
        "The figure is recorded.",
    ):
        return _back(rnd.id, project.code, "impact")
    return render_template(
        "delivery/figure_form.html", round=rnd, project=project, form=form, measures=measures
    ), form_status(form)


def _figure(form: FigureForm) -> FigureDraft:
    return FigureDraft(
        measure_id=optional_id(form.measure_id.data) or 0, value=form.value.data or "",
        milestone_id=optional_id(form.milestone_id.data), area_id=optional_id(form.area_id.data),
        decile=optional_id(form.decile.data),
    )  # fmt: skip


@bp.route("/rounds/<int:round_id>/projects/<code>/stories/new", methods=["GET", "POST"])
def add_story(round_id: int, code: str) -> Any:
    """The delivering organisation adds a story with the consent of the person in it."""
    rnd, project = funded(round_id, code)
    require(delivery.can_report(current_user, project))
    form = StoryForm()
    photo = upload("photo", form.photo_alt.data or "")
    if submit_form(
        form,
        lambda: delivery_reports.add_story(db.session, project, _story(form, photo), current_user),
        "The story is published on the project page.",
    ):
        return _back(rnd.id, project.code, "stories")
    _choose_again(form, {"photo": ("photo_alt", "the photo")} if photo else {})
    return render_template(
        "delivery/story_form.html", round=rnd, project=project, form=form
    ), form_status(form)


def _story(form: StoryForm, photo: PhotoUpload | None) -> StoryDraft:
    scopes = form.consent_scopes.data or []
    return StoryDraft(
        title=form.title.data or "", text=form.text.data or "",
        consent_by=form.consent_by.data or "", consent_on=parse_date(form.consent_on.data),
        consent_use=form.consent_use.data or "", photo=photo,
        on_page="page" in scopes, open_data="open_data" in scopes,
    )  # fmt: skip


@bp.route(
    "/rounds/<int:round_id>/projects/<code>/stories/<int:story_id>/withdraw",
    methods=["GET", "POST"],
)
def withdraw_consent(round_id: int, code: str, story_id: int) -> Any:
    """Record that the person in a story withdrew consent: it is hidden everywhere."""
    rnd, project = funded(round_id, code)
    story = db.get_or_404(Story, story_id)
    may = delivery.can_report(current_user, project) or can.can_manage_rounds(current_user)
    require(story.project_id == project.id and may)
    ask = (
        f"Record that consent for “{story.title}” was withdrawn?",
        "The story is hidden everywhere at once: the project page, its photo and the open data. "
        "It cannot be shown again.",
        "Record the withdrawal",
    )
    return _ask_then(
        rnd.id, project.code, "stories", ask,
        lambda: delivery_reports.withdraw_consent(db.session, story, current_user),
        "Consent withdrawn: the story is no longer shown anywhere.",
    )  # fmt: skip


@bp.route(
    "/rounds/<int:round_id>/projects/<code>/figures/<int:figure_id>/withdraw",
    methods=["GET", "POST"],
)
def withdraw_figure(round_id: int, code: str, figure_id: int) -> Any:
    """The delivering organisation withdraws a mistaken figure: it leaves every total."""
    rnd, project = funded(round_id, code)
    figure = db.get_or_404(ImpactFigure, figure_id)
    require(figure.project_id == project.id and delivery.can_report(current_user, project))
    what = f"{figure.value} {figure.measure.unit} ({figure.measure.name})"
    ask = (
        f"Withdraw the figure {what}?",
        "It leaves every total and the open data. To correct it, report the right figure "
        "afterwards.",
        "Withdraw the figure",
    )
    return _ask_then(
        rnd.id, project.code, "impact", ask,
        lambda: delivery_reports.withdraw_figure(db.session, figure, current_user),
        "The figure is withdrawn: it no longer counts in any total. Report the right one if "
        "there is one.",
    )  # fmt: skip


@bp.route(
    "/rounds/<int:round_id>/projects/<code>/updates/<int:update_id>/remove", methods=["GET", "POST"]
)
def remove_update(round_id: int, code: str, update_id: int) -> Any:
    """The delivering organisation or a facilitator removes an update (kept, not shown)."""
    rnd, project = funded(round_id, code)
    update = db.get_or_404(ProgressUpdate, update_id)
    require(update.project_id == project.id and delivery_reports.can_remove(current_user, project))
    when = f"{long_date(update.created_at)} at {update.created_at:%H:%M}"
    ask = (
        f"Remove the update of {when}?",
        "It is no longer shown on the project page, in the feed or in the open data.",
        "Remove the update",
    )
    return _ask_then(
        rnd.id, project.code, "updates", ask,
        lambda: delivery_reports.remove_update(db.session, update, current_user),
        "The update is removed: it is no longer shown on the project page, in the feed or in "
        "the open data.",
    )  # fmt: skip


@bp.route(
    "/rounds/<int:round_id>/projects/<code>/photos/<int:photo_id>/remove", methods=["GET", "POST"]
)
def remove_photo(round_id: int, code: str, photo_id: int) -> Any:
    """The delivering organisation or a facilitator removes one photo (kept, not shown)."""
    rnd, project = funded(round_id, code)
    photo = db.get_or_404(Photo, photo_id)
    update = db.session.get(ProgressUpdate, photo.update_id) if photo.update_id else None
    require(
        update is not None
        and update.project_id == project.id
        and delivery_reports.can_remove(current_user, project)
    )
    ask = (
        f"Remove the photo “{photo.alt_text}”?",
        "It is no longer shown anywhere; the rest of the update stays.",
        "Remove the photo",
    )
    return _ask_then(
        rnd.id, project.code, "updates", ask,
        lambda: delivery_reports.remove_photo(db.session, photo, current_user),
        "The photo is removed: it is no longer shown anywhere.",
    )  # fmt: skip


@bp.post("/rounds/<int:round_id>/projects/<code>/milestones/<int:milestone_id>/status")
def set_status(round_id: int, code: str, milestone_id: int) -> Any:
    """The delivering organisation (or a facilitator, as the service allows) reports a
    milestone's status."""
    rnd, project = funded(round_id, code)
    milestone = db.get_or_404(Milestone, milestone_id)
    may = delivery.can_report(current_user, project) or can.can_manage_rounds(current_user)
    require(milestone.project_id == project.id and may)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("Choose a status from the list.", "error")
    else:
        try:
            delivery.set_status(db.session, milestone, form.status.data or "", current_user)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(
                f"You reported “{milestone.title}” as {milestone.status_label.lower()}."
                + (" The facilitator confirms it before its tranche is paid."
                   if milestone.status == "completed" and not milestone.confirmed else ""),
                "success",
            )  # fmt: skip
    return _back(rnd.id, project.code, "milestones")

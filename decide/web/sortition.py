"""Panel selection by sortition: volunteers register interest; the facilitator sets the panel
size and quotas, computes the lottery, records the seed announced in public, draws the panel
and replaces drop-outs; anyone reads the published record and downloads RECORD.json.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from decide import sortition as pure
from decide.extensions import db
from decide.models import GENDERS, PARTNER_TYPES, Round
from decide.services import sortition, sortition_status
from decide.services import sortition_words as words
from decide.services.deliberation import access as can
from decide.services.errors import DomainError
from decide.services.permissions import can_view_round
from decide.web.access import require
from decide.web.forms import ActionForm, options, run_action, submit_form
from decide.web.forms.sortition import (
    QUOTAS_MAX_BYTES,
    PanelSizeForm,
    QuotasForm,
    ReplaceForm,
    SeedForm,
    interest_form,
)

bp = Blueprint("sortition", __name__)


@bp.app_template_global("panel_registration_open")
def _registration_open(rnd: Round) -> bool:
    """Offer "Serve on the panel" only while people can still register (before the lottery)."""
    return sortition.registration_open(db.session, rnd)


def _round(round_id: int) -> Round:
    rnd = db.get_or_404(Round, round_id)
    require(can_view_round(current_user, rnd))
    return rnd


def _extra_features(rnd: Round) -> list[Any]:
    found = sortition.settings_of(db.session, rnd)
    return list(found.extra_features) if found else []


def _panel_options(rnd: Round, pseudonyms: list[str]) -> list[Any]:
    """Name each drawn member for the facilitator, with their id in the published record."""
    names = {v.pseudonym: v.user.display_name for v in sortition.volunteers_of(db.session, rnd)}
    return options([(p, f"{names.get(p, 'unknown')} ({p})") for p in pseudonyms])


# --- Volunteers ----------------------------------------------------------------------------
@bp.route("/rounds/<int:round_id>/panel/volunteer", methods=["GET", "POST"])
def volunteer(round_id: int) -> str | BaseResponse:
    """Register interest in serving on the round's panel; see or withdraw one's registration."""
    rnd = _round(round_id)
    require(can.can_volunteer(current_user, rnd))
    extras = _extra_features(rnd)
    form = interest_form(extras, rnd.areas)
    mine = sortition.volunteer_of(db.session, rnd, current_user)
    if mine is None and submit_form(
        form,
        lambda: sortition.register_interest(db.session, rnd, current_user, _interest(form, extras)),
        "Thank you: you are in the pool for this round's panel.",
    ):
        return redirect(url_for(".volunteer", round_id=rnd.id), 303)
    return render_template(
        "sortition/volunteer.html",
        round=rnd,
        form=form,
        mine=mine,
        extras=extras,
        open=sortition.registration_open(db.session, rnd),
        drawn=sortition_status.panel_drawn(db.session, rnd),
        consent_text=sortition.CONSENT_TEXT,
        genders=GENDERS,
        partner_types=PARTNER_TYPES,
        action_form=ActionForm(),
    )


def _interest(form: Any, extras: list[str]) -> sortition.Interest:
    return sortition.Interest(
        consent=bool(form.consent.data),
        area_id=form.area_id.data,
        age_band=form.age_band.data or "",
        gender=form.gender.data or "",
        partner_type=form.partner_type.data or "",
        extra=form.extra_answers(extras),
    )


@bp.post("/rounds/<int:round_id>/panel/volunteer/withdraw")
def withdraw(round_id: int) -> BaseResponse:
    """Withdraw one's own registration before the lottery."""
    rnd = _round(round_id)
    require(can.can_volunteer(current_user, rnd))
    mine = sortition.volunteer_of(db.session, rnd, current_user)
    if mine is None:
        flash("You have not registered interest in this round's panel.", "error")
    else:
        run_action(
            lambda: sortition.withdraw_interest(db.session, mine, current_user),
            "Your registration is withdrawn.",
        )
    return redirect(url_for(".volunteer", round_id=rnd.id), 303)


# --- The facilitator's page ----------------------------------------------------------------
def _manage_context(rnd: Round, **forms: Any) -> dict[str, Any]:
    found = sortition.settings_of(db.session, rnd)
    record = sortition.record_of(found)
    size_form = forms.get("size_form") or PanelSizeForm(
        formdata=None,
        data={
            "panel_size": found.panel_size if found else 12,
            "extra": PanelSizeForm.extra_text(found.extra_features if found else []),
        },
    )
    quotas = sortition.quotas_of(db.session, rnd)
    quotas_text = "feature,value,min,max\n" + "".join(
        f"{q.feature},{q.value},{q.min_count},{q.max_count}\n" for q in quotas
    )
    extras = list(found.extra_features) if found else []
    replace_form = forms.get("replace_form") or ReplaceForm(formdata=None)
    replace_form.dropouts.choices = _panel_options(rnd, sortition.current_panel(record))
    return {
        "round": rnd,
        "settings": found,
        "record": record,
        "quotas": quotas,
        "summary": sortition.pool_summary(db.session, rnd),
        "names": words.feature_names(extras),
        "values": words.value_labels(db.session, extras),
        "pool_size": sortition_status.volunteer_count(db.session, rnd),
        "max_pool": sortition.MAX_POOL,
        "lottery_running": sortition.lottery_running_now(found),
        "size_form": size_form,
        "quotas_form": forms.get("quotas_form")
        or QuotasForm(formdata=None, data={"quotas": quotas_text}),
        "seed_form": forms.get("seed_form") or SeedForm(formdata=None),
        "replacement_seed_form": forms.get("replacement_seed_form")
        or SeedForm(formdata=None, prefix="replacement"),
        "replace_form": replace_form,
        "action_form": ActionForm(),
        "lottery_error": forms.get("lottery_error"),
        "lottery_blocker": sortition_status.lottery_blocker(db.session, rnd),
        "min_chance": words.lottery_min_chance(record) if record else "",
        "questions_locked": sortition_status.questions_locked(db.session, rnd),
    }


def _manage(rnd: Round, **forms: Any) -> str:
    return render_template("sortition/manage.html", **_manage_context(rnd, **forms))


def _back(rnd: Round, anchor: str) -> BaseResponse:
    return redirect(url_for(".manage", round_id=rnd.id) + f"#{anchor}", 303)


def _save(
    rnd: Round, form: Any, action: Callable[[], Any], success: str | Callable[[Any], str],
    *, name: str, anchor: str,
) -> str | BaseResponse:  # fmt: skip
    """Submit the page's form `name` (a _manage_context key): back to the page at `anchor`,
    or the page again with the form's errors."""
    if submit_form(form, action, success):
        return _back(rnd, anchor)
    return _manage(rnd, **{name: form})


def _facilitator_round(round_id: int) -> Round:
    rnd = _round(round_id)
    require(can.can_run_sortition(current_user, rnd))
    return rnd


@bp.get("/rounds/<int:round_id>/panel/sortition")
def manage(round_id: int) -> str:
    """The facilitator's sortition page: panel size, quotas, pool, lottery, seed, draw."""
    return _manage(_facilitator_round(round_id))


@bp.post("/rounds/<int:round_id>/panel/size")
def panel_size(round_id: int) -> str | BaseResponse:
    """Set the panel size and the extra questions."""
    rnd = _facilitator_round(round_id)
    form = PanelSizeForm()
    return _save(rnd, form, lambda: _set_panel(rnd, form), "Panel size saved.",
                 name="size_form", anchor="panel-size")  # fmt: skip


def _set_panel(rnd: Round, form: PanelSizeForm) -> None:
    # Once people have registered the questions stay (the page shows them as text).
    locked = sortition_status.questions_locked(db.session, rnd)
    extras = _extra_features(rnd) if locked else form.extra_features()
    sortition.set_panel(db.session, rnd, form.panel_size.data or 0, extras)


@bp.post("/rounds/<int:round_id>/panel/quotas")
def quotas(round_id: int) -> str | BaseResponse:
    """Replace the quotas from the text area or an uploaded CSV file (feature,value,min,max)."""
    rnd = _facilitator_round(round_id)
    form = QuotasForm()
    return _save(rnd, form, lambda: _set_quotas(rnd, form), "Quotas saved.",
                 name="quotas_form", anchor="quota-rules")  # fmt: skip


def _set_quotas(rnd: Round, form: QuotasForm) -> None:
    """Replace the quotas; a file or text that does not parse is refused beside the text area."""
    upload = form.upload.data
    text = upload.read(QUOTAS_MAX_BYTES + 1).decode("utf-8", "replace") if upload else None
    try:
        if text is not None and len(text) > QUOTAS_MAX_BYTES:
            raise pure.QuotaError("The quotas file is too large: keep it under 64 KB.")
        parsed = pure.parse_quotas(text if text else form.quotas.data or "")
        sortition.set_quotas(db.session, rnd, parsed)
    except pure.QuotaError as error:
        raise DomainError(str(error), field="quotas") from error


@bp.post("/rounds/<int:round_id>/panel/lottery")
def lottery(round_id: int) -> str | BaseResponse:
    """Close the pool and compute the leximin lottery."""
    rnd = _facilitator_round(round_id)
    if not ActionForm().validate_on_submit():
        flash("This form expired. Reload the page and try again.", "error")
        return _back(rnd, "lottery")
    try:
        sortition.compute_lottery(db.session, rnd)
    except DomainError as error:
        return _manage(rnd, lottery_error=error.message)
    flash("Lottery computed: announce a seed in public, then draw.", "success")
    return _back(rnd, "lottery")


@bp.post("/rounds/<int:round_id>/panel/seed")
def seed(round_id: int) -> str | BaseResponse:
    """Record the seed announced in public, with the time."""
    rnd = _facilitator_round(round_id)
    form = SeedForm()
    return _save(rnd, form, lambda: sortition.announce_seed(db.session, rnd, form.seed.data or ""),
                 "Seed recorded.", name="seed_form", anchor="draw")  # fmt: skip


@bp.post("/rounds/<int:round_id>/panel/draw")
def draw(round_id: int) -> BaseResponse:
    """Draw the panel with the announced seed."""
    rnd = _facilitator_round(round_id)
    run_action(
        lambda: sortition.draw_panel(db.session, rnd),
        lambda members: f"Panel drawn: {len(members)} members.",
    )
    return _back(rnd, "draw")


@bp.post("/rounds/<int:round_id>/panel/replacement-seed")
def replacement_seed(round_id: int) -> str | BaseResponse:
    """Record the seed announced in public for the next replacements, with the time."""
    rnd = _facilitator_round(round_id)
    form = SeedForm(prefix="replacement")
    return _save(
        rnd, form,
        lambda: sortition.announce_replacement_seed(db.session, rnd, form.seed.data or ""),
        "Replacement seed recorded.", name="replacement_seed_form", anchor="replace",
    )  # fmt: skip


@bp.post("/rounds/<int:round_id>/panel/replace")
def replace(round_id: int) -> str | BaseResponse:
    """Replace panel members who dropped out, recorded in the sortition record."""
    rnd = _facilitator_round(round_id)
    form = ReplaceForm()
    found = sortition.settings_of(db.session, rnd)
    panel = sortition.current_panel(sortition.record_of(found))
    form.dropouts.choices = _panel_options(rnd, panel)
    return _save(
        rnd, form,
        lambda: sortition.replace_dropouts(db.session, rnd, form.dropouts.data or []),
        lambda added: f"{len(added)} replacement(s) drawn and recorded.",
        name="replace_form", anchor="replace",
    )  # fmt: skip


# --- The published record ------------------------------------------------------------------
@bp.get("/rounds/<int:round_id>/panel/record")
def record(round_id: int) -> str:
    """Show the published sortition record."""
    rnd = _round(round_id)
    found = sortition.settings_of(db.session, rnd)
    data = sortition.record_of(found) if found is not None and found.pool_closed else None
    extras = list(found.extra_features) if found else []
    names = words.feature_names(extras)
    return render_template(
        "sortition/record.html",
        round=rnd,
        settings=found,
        record=data,
        panel=sortition.current_panel(data),
        chances=words.chances(data) if data else {},
        min_chance=words.lottery_min_chance(data) if data else "",
        ideal_min=words.chance_words(Fraction(data["min_probability"])) if data else "",
        names=names,
        quota_names=words.quota_feature_names(data, names) if data else None,
        values=words.value_labels(db.session, extras),
    )


@bp.get("/rounds/<int:round_id>/panel/RECORD.json")
def record_json(round_id: int) -> Response:
    """Download the record's canonical bytes, which `decide sortition verify` checks."""
    rnd = _round(round_id)
    found = sortition.settings_of(db.session, rnd)
    if found is None or found.record is None:
        return Response("No sortition record yet.\n", status=404, mimetype="text/plain")
    response = Response(found.record, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="sortition-record-round-{rnd.id}.json"'
    )
    return response

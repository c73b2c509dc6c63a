"""The public learning dashboard: participation, money, partners, coverage and delivery.

Anyone may read it (no login). Each filter is a GET query parameter, so every filtered view
has its own URL: `/learning?round=<slug>&area=<slug>&decile=<1-10>&partner=<type>`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from markupsafe import Markup

from decide.extensions import db
from decide.services import learning_cache
from decide.services.learning import PARTNER_TYPES, Facts
from decide.services.learning_views import Filters
from decide.services.sanitise import whole_number
from decide.web import learning_charts

bp = Blueprint("learning", __name__)


def _filters(known: Facts) -> tuple[Filters, list[str]]:
    """Read the filters from the query; name any value that is not one of the choices."""
    args, errors = request.args, []
    round_slug = args.get("round") or None
    if round_slug is not None and round_slug not in {r.slug for r in known.rounds}:
        errors.append("There is no round with published results at that address.")
        round_slug = None
    area = args.get("area") or None
    if area is not None and known.area(area) is None:
        errors.append("There is no such area.")
        area = None
    decile_text = args.get("decile") or None
    decile = None
    if decile_text is not None:
        # "03" is 3 (one cache entry for both); 0, "３" and 5,000 digits are refused.
        decile = whole_number(decile_text.strip().lstrip("0") or "0", maximum=10) or None
        if decile is None:
            errors.append("A deprivation decile is a whole number from 1 to 10.")
    partner = args.get("partner") or None
    if partner is not None and partner not in PARTNER_TYPES:
        errors.append("Choose a partner type from the list.")
        partner = None
    return Filters(round_slug, area, decile, partner), errors


def _body(known: Facts, filters: Filters, errors: list[str]) -> tuple[str, int]:
    """Render the dashboard's content (the same for every visitor) and its status."""
    body = render_template(
        "learning/_body.html",
        facts=known,
        filters=filters,
        errors=errors,
        partner_types=PARTNER_TYPES,
        **learning_charts.dashboard(known, filters),
    )
    return body, 400 if errors else 200


@bp.get("/learning")
def dashboard() -> Any:
    """Show the dashboard, narrowed by the filters in the query (public).

    The content is kept per filter until the figures change; only the page around it (the
    visitor's own menu) is rendered per request.
    """
    known = learning_cache.current_facts(db.session)
    filters, errors = _filters(known)
    # The key is the parsed filters, so "decile=03" and "decile=3" share one entry, and any
    # other query parameter adds none.
    body, status = learning_cache.cached(
        db.session, ("dashboard", filters), lambda: _body(known, filters, errors),
        keep=lambda b: b[1] == 200,
    )  # fmt: skip
    return render_template("learning/dashboard.html", body=Markup(body)), status  # noqa: S704 - our own rendered template

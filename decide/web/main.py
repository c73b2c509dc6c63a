"""Home page, health check, and the pages about the site: about, privacy, accessibility."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from sqlalchemy import select, text
from werkzeug.wrappers import Response

from decide.config import DEMO_OPERATOR
from decide.extensions import db
from decide.models import Phase, Round

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    """List the rounds open for voting first (closing soonest first), then the rest by phase."""
    rounds = db.session.scalars(select(Round).where(Round.phase != Phase.DRAFT)).all()
    voting = sorted(
        (r for r in rounds if r.phase.voting_open),
        key=lambda r: (r.voting_close is None, str(r.voting_close), r.title),
    )
    others = sorted(
        (r for r in rounds if not r.phase.voting_open),
        key=lambda r: (r.phase.position, r.title),
    )
    return render_template("main/home.html", voting_rounds=voting, other_rounds=others)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Answer 200 when the app and its database respond."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}, 200


# --- About this site: public pages, no permission needed ------------------------------------

# The threat model lives with the code; the privacy notice links to it only when it is there.
THREATS_FILE = Path(__file__).resolve().parents[2] / "docs" / "THREATS.md"


@bp.get("/about")
def about() -> str:
    """Say what decide is, how a round runs and how anyone can check a result."""
    return render_template("main/about.html")


def _operator() -> dict[str, object]:
    """Return who runs this site (DECIDE_OPERATOR_*) and whether it is still the demo's."""
    cfg = current_app.config
    return {
        "name": cfg["OPERATOR_NAME"],
        "email": cfg["OPERATOR_EMAIL"],
        "address": cfg["OPERATOR_ADDRESS"],
        "is_demo": cfg["OPERATOR_NAME"] == DEMO_OPERATOR["name"],
    }


@bp.get("/privacy")
def privacy() -> str:
    """Say what is stored about people, for how long, and why ballots cannot be linked to them."""
    return render_template(
        "main/privacy.html", has_threats=THREATS_FILE.is_file(), operator=_operator()
    )


@bp.get("/privacy/ballot-secrecy")
def ballot_secrecy() -> str:
    """Show the threat model (docs/THREATS.md): how ballot secrecy is protected."""
    if not THREATS_FILE.is_file():
        abort(404)
    return render_template("main/secrecy.html", threats=THREATS_FILE.read_text(encoding="utf-8"))


@bp.get("/accessibility")
def accessibility() -> str:
    """State how accessible the site is, what is known not to be, and how to report a problem."""
    cfg = current_app.config
    return render_template(
        "main/accessibility.html",
        operator=_operator(),
        prepared=dt.date.fromisoformat(cfg["ACCESSIBILITY_PREPARED"]),
        reviewed=dt.date.fromisoformat(cfg["ACCESSIBILITY_REVIEWED"]),
    )


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Send browsers that ask for /favicon.ico to the site's icon."""
    return redirect(url_for("static", filename="img/favicon.svg"), 301)

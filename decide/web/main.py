"""Home page, health check, and the pages about the site: about, privacy, accessibility."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, url_for
from sqlalchemy import select, text
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import PHASES, Round

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    """List the rounds open for voting first (closing soonest first), then the rest by phase."""
    rounds = db.session.scalars(select(Round).where(Round.phase != "draft")).all()
    voting = sorted(
        (r for r in rounds if r.phase == "voting"),
        key=lambda r: (r.voting_close is None, str(r.voting_close), r.title),
    )
    others = sorted(
        (r for r in rounds if r.phase != "voting"),
        key=lambda r: (PHASES.index(r.phase), r.title),
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


@bp.get("/privacy")
def privacy() -> str:
    """Say what is stored about people, for how long, and why ballots cannot be linked to them."""
    return render_template("main/privacy.html", has_threats=THREATS_FILE.is_file())


@bp.get("/privacy/ballot-secrecy")
def ballot_secrecy() -> str:
    """Show the threat model (docs/THREATS.md): how ballot secrecy is protected."""
    if not THREATS_FILE.is_file():
        abort(404)
    return render_template("main/secrecy.html", threats=THREATS_FILE.read_text(encoding="utf-8"))


@bp.get("/accessibility")
def accessibility() -> str:
    """State how accessible the site is, what is known not to be, and how to report a problem."""
    return render_template("main/accessibility.html")


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Send browsers that ask for /favicon.ico to the site's icon."""
    return redirect(url_for("static", filename="img/favicon.svg"), 301)

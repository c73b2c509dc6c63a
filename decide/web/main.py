"""Home page and health check."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select, text

from decide.extensions import db
from decide.models import PHASES, Round

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    """List the rounds and their phases."""
    rounds = db.session.scalars(select(Round).where(Round.phase != "draft")).all()
    rounds = sorted(rounds, key=lambda r: (PHASES.index(r.phase), r.title))
    return render_template("main/home.html", rounds=rounds)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Answer 200 when the app and its database respond."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}, 200

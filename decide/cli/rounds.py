"""`decide rounds`: list the rounds."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from decide.extensions import db


@click.command("rounds")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
def rounds_command(as_json: bool) -> None:
    """List rounds: id, title, phase."""
    from decide.models import Round

    rows = db.session.scalars(select(Round).order_by(Round.id)).all()
    if as_json:
        click.echo(json.dumps([{"id": r.id, "title": r.title, "phase": r.phase} for r in rows]))
        return
    if not rows:
        click.echo("No rounds yet.")
    for r in rows:
        click.echo(f"{r.id:>4}  {r.phase:<13} {r.title}")


commands = [rounds_command]

"""`decide import-pb FILE.pb` and `decide export-pb ROUND -o FILE.pb`."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click

from decide.extensions import db

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _one_line(message: str) -> str:
    """Return `message` on one line: a value quoted from a file may hold line breaks."""
    return _CONTROL.sub(" ", message).strip()


@click.command("import-pb")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", default=None, help="Round title (default: from the file's META).")
@click.option(
    "--repeats",
    type=click.Choice(["refuse", "merge"]),
    default="refuse",
    show_default=True,
    help="An approval vote that lists a project twice: refuse the file, or read it once.",
)
def import_pb_command(path: Path, title: str | None, repeats: str) -> None:
    """Create a closed round from a pabulib file; the last line printed is the round id."""
    from decide.models import ValueDoesNotFit
    from decide.services.pb_io import PbImportError, import_pb

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text ({exc}).") from exc
    except OSError as exc:
        raise click.ClickException(_one_line(f"{path}: cannot be read ({exc.strerror}).")) from exc
    try:
        rnd = import_pb(
            db.session,
            text,
            title=title,
            today=dt.datetime.now(dt.UTC).date(),
            repeats="merge" if repeats == "merge" else "refuse",
        )
    except (PbImportError, ValueDoesNotFit) as exc:
        db.session.rollback()
        reason = _one_line(str(exc)).rstrip(".")
        raise click.ClickException(f"{path}: {reason}. Nothing was imported.") from exc
    n = len(rnd.projects)
    from decide.services.ballot_box import counts

    click.echo(
        f"Imported {path.name}: round “{rnd.title}” ({rnd.ballot_kind}, {n} projects, "
        f"{counts(db.session, rnd.id)['ballots']} ballots, phase closed)."
    )
    click.echo(str(rnd.id))


@click.command("export-pb")
@click.argument("round_id", type=int)
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
def export_pb_command(round_id: int, output: Path) -> None:
    """Write a closed round's anonymised ballots (trackers as voter ids) as a pabulib file."""
    from decide.services.pb_io import ExportRefused, export_pb

    try:
        text = export_pb(db.session, round_id)
    except ExportRefused as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output} ({text.count(chr(10))} lines).")


commands = [import_pb_command, export_pb_command]

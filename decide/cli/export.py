"""`decide export-pdf ROUND -o FILE.pdf`: write a round's latest published PDF edition."""

from __future__ import annotations

from pathlib import Path

import click

from decide.extensions import db


@click.command("export-pdf")
@click.argument("round_ref")
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--edition", type=int, default=None, help="Edition number (default: the latest).")
def export_pdf_command(round_ref: str, output: Path, edition: int | None) -> None:
    """Write the latest PDF edition of a published round (ROUND is its id or slug)."""
    from decide.services.publication import edition as find_edition
    from decide.services.publication import find_round

    rnd = find_round(db.session, round_ref)
    if rnd is None:
        raise click.ClickException(f"There is no round {round_ref!r}.")
    found = find_edition(db.session, rnd.id, edition)
    if found is None:
        which = f"edition {edition}" if edition else "published PDF edition"
        raise click.ClickException(
            f"Round {rnd.id} (“{rnd.title}”, {rnd.phase_label}) has no {which} yet."
        )
    output.write_bytes(found.pdf)
    click.echo(
        f"Wrote {output}: round {rnd.id} edition {found.number}, {found.size:,} bytes, "
        f"SHA-256 {found.sha256}."
    )


commands = [export_pdf_command]

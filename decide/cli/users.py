"""`decide role EMAIL --facilitator` gives an account a role (the first facilitator too)."""

from __future__ import annotations

import click

from decide.extensions import db


@click.command("role")
@click.argument("email")
@click.option("--facilitator/--no-facilitator", default=None, help="Give or take facilitator.")
@click.option("--officer/--no-officer", default=None, help="Give or take officer (paper ballots).")
def role_command(email: str, facilitator: bool | None, officer: bool | None) -> None:
    """Give or take the facilitator and officer roles of an existing account."""
    from decide.services.accounts import set_roles
    from decide.services.errors import DomainError

    if facilitator is None and officer is None:
        raise click.UsageError("Say which role: --facilitator, --no-facilitator, --officer, ...")
    try:
        user = set_roles(db.session, email, facilitator=facilitator, officer=officer)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    roles = [
        r for r, on in (("facilitator", user.is_facilitator), ("officer", user.is_officer)) if on
    ]
    click.echo(f"{user.email}: {', '.join(roles) if roles else 'citizen (no staff role)'}")


commands = [role_command]

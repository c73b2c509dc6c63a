"""`decide demo` seeds the demo data; `decide accounts` prints the demo accounts."""

from __future__ import annotations

import click

from decide.extensions import db


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has any account.")
def demo_command(if_empty: bool) -> None:
    """Seed the demo (on a database with no tables, apply the migrations first)."""
    from sqlalchemy import func, select

    from decide.cli.database import SchemaState, schema_state
    from decide.demo import demo_present, seed_demo
    from decide.models import User

    state, problem = schema_state(db.engine)
    if state is SchemaState.EMPTY:
        # A fresh database: migrating is what the person asking for a demo wants.
        from flask_migrate import upgrade

        click.echo("The database has no tables yet: applying the migrations first.")
        upgrade()
    elif state is not SchemaState.CURRENT:
        raise click.ClickException(problem)
    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("The database already has accounts: demo not seeded (--if-empty).")
        return
    if demo_present(db.session):
        click.echo("The demo data is already there: nothing to do.")
        return
    seed_demo(db.session)
    click.echo("Demo data seeded. Run `decide accounts` to see the demo accounts.")


@click.command("accounts")
@click.option("--citizens", default=6, show_default=True, help="How many citizens to list.")
def accounts_command(citizens: int) -> None:
    """Print the demo accounts and their shared password."""
    from decide.demo import demo_accounts
    from decide.demo.catalogue import DEMO_PASSWORD

    rows = demo_accounts(db.session)
    if not rows:
        click.echo("No demo accounts. Run `decide demo` first.")
        return
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD})")
    shown_citizens = 0
    hidden = 0
    for role, email, name in rows:
        if role == "citizen":
            shown_citizens += 1
            if shown_citizens > citizens:
                hidden += 1
                continue
        click.echo(f"  {email:<34} {name:<24} {role}")
    if hidden:
        click.echo(f"  … and {hidden} more demo citizens (decide accounts --citizens N)")


commands = [demo_command, accounts_command]

"""The database's state, said in one line for the `decide` commands (no tracebacks).

A database is *empty* (no tables: nothing was ever migrated), *partial* (some of decide's
tables are missing), *behind* (Alembic records an older migration than this version of decide
ships) or *current*. A database made by `db.create_all()` (the tests) has every table and no
Alembic record, and counts as current.
"""

from __future__ import annotations

import enum

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

UPGRADE_HINT = "run `decide db upgrade` first (`make migrate` does it too)"


class SchemaState(enum.Enum):
    """How far the database's tables are from what this version of decide needs."""

    EMPTY = "empty"
    PARTIAL = "partial"
    BEHIND = "behind"
    CURRENT = "current"


def missing_tables(engine: Engine) -> list[str]:
    """Return the names of decide's tables that the database lacks, sorted."""
    from decide.extensions import db

    present = set(inspect(engine).get_table_names())
    return sorted(set(db.metadata.tables) - present)


def _revisions(engine: Engine) -> tuple[set[str], set[str]]:
    """Return (the revisions the database records, the heads this version ships)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    script = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, set(script.get_heads())


def schema_state(engine: Engine) -> tuple[SchemaState, str]:
    """Return the database's state and, unless it is current, a one-line message."""
    from decide.extensions import db

    missing = missing_tables(engine)
    if len(missing) == len(db.metadata.tables):
        return SchemaState.EMPTY, f"The database has no tables yet: {UPGRADE_HINT}."
    if missing:
        names = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
        return (
            SchemaState.PARTIAL,
            f"The database lacks {len(missing)} of decide's tables ({names}): {UPGRADE_HINT}.",
        )
    current, heads = _revisions(engine)
    if current and current != heads:
        return (
            SchemaState.BEHIND,
            f"The database is at migration {', '.join(sorted(current))}, but this version of "
            f"decide needs {', '.join(sorted(heads))}: {UPGRADE_HINT}.",
        )
    return SchemaState.CURRENT, ""


def database_problem(exc: DBAPIError) -> str:
    """Return one line saying why a command's database work failed and what to run."""
    from decide.extensions import db

    try:
        state, message = schema_state(db.engine)
    except SQLAlchemyError:
        state, message = SchemaState.CURRENT, ""  # unreachable: say what the driver said
    if state is not SchemaState.CURRENT:
        return message
    detail = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no details"
    where = db.engine.url.render_as_string(hide_password=True)
    return f"The database at {where} refused the command: {detail}."

"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from tests.conftest import PG_URL, _pg_problem

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def _upgrade_and_diff(url: str) -> list[object]:
    from flask_migrate import upgrade

    from app import create_app
    from decide.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    return diff


def test_migrations_match_models_on_sqlite(tmp_path):
    diff = _upgrade_and_diff(f"sqlite:///{tmp_path / 'migrated.db'}")
    assert diff == []


@pytest.mark.postgres_only
def test_migrations_match_models_on_postgresql():
    if _pg_problem:
        pytest.skip(f"PostgreSQL not reachable: {_pg_problem}")
    schema = f"decide_migrate_{os.getpid()}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in PG_URL else "?"
        diff = _upgrade_and_diff(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
        assert diff == []
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

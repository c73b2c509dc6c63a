"""Test fixtures: the app on SQLite and on PostgreSQL, clients, login and factories.

Every test that uses the `app` fixture runs twice: once on SQLite and once on PostgreSQL
(when DECIDE_TEST_DATABASE_URL is set; `make test` sets it). Outside CI an unreachable
PostgreSQL is reported loudly and its tests are skipped; under CI=true it is an error.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
PABULIB = REPO.parent / "shared" / "pabulib"
PG_URL = os.environ.get("DECIDE_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
_pg_problem: str | None = None
_backend_counts: Counter[str] = Counter()


def _probe_postgres() -> str | None:
    """Return None when PostgreSQL answers, else why not."""
    if not PG_URL:
        return "DECIDE_TEST_DATABASE_URL is not set"
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"cannot connect to {PG_URL}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    return None


def pytest_configure(config: pytest.Config) -> None:
    global _pg_problem
    # Tests never write into the repository's instance/ folder.
    if not os.environ.get("DECIDE_TEST_KEEP_INSTANCE_PATH"):
        import tempfile

        os.environ["DECIDE_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="decide-instance-")
    _pg_problem = _probe_postgres()
    if _pg_problem and IN_CI and not hasattr(config, "workerinput"):
        raise pytest.UsageError(
            f"PostgreSQL is required under CI=true, but {_pg_problem}. "
            "Start PostgreSQL on 127.0.0.1:5432 (database 'test')."
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip a test marked for one backend on the other before any of its fixtures run.

    `@pytest.mark.sqlite_only("why")` (or `postgres_only`) on a test that uses the `app`
    fixture: its run on the other backend is skipped at once, instead of setting up an app, a
    database and whatever the test's fixtures seed, only to skip in the test's body.
    """
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("database_url") if callspec else None
        for marker_name, other in (("sqlite_only", "postgresql"), ("postgres_only", "sqlite")):
            marker = item.get_closest_marker(marker_name)
            if marker and backend == other:
                reason = marker.args[0] if marker.args else f"runs on {marker_name[:-5]} only"
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = ["database backends: sqlite" + ("" if _pg_problem else f", postgresql ({PG_URL})")]
    if _pg_problem:
        lines.append("!" * 78)
        lines.append(f"!!! POSTGRESQL TESTS WILL BE SKIPPED: {_pg_problem}")
        lines.append("!" * 78)
    return lines


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        match = re.search(r"\[(sqlite|postgresql)[\]-]", report.nodeid)
        if match:
            _backend_counts[match.group(1)] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    tr = terminalreporter
    tr.section("database backends")
    tr.write_line(f"sqlite: {_backend_counts['sqlite']} database tests passed")
    if _pg_problem:
        tr.write_line(f"postgresql: SKIPPED LOUDLY: {_pg_problem}", red=True, bold=True)
    else:
        tr.write_line(
            f"postgresql: {_backend_counts['postgresql']} database tests passed on {PG_URL}"
        )


def _worker(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return a database URL for this worker, with the schema created once."""
    worker = _worker(request)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db')}/decide-{worker}.db"
    else:
        if _pg_problem:
            pytest.skip(f"PostgreSQL not reachable: {_pg_problem}")
        # One schema per worker process, so concurrent runs never share tables.
        schema = f"decide_test_{worker}_{os.getpid()}"
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()

        def drop_schema() -> None:
            cleanup = create_engine(PG_URL)
            with cleanup.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            cleanup.dispose()

        request.addfinalizer(drop_schema)
        sep = "&" if "?" in PG_URL else "?"
        url = f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    from app import create_app
    from decide.extensions import db

    app = create_app(_test_config(url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return url


def _test_config(url: str, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(extra)
    return config


def _empty_all_tables(app: Flask) -> None:
    from decide.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # DELETE, not TRUNCATE: the tables are small, and TRUNCATE of 50-odd tables
                # makes new files for each (about 1 s per test here against 0.05 s).
                sequences = conn.scalars(
                    text(
                        "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
                    )
                ).all()
                statements = [f'DELETE FROM "{t}"' for t in tables]
                statements += [f"SELECT setval('\"{s}\"', 1, false)" for s in sequences]
                conn.exec_driver_sql("; ".join(statements))
            else:
                conn.execute(text("PRAGMA foreign_keys=OFF"))
                for t in tables:
                    conn.execute(text(f'DELETE FROM "{t}"'))
                has_seq = conn.execute(
                    text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")
                ).first()
                if has_seq:
                    conn.execute(text("DELETE FROM sqlite_sequence"))
                conn.execute(text("PRAGMA foreign_keys=ON"))
        db.engine.dispose()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra configuration for the `app` fixture; override in a module to change it."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """Return the app bound to an empty database (SQLite or PostgreSQL)."""
    from app import create_app

    config = _test_config(database_url, RECEIPT_KEY_FILE=str(tmp_path / "receipt_key.pem"))
    config.update(app_config)
    application = create_app(config)

    @application.before_request
    def _forget_cached_user() -> None:
        # The app context below stays pushed for the whole test and Flask reuses it for every
        # request, so Flask-Login's cached user would leak from one client to the next. In
        # production each request has its own app context.
        g.pop("_login_user", None)

    ctx = application.app_context()
    ctx.push()
    try:
        yield application
    finally:
        ctx.pop()
        _empty_all_tables(application)


@pytest.fixture
def smtp() -> Iterator[Any]:
    """Run a real SMTP server (aiosmtpd) in the test process; yield its mailbox."""
    from tests.helpers.mailbox import start_mailbox

    mailbox, controller = start_mailbox()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def db(app: Flask) -> Any:
    """Return the Flask-SQLAlchemy extension, bound to the test app."""
    from decide.extensions import db as database

    return database


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def pabulib_dir() -> Path:
    """Return the folder of real pabulib instances (read-only)."""
    return PABULIB

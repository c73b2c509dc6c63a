"""Test fixtures: the app on SQLite and on PostgreSQL, clients, login and factories.

Every test that uses the `app` fixture runs twice: once on SQLite and once on PostgreSQL
(when DECIDE_TEST_DATABASE_URL is set; `make test` sets it). Outside CI an unreachable
PostgreSQL is reported loudly and its tests are skipped; under CI=true it is an error.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
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
# Also the browser tests' key: the seeded demo (voter roll references) depends on it.
TEST_SECRET_KEY = "test-secret-key"
_pg_problem: str | None = None
_backend_counts: Counter[str] = Counter()

# Young collections every 50,000 allocations instead of 700: each test builds an app and its
# ORM objects, and CPython's default made the collector run thousands of times a test. On
# tests/web/test_permissions.py and test_bad_input.py (SQLite, one process) this took the run
# from 40-46 s to 36-37 s. Cycles are still collected, only in larger batches.
gc.set_threshold(50_000, 20, 50)


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


# The longest tests (about a minute each at the last CI run), longest first. They start the run,
# so that under `pytest -n 3` no worker is left with one of them while the others are idle.
LONGEST_FIRST = (
    "tests/e2e/test_layout.py::test_every_page_fits_a_phone_and_passes_axe",
    "tests/publication/test_warszawa_publish.py",
    "tests/e2e/test_deliberation.py",
    "tests/web/test_fuzz.py",
    "tests/web/test_wording.py",
)


def _backend(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("database_url") if callspec else None


def _run_order(item: pytest.Item) -> tuple[int, int, int]:
    """Return a sort key: the longest tests, then other slow ones, then the rest.

    Within the first two groups, tests on PostgreSQL follow the others, so that a worker
    changes database (a new schema, about a second) a few times rather than at every test.
    """
    if not item.get_closest_marker("slow"):
        return (2, 0, 0)
    on_postgres = int(_backend(item) == "postgresql")
    for rank, prefix in enumerate(LONGEST_FIRST):
        if item.nodeid.startswith(prefix):
            return (0, on_postgres, rank)
    return (1, on_postgres, 0)


@pytest.hookimpl(trylast=True)  # after pytest groups the tests by database
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip a test marked for one backend on the other before any of its fixtures run, and
    start with the longest tests.

    `@pytest.mark.sqlite_only("why")` (or `postgres_only`) on a test that uses the `app`
    fixture: its run on the other backend is skipped at once, instead of setting up an app, a
    database and whatever the test's fixtures seed, only to skip in the test's body.

    xdist (`--dist loadgroup`) hands out tests in this order to whichever worker is free, so
    the longest go first and the short ones fill the end. The sort is stable: every worker
    collects the same order.
    """
    skipped = set()
    for item in items:
        backend = _backend(item)
        for marker_name, other in (("sqlite_only", "postgresql"), ("postgres_only", "sqlite")):
            marker = item.get_closest_marker(marker_name)
            if marker and backend == other:
                reason = marker.args[0] if marker.args else f"runs on {marker_name[:-5]} only"
                item.add_marker(pytest.mark.skip(reason=reason))
                skipped.add(item.nodeid)
    # A test skipped at once takes no time: it is left where it was.
    items.sort(key=lambda item: (2, 0, 0) if item.nodeid in skipped else _run_order(item))


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
    del app  # not kept: only what lives for the whole session is frozen
    _freeze_what_lives_for_the_session()
    return url


def _freeze_what_lives_for_the_session() -> None:
    """Keep the garbage collector from scanning, again and again, what lives for the session.

    Once the first app is made, the objects alive (the modules of the app, SQLAlchemy and the
    test libraries: several hundred thousand) stay until the worker stops. Each test makes an
    app whose objects outlive the young generations, so full collections come every few tests,
    and each scanned all of them: a fifth of a worker's time here. Frozen, they are skipped
    (the garbage is collected first: nothing that would be freed is kept).
    """
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def _test_config(url: str, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
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


@dataclass(frozen=True)
class DemoSnapshot:
    """A SQLite file holding the seeded demo, and the receipt key its ballots are signed with."""

    database: Path
    receipt_key: Path


@pytest.fixture(scope="session")
def session_receipt_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a receipt key file made once per worker; the demo snapshot is signed with it."""
    from decide.services.voting import load_server_key

    path = tmp_path_factory.mktemp("session-key") / "receipt_key.pem"
    load_server_key(path)  # creates it
    return path


@pytest.fixture(scope="session")
def demo_snapshot(
    tmp_path_factory: pytest.TempPathFactory, session_receipt_key: Path
) -> DemoSnapshot:
    """Seed the demo once per worker into a SQLite file; tests and browser tests get copies.

    Seeding takes tens of seconds (ten rounds with their ballots, editions and records); a copy
    of the file takes milliseconds. Seeding itself is tested where it is called directly.
    """
    from app import create_app
    from decide.demo import seed_demo
    from decide.extensions import db

    snapshot = DemoSnapshot(tmp_path_factory.mktemp("demo") / "demo.db", session_receipt_key)
    config = _test_config(
        f"sqlite:///{snapshot.database}", RECEIPT_KEY_FILE=str(snapshot.receipt_key)
    )
    application = create_app(config)
    with application.app_context():
        db.create_all()
        seed_demo(db.session)
        db.session.remove()
        db.engine.dispose()
    return snapshot


def copy_demo(snapshot: DemoSnapshot, database: str, receipt_key: str) -> None:
    """Make the SQLite file `database` hold the demo, with its receipt key at `receipt_key`."""
    shutil.copyfile(snapshot.receipt_key, receipt_key)
    # SQLite's backup API replaces the whole content, whatever the target held (WAL included).
    with (
        closing(sqlite3.connect(snapshot.database)) as source,
        closing(sqlite3.connect(database)) as target,
    ):
        source.backup(target)


@pytest.fixture
def demo_app(app: Flask, db: Any, request: pytest.FixtureRequest) -> Flask:
    """Return the app with the demo in its database.

    On SQLite the database becomes a copy of the worker's seeded snapshot; on PostgreSQL the
    demo is seeded into it.
    """
    if db.engine.dialect.name == "sqlite":
        snapshot = request.getfixturevalue("demo_snapshot")
        db.session.remove()
        db.engine.dispose()
        copy_demo(snapshot, str(db.engine.url.database), app.config["RECEIPT_KEY_FILE"])
    else:
        from decide.demo import seed_demo

        seed_demo(db.session)
    return app


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

"""Ballot secrecy against an insider, through HTTP with gunicorn on PostgreSQL (issue 12).

One module-scoped election: 300 voters cast through every route (75 accounts, 75 voter-roll
entries, 75 access codes, 75 paper ballots entered by an officer), with gunicorn killed with
SIGKILL in the middle of the online load and started again. Then the box is opened, and each
attack of docs/THREATS.md runs as a test and must link voters to ballots no better than chance.

Each simulated voter keeps what the insider would see of them (their register key, that is
their participation mark) and what only the test knows (the order the ballot page showed the
projects in, the choices made, the receipt received).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
import struct
import threading
import time
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from audits.chain import tracker_code, tracker_code_full
from audits.receipts import verify_receipt
from tests.conftest import IN_CI, PG_URL, _probe_postgres
from tests.helpers.secrecy import (
    MAX_CHOICES,
    PER_ROUTE,
    PROJECTS,
    Election,
    Server,
    enter_paper,
    seed_election,
    vote_online,
)
from tests.helpers.stats import spearman

pytestmark = [pytest.mark.xdist_group("secrecy"), pytest.mark.slow]


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Any:
    problem = _probe_postgres()
    if problem:
        if IN_CI:
            pytest.fail(f"the secrecy test needs PostgreSQL under CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    schema = f"decide_secrecy_{os.getpid()}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    work = tmp_path_factory.mktemp("secrecy")
    instance = work / "instance"
    instance.mkdir()
    secret = secrets.token_urlsafe(32)
    round_id, everyone, _ = seed_election(url, secret, instance)
    online = [v for v in everyone if v.route != "paper"]
    paper = [v for v in everyone if v.route == "paper"]
    env = dict(
        os.environ,
        DECIDE_DATABASE_URL=url,
        DECIDE_SECRET_KEY=secret,
        DECIDE_INSTANCE_PATH=str(instance),
        DECIDE_RECEIPT_KEY_FILE=str(instance / "receipt_key.pem"),
        DECIDE_RATELIMIT_ENABLED="false",
    )
    server = Server(env, work)
    server.start()
    try:
        enter_paper(server, round_id, paper)
        voters = list(paper)
        # The online voters, 12 at a time, with a SIGKILL of every gunicorn process once a
        # third of them have cast and another's cast is in flight.
        restarted = threading.Event()
        order = online[:]
        secrets.SystemRandom().shuffle(order)
        pending = iter(order)
        lock = threading.Lock()
        completed = [0]
        errors: list[str] = []

        def worker() -> None:
            while True:
                with lock:
                    voter = next(pending, None)
                if voter is None:
                    return
                try:
                    vote_online(server, voter, round_id, restarted)
                except Exception as exc:  # asserted on below
                    errors.append(f"{voter.route}: {exc!r}")
                with lock:
                    completed[0] += 1

        threads = [threading.Thread(target=worker) for _ in range(12)]
        for t in threads:
            t.start()
        # Kill while a cast is in flight, so the crash lands where a receipt could be lost.
        while completed[0] < len(online) // 3 or not any(v.casting for v in online):
            time.sleep(0.005)
        server.kill9()
        server.start()
        restarted.set()
        for t in threads:
            t.join(300)
        assert not errors, errors[:5]
        voters += online
        # What the insider sees during voting: the xmin join, marks to envelopes.
        engine = create_engine(url)
        with engine.connect() as conn:
            joined = conn.execute(
                text(
                    "SELECT p.voter_key, s.box, p.xmin::text::bigint FROM participation p "
                    "JOIN sealed_ballot s ON s.round_id = p.round_id AND s.xmin = p.xmin"
                )
            ).all()
            sizes = {len(r[0]) for r in conn.execute(text("SELECT box FROM sealed_ballot"))}
        engine.dispose()
    finally:
        server.stop()
    # Marks of roll and code voters name their entry id: fill them in from the database.
    from app import create_app
    from decide.extensions import db
    from decide.services import voting
    from tests.voting.helpers import close_and_open

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secret,
            "RECEIPT_KEY_FILE": str(instance / "receipt_key.pem"),
        }
    )
    with app.app_context():
        key = voting.load_server_key(app.config["RECEIPT_KEY_FILE"])
        from decide.models import Round

        close_and_open(db.session, db.session.get(Round, round_id), key)
        db.session.remove()
    yield Election(
        url,
        round_id,
        voters,
        (work / "access.log").read_text(),
        (work / "error.log").read_text(),
        [(m, bytes(b), x) for m, b, x in joined],
        sizes,
        app,
        key,
    )
    with app.app_context():
        db.engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _query(e: Election, sql: str) -> list[Any]:
    engine = create_engine(e.url)
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    engine.dispose()
    return rows


# --- The count: nothing lost, nothing twice ---------------------------------------------------


def test_kill_9_loses_no_issued_receipt(election: Election) -> None:
    """Every receipt a client received is on the board; one ballot per mark; none twice."""
    e = election
    assert len(e.voters) == 4 * PER_ROUTE
    assert all(v.receipt is not None for v in e.voters)
    assert all(verify_receipt(e.key.public_key_bytes, v.receipt) for v in e.voters)
    board = {
        bytes(t): bytes(c) for t, c in _query(e, "SELECT tracker, commitment FROM board_entry")
    }
    assert {v.receipt.receipt.tracker: v.receipt.receipt.commitment for v in e.voters} == board
    marks = _query(e, f"SELECT count(*) FROM participation WHERE round_id = {e.round_id}")[0][0]
    listed = _query(e, f"SELECT count(*) FROM ballot WHERE round_id = {e.round_id}")[0][0]
    assert marks == listed == len(board) == 4 * PER_ROUTE
    assert _query(e, "SELECT count(*) FROM sealed_ballot")[0][0] == 0
    assert any(v.outcome for v in e.voters), "the kill -9 hit no cast in flight"


# --- The attacks ------------------------------------------------------------------------------


def test_xmin_join_links_nothing(election: Election) -> None:
    """During voting the xmin join pairs a mark with ciphertext only; after close, nothing."""
    e = election
    assert e.sealed_before_close, "the join found no pairs: the test did not look"
    assert len(e.envelope_sizes) == 1  # every envelope the same size: length says nothing
    fragments = [b'"projects"', b'"route"', b'"salt"', b'"tracker"', b"online", b"paper"]
    for _, box, _ in e.sealed_before_close:
        assert not any(f in box for f in fragments)
    # Without the key the pairs are useless; with this run's voters known, guessing each
    # paired voter's choices from the ciphertext does no better than chance: every voter is
    # paired with a different, equally long, random-looking box.
    assert len({box for _, box, _ in e.sealed_before_close}) == len(e.sealed_before_close)
    # After close the list and the board were written by the closing transaction alone.
    mark_xmins = {r[0] for r in _query(e, "SELECT xmin::text FROM participation")}
    for table in ("ballot", "board_entry"):
        xmins = {r[0] for r in _query(e, f"SELECT xmin::text FROM {table}")}
        assert len(xmins) == 1 and not xmins & mark_xmins


def _positions(e: Election) -> tuple[dict[str, int], dict[bytes, int], dict[bytes, int]]:
    marks = {
        m: i
        for i, (m,) in enumerate(
            _query(
                e,
                f"SELECT voter_key FROM participation WHERE round_id = {e.round_id} ORDER BY ctid",
            )
        )
    }
    board = {
        bytes(t): i
        for i, (t,) in enumerate(_query(e, "SELECT tracker FROM board_entry ORDER BY ctid"))
    }
    listed = {}
    for i, (data,) in enumerate(_query(e, "SELECT ballot_bytes FROM ballot ORDER BY ctid")):
        listed.setdefault(bytes(data), i)
    return marks, board, listed


def test_board_order_against_physical_order(election: Election) -> None:
    """Marks' physical order (ctid) against the board's and the list's: |rho| < 0.25."""
    from ballots.canonical import canonical_ballot_bytes
    from ballots.model import Ballot

    e = election
    marks, board, listed = _positions(e)
    by_mark = [marks[v.mark] for v in e.voters]
    by_board = [board[v.receipt.receipt.tracker] for v in e.voters]
    rho = spearman([float(x) for x in by_mark], [float(x) for x in by_board])
    assert abs(rho) < 0.25, rho
    # The list: each voter's ballot bytes (identical ballots share the first position, and
    # count as ties in the rank correlation).
    by_list = [
        float(listed[canonical_ballot_bytes("approval", Ballot("", tuple(v.choices)))])
        for v in e.voters
    ]
    rho = spearman([float(x) for x in by_mark], by_list)
    assert abs(rho) < 0.25, rho


def test_no_timestamps_link(election: Election) -> None:
    """No time or sequence column on the envelope or the board; the list has one day."""
    e = election
    columns = _query(
        e,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name IN "
        "('sealed_ballot', 'board_entry', 'ballot', 'participation')",
    )
    timed = {(t, c) for t, c, kind in columns if "time" in kind or kind == "date"}
    assert timed == {("ballot", "cast_on"), ("participation", "voted_on")}
    assert len(_query(e, "SELECT DISTINCT cast_on FROM ballot")) == 1
    sequences = _query(
        e,
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name IN ('sealed_ballot', 'board_entry') "
        "AND column_default LIKE 'nextval%'",
    )
    assert sequences == []


def test_choice_order_is_canonical(election: Election) -> None:
    """Stored choices follow project ids, never a voter's display order."""
    e = election
    stored = [json.loads(t)["projects"] for (t,) in _query(e, "SELECT choices_json FROM ballot")]
    assert all(p == sorted(p) for p in stored)
    shuffled = [v for v in e.voters if len(v.choices) > 1 and v.choices != sorted(v.choices)]
    assert shuffled, "no voter saw a shuffled order: the test did not look"
    # Each such voter's display-ordered choices appear in no stored ballot.
    assert not {tuple(v.choices) for v in shuffled} & {tuple(p) for p in stored}


def test_access_log_holds_no_tracker(election: Election) -> None:
    """Neither the access log nor the error log holds any voter's tracker in any form."""
    e = election
    logs = (e.access_log + e.error_log).upper()
    assert "/CAST" in logs  # the access log was written
    for v in e.voters:
        t = v.receipt.receipt.tracker
        for form in (t.hex(), tracker_code(t), tracker_code_full(t)):
            assert form.upper() not in logs
            assert form.replace("-", "").upper() not in logs
        assert v.receipt.receipt.commitment.hex().upper() not in logs


def test_brute_force_from_receipt(election: Election) -> None:
    """Hashing every possible ballot finds none behind any receipt's commitment."""
    from audits.board import commitment
    from ballots.canonical import canonical_ballot_bytes
    from ballots.model import Ballot

    e = election
    space = [
        canonical_ballot_bytes("approval", Ballot("", combo))
        for k in range(1, MAX_CHOICES + 1)
        for combo in itertools.combinations(PROJECTS, k)
    ]
    assert len(space) == 8 + 28 + 56
    hits = 0
    for v in e.voters[:: 4 * PER_ROUTE // 25]:
        r = v.receipt.receipt
        guesses = [b"\x00" * 32, r.tracker.ljust(32, b"\x00"), hashlib.sha256(r.tracker).digest()]
        for data in space:
            unsalted = hashlib.sha256(
                b"decide/commit/v1\x00" + struct.pack(">Q", len(data)) + data
            ).digest()
            hits += unsalted == r.commitment
            hits += sum(commitment(g, data) == r.commitment for g in guesses)
    assert hits == 0

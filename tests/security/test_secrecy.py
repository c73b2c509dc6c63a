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

import base64
import hashlib
import http.client
import itertools
import json
import os
import re
import secrets
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import create_engine, text

from audits.chain import tracker_code, tracker_code_full
from audits.receipts import SignedReceipt, verify_receipt
from tests.conftest import IN_CI, PG_URL, _probe_postgres
from tests.helpers.stats import spearman

pytestmark = [pytest.mark.xdist_group("secrecy"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PER_ROUTE = 75
PROJECTS = [f"S{i}" for i in range(1, 9)]
MAX_CHOICES = 3
PASSWORD = "correct horse battery staple"


@dataclass
class Voter:
    """One simulated voter."""

    route: str  # account, roll, code, paper
    mark: str  # the participation mark's key: what the insider sees
    login: dict[str, str] = field(default_factory=dict)
    display: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    receipt: SignedReceipt | None = None
    outcome: str = ""


class Browser:
    """One voter's browser: a connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return response.status, data, response.headers


def _field(html: str, name: str) -> str:
    if name == "csrf_token":
        match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    else:
        match = re.search(rf'name="{name}"[^>]*? value="([^"]*)"', html)
    if not match:
        raise AssertionError(f"no field {name} in page: {html[:400]}")
    return unescape(match.group(1))


def _receipt_in(page: str) -> SignedReceipt:
    match = re.search(r'href="data:application/json;base64,([^"]+)"', page)
    assert match, page[:400]
    return SignedReceipt.from_json(base64.b64decode(match.group(1)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn (2 workers x 4 threads) with the access log on, as deployments run it."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir, self.port = env, log_dir, _free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers", "2", "--worker-class", "gthread", "--threads", "4",
            "--bind", f"127.0.0.1:{self.port}",
            "--access-logfile", str(self.log_dir / "access.log"),
            "--error-logfile", str(self.log_dir / "error.log"),
            "app:create_app()",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            assert self.proc.poll() is None, (self.log_dir / "error.log").read_text()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


@dataclass
class Election:
    """What the attacks look at: the database, the voters, the logs."""

    url: str
    round_id: int
    voters: list[Voter]
    access_log: str
    error_log: str
    sealed_before_close: list[tuple[str, bytes, int]]  # (mark, box, xmin) joined on xmin
    envelope_sizes: set[int]
    app: Any
    key: Any


def _born(i: int) -> str:
    return f"{1950 + i % 50}-{1 + i % 9:02d}-{10 + i % 9}"


def _seed(url: str, secret: str, instance: Path) -> tuple[int, list[Voter], dict[str, str]]:
    """Create the schema, the round, and the voters' credentials for every route."""
    import datetime as dt

    from werkzeug.security import generate_password_hash

    from app import create_app
    from decide.extensions import db
    from decide.models import Area, PostcodeArea, Project, Round, User
    from decide.services import eligibility as elig
    from decide.services import register, register_setup, voter_roll

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "TESTING": False})
    with app.app_context():
        db.create_all()
        area = Area(name="Secrecy ward", slug="secrecy-ward", population=1000, deprivation_decile=5)
        db.session.add(area)
        db.session.flush()
        db.session.add(PostcodeArea(postcode="SX1 1AA", area_id=area.id))
        rnd = Round(
            title="Secrecy round", slug="secrecy-round", budget_pence=2_000_000,
            phase="deliberation",
            ballot_kind="approval", min_choices=1, max_choices=MAX_CHOICES,
        )  # fmt: skip
        rnd.areas = [area]
        rnd.projects = [
            Project(code=c, position=i, title=f"Project {c}", cost_pence=300_000 + i * 1000)
            for i, c in enumerate(PROJECTS)
        ]
        db.session.add(rnd)
        fast = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        users = [
            User(
                email=f"v{i}@secrecy.example",
                display_name=f"Voter {i}",
                password_hash=fast,
                postcode="SX1 1AA",
                email_verified_at=dt.datetime.now(dt.UTC),
            )
            for i in range(PER_ROUTE)
        ]
        officer = User(email="officer@secrecy.example", display_name="Olive Officer",
                       password_hash=fast, is_officer=True)  # fmt: skip
        db.session.add_all([*users, officer])
        db.session.commit()
        round_id = rnd.id
        elig.save_settings(
            db.session, round_id, by_postcode=True, by_roll=True, by_code=True, min_age=None
        )
        # One register: everyone is on the roll, and every route marks their roll entry.
        refs = [f"R{i:04d}" for i in range(4 * PER_ROUTE)]
        roll = "reference,date_of_birth\n" + "".join(
            f"{ref},{_born(i)}\n" for i, ref in enumerate(refs)
        )
        voter_roll.upload_roll(db.session, round_id, roll, secret_key=secret)
        today = dt.date.today()
        entry = {
            ref: voter_roll.verify_roll(
                db.session, round_id, ref, dt.date.fromisoformat(_born(i)), secret_key=secret,
                today=today,
            )
            for i, ref in enumerate(refs)
        }  # fmt: skip
        for user, ref in zip(users, refs[:PER_ROUTE], strict=True):
            register.bind_account(db.session, round_id, user.id, entry[ref])
        db.session.commit()
        _, printed = register_setup.codes_for_references(
            db.session, round_id, refs[2 * PER_ROUTE : 3 * PER_ROUTE], secret_key=secret,
            label="secrecy", today=today,
        )  # fmt: skip
        batch = register_setup.issue_paper_numbers(
            db.session, round_id, PER_ROUTE, label="secrecy", today=today
        )
        numbers = [n.number for n in batch.numbers]
        db.session.commit()
        voters = [
            Voter("account", f"roll:{entry[ref].id}", {"email": u.email})
            for u, ref in zip(users, refs[:PER_ROUTE], strict=True)
        ]
        for i in range(PER_ROUTE, 2 * PER_ROUTE):
            voters.append(
                Voter("roll", f"roll:{entry[refs[i]].id}",
                      {"reference": refs[i], "date_of_birth": _born(i)})
            )  # fmt: skip
        for ref, code in printed:
            voters.append(Voter("code", f"roll:{entry[ref].id}", {"code": code}))
        for k, i in enumerate(range(3 * PER_ROUTE, 4 * PER_ROUTE)):
            voters.append(
                Voter("paper", f"roll:{entry[refs[i]].id}",
                      {"number": numbers[k], "reference": refs[i], "date_of_birth": _born(i)})
            )  # fmt: skip
        rnd = db.session.get(Round, round_id)
        rnd.phase = "voting"
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return round_id, voters, {"officer": "officer@secrecy.example"}


def _pick(rng: secrets.SystemRandom, display: list[str]) -> list[str]:
    """Choose 1 to 3 projects; keep them in the order the page showed them."""
    chosen = set(rng.sample(display, rng.randint(1, MAX_CHOICES)))
    return [c for c in display if c in chosen]


def _prepare(server: Server, voter: Voter, rid: int) -> tuple[Browser, dict[str, Any]]:
    """Identify, read the ballot page, choose and review; return the browser and cast form."""
    rng = secrets.SystemRandom()
    b = Browser(server.port)
    base = f"/rounds/{rid}/vote"
    if voter.route == "account":
        _, page, _ = b.request("GET", "/login")
        status, _, _ = b.request(
            "POST",
            "/login",
            {"csrf_token": _field(page, "csrf_token"), "email": voter.login["email"],
             "password": PASSWORD},
        )  # fmt: skip
        assert status == 302, status
    else:
        _, page, _ = b.request("GET", base)
        path = "/roll" if voter.route == "roll" else "/code"
        form = {"csrf_token": _field(page, "csrf_token"), **voter.login}
        status, _, _ = b.request("POST", base + path, form)
        assert status == 302, status
    _, page, _ = b.request("GET", base)
    token = _field(page, "csrf_token")
    voter.display = re.findall(r'name="project" value="([^"]+)"', page)
    assert sorted(voter.display) == PROJECTS, page[:400]
    voter.choices = _pick(rng, voter.display)
    _, page, _ = b.request(
        "POST", base + "/review", {"csrf_token": token, "project": voter.choices}
    )
    form = {"csrf_token": token, "choices": _field(page, "choices"), "check": _field(page, "check")}
    return b, form


def _vote_online(server: Server, voter: Voter, rid: int, restarted: threading.Event) -> None:
    """Prepare and cast; after a crash, cast again or fetch the receipt again."""
    base = f"/rounds/{rid}/vote"
    for _attempt in range(5):
        try:
            b, form = _prepare(server, voter, rid)
            break
        except (OSError, http.client.HTTPException):
            restarted.wait(60)  # nothing is stored before the cast: start again
    for _attempt in range(60):
        try:
            status, page, _ = b.request("POST", base + "/cast", form)
            if status == 409:
                # Stored before the crash, receipt never seen: the same proof gets it again.
                voter.outcome = "receipt again"
                token = {"csrf_token": form["csrf_token"]}
                status, page, _ = b.request("POST", base + "/receipt", token)
                assert status == 200, (status, page[:300])
        except (OSError, http.client.HTTPException):
            # The server died under us: wait for it, then ask again. The ballot may or may not
            # have been stored; either way one ballot, and one receipt, must come of it.
            restarted.wait(60)
            voter.outcome = voter.outcome or "retried"
            time.sleep(0.2)
            continue
        assert status == 200, f"cast: HTTP {status}: {page[:300]}"
        voter.receipt = _receipt_in(page)
        return
    raise AssertionError("the server never came back")


def _enter_paper(server: Server, rid: int, voters: list[Voter]) -> None:
    """An officer enters the paper ballots one after another, as at a polling station."""
    rng = secrets.SystemRandom()
    b = Browser(server.port)
    _, page, _ = b.request("GET", "/login")
    token = _field(page, "csrf_token")
    status, _, _ = b.request(
        "POST", "/login",
        {"csrf_token": token, "email": "officer@secrecy.example", "password": PASSWORD},
    )  # fmt: skip
    assert status == 302
    for voter in voters:
        _, page, _ = b.request("GET", f"/rounds/{rid}/paper")
        voter.display = re.findall(r'name="project" value="([^"]+)"', page)
        voter.choices = _pick(rng, voter.display)
        status, page, _ = b.request(
            "POST", f"/rounds/{rid}/paper",
            {"csrf_token": _field(page, "csrf_token"), "project": voter.choices, **voter.login},
        )  # fmt: skip
        assert status == 200, page[:600]
        voter.receipt = _receipt_in(page)


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
    round_id, everyone, _ = _seed(url, secret, instance)
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
        _enter_paper(server, round_id, paper)
        voters = list(paper)
        # The online voters, 12 at a time, with a SIGKILL of every gunicorn process once a
        # third of them have cast.
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
                    _vote_online(server, voter, round_id, restarted)
                except Exception as exc:  # asserted on below
                    errors.append(f"{voter.route}: {exc!r}")
                with lock:
                    completed[0] += 1

        threads = [threading.Thread(target=worker) for _ in range(12)]
        for t in threads:
            t.start()
        while completed[0] < len(online) // 3:
            time.sleep(0.02)
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
    """Marks' physical order (ctid) against the board's and the list's: |rho| < 0.2."""
    from ballots.canonical import canonical_ballot_bytes
    from ballots.model import Ballot

    e = election
    marks, board, listed = _positions(e)
    by_mark = [marks[v.mark] for v in e.voters]
    by_board = [board[v.receipt.receipt.tracker] for v in e.voters]
    rho = spearman([float(x) for x in by_mark], [float(x) for x in by_board])
    assert abs(rho) < 0.2, rho
    # The list: each voter's ballot bytes (identical ballots share the first position; add
    # the voter's index as a tie-break so ranks are distinct).
    by_list = [
        listed[canonical_ballot_bytes("approval", Ballot("", tuple(v.choices)))] + i / 1000
        for i, v in enumerate(e.voters)
    ]
    rho = spearman([float(x) for x in by_mark], by_list)
    assert abs(rho) < 0.2, rho


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

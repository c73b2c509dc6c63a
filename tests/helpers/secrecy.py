"""The election behind tests/security/test_secrecy.py: voters, browsers, a gunicorn server.

Each simulated voter keeps what the insider would see of them (their register key) and what
only the test knows (the order the ballot page showed, the choices, the receipt received).
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from audits.receipts import SignedReceipt

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
    casting: bool = False  # a cast request of theirs is in flight (the kill waits for one)


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


def field_value(html: str, name: str) -> str:
    if name == "csrf_token":
        match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    else:
        match = re.search(rf'name="{name}"[^>]*? value="([^"]*)"', html)
    if not match:
        raise AssertionError(f"no field {name} in page: {html[:400]}")
    return unescape(match.group(1))


def receipt_in(page: str) -> SignedReceipt:
    match = re.search(r'href="data:application/json;base64,([^"]+)"', page)
    assert match, page[:400]
    return SignedReceipt.from_json(base64.b64decode(match.group(1)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn (2 workers x 4 threads) with the access log on, as deployments run it."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir, self.port = env, log_dir, free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config", "python:decide.web.gunicorn_config",
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


def born(i: int) -> str:
    return f"{1950 + i % 50}-{1 + i % 9:02d}-{10 + i % 9}"


def seed_election(url: str, secret: str, instance: Path) -> tuple[int, list[Voter], dict[str, str]]:
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
            f"{ref},{born(i)}\n" for i, ref in enumerate(refs)
        )
        voter_roll.upload_roll(db.session, round_id, roll, secret_key=secret)
        today = dt.date.today()
        entry = {
            ref: voter_roll.verify_roll(
                db.session, round_id, ref, dt.date.fromisoformat(born(i)), secret_key=secret,
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
                      {"reference": refs[i], "date_of_birth": born(i)})
            )  # fmt: skip
        for ref, code in printed:
            voters.append(Voter("code", f"roll:{entry[ref].id}", {"code": code}))
        for k, i in enumerate(range(3 * PER_ROUTE, 4 * PER_ROUTE)):
            voters.append(
                Voter("paper", f"roll:{entry[refs[i]].id}",
                      {"number": numbers[k], "reference": refs[i], "date_of_birth": born(i)})
            )  # fmt: skip
        rnd = db.session.get(Round, round_id)
        rnd.phase = "voting"
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return round_id, voters, {"officer": "officer@secrecy.example"}


def pick(rng: secrets.SystemRandom, display: list[str]) -> list[str]:
    """Choose 1 to 3 projects; keep them in the order the page showed them."""
    chosen = set(rng.sample(display, rng.randint(1, MAX_CHOICES)))
    return [c for c in display if c in chosen]


def prepare(server: Server, voter: Voter, rid: int) -> tuple[Browser, dict[str, Any]]:
    """Identify, read the ballot page, choose and review; return the browser and cast form."""
    rng = secrets.SystemRandom()
    b = Browser(server.port)
    base = f"/rounds/{rid}/vote"
    if voter.route == "account":
        _, page, _ = b.request("GET", "/login")
        status, _, _ = b.request(
            "POST",
            "/login",
            {"csrf_token": field_value(page, "csrf_token"), "email": voter.login["email"],
             "password": PASSWORD},
        )  # fmt: skip
        assert status == 302, status
    else:
        _, page, _ = b.request("GET", base)
        path = "/roll" if voter.route == "roll" else "/code"
        form = {"csrf_token": field_value(page, "csrf_token"), **voter.login}
        status, _, _ = b.request("POST", base + path, form)
        assert status == 302, status
    _, page, _ = b.request("GET", base)
    token = field_value(page, "csrf_token")
    voter.display = re.findall(r'name="project" value="([^"]+)"', page)
    assert sorted(voter.display) == PROJECTS, page[:400]
    voter.choices = pick(rng, voter.display)
    _, page, _ = b.request(
        "POST", base + "/review", {"csrf_token": token, "project": voter.choices}
    )
    form = {
        "csrf_token": token,
        "choices": field_value(page, "choices"),
        "check": field_value(page, "check"),
    }
    return b, form


def vote_online(server: Server, voter: Voter, rid: int, restarted: threading.Event) -> None:
    """Prepare and cast; after a crash, cast again or fetch the receipt again."""
    base = f"/rounds/{rid}/vote"
    for _attempt in range(5):
        try:
            b, form = prepare(server, voter, rid)
            break
        except (OSError, http.client.HTTPException):
            restarted.wait(60)  # nothing is stored before the cast: start again
    for _attempt in range(60):
        try:
            voter.casting = True
            try:
                status, page, _ = b.request("POST", base + "/cast", form)
            finally:
                voter.casting = False
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
        voter.receipt = receipt_in(page)
        return
    raise AssertionError("the server never came back")


def enter_paper(server: Server, rid: int, voters: list[Voter]) -> None:
    """An officer enters the paper ballots one after another, as at a polling station."""
    rng = secrets.SystemRandom()
    b = Browser(server.port)
    _, page, _ = b.request("GET", "/login")
    token = field_value(page, "csrf_token")
    status, _, _ = b.request(
        "POST", "/login",
        {"csrf_token": token, "email": "officer@secrecy.example", "password": PASSWORD},
    )  # fmt: skip
    assert status == 302
    for voter in voters:
        _, page, _ = b.request("GET", f"/rounds/{rid}/paper")
        voter.display = re.findall(r'name="project" value="([^"]+)"', page)
        voter.choices = pick(rng, voter.display)
        token = field_value(page, "csrf_token")
        status, page, _ = b.request(
            "POST", f"/rounds/{rid}/paper",
            {"csrf_token": token, "project": voter.choices, **voter.login},
        )  # fmt: skip
        assert status == 200, page[:600]
        voter.receipt = receipt_in(page)

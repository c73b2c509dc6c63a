"""Load test: N concurrent voters casting ballots through gunicorn (2 workers) on PostgreSQL.

    .venv/bin/python bench/vote_load.py --voters 100

What it does:

1. creates a fresh PostgreSQL database (default ``decide_bench`` on 127.0.0.1:5432; set
   ``DECIDE_BENCH_DATABASE_URL`` to change it) and creates the schema from the models;
2. seeds one approval round in the voting phase with six projects, eligibility by access code,
   and N one-time access codes. Voters use access codes, not accounts, so password hashing
   (deliberately slow) does not dominate the figures; every code is still checked by hash;
3. starts gunicorn with 2 workers (gthread, 4 threads each) on a free port, CSRF and rate
   limiting on (the vote and access-code rate limits are raised so one client address can
   drive N voters);
4. each of N threads (its own HTTP connection and cookie) opens the ballot page, enters its
   code, fills in the ballot and gets the review page; then all threads cast at the same moment.
   The timed request is the cast POST: one short transaction that takes the round's box lock
   shared, writes the participation mark and the sealed envelope (no chain row to lock while
   voting), and signs the receipt, which the response carries;
5. then N threads call ``/healthz`` (5 requests each) on the same stack;
6. prints ballots per second, p50 and p99 latency, the same for /healthz, and the ratios;
   then closes the round, opens the sealed box and verifies the plaintext list's hash chain
   and that every receipt's tracker is on the commitment board.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/decide_bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh_database(url: str) -> None:
    """Drop and create the benchmark database."""
    from sqlalchemy import create_engine, text

    name = urlsplit(url.replace("+psycopg", "")).path.lstrip("/")
    if not re.fullmatch(r"[a-z0-9_]+", name) or name in {"postgres", "test"}:
        raise SystemExit(f"refusing to recreate database {name!r}: use a dedicated name")
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _seed(url: str, instance: str, secret: str, voters: int) -> tuple[int, list[str]]:
    """Create the schema and one voting round with access codes; return (round id, codes)."""
    import datetime as dt

    from app import create_app
    from decide.extensions import db
    from decide.models import Project, Round
    from decide.services import access_codes
    from decide.services import eligibility as elig

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "DEBUG": False, "TESTING": False}
    )
    with app.app_context():
        db.create_all()
        rnd = Round(
            title="Benchmark round",
            slug="benchmark-round",
            budget_pence=5_000_000,
            phase="deliberation",  # who may vote is set before voting opens (then it locks)
            ballot_kind="approval",
            min_choices=1,
            max_choices=3,
        )
        rnd.projects = [
            Project(code=f"B{i}", position=i, title=f"Project {i}", cost_pence=500_000 + i * 1000)
            for i in range(1, 7)
        ]
        db.session.add(rnd)
        db.session.commit()
        elig.save_settings(
            db.session, rnd.id, by_postcode=False, by_roll=False, by_code=True, min_age=None
        )
        _, codes = access_codes.generate_codes(
            db.session, rnd.id, voters, label="bench", today=dt.date.today()
        )
        rnd.phase = "voting"
        db.session.commit()
        round_id = rnd.id
        db.session.remove()
        db.engine.dispose()
    return round_id, codes


class Client:
    """One voter's browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        """Send one request; return (status, body)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(3):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read().decode("utf-8", errors="replace")
                break
            except (ConnectionError, http.client.RemoteDisconnected):
                self.conn.close()
                if attempt == 2:
                    raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return response.status, data


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    if not match:
        raise RuntimeError(f"no field {name} in page: {html[:300]}")
    return unescape(match.group(1))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _run_voters(port: int, round_id: int, codes: list[str]) -> tuple[list[float], float, int]:
    """Prepare every voter, then cast all at once; return (latencies, wall seconds, errors)."""
    n = len(codes)
    ready = threading.Barrier(n + 1)
    go = threading.Event()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    spans: list[tuple[float, float]] = []

    def voter(i: int) -> None:
        c = Client(port)
        try:
            base = f"/rounds/{round_id}/vote"
            _, page = c.request("GET", base)
            token = _field(page, "csrf_token")
            status, _ = c.request("POST", base + "/code", {"csrf_token": token, "code": codes[i]})
            assert status == 302, status
            status, page = c.request("GET", base)
            assert "Choose the projects you support" in page, page[:500]
            picks = [f"B{1 + (i + k) % 6}" for k in range(1 + i % 3)]
            status, page = c.request(
                "POST", base + "/review", {"csrf_token": token, "project": picks}
            )
            assert status == 200, status
            form = {
                "csrf_token": token,
                "choices": _field(page, "choices"),
                "check": _field(page, "check"),
            }
        except Exception as exc:  # reported below; the barrier must still be reached
            with lock:
                errors.append(f"prepare {i}: {exc!r}")
            ready.wait()
            return
        ready.wait()
        go.wait()
        start = time.perf_counter()
        status, page = c.request("POST", base + "/cast", form)
        end = time.perf_counter()
        with lock:
            if status == 200 and "data:application/json;base64," in page:
                latencies.append(end - start)
                spans.append((start, end))
            else:
                errors.append(f"cast {i}: HTTP {status} {page[:200]!r}")

    threads = [threading.Thread(target=voter, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    ready.wait()
    go.set()
    for t in threads:
        t.join()
    for e in errors[:5]:
        print("  error:", e)
    wall = max(e for _, e in spans) - min(s for s, _ in spans) if spans else float("nan")
    return latencies, wall, len(errors)


def _run_health(port: int, threads_n: int, per_thread: int) -> tuple[list[float], float]:
    """Call /healthz from many threads at once; return (latencies, wall seconds)."""
    barrier = threading.Barrier(threads_n)
    latencies: list[float] = []
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def worker() -> None:
        c = Client(port)
        barrier.wait()
        for _ in range(per_thread):
            start = time.perf_counter()
            status, _ = c.request("GET", "/healthz")
            end = time.perf_counter()
            if status == 200:
                with lock:
                    latencies.append(end - start)
                    spans.append((start, end))

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = max(e for _, e in spans) - min(s for s, _ in spans)
    return latencies, wall


def _wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def _verify_chain(url: str, secret: str, round_id: int, instance: str) -> str:
    """Close the round, open the sealed box, and check the list's chain and the counts."""
    from app import create_app
    from decide.extensions import db
    from decide.models import Round
    from decide.services import ballot_box, voting
    from decide.services.closing import close_board

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secret,
            "RECEIPT_KEY_FILE": str(Path(instance) / "receipt_key.pem"),
        }
    )
    with app.app_context():
        key = voting.load_server_key(app.config["RECEIPT_KEY_FILE"])
        rnd = db.session.get(Round, round_id)
        rnd.phase = "closed"
        db.session.commit()
        close_board(db.session, rnd, server_key=key)
        check = ballot_box.verify_round_chain(db.session, round_id)
        counts = ballot_box.counts(db.session, round_id)
        db.engine.dispose()
    state = "verifies" if check.ok else f"FAILS: {check.reason}"
    return (
        f"{counts['ballots']} ballots opened from the sealed box, {counts['participation']} "
        f"marks; the list's hash chain {state}"
    )


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", "-n", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    args = parser.parse_args()
    url = os.environ.get("DECIDE_BENCH_DATABASE_URL", DEFAULT_URL)
    secret = secrets.token_urlsafe(32)
    instance = tempfile.mkdtemp(prefix="decide-bench-")
    print(f"database: {url} (recreated); instance folder: {instance}")
    _fresh_database(url)
    round_id, codes = _seed(url, instance, secret, args.voters)
    port = _free_port()
    env = dict(
        os.environ,
        DECIDE_DATABASE_URL=url,
        DECIDE_SECRET_KEY=secret,
        DECIDE_INSTANCE_PATH=instance,
        DECIDE_VOTE_RATE_LIMIT="100000 per minute",
        # Every voter enters their code from the same address (127.0.0.1).
        DECIDE_CODE_RATE_LIMIT="100000 per hour",
    )
    gunicorn = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--config", "python:decide.web.gunicorn_config",
        "--workers", str(args.workers),
        "--worker-class", "gthread",
        "--threads", str(args.threads),
        "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning",
        "--backlog", "2048",
        "app:create_app()",
    ]  # fmt: skip
    print(f"gunicorn: {args.workers} workers x {args.threads} threads on 127.0.0.1:{port}")
    proc = subprocess.Popen(gunicorn, cwd=ROOT, env=env, start_new_session=True)
    try:
        _wait_until_up(port, proc)
        votes, vote_wall, vote_errors = _run_voters(port, round_id, codes)
        health, health_wall = _run_health(port, args.voters, 5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    bps = len(votes) / vote_wall
    hps = len(health) / health_wall
    ms = 1000.0
    print(f"voters: {args.voters} concurrent (access codes, CSRF on); cast errors: {vote_errors}")
    print(
        f"cast ballot : {len(votes):5d} requests  {bps:8.1f} ballots/s  "
        f"p50 {statistics.median(votes) * ms:7.1f} ms  p99 {_percentile(votes, 0.99) * ms:7.1f} ms"
    )
    h50, h99 = statistics.median(health) * ms, _percentile(health, 0.99) * ms
    print(
        f"/healthz    : {len(health):5d} requests  {hps:8.1f} requests/s "
        f"p50 {h50:7.1f} ms  p99 {h99:7.1f} ms"
    )
    print(
        f"ratio       : /healthz throughput is {hps / bps:.1f}x ballots/s; cast p50 is "
        f"{statistics.median(votes) / statistics.median(health):.1f}x /healthz p50"
    )
    print(
        f"target      : ballots/s >= a quarter of /healthz's requests/s: "
        f"{'met' if bps >= hps / 4 else 'NOT met'} ({bps / hps:.2f})"
    )
    print("board       :", _verify_chain(url, secret, round_id, instance))
    return 0 if vote_errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

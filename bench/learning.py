"""Benchmark: the learning dashboard and open-data downloads against /healthz, on PostgreSQL.

    .venv/bin/python bench/learning.py [--rounds 20] [--ballots 200000] [--requests 200]

What it does:

1. recreates a PostgreSQL database (default ``decide_bench_learning`` on 127.0.0.1:5432; set
   ``DECIDE_BENCH_DATABASE_URL`` to change it) and creates the schema from the models;
2. seeds, with bulk inserts, six areas, nine organisations of every partner type, and R
   published rounds sharing B ballots in all (12 projects each, approval ballots; rules
   alternate between greedy and equal shares, computed by decide's own rules). Each round gets
   its ballots (chained rows in the ballot table), its participation marks (a third of the
   voters are accounts with a postcode, so participation by area has something to count), a
   manifest with its ballots.pb, ledger payments for its funded projects, two milestones per
   funded project and impact figures. Seeding takes minutes; it is not part of the test suite;
3. starts gunicorn (2 workers x 4 threads) on a free port, requests every measured URL a few
   times so that each worker has built its cached figures (the dashboard's facts are rebuilt
   only when a table they read changes, never per request), then measures, in one run,
   ``/learning``, a filtered ``/learning``, and each open-data download: p50, p95 and
   requests per second, with 4 client threads, each right after a run of ``/healthz`` so
   that both meet the same load on a shared machine;
4. prints a table and whether the target holds: the dashboard's p50 under 5 times /healthz's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The same server plumbing as the voting benchmark.
from bench.vote_load import _free_port, _fresh_database, _percentile, _wait_until_up  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/decide_bench_learning"
KINDS = ("charity", "faith", "sports", "tenants", "statutory", "research", "community-group")
PROJECTS_PER_ROUND = 12


def _ballots(rng: random.Random, n: int, codes: list[str]) -> list[tuple[str, ...]]:
    """Approval ballots with 1-4 projects, popular projects more often."""
    weights = [len(codes) - i for i in range(len(codes))]
    out = []
    for _ in range(n):
        k = rng.randint(1, 4)
        chosen = set(rng.choices(codes, weights=weights, k=k))
        out.append(tuple(sorted(chosen)))
    return out


def _manifest_and_pb(rnd, projects, ballots, rule):  # type: ignore[no-untyped-def]
    """Allocate with decide's rule; return (manifest bytes, digest, ballots.pb bytes)."""
    from audits import recompute
    from audits.manifest import Manifest, ManifestProject
    from ballots.model import Ballot, Instance, Profile
    from ballots.model import Project as CoreProject
    from ballots.pabulib import PbFile, write

    core = tuple(CoreProject(p["code"], Fraction(p["cost_pence"]), p["title"]) for p in projects)
    instance = Instance(Fraction(rnd["budget_pence"]), core, {"round": str(rnd["id"])})
    profile = Profile(
        "approval",
        tuple(Ballot(secrets.token_hex(16), b, None, {}) for b in ballots),
    )
    tie = {"kind": "lex", "seed": None}
    allocation = recompute.allocation(rule, instance, profile, {}, tie)
    pb = write(PbFile(instance=instance, profile=profile)).encode("utf-8")
    m = Manifest(
        round_id=str(rnd["id"]), title=rnd["title"], budget=instance.budget, currency="GBP",
        ballot={"kind": "approval"}, rule=rule, rule_parameters={}, tie_break=tie,
        projects=tuple(ManifestProject(p.id, p.name, p.cost) for p in core),
        ballot_count=len(ballots), ballots_by_channel={"sealed": len(ballots)},
        files={"ballots.pb": hashlib.sha256(pb).hexdigest()}, merkle_root="0" * 64,
        chain_head="0" * 64, tally={}, allocation=allocation.amounts,
        software_version="bench", server_public_key="0" * 64, threshold=2,
    )  # fmt: skip
    return m.to_json_bytes(), m.digest_hex(), pb, allocation.amounts


def _seed_delivery(s, rng, rnd, amounts, author, now, year):  # type: ignore[no-untyped-def]
    """Pay half of each funded project, plan two milestones and report one impact figure."""
    from decide.models import ImpactFigure, LedgerPayment, Milestone, OutcomeMeasure, Project

    measure = OutcomeMeasure(round_id=rnd.id, position=0, name="People reached", unit="people")
    s.add(measure)
    s.flush()
    by_code = {p.code: p for p in s.query(Project).filter_by(round_id=rnd.id)}
    for seq, (code, amount) in enumerate(sorted(amounts.items()), start=1):
        project = by_code[code]
        half = int(amount) // 2
        s.add(LedgerPayment(
            round_id=rnd.id, sequence=seq, project_code=code,
            organisation=f"Organisation {project.organisation_id}", amount_pence=half,
            paid_on=dt.date(year, 6, 1), bank_reference_sha256="0" * 64,
            approver="Bench", hash=secrets.token_hex(32), reason="bench",
        ))  # fmt: skip
        for k, status in enumerate(("completed", rng.choice(("on-track", "delayed")))):
            s.add(Milestone(
                project_id=project.id, position=k, title=f"Stage {k + 1}",
                planned_on=dt.date(year, 6 + k * 3, 1), tranche_pence=half, status=status,
            ))  # fmt: skip
        s.add(ImpactFigure(
            measure_id=measure.id, project_id=project.id, value=str(rng.randint(10, 300)),
            organisation_id=project.organisation_id, author_id=author, created_at=now,
        ))  # fmt: skip


def _seed(url: str, secret: str, n_rounds: int, n_ballots: int) -> None:
    """Create the schema and the published rounds (bulk inserts)."""
    from sqlalchemy import insert

    from app import create_app
    from decide.demo.catalogue import AREAS  # the demo's six wards
    from decide.extensions import db
    from decide.models import (
        Area,
        Ballot,
        Organisation,
        Participation,
        PostcodeArea,
        Project,
        Proposal,
        Round,
        RoundManifest,
        User,
    )  # fmt: skip

    rng = random.Random(20261204)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "DEBUG": False, "TESTING": False}
    )
    now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    with app.app_context():
        db.create_all()
        s = db.session
        s.execute(insert(Area), [
            {"slug": a, "name": n, "population": p, "deprivation_decile": d}
            for a, (n, p, d) in AREAS.items()
        ])  # fmt: skip
        area_ids = [a.id for a in s.query(Area).order_by(Area.id)]
        s.execute(insert(PostcodeArea), [
            {"round_id": None, "postcode": f"NB{i + 1} 1AA", "area_id": area_ids[i]}
            for i in range(len(area_ids))
        ])  # fmt: skip
        s.execute(insert(Organisation), [
            {"name": f"Organisation {i}", "slug": f"org-{i}", "kind": KINDS[i % len(KINDS)],
             "description": ""} for i in range(9)
        ])  # fmt: skip
        org_ids = [o.id for o in s.query(Organisation).order_by(Organisation.id)]
        n_users = 3_000
        s.execute(insert(User), [
            {"email": f"bench{i}@example.org", "display_name": f"Bench {i}",
             "password_hash": "x", "postcode": f"NB{i % len(AREAS) + 1} 1AA"}
            for i in range(n_users)
        ])  # fmt: skip
        user_ids = [u for (u,) in s.query(User.id).order_by(User.id)]
        author = user_ids[0]
        per_round = n_ballots // n_rounds
        for r in range(n_rounds):
            title = f"Community health fund {2007 + r}"
            rnd = Round(
                title=title, slug=f"fund-{2007 + r}", budget_pence=6_000_000, phase="draft",
                ballot_kind="approval", voting_close=dt.date(2007 + r, 3, 1),
                allocation_rule="greedy" if r % 2 else "equal-shares",
            )  # fmt: skip
            s.add(rnd)
            s.flush()
            projects = []
            for i in range(PROJECTS_PER_ROUND):
                org = None if i % 5 == 4 else org_ids[(i + r) % len(org_ids)]
                proposal = Proposal(
                    round_id=rnd.id, author_id=author, organisation_id=org,
                    area_id=area_ids[(i + r) % len(area_ids)], title=f"Project {r}-{i}",
                    summary="A benchmark project", feasibility="feasible",
                )  # fmt: skip
                s.add(proposal)
                s.flush()
                projects.append({
                    "round_id": rnd.id, "proposal_id": proposal.id, "code": f"P{i + 1}",
                    "position": i, "title": proposal.title,
                    "cost_pence": 400_000 + rng.randrange(0, 80) * 10_000,
                    "area_id": proposal.area_id, "organisation_id": org or org_ids[4],
                })  # fmt: skip
            s.execute(insert(Project), projects)
            ballots = _ballots(rng, per_round, [p["code"] for p in projects])
            rule = rnd.allocation_rule
            manifest, digest, pb, amounts = _manifest_and_pb(
                {"id": rnd.id, "title": title, "budget_pence": rnd.budget_pence},
                projects, ballots, rule,
            )  # fmt: skip
            s.execute(insert(Ballot), [
                {"round_id": rnd.id, "sequence": k + 1, "tracker": secrets.token_bytes(16),
                 "ballot_bytes": ",".join(b).encode(), "choices_json": "{}",
                 "channel": "online", "cast_on": dt.date(2007 + r, 2, 1),
                 "leaf": secrets.token_bytes(32), "head": secrets.token_bytes(32)}
                for k, b in enumerate(ballots)
            ])  # fmt: skip
            accounts = rng.sample(user_ids, min(len(user_ids), per_round // 3))
            marks = [f"user:{u}" for u in accounts]
            marks += [f"code:{r}-{k}" for k in range(per_round - len(marks))]
            s.execute(insert(Participation), [
                {"round_id": rnd.id, "voter_key": key, "voted_on": dt.date(2007 + r, 2, 1),
                 "route": "account" if key.startswith("user") else "code"} for key in marks
            ])  # fmt: skip
            s.add(RoundManifest(
                round_id=rnd.id, digest=digest, manifest_json=manifest, ballots_pb=pb,
                keys_json=b"{}", area_deciles_json="{}", created_at=now + dt.timedelta(days=r),
            ))  # fmt: skip
            rnd.phase = "delivery" if r < n_rounds - 1 else "published"
            s.flush()
            _seed_delivery(s, rng, rnd, amounts, author, now, 2007 + r)
            s.commit()
            print(f"  seeded round {r + 1}/{n_rounds}: {per_round} ballots, rule {rule}")
        db.session.remove()
        db.engine.dispose()


def _get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


def _measure(port: int, path: str, threads_n: int, per_thread: int) -> tuple[list[float], float]:
    """GET `path` from several threads at once; return (latencies, wall seconds)."""
    barrier = threading.Barrier(threads_n)
    latencies: list[float] = []
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    errors: list[int] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        barrier.wait()
        for _ in range(per_thread):
            start = time.perf_counter()
            status = _get(conn, path)
            end = time.perf_counter()
            with lock:
                if status != 200:
                    errors.append(status)
                latencies.append(end - start)
                spans.append((start, end))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{path}: {len(errors)} errors (first status {errors[0]})")
    return latencies, max(e for _, e in spans) - min(s for s, _ in spans)


def _paths(n_rounds: int) -> list[str]:
    from decide.services.opendata import DATASETS

    last = f"fund-{2007 + n_rounds - 1}"
    paths = ["/healthz", "/learning", "/learning?decile=1&partner=resident", "/data",
             "/data/datapackage.json", f"/data/rounds/{last}/datapackage.json",
             f"/data/rounds/{last}/ballots.pb", "/feed.atom"]  # fmt: skip
    for d in DATASETS:
        paths += [f"/data/{d.name}.csv", f"/data/{d.name}.json"]
    return paths


def main() -> int:
    """Seed, serve, measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--ballots", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per URL")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--no-seed", action="store_true", help="reuse the seeded database")
    args = parser.parse_args()
    url = os.environ.get("DECIDE_BENCH_DATABASE_URL", DEFAULT_URL)
    secret = secrets.token_urlsafe(32)
    instance = tempfile.mkdtemp(prefix="decide-bench-")
    if not args.no_seed:
        print(f"database: {url} (recreated)")
        started = time.perf_counter()
        _fresh_database(url)
        _seed(url, secret, args.rounds, args.ballots)
        print(f"seeded in {time.perf_counter() - started:.0f} s")
    port = _free_port()
    env = dict(os.environ, DECIDE_DATABASE_URL=url, DECIDE_SECRET_KEY=secret,
               DECIDE_INSTANCE_PATH=instance)  # fmt: skip
    gunicorn = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--config", "python:decide.web.gunicorn_config", "--workers", "2",
        "--worker-class", "gthread", "--threads", "4", "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning", "app:create_app()",
    ]  # fmt: skip
    proc = subprocess.Popen(gunicorn, cwd=ROOT, env=env, start_new_session=True)
    rows = []
    try:
        _wait_until_up(port, proc)
        paths = _paths(args.rounds)
        for path in paths:  # each worker builds its cached figures and files once
            _measure(port, path, args.clients, 2)
        per_thread = max(1, args.requests // args.clients)
        for path in paths[1:]:
            # /healthz just before each URL, so both meet the same load on a shared machine.
            health, _ = _measure(port, "/healthz", args.clients, per_thread)
            latencies, wall = _measure(port, path, args.clients, per_thread)
            rows.append((path, latencies, len(latencies) / wall, health))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    ms = 1000.0
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'URL':46s} {'p50 ms':>7s} {'p95 ms':>7s} {'req/s':>7s} "
          f"{'/healthz p50 ms':>15s} {'p50 / healthz':>13s}")  # fmt: skip
    for path, latencies, rps, health in rows:
        p50, h50 = statistics.median(latencies), statistics.median(health)
        print(f"{path:46s} {p50 * ms:7.1f} {_percentile(latencies, 0.95) * ms:7.1f} "
              f"{rps:7.1f} {h50 * ms:15.1f} {p50 / h50:12.1f}x")  # fmt: skip
    ratio = statistics.median(rows[0][1]) / statistics.median(rows[0][3])
    print(f"target: /learning p50 under 5x /healthz p50: {'met' if ratio < 5 else 'NOT met'} "
          f"({ratio:.1f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

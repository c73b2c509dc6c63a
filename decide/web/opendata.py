"""Open data: every public dataset as CSV and JSON at stable URLs, data packages, .pb, Atom.

All public, no login. The addresses never change shape:
`/data/<dataset>.csv|json`, `/data/datapackage.json`, `/data/rounds/<slug>/<dataset>.csv|json`,
`/data/rounds/<slug>/datapackage.json`, `/data/rounds/<slug>/ballots.pb` and `/feed.atom`.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template

from decide.extensions import db
from decide.services import opendata_files as files
from decide.services.opendata import DATASETS, LICENCE, Dataset, dataset

bp = Blueprint("opendata", __name__)

CSV = "text/csv"  # Flask adds "; charset=utf-8" to a text type itself
JSON = "application/json"


def _found(name: str, *, per_round: bool) -> Dataset:
    ds = dataset(name, per_round=per_round)
    if ds is None:
        abort(404)
    return ds


def _round(slug: str) -> str:
    if not files.round_exists(db.session, slug):
        abort(404)
    return slug


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Access-Control-Allow-Origin": "*",
        },
    )


@bp.get("/data")
def index() -> str:
    """List every dataset, the data packages, the ballot files and the feed, with the licence."""
    known = files.site_facts(db.session)
    return render_template(
        "opendata/index.html", datasets=DATASETS, licence=LICENCE, rounds=known.rounds
    )


@bp.get("/data/<name>.csv")
def site_csv(name: str) -> Response:
    """Download a dataset of the whole site as CSV."""
    ds = _found(name, per_round=False)
    return _download(files.csv_bytes(db.session, ds), CSV, f"{ds.name}.csv")


@bp.get("/data/<name>.json")
def site_json(name: str) -> Response:
    """Download a dataset of the whole site as JSON."""
    ds = _found(name, per_round=False)
    return _download(files.json_bytes(db.session, ds), JSON, f"{ds.name}.json")


@bp.get("/data/datapackage.json")
def site_package() -> Response:
    """The site's Frictionless Data Package (every dataset, as CSV resources)."""
    body = json.dumps(files.datapackage(db.session), indent=1, sort_keys=True)
    return _download(body.encode("utf-8"), JSON, "datapackage.json")


@bp.get("/data/rounds/<slug>/<name>.csv")
def round_csv(slug: str, name: str) -> Response:
    """Download one round's rows of a dataset as CSV."""
    ds = _found(name, per_round=True)
    return _download(files.csv_bytes(db.session, ds, _round(slug)), CSV, f"{ds.name}.csv")


@bp.get("/data/rounds/<slug>/<name>.json")
def round_json(slug: str, name: str) -> Response:
    """Download one round's rows of a dataset as JSON."""
    ds = _found(name, per_round=True)
    return _download(files.json_bytes(db.session, ds, _round(slug)), JSON, f"{ds.name}.json")


@bp.get("/data/rounds/<slug>/datapackage.json")
def round_package(slug: str) -> Response:
    """One round's Frictionless Data Package."""
    body = json.dumps(files.datapackage(db.session, _round(slug)), indent=1, sort_keys=True)
    return _download(body.encode("utf-8"), JSON, "datapackage.json")


@bp.get("/data/rounds/<slug>/ballots.pb")
def round_pb(slug: str) -> Response:
    """The published, anonymised ballots of a round (pabulib), exactly as the manifest names."""
    data = files.ballots_pb(db.session, slug)
    if data is None:
        abort(404)
    return _download(data, "text/plain", f"{slug}.pb")


@bp.get("/feed.atom")
def feed() -> Any:
    """An Atom feed of published results and project updates."""
    links = {"round": "/rounds/{id}/results", "project": "/rounds/{round_id}/projects/{code}"}
    # Ids and links start with the configured address, never the request's Host header (which
    # a client chooses): a feed reader keeps them, so they must be stable and ours.
    body = files.feed(db.session, str(current_app.config["PUBLIC_BASE_URL"]), links)
    return Response(body, mimetype="application/atom+xml")

"""Open-data files: CSV and JSON of each dataset, Frictionless data packages, the Atom feed.

Every file is built from the database once per change (`learning_cache.cached`), so downloads
cost a dictionary look-up. Bytes are deterministic: rows in a fixed order, JSON with sorted
keys, CSV with `\\r\\n` line ends (RFC 4180), so the same data gives the same file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.models import Project, Round, RoundManifest
from decide.services import learning_cache
from decide.services.learning import Facts, public_phases
from decide.services.opendata import DATASETS, LICENCE, Dataset, cell, rows_of
from decide.services.sanitise import xml_safe

__all__ = ["ballots_pb", "csv_bytes", "datapackage", "feed", "json_bytes", "site_facts"]

ATOM = "http://www.w3.org/2005/Atom"


def site_facts(session: Session) -> Facts:
    """Return the dashboard's facts (kept until the tables change)."""
    return learning_cache.current_facts(session)


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    """Return a text cell that a spreadsheet shows as text: a leading ' before a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(session: Session, ds: Dataset, round_slug: str | None = None) -> bytes:
    """Return the dataset as CSV (UTF-8, header row of field names).

    Text columns are defused against formulas; numeric columns are written as they are, so
    the figures still recompute.
    """

    def build() -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([f.name for f in ds.fields])
        text = [f.type == "string" for f in ds.fields]
        for row in rows_of(session, site_facts(session), ds, round_slug):
            writer.writerow(
                [defuse(cell(v)) if t else cell(v) for t, v in zip(text, row, strict=True)]
            )
        return out.getvalue().encode("utf-8")

    return learning_cache.cached(session, ("csv", ds.name, round_slug), build)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def json_bytes(session: Session, ds: Dataset, round_slug: str | None = None) -> bytes:
    """Return the dataset as JSON: licence, schema and rows as objects."""

    def build() -> bytes:
        names = [f.name for f in ds.fields]
        rows = rows_of(session, site_facts(session), ds, round_slug)
        doc = {
            "name": ds.name,
            "title": ds.title,
            "licenses": [LICENCE],
            "schema": ds.schema(),
            "data": [{n: _json_value(v) for n, v in zip(names, row, strict=True)} for row in rows],
        }
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")

    return learning_cache.cached(session, ("json", ds.name, round_slug), build)


def datapackage(session: Session, round_slug: str | None = None) -> dict[str, Any]:
    """Return the Frictionless Data Package of the site, or of one round (resources as CSV)."""
    chosen = [d for d in DATASETS if round_slug is None or d.per_round]
    name = "decide" if round_slug is None else f"decide-{round_slug}"
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": "decide: participatory budgeting open data"
        + ("" if round_slug is None else f" for round {round_slug}"),
        "licenses": [LICENCE],
        "resources": [
            {
                "name": d.name.replace("_", "-"),
                "title": d.title,
                "path": f"{d.name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": d.schema(),
            }
            for d in chosen
        ],
    }


def round_exists(session: Session, slug: str) -> bool:
    """Return True for a round past its draft (its open data is public)."""
    rnd = session.scalar(select(Round).where(Round.slug == slug))
    return rnd is not None and not rnd.phase.is_draft


def ballots_pb(session: Session, slug: str) -> bytes | None:
    """Return the published ballots.pb of a round with public results, else None."""

    def read() -> bytes | None:
        row = session.execute(
            select(RoundManifest.ballots_pb)
            .join(Round, Round.id == RoundManifest.round_id)
            .where(Round.slug == slug, Round.phase.in_(public_phases()))
        ).first()
        return bytes(row[0]) if row is not None else None

    return learning_cache.cached(session, ("pb", slug), read, keep=lambda data: data is not None)


def _entry(feed_el: ET.Element, entry_id: str, title: str, link: str, updated: dt.datetime,
           summary: str) -> None:  # fmt: skip
    entry = ET.SubElement(feed_el, f"{{{ATOM}}}entry")
    ET.SubElement(entry, f"{{{ATOM}}}id").text = entry_id
    ET.SubElement(entry, f"{{{ATOM}}}title").text = xml_safe(title)
    ET.SubElement(entry, f"{{{ATOM}}}link", href=xml_safe(link), rel="alternate")
    ET.SubElement(entry, f"{{{ATOM}}}updated").text = _stamp(updated)
    ET.SubElement(entry, f"{{{ATOM}}}summary").text = xml_safe(summary)


def _stamp(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed(session: Session, base_url: str, links: dict[str, str]) -> bytes:
    """Return the Atom feed of published results and project updates, newest first.

    `links` gives the URL paths to use: "round" (with `{id}`) and "project" (with `{round_id}`
    and `{code}`).
    """
    from decide.models import ProgressUpdate

    base = base_url.rstrip("/")
    items: list[tuple[dt.datetime, str, str, str, str]] = []
    published = session.execute(
        select(Round, RoundManifest.created_at)
        .join(RoundManifest, RoundManifest.round_id == Round.id)
        .where(Round.phase.in_(public_phases()))
    ).all()
    for rnd, created in published:
        items.append((created, f"{base}/feed/results/{rnd.slug}", f"Results published: {rnd.title}",
                      base + links["round"].format(id=rnd.id),
                      f"The co-signed results of {rnd.title} are published."))  # fmt: skip
    updates = session.execute(
        select(ProgressUpdate, Project.title, Project.round_id, Project.code)
        .join(Project, Project.id == ProgressUpdate.project_id)
        .join(Round, Round.id == Project.round_id)
        .where(Round.phase.in_(public_phases()), ProgressUpdate.removed_at.is_(None))
        .order_by(ProgressUpdate.id.desc())
        .limit(100)
    ).all()
    for u, title, round_id, code in updates:
        items.append((u.created_at, f"{base}/feed/updates/{u.id}", f"Update: {title}",
                      base + links["project"].format(code=quote(code, safe=""), round_id=round_id),
                      u.text[:500]))  # fmt: skip
    items.sort(key=lambda i: (_stamp(i[0]), i[1]), reverse=True)
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(root, f"{{{ATOM}}}id").text = f"{base}/feed.atom"
    ET.SubElement(root, f"{{{ATOM}}}title").text = "decide: results and project updates"
    ET.SubElement(root, f"{{{ATOM}}}link", href=f"{base}/feed.atom", rel="self")
    ET.SubElement(root, f"{{{ATOM}}}link", href=f"{base}/learning", rel="alternate")
    newest = items[0][0] if items else dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ET.SubElement(root, f"{{{ATOM}}}updated").text = _stamp(newest)
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "decide"
    for when, entry_id, title, link, summary in items[:200]:
        _entry(root, entry_id, title, link, when, summary)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

"""Fixtures for delivery tests: a round with a signed-off manifest, in its published phase,
and a member of each delivering organisation.

The manifest is written by the real service; the panel's signatures and the PDF edition are
skipped (the phase is set directly), since delivery reads only the manifest's allocation.
Allocation (greedy): P1 £4,000 and P3 £2,500 to Riverside Food Bank, P2 £3,000 to
Moorfield Harriers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from decide.models import Membership, Organisation, Project, Round, User
from decide.services import manifests
from tests.publication.conftest import (  # noqa: F401 - fixtures shared with publication
    ClosedRound,
    Panel,
    _user,
    app_config,
    build_closed_round,
    fixed_trackers,
    panel_keys,
    receipt_key_file,
    register_both,
)


@dataclass
class Delivered:
    """A published round and who acts on it."""

    round: Round
    facilitator: User
    reporter: User  # a member of Riverside Food Bank (delivers P1 and P3)
    other: User  # a member of Moorfield Harriers (delivers P2)
    citizen: User

    def project(self, code: str) -> Project:
        return next(p for p in self.round.projects if p.code == code)


def publish_without_signatures(session: Any, closed: ClosedRound, panel: Panel) -> Round:
    """Write the manifest and move the round to published (no signatures, no PDF)."""
    register_both(session, closed, panel)
    manifests.write_manifest(session, closed.round)
    closed.round.phase = "published"
    session.commit()
    return closed.round


def member(session: Any, email: str, name: str, organisation: Organisation) -> User:
    user = _user(session, email, name)
    session.add(Membership(user=user, organisation=organisation))
    session.commit()
    return user


@pytest.fixture
def delivered(app: Any, db: Any, panel_keys: Panel) -> Delivered:  # noqa: F811
    closed = build_closed_round(app, db.session)
    rnd = publish_without_signatures(db.session, closed, panel_keys)
    p1, p2 = (next(p for p in rnd.projects if p.code == c) for c in ("P1", "P2"))
    reporter = member(db.session, "rita@test.example", "Rita Reporter", p1.organisation)
    other = member(db.session, "hal@test.example", "Hal Harrier", p2.organisation)
    return Delivered(rnd, closed.facilitator, reporter, other, closed.citizen)


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """Return a small JPEG carrying EXIF with a GPS position, a camera make and a date."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "Phone Maker"  # Make
    exif[0x0132] = "2027:05:01 10:00:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (53.0, 28.0, 12.5)
    gps[3] = "W"
    gps[4] = (2.0, 14.0, 3.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()

"""Fixtures for publication tests: a closed round with ballots, and two panel keys made once.

BLS in py-ecc is slow (tenths of a second per pairing), so the key pairs and their proofs of
possession are built once per session; verification results are cached by audits.bls.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import pytest

from audits.bls import BlsKeyPair, PublicKeyRecord, generate, sign_document
from audits.canonical import canonical_json
from audits.manifest import Manifest
from decide.models import (
    Area,
    Organisation,
    PanelMember,
    Project,
    Round,
    RoundManifest,
    User,
)
from decide.services import manifests, signing
from decide.services.eligibility import VoterKey
from decide.services.paper import enter_paper_ballot
from decide.services.phases import change_phase
from decide.services.register_setup import issue_paper_numbers
from decide.services.voting import cast_ballot, load_server_key
from tests.helpers.sessions import VERIFIED_AT, log_in

TODAY = dt.date(2027, 5, 10)
PATTERNS = (("P1", "P2"), ("P1",), ("P3", "P4"), ("P2", "P5"), ("P1", "P4", "P5"), ("P3",))


@pytest.fixture(scope="session")
def receipt_key_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One server key for every test, so equal boards give equal manifests (BLS caches hit)."""
    return str(tmp_path_factory.mktemp("publication") / "receipt_key.pem")


@pytest.fixture
def app_config(receipt_key_file: str, tmp_path: Any) -> dict[str, Any]:
    """Run publication and audit jobs inline so tests see their results at once."""
    return {
        "PUBLICATION_JOBS_INLINE": True,
        "RECEIPT_KEY_FILE": receipt_key_file,
        "AUDIT_JOBS_INLINE": True,
        "AUDIT_JOBS_DIR": str(tmp_path / "audit-jobs"),
    }


@pytest.fixture(autouse=True)
def fixed_trackers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Draw the box's random bytes from a counter: every test's board, and so its manifest,
    is the same."""
    import hashlib

    from decide.services import sealing

    counter = iter(range(1, 1_000_000))
    monkeypatch.setattr(
        sealing,
        "_random",
        lambda n: hashlib.sha256(next(counter).to_bytes(8, "big")).digest()[:n].ljust(n, b"\0"),
    )


@dataclass(frozen=True)
class Panel:
    """Two members' key pairs with their public records (proofs made once)."""

    keys: tuple[BlsKeyPair, BlsKeyPair]
    public: tuple[PublicKeyRecord, PublicKeyRecord]

    def public_json(self, i: int) -> bytes:
        return canonical_json(self.public[i].to_dict())


@pytest.fixture(scope="session")
def panel_keys() -> Panel:
    keys = (generate("Ada Panel", seed=b"\x11" * 32), generate("Bo Panel", seed=b"\x22" * 32))
    return Panel(keys, (keys[0].public_record(), keys[1].public_record()))


@dataclass
class ClosedRound:
    """A closed round with ballots, a confirmed rule, two panel members and a facilitator."""

    round: Round
    facilitator: User
    members: tuple[User, User]
    citizen: User
    online_tracker: bytes


def _user(session: Any, email: str, name: str, **values: Any) -> User:
    values.setdefault("email_verified_at", VERIFIED_AT)
    user = User(email=email, display_name=name, password_hash="x", **values)
    session.add(user)
    session.flush()
    return user


def build_closed_round(app: Any, session: Any, *, threshold: int = 2) -> ClosedRound:
    """Create, vote on, close and confirm a small round (rule: greedy)."""
    from decide.services.results import confirm_rule

    area = Area(name="Riverside", slug="riverside", population=10_000, deprivation_decile=1)
    other = Area(name="Moorfield", slug="moorfield", population=8_000, deprivation_decile=8)
    org = Organisation(name="Riverside Food Bank", slug="rfb", kind="charity")
    org2 = Organisation(name="Moorfield Harriers", slug="mh", kind="sports")
    session.add_all([area, other, org, org2])
    from decide.models import PostcodeArea

    session.flush()
    session.add(PostcodeArea(postcode="NB1 1AA", area_id=area.id))
    facilitator = _user(session, "fac@test.example", "Fay Facilitator", is_facilitator=True)
    members = (
        _user(session, "ada@test.example", "Ada Panel"),
        _user(session, "bo@test.example", "Bo Panel"),
    )
    citizen = _user(session, "cit@test.example", "Cy Citizen", postcode="NB1 1AA")
    rnd = Round(
        title="Health fund", slug="health-fund", budget_pence=1_000_000, phase="voting",
        ballot_kind="approval", min_choices=1, max_choices=3, allocation_rule="greedy",
        signature_threshold=threshold,
    )  # fmt: skip
    rnd.areas = [area, other]
    costs = [400_000, 300_000, 250_000, 150_000, 100_000]
    rnd.projects = [
        Project(
            code=f"P{i + 1}", position=i, title=f"Project {i + 1}", cost_pence=cost,
            area=area if i % 2 == 0 else other, organisation=org if i % 2 == 0 else org2,
        )
        for i, cost in enumerate(costs)
    ]  # fmt: skip
    session.add(rnd)
    for m in members:
        session.add(PanelMember(round=rnd, user=m))
    session.commit()
    key = load_server_key(app.config["RECEIPT_KEY_FILE"])
    receipt = cast_ballot(
        session, rnd.id, VoterKey("user", citizen.id), ["P1", "P3"], server_key=key, today=TODAY
    )
    numbers = issue_paper_numbers(session, rnd.id, 11, label="Papers", today=TODAY).numbers
    for i, paper in enumerate(numbers):
        enter_paper_ballot(
            session, rnd.id, list(PATTERNS[i % 6]), number=paper.number,
            officer_id=facilitator.id, server_key=key, today=TODAY,
        )  # fmt: skip
    change_phase(session, rnd, "closed", facilitator)
    confirm_rule(session, rnd.id, rule="greedy", reason="", actor=facilitator)
    return ClosedRound(rnd, facilitator, members, citizen, receipt.receipt.tracker)


@pytest.fixture
def closed(app: Any, db: Any) -> ClosedRound:
    return build_closed_round(app, db.session)


def register_both(session: Any, c: ClosedRound, panel: Panel) -> None:
    for i, member in enumerate(c.members):
        signing.register_key(session, c.round, member, panel.public_json(i))


def manifest_signature(row: RoundManifest, key: BlsKeyPair) -> bytes:
    """Return a signature file over the stored manifest, as decide-keys sign writes it."""
    return _sign(row.manifest_json, key)


@functools.lru_cache(maxsize=64)
def _sign(manifest_json: bytes, key: BlsKeyPair) -> bytes:
    record = sign_document(key, Manifest.from_json_bytes(manifest_json).to_dict())
    return canonical_json(record.to_dict())


def ready_to_publish(
    session: Any, c: ClosedRound, panel: Panel, *, signers: int = 2
) -> RoundManifest:
    """Register both keys, write the manifest, and have `signers` members sign it."""
    register_both(session, c, panel)
    row = manifests.write_manifest(session, c.round)
    for i in range(signers):
        signing.upload_signature(
            session, c.round, c.members[i], manifest_signature(row, panel.keys[i]),
            document_type=signing.MANIFEST_TYPE, digest=row.digest,
        )  # fmt: skip
    return row


def login(client: Any, user: User | None) -> Any:
    return log_in(client, user)


@pytest.fixture
def published(app: Any, db: Any, closed: ClosedRound, panel_keys: Panel) -> ClosedRound:
    """The closed round, ready to publish and moved to published (its first edition written)."""
    ready_to_publish(db.session, closed, panel_keys)
    change_phase(db.session, closed.round, "published", closed.facilitator)
    return closed

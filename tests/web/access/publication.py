"""Access rules for publication, ledger and auditor routes (see decide.web.publication)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from tests.web.access import FACILITATOR_ONLY, FORBIDDEN, LOGIN, PUBLIC, ROLES, Access, only

UNPROCESSABLE = "HTTP 422"
SIGNERS = only("panel_member", "facilitator")
SIGNERS_POST = {**SIGNERS, "panel_member": UNPROCESSABLE, "facilitator": UNPROCESSABLE}
EVERYONE_422 = {role: UNPROCESSABLE for role in ROLES}


def _published(w, phase: str = "published"):
    """Return (round id, checkpoint id) of a round in `phase` with a small real manifest."""
    cached = getattr(w, f"_publication_rows_{phase}", None)
    if cached:
        return cached
    from audits.manifest import Manifest
    from decide.models import Edition, LedgerCheckpoint, PanelMember, Round, RoundManifest

    s = w.session
    rnd = Round(title=f"Round {phase}", slug=f"round-{phase}", budget_pence=100_000,
                phase=phase, signature_threshold=1)  # fmt: skip
    s.add(rnd)
    s.flush()
    s.add(PanelMember(round=rnd, user=w.users["panel_member"]))
    m = Manifest(
        round_id=str(rnd.id), title=rnd.title, budget=Fraction(100_000), currency="GBP",
        ballot={"kind": "approval"}, rule="greedy", rule_parameters={},
        tie_break={"kind": "lex", "seed": None}, projects=(), ballot_count=0,
        ballots_by_channel={}, files={}, merkle_root="0" * 64, chain_head="0" * 64, tally={},
        allocation={}, software_version="test", server_public_key="0" * 64, threshold=1,
    )  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    s.add(RoundManifest(
        round_id=rnd.id, digest=m.digest_hex(), manifest_json=m.to_json_bytes(),
        ballots_pb=b"", keys_json=b'{"keys":[],"round":"1","type":"decide-keys/v1"}',
        created_at=now,
    ))  # fmt: skip
    s.add(Edition(round_id=rnd.id, number=1, reason="test", sha256="0" * 64, size=9,
                  pdf=b"%PDF-test", created_at=now))  # fmt: skip
    cp = LedgerCheckpoint(round_id=rnd.id, count=0, head="0" * 64, manifest_digest="0" * 64,
                          digest="1" * 64, created_at=now)  # fmt: skip
    s.add(cp)
    s.commit()
    setattr(w, f"_publication_rows_{phase}", (rnd.id, cp.id))
    return rnd.id, cp.id


def _pub(w) -> int:
    return _published(w)[0]


def _closed(w) -> int:
    """Return the id of a closed round whose manifest is written but not yet published."""
    return _published(w, "closed")[0]


def _cp(w) -> int:
    return _published(w)[1]


RULES = [
    Access("publication.overview", "GET", lambda w: f"/rounds/{w.round.id}/publication", PUBLIC),
    Access(
        "publication.overview",
        "GET",
        lambda w: f"/rounds/{w.draft.id}/publication",
        FACILITATOR_ONLY,
        note="draft",
    ),
    Access(
        "publication.overview",
        "GET",
        lambda w: f"/rounds/{_pub(w)}/publication",
        PUBLIC,
        note="published",
    ),
    Access(
        "publication.start_job",
        "POST",
        lambda w: f"/rounds/{_pub(w)}/publication/jobs/manifest",
        FACILITATOR_ONLY,
    ),
    Access(
        "publication.progress",
        "GET",
        lambda w: f"/rounds/{_pub(w)}/publication/progress/close",
        FACILITATOR_ONLY,
    ),
    Access(
        "publication.publish",
        "POST",
        lambda w: f"/rounds/{_pub(w)}/publication/publish",
        FACILITATOR_ONLY,
    ),
    Access(
        "publication.register_key", "GET", lambda w: f"/rounds/{_pub(w)}/publication/key", SIGNERS
    ),
    Access(
        "publication.register_key",
        "POST",
        lambda w: f"/rounds/{_pub(w)}/publication/key",
        SIGNERS_POST,
    ),
    Access("publication.sign", "GET", lambda w: f"/rounds/{_pub(w)}/publication/sign", SIGNERS),
    Access(
        "publication.sign", "POST", lambda w: f"/rounds/{_pub(w)}/publication/sign", SIGNERS_POST
    ),
    Access(
        "publication.manifest_json", "GET", lambda w: f"/rounds/{_pub(w)}/manifest.json", PUBLIC
    ),
    Access(
        "publication.manifest_json",
        "GET",
        lambda w: f"/rounds/{_closed(w)}/manifest.json",
        SIGNERS,
        note="before publication the tally is for the facilitators and the panel only",
    ),
    Access(
        "publication.signatures_json",
        "GET",
        lambda w: f"/rounds/{_closed(w)}/signatures.json",
        SIGNERS,
        note="before publication",
    ),
    Access("publication.keys_json", "GET", lambda w: f"/rounds/{_pub(w)}/keys.json", PUBLIC),
    Access(
        "publication.signatures_json", "GET", lambda w: f"/rounds/{_pub(w)}/signatures.json", PUBLIC
    ),
    Access("publication.edition_pdf", "GET", lambda w: f"/rounds/{_pub(w)}/editions/1.pdf", PUBLIC),
    Access(
        "publication.edition_pdf",
        "GET",
        lambda w: f"/rounds/{w.draft.id}/editions/1.pdf",
        {**FACILITATOR_ONLY, "facilitator": "HTTP 404"},
        note="draft",
    ),
    Access(
        "publication.edition_html",
        "GET",
        lambda w: f"/rounds/{_pub(w)}/editions/1.html",
        {role: "HTTP 404" for role in ROLES},
        note="public, but this world's edition is not a real PDF (tests/publication/"
        "test_tally_html.py serves a real one to anyone)",
    ),
    Access(
        "publication.edition_html",
        "GET",
        lambda w: f"/rounds/{w.draft.id}/editions/1.html",
        {**FACILITATOR_ONLY, "facilitator": "HTTP 404"},
        note="draft",
    ),
    Access("publication.counted", "GET", lambda w: "/receipts/counted", PUBLIC),
    Access("publication.counted", "POST", lambda w: "/receipts/counted", EVERYONE_422),
    # Ledger
    Access("ledger.show", "GET", lambda w: f"/rounds/{_pub(w)}/ledger", PUBLIC),
    Access("ledger.pay", "GET", lambda w: f"/rounds/{_pub(w)}/ledger/pay", FACILITATOR_ONLY),
    Access(
        "ledger.pay",
        "POST",
        lambda w: f"/rounds/{_pub(w)}/ledger/pay",
        {**FACILITATOR_ONLY, "facilitator": UNPROCESSABLE},
    ),
    Access(
        "ledger.create_checkpoint",
        "POST",
        lambda w: f"/rounds/{_pub(w)}/ledger/checkpoints",
        FACILITATOR_ONLY,
    ),
    Access(
        "ledger.checkpoint_json",
        "GET",
        lambda w: f"/rounds/{_pub(w)}/ledger/checkpoints/{_cp(w)}.json",
        PUBLIC,
    ),
    Access(
        "ledger.sign_checkpoint",
        "GET",
        lambda w: f"/rounds/{_pub(w)}/ledger/checkpoints/{_cp(w)}/sign",
        SIGNERS,
    ),
    Access(
        "ledger.sign_checkpoint",
        "POST",
        lambda w: f"/rounds/{_pub(w)}/ledger/checkpoints/{_cp(w)}/sign",
        SIGNERS_POST,
    ),
    # Auditor
    Access("auditor.audit", "GET", lambda w: "/audit", PUBLIC),
    Access("auditor.audit", "POST", lambda w: "/audit", EVERYONE_422),
    Access("auditor.formats", "GET", lambda w: "/audit/formats", PUBLIC),
    Access(
        "auditor.job",
        "GET",
        lambda w: "/audit/jobs/" + "x" * 22,
        {role: "HTTP 404" for role in ROLES},
        note="public by unguessable id; this one was never started",
    ),
]

__all__ = ["FORBIDDEN", "LOGIN", "RULES"]

"""Every amount of a round is shown in the round's own currency (issue 11, a PLN round).

An imported Warsaw round said "Budget £102,533.36" and, two lines later, "The 102,533.36 zł
budget"; the ledger, pay form, home page and rounds list used £ while results, compare and the
verifier used zł. Every page of the round is crawled: no amount is written with "£".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audits.bls import generate
from audits.canonical import canonical_json
from audits.verify import verify_bundle
from decide.models import PanelMember
from decide.services import manifests, pb_io, signing
from decide.services.closing import close_board
from decide.services.results import confirm_rule
from tests.conftest import PABULIB
from tests.results.factory import user
from tests.voting.helpers import TODAY
from tests.web.world import login

FILE = "Poland_Warszawa_2017_Przyczolek_Grochowski.pb"  # PLN, budget 102533.36, 176 ballots
POUNDS = re.compile(r"£\s*[\d.,]")
ZLOTY = re.compile(r"\d zł")


@pytest.fixture
def pln_round(db):
    text = (PABULIB / FILE).read_text(encoding="utf-8")
    rnd = pb_io.import_pb(db.session, text, today=TODAY)
    assert rnd.currency == "PLN"
    return rnd


def _pages(round_id: int) -> list[str]:
    base = f"/rounds/{round_id}"
    return [
        "/",
        "/rounds/",
        base,
        f"{base}/board",
        f"{base}/proposals",
        f"{base}/results",
        f"{base}/results/compare",
        f"{base}/ledger",
        f"{base}/ledger/pay",
    ]


def test_every_page_of_a_pln_round_shows_its_amounts_in_zloty(app, db, pln_round):
    facilitator = user(db.session, "fac@test.example", is_facilitator=True)
    db.session.commit()
    fac = login(app.test_client(), facilitator)
    before = {}
    compare = fac.get(f"/rounds/{pln_round.id}/results/compare")
    assert compare.status_code == 200
    before["compare"] = compare.get_data(as_text=True)
    # Close, confirm and write the manifest, so that the ledger has its funded projects.
    members = [user(db.session, f"{name}@test.example") for name in ("ada", "bo")]
    db.session.add_all(PanelMember(round=pln_round, user=m) for m in members)
    db.session.commit()
    close_board(db.session, pln_round)
    confirm_rule(
        db.session, pln_round.id, rule=pln_round.allocation_rule, reason="", actor=facilitator
    )
    for i, member in enumerate(members):
        key = generate(f"Member {i}", seed=bytes([i + 7]) * 32)
        signing.register_key(
            db.session, pln_round, member, canonical_json(key.public_record().to_dict())
        )
    row = manifests.write_manifest(db.session, pln_round)
    pln_round.phase = "published"  # the signatures and the PDF are another part's flow
    db.session.commit()
    # What was imported is what the verifier accepts: check 2 (the ballots) passes.
    files = {"manifest.json": row.manifest_json, "ballots.pb": row.ballots_pb}
    checks = {c.number: c for c in verify_bundle(files)}
    assert checks[2].status == "PASS", checks[2].line()
    seen = {}
    for path in _pages(pln_round.id):
        response = fac.get(path)
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
        assert not POUNDS.search(html), (path, POUNDS.search(html).group(0))
        seen[path] = html
    base = f"/rounds/{pln_round.id}"
    for path in ("/", "/rounds/", base, f"{base}/results", f"{base}/results/compare",
                 f"{base}/ledger", f"{base}/ledger/pay"):  # fmt: skip
        assert ZLOTY.search(seen[path]), path
    assert "102,533.36 zł" in seen[base]
    assert "Amount in PLN" in seen[f"{base}/ledger/pay"]
    assert not POUNDS.search(before["compare"])


def test_every_money_filter_in_the_templates_names_a_currency():
    root = Path(__file__).resolve().parents[2] / "templates"
    bare = [
        f"{path.relative_to(root)}:{n}"
        for path in sorted(root.rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\|\s*money(?!\s*\()", line)
    ]
    assert bare == [], "amounts shown without the round's currency: " + ", ".join(bare)

"""Acceptance: close, co-sign with decide-keys, publish, verify the PDF, and check a receipt.

A citizen votes; two panel members make their keys with the real ``decide-keys`` command and
register them; the facilitator closes the round (progress page), confirms the rule and writes
the manifest; each member signs it with ``decide-keys sign`` and uploads the signature; the
facilitator publishes; an anonymous visitor downloads the PDF and verifies it on the auditor
page; the voter checks that their ballot was counted.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from decide.demo.catalogue import FACILITATOR_EMAIL, PANEL_EMAIL
from decide.demo.published import SECOND_PANEL_EMAIL
from decide.demo.voting import VOTING_ROUND_SLUGS
from tests.e2e.conftest import _new_page
from tests.helpers.browser import arrived, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def _prepare_round(server: Any) -> int:
    """Seat the two demo panel members on the demo approval round and ask for k = 2."""
    from decide.extensions import db
    from decide.models import PanelMember, Round, User

    with server.app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.slug == VOTING_ROUND_SLUGS["approval"]))
        for email in (PANEL_EMAIL, SECOND_PANEL_EMAIL):
            user = db.session.scalar(select(User).where(User.email == email))
            db.session.add(PanelMember(round=rnd, user=user))
        rnd.signature_threshold = 2
        db.session.commit()
        return rnd.id


def _wait_finished(page: Any) -> None:
    page.wait_for_selector("#job-progress:has-text('Finished')", timeout=60_000)


def test_close_cosign_publish_verify_and_check_receipt(
    live_server, page, desktop_page, browser, axe_check, tmp_path
):
    base = live_server.url
    round_id = _prepare_round(live_server)

    # A citizen votes and keeps the receipt.
    voter = page
    log_in(voter, base, "amira@example.org")
    voter.goto(f"{base}/rounds/{round_id}/vote")
    voter.check("#project-A1")
    voter.check("#project-A3")
    voter.click("button:has-text('Check my choices')")
    voter.click("button:has-text('Cast my ballot')")
    voter.wait_for_selector("h1:has-text('Your ballot is in the sealed box')")
    href = voter.get_attribute("a:has-text('Download my receipt')", "href")
    receipt = base64.b64decode(href.split(",", 1)[1]).decode()  # a data: URL, no tracker URL

    # Two panel members make keys on their own machines and register the public halves.
    members = []
    for email, name in ((PANEL_EMAIL, "Tom Okafor"), (SECOND_PANEL_EMAIL, "Amira Haddad")):
        folder = tmp_path / name.split()[0].lower()
        made = _cli("audits.keys", "new", "--name", name, "-o", str(folder))
        assert made.returncode == 0, made.stderr
        member = _new_page(browser, javascript=True, width=1280)
        log_in(member, base, email)
        member.goto(f"{base}/rounds/{round_id}/publication/key")
        axe_check(member)
        slug = name.lower().replace(" ", "-")
        member.set_input_files("#key_file", str(folder / f"{slug}.pub.json"))
        member.click("button:has-text('Register my key')")
        member.wait_for_selector("text=its proof of possession is valid")
        members.append((member, folder / f"{slug}.key.json"))

    # The facilitator closes the round and watches the closing progress.
    fac = desktop_page
    log_in(fac, base, FACILITATOR_EMAIL)
    fac.goto(f"{base}/rounds/{round_id}")
    fac.click("button:has-text('Move to “Voting closed”')")
    # The phase changes in that POST: let it land (back on the round page) before the goto,
    # which could otherwise cancel it.
    fac.wait_for_selector(".flashes:has-text('The round is now in the “Voting closed” phase')")
    fac.goto(f"{base}/rounds/{round_id}/publication/progress/close")
    _wait_finished(fac)
    axe_check(fac)
    fac.goto(f"{base}/rounds/{round_id}/results/compare")
    fac.check("input[name=rule][value=equal-shares]")
    fac.click("button:has-text('Confirm this rule')")
    fac.wait_for_selector("h1:has-text('Results')")
    fac.goto(f"{base}/rounds/{round_id}/publication")
    axe_check(fac)
    fac.click("button:has-text('Write the manifest')")
    _wait_finished(fac)
    fac.goto(f"{base}/rounds/{round_id}/publication")
    assert "needs 2 valid panel signatures on the manifest; 0 so far" in fac.inner_text("main")

    # Each member downloads the manifest, signs it with decide-keys, and uploads the signature.
    for member, key_file in members:
        member.goto(f"{base}/rounds/{round_id}/publication/sign")
        axe_check(member)
        with member.expect_download() as download:
            member.click("a:has-text('Download the manifest')")
        manifest = key_file.parent / "manifest.json"
        download.value.save_as(manifest)
        signature = key_file.parent / "signature.json"
        signed = _cli("audits.keys", "sign", str(manifest), "--key", str(key_file), "-o",
                      str(signature))  # fmt: skip
        assert signed.returncode == 0, signed.stderr
        digest = member.inner_text("dd.code")
        assert digest in signed.stderr
        member.set_input_files("#signature_file", str(signature))
        member.click("button:has-text('Upload my signature')")
        member.wait_for_selector("text=Your signature on the manifest is valid")
        member.context.close()

    # With k = 2 signatures the facilitator publishes; the PDF edition is written.
    fac.goto(f"{base}/rounds/{round_id}/publication")
    fac.click("button:has-text('Publish the results')")
    _wait_finished(fac)

    # An anonymous visitor downloads the PDF from the results page and checks it.
    visitor = _new_page(browser, javascript=True, width=1280)
    visitor.goto(f"{base}/rounds/{round_id}/results")
    axe_check(visitor)
    with visitor.expect_download() as download:
        visitor.click("a:has-text('Edition 1')")
    pdf = tmp_path / "results.pdf"
    download.value.save_as(pdf)
    visitor.goto(f"{base}/audit")
    axe_check(visitor)
    visitor.set_input_files("#pdf", str(pdf))
    visitor.click("button:has-text('Check')")
    # Without keys of their own, the visitor learns the files agree, not who signed them.
    arrived(visitor, "h2:has-text('CONSISTENT, BUT NOT TRUSTED YET')", timeout=60_000)
    assert "anyone could have made them: pin the panel's keys" in visitor.inner_text("main")
    axe_check(visitor)
    # With the keys the two members handed over themselves, every check passes.
    pinned = tmp_path / "pinned.json"
    public_files = [Path(str(k).replace(".key.json", ".pub.json")) for _, k in members]
    pinned.write_text(json.dumps([json.loads(f.read_text()) for f in public_files]))
    visitor.set_input_files("#pdf", str(pdf))
    visitor.set_input_files("#keys", str(pinned))
    visitor.click("button:has-text('Check')")
    arrived(visitor, "h2:has-text('ALL CHECKS PASSED')", timeout=60_000)
    assert visitor.locator("ol.checks li").count() == 11
    axe_check(visitor)
    visitor.context.close()

    # The voter checks the receipt, then that the ballot was counted under the published root.
    voter.goto(f"{base}/receipts/check")
    voter.fill("#receipt", receipt)
    voter.click("button:has-text('Check my receipt')")
    voter.click("a:has-text('Verify my ballot was counted')")
    voter.fill("#receipt", receipt)
    voter.click("button:has-text('Verify my ballot was counted')")
    arrived(voter, "h2:has-text('Your ballot was counted')")
    assert "included under the published board root" in voter.inner_text("main")
    axe_check(voter)

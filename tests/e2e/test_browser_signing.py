"""Acceptance: a panel member signs the manifest in the browser at 390 px, with the vendored
@noble/curves, and `decide-verify` passes the published PDF.

On the demo round whose voting has closed, the member makes a key with `decide-keys new` (their
own machine) and registers it; the facilitator confirms the rule and writes the manifest;
"Your tasks" shows the manifest waiting, with its count on the navigation bar; the member
opens their key file in the sign page, which signs in the browser and posts only the
signature; the server accepts it; the facilitator publishes; `decide-verify` with the
member's pinned key exits 0 on the PDF. No request the browser makes carries the private
key. Without JavaScript the page says so and points to `decide-keys`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from decide.demo.catalogue import FACILITATOR_EMAIL, PANEL_EMAIL
from decide.demo.results import RESULTS_ROUND_SLUG
from tests.e2e.conftest import _new_page
from tests.helpers.browser import log_in, run_module, wait_finished

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _results_round(server: Any) -> int:
    """Return the demo round that voting has closed, whose panel is the demo member, k = 1."""
    from decide.extensions import db
    from decide.models import Round

    with server.app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.slug == RESULTS_ROUND_SLUG))
        assert rnd.phase == "closed" and rnd.signature_threshold == 1
        return rnd.id


def _confirm_and_write_manifest(fac: Any, base: str, round_id: int) -> None:
    log_in(fac, base, FACILITATOR_EMAIL)
    fac.goto(f"{base}/rounds/{round_id}/results/compare")
    fac.check("input[name=rule][value=equal-shares]")
    fac.click("button:has-text('Confirm this rule')")
    fac.wait_for_selector("h1:has-text('Results')")
    fac.goto(f"{base}/rounds/{round_id}/publication")
    fac.click("button:has-text('Write the manifest')")
    wait_finished(fac)


def test_member_signs_the_manifest_in_the_browser_and_the_pdf_verifies(
    live_server, desktop_page, browser, axe_check, tmp_path
):
    base = live_server.url
    round_id = _results_round(live_server)

    # The member makes a key on their own machine and registers its public half, at 390 px.
    made = run_module("audits.keys", "new", "--name", "Tom Okafor", "-o", str(tmp_path))
    assert made.returncode == 0, made.stderr
    key_file, pub_file = tmp_path / "tom-okafor.key.json", tmp_path / "tom-okafor.pub.json"
    secret = json.loads(key_file.read_text())["secret_key"]
    member = _new_page(browser, javascript=True, width=390)
    sent: list[str] = []
    member.on("request", lambda r: sent.append(f"{r.url} {r.post_data or ''}"))
    log_in(member, base, PANEL_EMAIL)
    member.goto(f"{base}/rounds/{round_id}/publication/key")
    member.set_input_files("#key_file", str(pub_file))
    member.click("button:has-text('Register my key')")
    member.wait_for_selector("text=its proof of possession is valid")

    _confirm_and_write_manifest(desktop_page, base, round_id)

    # Without JavaScript the sign page says browser signing needs it and points to decide-keys.
    nojs = _new_page(browser, javascript=False, width=390)
    log_in(nojs, base, PANEL_EMAIL)
    nojs.goto(f"{base}/rounds/{round_id}/publication/sign")
    text = nojs.inner_text("main")
    assert "Signing in the browser needs JavaScript" in text and "decide-keys" in text
    assert not nojs.locator("#browser-sign").is_visible()
    assert nojs.locator("button:has-text('Upload my signature')").is_visible()
    axe_check(nojs)
    nojs.context.close()

    # The manifest waits for the member: a count on the navigation bar, and "Your tasks".
    member.goto(f"{base}/")
    # Screen readers hear "Your tasks (1 waiting)"; the eye sees a badge with 1.
    tasks_link = member.get_by_role("link", name=re.compile(r"^Your tasks\s*\(1 waiting\)$"))
    assert tasks_link.locator(".nav-count").is_visible()
    tasks_link.click()
    member.wait_for_selector("h1:has-text('Your tasks')")
    axe_check(member)
    member.click("a:has-text('Sign the results manifest')")

    # The sign page signs in this browser: choose the key file, sign, and the server accepts it.
    member.wait_for_selector("#browser-sign:not([hidden])")
    axe_check(member)
    member.set_input_files("#browser-key-file", str(key_file))
    member.click("button:has-text('Sign the manifest and send my signature')")
    member.wait_for_selector("text=Your signature on the manifest is valid")
    axe_check(member)
    assert sent and not [s for s in sent if secret in s], "the private key left the browser"
    sign_url = f"{base}/rounds/{round_id}/publication/sign "
    posted = [s for s in sent if s.startswith(sign_url) and s != sign_url]
    assert len(posted) == 1 and "signature_json=" in posted[0], posted
    member.goto(f"{base}/tasks")
    assert "Nothing waits for you just now." in member.inner_text("main")
    member.context.close()

    # The facilitator publishes; decide-verify, with the key the member handed over, passes.
    fac = desktop_page
    fac.goto(f"{base}/rounds/{round_id}/publication")
    fac.click("button:has-text('Publish the results')")
    wait_finished(fac)
    fac.goto(f"{base}/rounds/{round_id}/results")
    with fac.expect_download() as download:
        fac.click("a:has-text('Edition 1')")
    pdf = tmp_path / "results.pdf"
    download.value.save_as(pdf)
    # Pin the round's keys.json (it states k = 1), after checking it holds the member's own key.
    keys = fac.request.get(f"{base}/rounds/{round_id}/keys.json").json()
    own = json.loads(pub_file.read_text())["public_key"]
    assert [k["public_key"] for k in keys["keys"]] == [own] and keys["threshold"] == 1
    pinned = tmp_path / "pinned.json"
    pinned.write_text(json.dumps(keys))
    verified = run_module("audits.verify", str(pdf), "--keys", str(pinned))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Tom Okafor" in verified.stdout

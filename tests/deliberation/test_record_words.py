"""The public sortition record reads in plain words; RECORD.json keeps the exact figures."""

from __future__ import annotations

import json
import re
from fractions import Fraction

from decide import sortition as pure
from decide.services import sortition
from decide.services.sortition_words import chance_words, chances
from tests.deliberation.pages import main
from tests.deliberation.sortition_pool import fill_pool, small_quotas


def test_chances_are_said_as_one_in_n_and_a_percentage():
    assert chance_words(Fraction(1, 30)) == "1 in 30 (3.3%)"
    assert chance_words(Fraction(33, 1000)) == "about 1 in 30 (3.3%)"
    assert chance_words(Fraction(1, 4)) == "1 in 4 (25%)"
    assert chance_words(Fraction(999, 1000)) == "about 99.9%"
    assert chance_words(Fraction(0)) == "no chance (0%)"
    assert chance_words(Fraction(1)) == "certain (100%)"


def test_the_record_page_speaks_to_a_resident(app, db, world):
    rnd = world.round
    fill_pool(db.session, world, rnd, 12)
    sortition.set_panel(db.session, rnd, 4)
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    sortition.compute_lottery(db.session, rnd)
    sortition.announce_seed(db.session, rnd, "numbers 3 14 15 92")
    sortition.draw_panel(db.session, rnd)
    client = app.test_client()
    page = main(client.get(f"/rounds/{rnd.id}/panel/record").get_data(as_text=True))
    record = json.loads(client.get(f"/rounds/{rnd.id}/panel/RECORD.json").data)
    # The technical term only inside its explanation; no nine-decimal figures on the page.
    assert "as equal as the quotas allow" in page
    outside = re.sub(r"<details>.*?</details>", "", page, flags=re.S)
    assert "leximin" not in outside.lower()
    assert not re.search(r"\d\.\d{5,}", page)
    # Chances in words, with the exact count of panels beside them.
    m = len(record["panels"])
    first = record["pool"][0]["id"]
    inside = sum(first in panel for panel in record["panels"])
    assert f"{inside} of {m}" in page and re.search(r"(about )?1 in \d+ \([\d.]+%\)", page)
    # Answers and quotas by their labels, not their codes.
    assert "Riverside" in page and "Resident" in page and "community-asset" not in page
    # Labelled fingerprints, and how to check them.
    assert "Fingerprint of the volunteer list (SHA-256)" in page and record["pool_hash"] in page
    assert "decide sortition verify RECORD.json" in page
    # RECORD.json is unchanged in form: the verifier still passes it.
    assert all(check.ok for check in pure.verify_record(record))


def test_the_headline_chance_is_the_lottery_s_and_the_intro_names_only_the_quotas_set(
    app, db, world
):

    rnd = world.round
    fill_pool(db.session, world, rnd, 12)
    sortition.set_panel(db.session, rnd, 4)
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    sortition.compute_lottery(db.session, rnd)
    client = app.test_client()
    page = main(client.get(f"/rounds/{rnd.id}/panel/record").get_data(as_text=True))
    record = json.loads(client.get(f"/rounds/{rnd.id}/panel/RECORD.json").data)
    least = min(chances(record).values(), key=lambda c: Fraction(c.panels, c.of))
    headline = re.search(r"<dt>Smallest chance of a seat</dt><dd>(.*?)</dd>", page, re.S)
    assert headline and f"{least.words}: in {least.panels} of {least.of} panels" in headline[1]
    assert "Before the chances were turned into a lottery" in headline[1]
    # Ids never break at their hyphen.
    assert f'<code class="nowrap">{record["pool"][0]["id"]}</code>' in page
    # The intro names the questions with quotas, and no others.
    asked = {q["feature"] for q in record["quotas"]}
    intro = page.split("<details>", 1)[0]
    assert ("Area" in intro) == ("area" in asked)
    assert ("Age band" in intro) == ("age_band" in asked)

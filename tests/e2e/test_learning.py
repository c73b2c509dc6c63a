"""A visitor on a phone, without JavaScript, reads the learning dashboard, filters it by URL
and follows the money to a funded project; every page passes axe and fits 360 px."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest


def _fits_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide"


def test_dashboard_filters_and_follows_the_money_on_a_phone(live_server, js_disabled_page,
                                                           axe_check):  # fmt: skip
    page = js_disabled_page
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Learning dashboard").click()
    page.wait_for_url("**/learning")
    assert page.locator("h1").inner_text() == "Learning dashboard"
    assert page.locator("svg[role=img]").count() >= 5
    axe_check(page)
    _fits_phone(page)

    page.select_option("#filter-decile", "1")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r".*decile=1.*"))
    assert "decile=1" in page.url
    assert page.locator("#money-by-decile tbody tr").count() == 1
    axe_check(page)
    _fits_phone(page)

    page.goto(live_server.url + "/learning")
    page.locator("summary", has_text="Where the money went").click()
    page.locator("#funded-table-caption").locator("xpath=..").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/projects/.*"))
    assert "/projects/" in page.url
    axe_check(page)

    page.goto(live_server.url + "/data")
    assert page.get_by_role("link", name="Creative Commons Attribution 4.0 International").count()
    axe_check(page)
    _fits_phone(page)
    # The datasets table is a stacked list on a phone: no column or link is off-screen.
    wide = page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
        .filter(w => w.scrollWidth > w.clientWidth + 1).length""")
    assert wide == 0
    rights = page.evaluate("""() => [...document.querySelectorAll('.table-wrap a')]
        .map(a => a.getBoundingClientRect().right)""")
    assert rights and max(rights) <= 360


def test_every_data_package_of_the_demo_passes_frictionless(live_server, tmp_path):
    """Acceptance 2: `frictionless validate` on the site's package and each round's."""
    frictionless = pytest.importorskip("frictionless")

    def get(path: str) -> bytes:
        with urllib.request.urlopen(live_server.url + path) as response:  # noqa: S310 - ours
            return response.read()

    index = get("/data").decode()
    slugs = re.findall(r"/data/rounds/([^/]+)/datapackage", index)
    bases = ["/data", *sorted({f"/data/rounds/{slug}" for slug in slugs})]
    assert len(bases) >= 2, "the demo has a round with published results"
    for i, base in enumerate(bases):
        folder = tmp_path / str(i)
        folder.mkdir()
        package = json.loads(get(f"{base}/datapackage.json"))
        (folder / "datapackage.json").write_text(json.dumps(package))
        for resource in package["resources"]:
            (folder / resource["path"]).write_bytes(get(f"{base}/{resource['path']}"))
        report = frictionless.validate(str(folder / "datapackage.json"))
        assert report.valid, (base, report.flatten(["rowNumber", "fieldName", "type", "note"]))


_TEXT_BOXES = """() => Array.from(document.querySelectorAll('svg[role=img]')).map(svg => ({
  id: svg.getAttribute('aria-labelledby'),
  boxes: Array.from(svg.querySelectorAll('text')).map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  }),
}))"""


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    # Half a pixel of slack: glyph boxes that only touch do not collide.
    return (
        a["left"] < b["right"] - 0.5
        and b["left"] < a["right"] - 0.5
        and a["top"] < b["bottom"] - 0.5
        and b["top"] < a["bottom"] - 0.5
    )


def test_no_chart_text_overlaps_at_360_px(live_server, js_disabled_page):
    """Review of issue 16: bar labels ran into their values on a phone."""
    page = js_disabled_page
    page.goto(live_server.url + "/learning")
    charts = page.evaluate(_TEXT_BOXES)
    assert len(charts) >= 5
    clashes = []
    for chart in charts:
        boxes = [b for b in chart["boxes"] if b["right"] > b["left"]]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                if _overlaps(a, b):
                    clashes.append((chart["id"], a["text"], b["text"]))
        for b in boxes:
            assert b["left"] >= 0 and b["right"] <= 360, (chart["id"], b["text"], b)
    assert not clashes, sorted({c[0] for c in clashes}) + clashes[:40]

from __future__ import annotations


def test_home_page_is_accessible_at_phone_width(empty_live_server, page, axe_check):
    page.goto(empty_live_server.url + "/")
    assert page.locator("h1").first.inner_text()
    axe_check(page)
    # Nothing is wider than the 360 px viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_home_page_without_javascript(empty_live_server, js_disabled_page, axe_check):
    js_disabled_page.goto(empty_live_server.url + "/")
    assert js_disabled_page.locator("h1").count() == 1
    axe_check(js_disabled_page)


def test_axe_check_catches_a_real_violation(empty_live_server, page):
    from tests.e2e.conftest import run_axe

    url = empty_live_server.url + "/axe-probe"
    bad = "<!doctype html><html lang='en'><title>x</title><main><input type='text'></main></html>"
    page.route(url, lambda route: route.fulfill(body=bad, content_type="text/html"))
    page.goto(url)
    assert "label" in {v["id"] for v in run_axe(page)}

"""Browser test fixtures: a live server, Playwright on Debian chromium, and an axe-core check.

The browser is Debian's /usr/bin/chromium (installed by `make test`); Playwright never downloads
one. axe-core is vendored from the npm package under tests/e2e/vendor and evaluated through the
DevTools protocol, so the page's Content-Security-Policy stays on during the tests.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import TEST_SECRET_KEY

CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = Path(__file__).parent / "vendor" / "axe-core-4.11.4.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.e2e


@dataclass
class LiveServer:
    """A running app on 127.0.0.1 with its own SQLite database."""

    app: Flask
    url: str
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


def _e2e_config(db_path: Path, receipt_key: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        # The key the demo snapshot was seeded with (tests/conftest.py): the demo's voter roll
        # stores its references keyed by it.
        "SECRET_KEY": TEST_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "RECEIPT_KEY_FILE": str(receipt_key),
        # No mail server: messages are written here as .eml files (see `mailed_link`).
        "MAIL_OUTBOX": str(db_path.parent / f"outbox-{db_path.stem}"),
    }


@pytest.fixture(scope="session")
def e2e_files(tmp_path_factory: pytest.TempPathFactory, session_receipt_key: Path) -> Path:
    """Return a per-worker folder holding the receipt key (the one the demo is signed with)."""
    folder = tmp_path_factory.mktemp("e2e")
    shutil.copyfile(session_receipt_key, folder / "receipt_key.pem")
    return folder


@pytest.fixture(scope="session")
def demo_template(demo_snapshot: Any) -> Path:
    """Return the demo seeded once per worker (tests/conftest.py, shared with the app tests);
    tests get copies."""
    return Path(demo_snapshot.database)


def _make_app(db_path: Path, e2e_files: Path) -> Flask:
    from app import create_app

    return create_app(_e2e_config(db_path, e2e_files / "receipt_key.pem"))


def _dispose(app: Flask) -> None:
    from decide.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_app(tmp_path: Path, e2e_files: Path) -> Iterator[Flask]:
    """Return an app on a fresh, empty SQLite file with CSRF on, as a real user meets it."""
    from decide.extensions import db

    app = _make_app(tmp_path / "e2e.db", e2e_files)
    with app.app_context():
        db.create_all()
    yield app
    _dispose(app)


@pytest.fixture
def seeded_app(tmp_path: Path, e2e_files: Path, demo_template: Path) -> Iterator[Flask]:
    """Return an app on a copy of the demo database (seeded once per worker)."""
    db_path = tmp_path / "e2e.db"
    shutil.copyfile(demo_template, db_path)
    app = _make_app(db_path, e2e_files)
    yield app
    _dispose(app)


def _serve(app: Flask) -> LiveServer:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LiveServer(
        app=app, url=f"http://127.0.0.1:{server.server_port}", _server=server, _thread=thread
    )


@pytest.fixture
def live_server(seeded_app: Flask) -> Iterator[LiveServer]:
    """Serve the demo-seeded app on a free port."""
    server = _serve(seeded_app)
    yield server
    server.stop()


@pytest.fixture
def empty_live_server(live_app: Flask) -> Iterator[LiveServer]:
    """Serve the app with an empty database on a free port."""
    server = _serve(live_app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Launch Debian's chromium once per test worker."""
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: run `make test`, which installs it with apt-get.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _new_page(browser: Any, *, javascript: bool, width: int) -> Any:
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": width, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []  # type: ignore[attr-defined]
    page.javascript_enabled = javascript  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    return page


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """Return a page in a fresh browser context at phone width (360 px)."""
    page = _new_page(browser, javascript=True, width=360)
    yield page
    page.context.close()


@pytest.fixture
def desktop_page(browser: Any) -> Iterator[Any]:
    """Return a page in a fresh browser context at desktop width."""
    page = _new_page(browser, javascript=True, width=1280)
    yield page
    page.context.close()


@pytest.fixture
def js_disabled_page(browser: Any) -> Iterator[Any]:
    """Return a phone-width page with JavaScript turned off."""
    page = _new_page(browser, javascript=False, width=360)
    yield page
    page.context.close()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the current page and return its WCAG 2 A/AA violations."""
    # After a click that navigates, wait until the new page and its stylesheet have loaded:
    # axe on an unstyled page reports the browser's defaults, not ours.
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    # Only violations are read, so axe is asked to describe only those (resultTypes: passes and
    # the rest keep one node each instead of every node with its CSS selector), and only they
    # come back to Python: the same rules run on the same document, about a quarter faster.
    return list(
        page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']}).then(r => r.violations)",
            AXE_TAGS,
        )
    )


@functools.cache
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def _axe_on_copy(page: Any) -> list[dict[str, Any]]:
    """Run axe on the same HTML at the same address in a context with JavaScript on.

    axe cannot run where JavaScript is off, so the page as served (after any POST) is replayed
    from memory; its stylesheets still load from the live server.
    """
    # As in run_axe: after a click that navigates, read the new page once it has all arrived,
    # not the part parsed so far.
    page.wait_for_load_state("load")
    html, url = page.content(), page.url
    browser = page.context.browser
    copy = _new_page(browser, javascript=True, width=page.viewport_size["width"])
    try:
        copy.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        copy.goto(url)
        return run_axe(copy)
    finally:
        copy.context.close()


@pytest.fixture
def axe_check() -> Callable[[Any], None]:
    """Return a function that fails the test on any axe violation or CSP error on the page."""

    def check(page: Any) -> None:
        if getattr(page, "javascript_enabled", True):
            violations = run_axe(page)
        else:
            violations = _axe_on_copy(page)
        summary = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:5])
            for v in violations
        ]
        assert not summary, f"axe violations on {page.url}:\n" + "\n".join(summary)
        csp = [e for e in getattr(page, "console_errors", []) if "Content Security Policy" in e]
        assert not csp, f"CSP violations on {page.url}: {csp}"
        assert_fits_viewport(page)

    return check


def mailed_link(app: Flask, to: str) -> str:
    """Return the path of the link in the newest e-mail the app wrote to its outbox for `to`."""
    import email
    import email.policy
    import re
    from urllib.parse import urlsplit

    outbox = Path(app.config["MAIL_OUTBOX"])
    for path in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if to.lower() in str(message["To"]).lower():
            body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            link = re.search(r"https?://\S+", body)
            assert link, body
            return urlsplit(link.group(0)).path
    raise AssertionError(f"no e-mail to {to} in {outbox}")


def register_and_confirm(page: Any, server: Any, email: str, password: str) -> None:
    """After "Create account": open the e-mailed link and log in (back to the `next` page)."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.goto(server.url + mailed_link(server.app, email))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email address is confirmed")
    page.get_by_role("link", name="Log in to continue").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".flashes")).to_contain_text("You are logged in as")


def assert_fits_viewport(page: Any) -> None:
    """Fail when the page scrolls sideways: nothing may be wider than the viewport."""
    scroll_width, viewport = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= viewport, (
        f"{page.url} is {scroll_width} px wide in a {viewport} px viewport"
    )

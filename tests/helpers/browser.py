"""Steps the browser tests share: log in as a demo account, wait for a job, run our commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from decide.demo.catalogue import DEMO_PASSWORD

REPO = Path(__file__).resolve().parents[2]


def log_in(page: Any, base: str, email: str) -> None:
    """Log the page in with a demo account's password and wait to leave the login page."""
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(lambda url: "/login" not in url)


def arrived(page: Any, selector: str, *, timeout: float | None = None) -> None:
    """Wait for the page a click opened: for `selector`, found only there, then for all of it.

    A click returns once the new page starts to arrive. A read that does not wait (`count()`,
    `all_inner_texts()`, the text of an element both pages have) could see the old page or the
    first lines of the new one, and the load event alone could be the old page's.
    """
    page.wait_for_selector(selector, **({} if timeout is None else {"timeout": timeout}))
    page.wait_for_load_state("load")


def wait_finished(page: Any) -> None:
    """Wait until the job progress page says the job finished."""
    page.wait_for_selector("#job-progress:has-text('Finished')", timeout=60_000)


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m ARGS` in the repository, as a member runs decide-keys or decide-verify."""
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, check=False
    )

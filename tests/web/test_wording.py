"""The words on the demo's pages: amounts in pounds, rules named in words, counts that agree.

A crawl of the seeded demo, as each kind of visitor, follows every link within the site
(without a browser) and reads each page's visible text, including tooltips and labels. It
fails on an amount printed in pence ("3200000 of 4000000 spent", "£3200000.00", "minor
units"), on an internal name ("equal-shares", "phragmen", "lowest-id") and on "1 points",
"1 signatures" or "1 payments". The first tests show that each check fires on the defect it
names, and that a page rendered with a broken money or plural filter is caught.
"""

from __future__ import annotations

import io
import re
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from decide.demo.catalogue import DEMO_PASSWORD

ROLES = {
    "anonymous": None,
    "resident": "amira@example.org",
    "asset member": "hub@example.org",
    "panel member": "panel@example.org",
    "officer": "officer@example.org",
    "facilitator": "facilitator@example.org",
}
MAX_PAGES = 400  # per visitor: the demo has about 140 to 220 pages each
MAX_LIST_PAGE = 2  # follow the board's and lists' page links this far
# Pages that show a document of the repository as written for auditors (docs/FORMATS.md, the
# threat model): they name the stored data ("equal-shares", amounts in minor units) on purpose.
REPOSITORY_DOCUMENTS = ("/audit/formats", "/privacy/ballot-secrecy")

# --- The checks -----------------------------------------------------------------------------

_MONEY_WORD = (
    r"(?:£|€|\bbudget|\bcosts?\b|\bspent\b|\bspend\b|\ballocated\b|\bfunds?\b|\bfunded\b"
    r"|\bamounts?\b|\bmoney\b|\bpaid\b|\bpayments?\b|\bleft over\b|\bpounds\b)"
)
PENCE_PATTERNS = (
    # An amount named in pence or minor units: "320000 pence", "480000000 PLN minor units".
    re.compile(r"\d[\d,.]*\s*(?:[A-Z]{3}\s+)?(?:pence|minor units)\b", re.IGNORECASE),
    # A currency sign before four or more digits without a thousands separator: "£3200000".
    re.compile(r"[£€]\s?\d{4,}"),
    # A bare number of five or more digits near a money word: "3200000 of 4000000 spent".
    re.compile(rf"(?<![\d,.])\b\d{{5,}}\b(?=[^.;:]{{0,40}}{_MONEY_WORD})", re.IGNORECASE),
    re.compile(rf"{_MONEY_WORD}[^.;:]{{0,40}}(?<![\d,.£€])\b\d{{5,}}\b(?![,.]\d)", re.IGNORECASE),
)
# Internal ids of rules, tie-breaks and ballot kinds. Plain words that are also ids ("equity",
# "lottery", "approval") are not listed; their ids only matter in lower-case code contexts.
INTERNAL_NAMES = re.compile(
    r"\b(?:equal-shares|equal_shares|greedy|phragmen|utilitarian|lowest-id|lex|knapsack|"
    r"max-welfare|mes|Add1|project id)\b|as pabutools does"
)
PLURAL_NOUNS = (
    "points", "signatures", "payments", "ballots", "projects", "votes", "voters", "codes",
    "proposals", "keys", "hashes", "supporters", "seconds", "lines", "checks", "members",
    "areas", "themes", "organisations", "editions", "checkpoints", "groups", "days", "times",
    "people", "persons", "pages", "steps", "choices", "batches", "entries", "files", "years",
)  # fmt: skip
ONE_PLURAL = re.compile(rf"(?<![\d.,£€-])\b1 (?:{'|'.join(PLURAL_NOUNS)})\b")


def wording_problems(text: str) -> list[str]:
    """Return each place in a page's visible text where the wording rules are broken."""
    problems = []

    def around(m: re.Match[str]) -> str:
        return text[max(0, m.start() - 40) : m.end() + 40].strip()

    for pattern in PENCE_PATTERNS:
        problems += [f"amount in pence: …{around(m)}…" for m in pattern.finditer(text)]
    problems += [f"internal name: …{around(m)}…" for m in INTERNAL_NAMES.finditer(text)]
    problems += [f"count and noun disagree: …{around(m)}…" for m in ONE_PLURAL.finditer(text)]
    return problems


class _Page(HTMLParser):
    """Collect a page's visible text (and tooltips, labels, alt texts) and its links."""

    SHOWN_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        self.parts += [str(values[a]) for a in self.SHOWN_ATTRIBUTES if values.get(a)]
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))


def read_page(html: str) -> _Page:
    """Parse a page."""
    page = _Page()
    page.feed(html)
    return page


def _follow(base: str, href: str) -> str | None:
    """Return the site path a link leads to, or None for other sites, files and log-out."""
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("http", "https", "") or parts.netloc not in ("", "localhost"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path.startswith("/static/") or path.startswith("/logout"):
        return None
    if re.fullmatch(r"/rounds/\d+/editions/\d+\.html", parts.path):
        # A PDF edition as HTML prints the manifest's signed words verbatim, as the PDF does
        # ("shares raised by Add1"): audits/words.py and decide-verify fix them, not this crawl.
        return None
    page = re.search(r"(?:^|[?&])page=(\d+)", parts.query)
    if page and int(page.group(1)) > MAX_LIST_PAGE:
        return None
    return path


def crawl(client: Any, starts: tuple[str, ...] = ("/",)) -> Iterator[tuple[str, int, str]]:
    """Yield (path, status, html) for every HTML page reachable by links from `starts`."""
    queue, seen = deque(starts), set(starts)
    while queue and len(seen) <= MAX_PAGES:
        path = queue.popleft()
        response = client.get(path)
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        html = response.get_data(as_text=True)
        yield path, response.status_code, html
        for href in read_page(html).links:
            target = _follow(path, href)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)


def log_in(client: Any, email: str | None) -> Any:
    """Log the client in as a demo account (anonymous when email is None)."""
    if email:
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code in (302, 303), f"cannot log in as {email}"
    return client


# --- The checks fire on the defects they name ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "equal-shares: 4 projects funded, 3200000 of 4000000 spent",
        "Budget £3200000.00",
        "Amounts print as 480000000 PLN minor units",
        "Each voter had 83333 pence to spend",
        "The budget of 25000000 was shared equally",
        "The rule is equal-shares",
        "ties broken by lowest-id",
        "raised step by step (the “Add1” completion)",
        "ties go to the smaller project id, compared as text (as pabutools does)",
        "Sequential phragmen",
        "the greedy rule",
        "You have 1 points too many.",
        "Publication needs 1 signatures.",
        "Checkpoint of 1 payments ready.",
        "3 of 1 projects funded",
    ],
)
def test_each_check_fires_on_the_defect_it_names(text):
    assert wording_problems(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Method of Equal Shares (proportional): 4 projects funded, £32,000.00 of £40,000.00 spent",
        "Greedy by votes",
        "1 point too many. Publication needs 1 signature. Checkpoint of 1 payment ready.",
        "Riverside 14,820 people, deprivation decile 1 is the most deprived",
        "The ballot number 12345 is yours.",
        "Healthy Northbridge 2027: £250,000 for community projects",
        "11 points, 21 projects, 2,001 ballots",
        "Tracker 7K2F-9QXM-A4D1, leaf 33ac42e04a53b17f…",
    ],
)
def test_the_checks_pass_well_written_text(text):
    assert wording_problems(text) == []


def test_the_page_reader_skips_scripts_and_reads_tooltips():
    page = read_page(
        '<p>Spent <abbr title="Method of Equal Shares">MES</abbr></p>'
        '<script>var rule = "equal-shares";</script><input value="equal-shares">'
        '<a href="/rounds/7/board?page=3">next</a>'
    )
    assert "Method of Equal Shares" in page.text
    assert "equal-shares" not in page.text
    assert page.links == ["/rounds/7/board?page=3"]
    assert _follow("/rounds/7/board", page.links[0]) is None
    assert _follow("/", "mailto:hub@example.org") is None


# --- The demo, as each visitor ----------------------------------------------------------------


@pytest.fixture
def demo(demo_app):
    """The app with the demo in its database (a copy of the seeded snapshot on SQLite)."""
    return demo_app


def _round_ids(db) -> dict[str, int]:
    from decide.models import Round

    rows = db.session.execute(select(Round.id, Round.phase, Round.ballot_kind)).all()
    ids = {phase: rid for rid, phase, _ in sorted(rows, reverse=True)}
    ids |= {f"voting-{kind}": rid for rid, phase, kind in rows if phase == "voting"}
    return ids


def _extra_pages(client: Any, role: str, ids: dict[str, int], db) -> Iterator[tuple[str, str]]:
    """Yield (what, html) for pages reached by a form rather than a link."""
    if role == "anonymous":
        from decide.models import Edition

        edition = db.session.scalars(
            select(Edition).where(Edition.round_id == ids["published"]).order_by(Edition.number)
        ).all()[-1]
        response = client.post(
            "/audit",
            data={"pdf": (io.BytesIO(edition.pdf), "tally.pdf")},
            content_type="multipart/form-data",
        )
        yield "POST /audit (the published PDF)", response.get_data(as_text=True)
    if role == "resident":
        yield over_the_points(client, ids)


def over_the_points(client: Any, ids: dict[str, int]) -> tuple[str, str]:
    """Return the points ballot's summary for a ballot one point over the round's total."""
    rid = ids["voting-cumulative"]
    ballot = client.get(f"/rounds/{rid}/vote").get_data(as_text=True)
    names = re.findall(r'name="(points-[^"]+)"', ballot)
    assert len(names) >= 2, "the resident cannot reach the demo's points ballot"
    # 6 + 5 points: one over the total of 10, and one over the cap of 5 on a project.
    data = dict.fromkeys(names, "0") | {names[0]: "6", names[1]: "5"}
    response = client.post(f"/rounds/{rid}/vote/summary", data=data)
    html = response.get_data(as_text=True)
    assert "too many" in html, html
    return f"POST /rounds/{rid}/vote/summary", html


@pytest.mark.slow
# Words on pages do not depend on the database; the crawl of every page runs once.
@pytest.mark.sqlite_only("the wording crawl runs once, on SQLite")
def test_no_page_of_the_demo_prints_pence_internal_names_or_wrong_plurals(demo, db):
    ids = _round_ids(db)
    starts = {
        "facilitator": ("/", f"/rounds/{ids['closed']}/results/compare"),
        "resident": ("/", "/account"),
    }
    problems: list[str] = []
    visited = 0
    for role, email in ROLES.items():
        client = log_in(demo.test_client(), email)
        for path, status, html in crawl(client, starts.get(role, ("/",))):
            visited += 1
            assert status < 500, f"{role}: {path} answered {status}"
            if path in REPOSITORY_DOCUMENTS:
                continue
            problems += [f"{role} {path}: {p}" for p in wording_problems(read_page(html).text)]
        for what, html in _extra_pages(client, role, ids, db):
            visited += 1
            problems += [f"{role} {what}: {p}" for p in wording_problems(read_page(html).text)]
    assert visited > 300, f"the crawl reached only {visited} pages"
    assert not problems, f"{len(problems)} wording problems:\n" + "\n".join(problems[:30])


@pytest.mark.slow
# The checker reads words, whatever the database: seeding the demo on PostgreSQL for it cost
# about 36 s of a worker's time.
@pytest.mark.sqlite_only("the wording checks run once, on SQLite")
def test_a_page_with_a_broken_money_or_plural_filter_is_caught(demo, db):
    # The same check on real pages fails when amounts are printed raw or counts disagree.
    ids = _round_ids(db)
    client = log_in(demo.test_client(), ROLES["resident"])
    _, good = over_the_points(client, ids)
    assert "1 point too many" in good and wording_problems(read_page(good).text) == []
    demo.jinja_env.filters["money"] = lambda pence, currency="GBP": str(pence)
    demo.jinja_env.filters["plural"] = lambda n, one, many=None: f"{n} {many or one + 's'}"
    demo.jinja_env.cache.clear()  # templates compiled so far hold the real filters
    results = client.get(f"/rounds/{ids['published']}/results").get_data(as_text=True)
    found = wording_problems(read_page(results).text)
    assert any(p.startswith("amount in pence") for p in found), found
    _, broken = over_the_points(client, ids)
    found = wording_problems(read_page(broken).text)
    assert any(p.startswith("count and noun disagree: …") and "1 points" in p for p in found)

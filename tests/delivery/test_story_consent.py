"""A story's consent says where it may be shown: the project page (needed to publish) and the
open data. A story without consent to the open data is never in any open-data file or feed."""

from __future__ import annotations

import csv
import datetime as dt
import io

from decide.models import Story
from decide.services import learning_cache
from tests.helpers.sessions import log_in


def _story(title: str, scopes: list[str]) -> dict[str, object]:
    return {
        "title": title, "text": f"{title}: what changed for me.", "consent_by": "Mo",
        "consent_on": dt.date.today().isoformat(), "consent_use": "", "photo_alt": "",
        "consent_scopes": scopes,
    }  # fmt: skip


def _open_data(app, slug: str) -> str:
    """Every open-data file a story could be in, and the feed, as one text."""
    learning_cache.clear()
    client = app.test_client()
    paths = ["/data/stories.csv", "/data/stories.json", "/data/datapackage.json", "/feed.atom",
             f"/data/rounds/{slug}/stories.csv", f"/data/rounds/{slug}/stories.json",
             f"/data/rounds/{slug}/datapackage.json"]  # fmt: skip
    out = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        out.append(response.get_data(as_text=True))
    return "\n".join(out)


def test_a_story_is_in_the_open_data_only_with_consent_to_it(app, db, delivered):
    d = delivered
    reporter = log_in(app.test_client(), d.reporter)
    url = f"/rounds/{d.round.id}/projects/P1"
    form = reporter.get(f"{url}/stories/new").get_data(as_text=True)
    assert "On the project page" in form and "In the open data under CC BY 4.0" in form
    for title, scopes in (("Page only", ["page"]), ("Page and data", ["page", "open_data"])):
        response = reporter.post(f"{url}/stories/new", data=_story(title, scopes))
        assert response.status_code == 303, response.get_data(as_text=True)
    stored = {s.title: (s.consent_page, s.consent_open_data) for s in db.session.query(Story)}
    assert stored == {"Page only": (True, False), "Page and data": (True, True)}

    page = app.test_client().get(url).get_data(as_text=True)
    assert "Page only" in page and "Page and data" in page  # both consented to the page
    published = _open_data(app, d.round.slug)
    assert "Page and data" in published
    assert "Page only" not in published
    rows = list(csv.DictReader(io.StringIO(
        app.test_client().get("/data/stories.csv").get_data(as_text=True)
    )))  # fmt: skip
    assert [r["title"] for r in rows] == ["Page and data"]


def test_a_story_without_consent_to_the_project_page_is_not_published(app, db, delivered):
    d = delivered
    reporter = log_in(app.test_client(), d.reporter)
    url = f"/rounds/{d.round.id}/projects/P1"
    for scopes in ([], ["open_data"]):
        response = reporter.post(f"{url}/stories/new", data=_story("Not agreed", scopes))
        assert response.status_code == 422
        assert "Tick “On the project page”" in response.get_data(as_text=True)
    assert db.session.query(Story).count() == 0
    assert "Not agreed" not in _open_data(app, d.round.slug)


def test_with_every_story_withdrawn_the_page_says_so_in_one_sentence(app, db, delivered):
    d = delivered
    reporter = log_in(app.test_client(), d.reporter)
    url = f"/rounds/{d.round.id}/projects/P1"
    reporter.post(f"{url}/stories/new", data=_story("Gone", ["page", "open_data"]))
    story = db.session.query(Story).one()
    reporter.post(f"{url}/stories/{story.id}/withdraw")
    page = reporter.get(url).get_data(as_text=True)
    assert "No stories yet." not in page
    assert "No stories are shown: 1 story is hidden because consent was withdrawn." in page
    assert "Gone" not in _open_data(app, d.round.slug)

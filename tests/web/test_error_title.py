"""A page that sends a form back with errors says so in its title and focuses its summary."""

from __future__ import annotations

import re

import pytest

from tests.web.world import login


@pytest.fixture
def client(app, world):
    return login(app.test_client(), world.user("citizen"))


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1)


def test_a_form_with_errors_has_error_in_its_title_and_a_focused_summary(client):
    html = client.post("/account", data={"display_name": ""}).get_data(as_text=True)
    assert 'id="error-summary"' in html
    assert _title(html).startswith("Error: ")
    assert re.search(r'<div class="error-summary"[^>]* id="error-summary" autofocus>', html)


def test_the_same_page_without_errors_keeps_its_title(client):
    html = client.get("/account").get_data(as_text=True)
    assert 'id="error-summary"' not in html
    assert not _title(html).startswith("Error")


def test_the_title_says_error_once_however_often_the_form_is_sent_back(client):
    client.post("/account", data={"display_name": ""})
    html = client.post("/account", data={"display_name": ""}).get_data(as_text=True)
    assert _title(html).count("Error: ") == 1

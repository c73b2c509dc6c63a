"""Bad input to the proposal form: a clear message next to the field, and no row written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from decide.models import CostLine, Proposal, ProposalVersion
from tests.web.world import login


def _counts(db) -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Proposal, CostLine, ProposalVersion)
    )


def _valid(world, **changes) -> dict[str, str]:
    data = {
        "organisation_id": str(world.organisation.id),
        "title": "Men's peer support circles",
        "summary": "Fortnightly evening circles led by trained peers.",
        "description_md": "We meet in the rugby club, **not** a clinic.",
        "expected_outcomes": "40 men attend four sessions or more.",
        "area_id": str(world.areas[0].id),
        "theme_ids": [str(world.themes[1].id)],
        "cost_lines-0-item": "Peer facilitators",
        "cost_lines-0-amount": "1,872.50",
        "cost_lines-1-item": "Room hire",
        "cost_lines-1-amount": "312",
    }
    data.update(changes)
    return data


def _post(app, world, data):
    client = login(app.test_client(), world.user("asset_member"))
    return client.post(f"/rounds/{world.round.id}/proposals/new", data=data)


def _field_error(html: str, field_id: str) -> str:
    """Return the message shown next to a field, checking the input points at it."""
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, f"no error message next to {field_id}"
    tag = re.search(rf"<(?:input|textarea|select)[^>]*\bid=\"{field_id}\"[^>]*>", html)
    assert tag, f"no input {field_id}"
    assert 'aria-invalid="true"' in tag.group(0)
    assert f"{field_id}-error" in tag.group(0)  # aria-describedby
    # The error summary at the top links to the field.
    assert f'href="#{field_id}"' in html
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "").strip()


def test_valid_proposal_is_saved_with_exact_pence(app, db, world):
    before = _counts(db)
    response = _post(app, world, _valid(world))
    assert response.status_code == 302
    assert _counts(db) == (before[0] + 1, before[1] + 2, before[2] + 1)
    proposal = db.session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
    assert [c.amount_pence for c in proposal.cost_lines] == [187_250, 31_200]
    assert proposal.total_pence == 218_450
    assert proposal.organisation_id == world.organisation.id
    assert proposal.versions[0].number == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-50", "The amount must be more than £0"),
        ("0", "The amount must be more than £0"),
        ("0.00", "The amount must be more than £0"),
        ("12.345", "Enter an amount in pounds, like 1,250 or 1250.50"),
        ("lots", "Enter an amount in pounds, like 1,250 or 1250.50"),
    ],
)
def test_bad_cost_line_is_refused(app, db, world, amount, message):
    before = _counts(db)
    response = _post(app, world, _valid(world, **{"cost_lines-1-amount": amount}))
    assert response.status_code == 200
    assert _field_error(response.get_data(as_text=True), "cost_lines-1-amount") == message
    assert _counts(db) == before


def test_missing_title_is_refused(app, db, world):
    before = _counts(db)
    response = _post(app, world, _valid(world, title="   "))
    assert response.status_code == 200
    assert _field_error(response.get_data(as_text=True), "title") == "Enter a title"
    assert _counts(db) == before


def test_description_over_20000_characters_is_refused(app, db, world):
    before = _counts(db)
    response = _post(app, world, _valid(world, description_md="x" * 20_001))
    assert response.status_code == 200
    message = _field_error(response.get_data(as_text=True), "description_md")
    assert message == "The description must be 20,000 characters or fewer"
    assert _counts(db) == before


def test_description_of_exactly_20000_characters_is_accepted(app, db, world):
    response = _post(app, world, _valid(world, description_md="x" * 20_000))
    assert response.status_code == 302


def test_script_in_description_is_stored_sanitised_and_rendered_inert(app, db, world):
    evil = (
        'Hello <script>alert("pwned")</script> <img src=x onerror=alert(1)> '
        "[x](javascript:alert(1))"
    )
    response = _post(app, world, _valid(world, description_md=evil))
    assert response.status_code == 302
    proposal = db.session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
    # Raw HTML is gone from what is stored; the author's words and Markdown stay.
    assert "<script" not in proposal.description_md
    assert "pwned" not in proposal.description_md
    assert "<img" not in proposal.description_md
    assert proposal.description_md.startswith("Hello")
    assert "[x](javascript:alert(1))" in proposal.description_md
    page = app.test_client().get(f"/proposals/{proposal.id}").get_data(as_text=True)
    # The only <script> elements on the page are our own files from /static, none inline.
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all(re.fullmatch(r'<script src="/static/[^"]+" defer>', t) for t in scripts)
    assert page.count("</script>") == len(scripts)
    assert "pwned" not in page
    assert re.search(r"<[^>]*\sonerror=", page) is None
    assert "<img" not in page
    assert 'href="javascript:' not in page


def test_proposal_outside_the_proposals_phase_is_refused(app, db, world):
    world.round.phase = "deliberation"
    db.session.commit()
    before = _counts(db)
    response = _post(app, world, _valid(world))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "This round is not taking proposals: it is in the “Deliberation” phase." in html
    assert _counts(db) == before


def test_proposal_after_the_deadline_is_refused(app, db, world):
    import datetime as dt

    world.round.proposals_close = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    before = _counts(db)
    response = _post(app, world, _valid(world))
    assert "The deadline for proposals was" in response.get_data(as_text=True)
    assert _counts(db) == before


def test_proposing_for_someone_elses_organisation_is_refused(app, db, world):
    before = _counts(db)
    client = login(app.test_client(), world.user("citizen"))
    response = client.post(f"/rounds/{world.round.id}/proposals/new", data=_valid(world))
    html = response.get_data(as_text=True)
    assert "You can only propose on behalf of your own organisations" in html
    assert _counts(db) == before


def test_add_another_line_without_javascript_rerenders_with_an_empty_row(app, db, world):
    before = _counts(db)
    response = _post(app, world, _valid(world, add_line="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="cost_lines-2-item"' in html and 'id="cost_lines-2-amount"' in html
    assert 'value="Room hire"' in html
    assert "There is a problem" not in html
    assert "£2,184.50" in html  # the running total
    assert _counts(db) == before


def test_empty_extra_rows_are_ignored(app, db, world):
    response = _post(
        app, world, _valid(world, **{"cost_lines-2-item": "", "cost_lines-2-amount": ""})
    )
    assert response.status_code == 302


def test_htmx_cost_line_row_is_numbered_after_existing_rows(app, world):
    client = login(app.test_client(), world.user("citizen"))
    response = client.get(
        f"/rounds/{world.round.id}/proposals/cost-line?cost_lines-0-item=a&cost_lines-1-item=b",
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert 'name="cost_lines-2-item"' in html and 'name="cost_lines-2-amount"' in html
    assert "<html" not in html


class TestForgedPost:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_post_without_csrf_token_is_refused_with_400(self, app, db, world):
        before = _counts(db)
        response = _post(app, world, _valid(world))
        assert response.status_code == 400
        assert "security token" in response.get_data(as_text=True)
        assert _counts(db) == before

    def test_post_with_csrf_token_is_accepted(self, app, db, world):
        client = login(app.test_client(), world.user("asset_member"))
        form = client.get(f"/rounds/{world.round.id}/proposals/new").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        before = _counts(db)
        data = _valid(world, csrf_token=token)
        response = client.post(f"/rounds/{world.round.id}/proposals/new", data=data)
        assert response.status_code == 302
        assert _counts(db)[0] == before[0] + 1


def test_missing_area_and_no_cost_lines_are_refused_next_to_their_fields(app, db, world):
    before = _counts(db)
    data = _valid(world, area_id="0")
    for key in (
        "cost_lines-0-item",
        "cost_lines-0-amount",
        "cost_lines-1-item",
        "cost_lines-1-amount",
    ):
        data[key] = ""
    html = _post(app, world, data).get_data(as_text=True)
    assert _field_error(html, "area_id") == "Choose the area the proposal serves"
    assert "Add at least one cost line" in html
    assert '<a href="#cost_lines">Add at least one cost line</a>' in html
    assert _counts(db) == before

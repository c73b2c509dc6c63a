"""New-user finding: the "Serve on the panel" form preselects the first area (Canal Side), so a
volunteer who never touches the Area menu is registered, and counted against the area quotas,
as living in Canal Side. The area must start blank and be required, like the age band."""

from __future__ import annotations

import re

from decide.services import sortition
from tests.deliberation.test_sortition_web import FORM
from tests.web.world import login


def test_the_area_menu_starts_blank_so_a_volunteer_must_choose_it(app, db, world):
    url = f"/rounds/{world.round.id}/panel/volunteer"
    html = login(app.test_client(), world.users["citizen"]).get(url).get_data(as_text=True)
    select = re.search(r'<select[^>]*name="area_id".*?</select>', html, re.S)
    assert select is not None
    options = re.findall(r"<option[^>]*>", select.group(0))
    assert options and 'value=""' in options[0], options[:2]


def test_a_volunteer_who_leaves_the_area_blank_is_told_and_not_registered(app, db, world):
    url = f"/rounds/{world.round.id}/panel/volunteer"
    citizen = login(app.test_client(), world.users["citizen"])
    refused = citizen.post(url, data={**FORM, "area_id": "", "consent": "y"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and 'id="error-summary"' in html
    assert "Choose your area" in html and "coerce" not in html
    assert sortition.volunteers_of(db.session, world.round) == []

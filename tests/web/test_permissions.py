"""Every route, every role: exactly the access each should have (403 or log in otherwise).

Expectations live in tests/web/access/*.py; see that package's docstring to add routes.
"""

from __future__ import annotations

import pytest

from tests.web.access import FORBIDDEN, LOGIN, OK, ROLES, Access, all_rules
from tests.web.world import login

RULES = all_rules()


def _outcome(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        return LOGIN if response.location.split("?")[0].endswith("/login") else OK
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code < 400:
        return OK
    return f"HTTP {response.status_code}"


def test_every_route_has_an_access_rule(app):
    covered = {(r.endpoint, r.method) for r in RULES}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routes - covered)
    assert not missing, (
        "Routes without an access rule (add them to a module in tests/web/access/): "
        + ", ".join(f"{m} {e}" for e, m in missing)
    )
    stale = sorted(covered - routes)
    assert not stale, f"Access rules for routes that no longer exist: {stale}"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_route_access(app, world, rule: Access):
    assert set(rule.expect) == set(ROLES), f"{rule.id} must give an expectation for every role"
    url = rule.url(world)
    data = rule.data(world)
    got = {}
    # Facilitators last: their allowed POSTs change state the other roles' requests rely on.
    for role in ROLES:
        client = login(app.test_client(), world.user(role))
        if rule.method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=rule.method, data=data)
        got[role] = _outcome(response)
    assert got == dict(rule.expect)

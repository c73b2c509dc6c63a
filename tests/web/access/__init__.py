"""Expected access for every route, per role. The permission test collects them all.

Each module in this package defines `RULES`, a list of `Access` entries. To cover new routes,
add a module here (for example `tests/web/access/voting.py`) with their expectations: the
test `test_every_route_has_an_access_rule` fails for any (endpoint, method) of the app that
no module lists.

`url(world)` and `data(world)` are called once, before any request; they may add rows with
`world.session` (commit them) to build what the route needs.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

OK = "ok"  # 2xx, or a redirect that is not to the login page
LOGIN = "login"  # a redirect to the login page
FORBIDDEN = "forbidden"  # 403

ROLES = ("anonymous", "citizen", "asset_member", "panel_member", "facilitator")
PUBLIC: Mapping[str, str] = {role: OK for role in ROLES}
SIGNED_IN: Mapping[str, str] = {**PUBLIC, "anonymous": LOGIN}
FACILITATOR_ONLY: Mapping[str, str] = {
    "anonymous": LOGIN,
    "citizen": FORBIDDEN,
    "asset_member": FORBIDDEN,
    "panel_member": FORBIDDEN,
    "facilitator": OK,
}


def only(*roles: str) -> dict[str, str]:
    """Return expectations where just `roles` get in; anonymous users are sent to log in."""
    return {
        role: OK if role in roles else (LOGIN if role == "anonymous" else FORBIDDEN)
        for role in ROLES
    }


@dataclass(frozen=True)
class Access:
    """What each role gets from one request to one route."""

    endpoint: str
    method: str
    url: Callable[[Any], str]
    expect: Mapping[str, str]
    data: Callable[[Any], dict[str, Any]] = field(default=lambda world: {})
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.endpoint}-{self.method}" + (f"-{self.note}" if self.note else "")


def all_rules() -> list[Access]:
    """Return the rules of every module in this package."""
    rules: list[Access] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        rules.extend(getattr(module, "RULES", []))
    return rules

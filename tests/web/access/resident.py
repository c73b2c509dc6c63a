"""Access rules for what residents change themselves: account details, password, postcode.

The postcode asked for in place on a voting page is for signed-in accounts only; the world's
citizen already has one (the view goes on to the ballot), the others have none and save it.
"""

from __future__ import annotations

from tests.web.access import SIGNED_IN, Access
from tests.web.access.voting import _v

RULES = [
    Access(
        "auth.account",
        "POST",
        lambda w: "/account",
        SIGNED_IN,
        data=lambda w: {"display_name": ""},
    ),
    Access(
        "auth.change_password",
        "POST",
        lambda w: "/account/password",
        SIGNED_IN,
        data=lambda w: {"current_password": "wrong", "new_password": "a new long password"},
    ),
    Access(
        "voting.add_postcode",
        "POST",
        lambda w: f"/rounds/{_v(w).round.id}/vote/postcode",
        SIGNED_IN,
        data=lambda w: {"postcode": "NB1 2AB"},
    ),
]

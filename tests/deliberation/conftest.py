from __future__ import annotations

import pytest

from tests.deliberation.factory import Deliberation, deliberation
from tests.web.world import World, build_world


@pytest.fixture
def world(db) -> World:
    """Return the web tests' world: one account per role, a round taking proposals, a draft."""
    return build_world(db.session)


@pytest.fixture
def delib(db, world) -> Deliberation:
    """Return a round in deliberation with a panel of three and an open session."""
    return deliberation(db.session, world)

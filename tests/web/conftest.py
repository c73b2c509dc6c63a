from __future__ import annotations

import pytest

from tests.web.world import World, build_world


@pytest.fixture
def world(db) -> World:
    """Return a world with one account per role, a round taking proposals and a draft."""
    return build_world(db.session)

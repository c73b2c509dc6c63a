"""Under `pytest -n 3 --dist loadgroup` (`make test`), xdist keeps a group's tests on one worker.

xdist puts a test in its group by appending "@group" to the test's node id. pytest 9.2 gives
nodes structured ids, on which that rename has no effect: the groups are lost without a word
(pytest-dev/pytest-xdist#1386), and each worker builds a group's costly module fixture again,
such as the secrecy election (tests/security/test_secrecy.py), about 80 s more. pyproject.toml
holds pytest below 9.2; this test fails if a release breaks the groups again.
"""

from __future__ import annotations

import pytest


@pytest.mark.xdist_group("group-check")
def test_xdist_keeps_the_tests_of_a_group_together(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("runs under pytest-xdist's --dist loadgroup (make test)")
    assert request.node.nodeid.endswith("@group-check"), (
        f"--dist loadgroup lost this test's group ({request.node.nodeid}): this pytest and "
        "pytest-xdist do not work together (pytest-dev/pytest-xdist#1386); see the pytest "
        "bound in pyproject.toml"
    )

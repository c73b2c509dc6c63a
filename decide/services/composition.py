"""The one place where services that would otherwise import each other in a circle are wired.

- TRANSITIONS: for each permitted phase change, its guards and effects (closing a round
  schedules the closing job; publishing needs the manifest's signatures).
- JOB_WORKERS: for each kind of publication job, the function that does the work, taking
  (session, round, progress).

Everything here is a real import, so import-linter sees every dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from decide.services import closing, manifests, publication
from decide.services import phase_rules as rules
from decide.services.phase_rules import Transition

TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("draft", "proposals"): Transition(guards=[rules.needs_area]),
    ("proposals", "draft"): Transition(),
    ("proposals", "deliberation"): Transition(guards=[rules.needs_proposal]),
    ("deliberation", "proposals"): Transition(),
    ("deliberation", "voting"): Transition(
        guards=[
            rules.needs_project,
            rules.needs_payees,
            rules.ballot_rules_complete,
            rules.needs_panel,
            rules.threshold_explained,
            rules.roll_uploaded_if_ticked,
            rules.self_declared_confirmed,
        ],
        effects=[rules.stamp_voting_opened],
    ),
    ("voting", "closed"): Transition(effects=[closing.on_close]),
    ("closed", "published"): Transition(
        guards=[publication.publish_blocker],
        effects=[publication.on_publish],
    ),
    ("published", "delivery"): Transition(),
}


JOB_WORKERS: dict[str, Callable[..., Any]] = {
    "close": closing.close_board,
    "manifest": manifests.write_manifest,
    "publish": publication.publish_round,
    "edition": publication.write_edition,
}

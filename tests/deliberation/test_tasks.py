"""A panel member's deliberation tasks: upcoming sessions, proposals waiting for their score,
minutes to approve; and their count on the navigation bar."""

from __future__ import annotations

from decide.services.deliberation import minutes, sessions
from decide.services.tasks import TaskKind, task_count, tasks_for
from tests.deliberation.factory import attend_and_close, score_all
from tests.web.world import login


def _tasks(db, user, kind: TaskKind) -> list:
    return [t for g in tasks_for(db.session, user) for t in g.tasks if t.kind is kind]


def test_sessions_and_scores_wait_until_done_or_conflicted(db, delib, world):
    pat = delib.panel["pat"]
    [upcoming] = _tasks(db, pat, TaskKind.SESSION)
    assert upcoming.session_id == delib.session.id and "Riverside Hub" in upcoming.detail
    assert _tasks(db, world.users["citizen"], TaskKind.SESSION) == []
    waiting = _tasks(db, pat, TaskKind.SCORE)
    assert sorted(t.title for t in waiting) == [
        "Score Cooking club", "Score Green gym", "Score Walking group",
    ]  # fmt: skip
    cooking, gym, _walking = delib.proposals
    score_all(db.session, delib, pat, cooking, 4)
    sessions.declare_conflict(db.session, delib.round, pat, gym.id, "I run the gym")
    assert [t.title for t in _tasks(db, pat, TaskKind.SCORE)] == ["Score Walking group"]
    assert len(_tasks(db, delib.panel["quinn"], TaskKind.SCORE)) == 3  # others' own lists
    attend_and_close(db.session, delib, "pat", "quinn")
    assert _tasks(db, pat, TaskKind.SCORE) == [] and _tasks(db, pat, TaskKind.SESSION) == []


def test_minutes_wait_for_the_members_present_until_they_approve(app, db, delib):
    pat, quinn, rae = (delib.panel[n] for n in ("pat", "quinn", "rae"))
    attend_and_close(db.session, delib, "pat", "quinn")
    written = minutes.generate_minutes(db.session, delib.session)
    [task] = _tasks(db, pat, TaskKind.MINUTES)
    assert task.target_id == written.id and task.session_id == delib.session.id
    assert _tasks(db, rae, TaskKind.MINUTES) == []  # absent: not asked to approve
    page = login(app.test_client(), pat).get("/tasks").get_data(as_text=True)
    assert f"/sessions/{delib.session.id}/minutes" in page
    count = task_count(tasks_for(db.session, pat))
    assert f'<span class="visually-hidden">({count} waiting)</span>' in page
    minutes.approve_minutes(db.session, written, pat)
    assert _tasks(db, pat, TaskKind.MINUTES) == []
    assert len(_tasks(db, quinn, TaskKind.MINUTES)) == 1


def test_an_open_shortlist_vote_waits_for_each_member_until_they_rank(app, db, delib):
    from decide.services.deliberation import shortlist

    pat, quinn = delib.panel["pat"], delib.panel["quinn"]
    assert _tasks(db, pat, TaskKind.RANK) == []
    decision = shortlist.open_ranked_vote(db.session, delib.session, 1)
    [task] = _tasks(db, pat, TaskKind.RANK)
    assert task.session_id == delib.session.id and task.detail == "1 place to fill"
    page = login(app.test_client(), pat).get("/tasks").get_data(as_text=True)
    assert f"/sessions/{delib.session.id}/shortlist/ballot" in page
    cooking, gym, _walking = delib.proposals
    shortlist.cast_ranking(db.session, decision, pat, [gym.id, cooking.id])
    assert _tasks(db, pat, TaskKind.RANK) == []
    assert len(_tasks(db, quinn, TaskKind.RANK)) == 1  # the others still have it

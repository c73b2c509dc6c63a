"""`decide import-pb` (and the web import) refuse ballots that break the file's own limits.

An outside tester's files (issue 11): a ballot longer than max_length, shorter than min_length,
a project twice in one vote, points over max_sum_points or under min_sum_points, and the
limits 0 (max_length;0, max_sum_points;0) that were read as "no limit". Each is refused in one
line naming the file's line, and nothing is written; what is imported passes the round's rules,
which the verifier checks again (audits.verify, check 2).
"""

from __future__ import annotations

import io

import pytest
from markupsafe import escape

from decide.models import Round
from decide.services import ballot_values, voting
from tests.helpers.sessions import log_in as login
from tests.helpers.tables import table_counts
from tests.voting.helpers import make_user

APPROVAL = (
    "META\nkey;value\ndescription;Limits\nbudget;100\nvote_type;approval\n{meta}"
    "PROJECTS\nproject_id;cost;name\n1;50;One\n2;40;Two\n"
    "VOTES\nvoter_id;vote\nv1;1,2\nv2;{vote}\n"
)
POINTS = (
    "META\nkey;value\ndescription;Limits\nbudget;100\nvote_type;cumulative\n{meta}"
    "PROJECTS\nproject_id;cost\n1;50\n2;40\n"
    "VOTES\nvoter_id;vote;points\nv1;1,2;2,3\nv2;{vote}\n"
)

REFUSED = {
    "maxlen_viol": (
        APPROVAL.format(meta="max_length;1\n", vote="1"),
        "line 13: voter v1 lists 2 projects, more than the 1 that max_length allows",
    ),
    "minlen_viol": (
        APPROVAL.format(meta="min_length;2\n", vote="1"),
        "line 14: voter v2 lists 1 project, fewer than the 2 that min_length asks for",
    ),
    "dup_vote_in_ballot": (
        APPROVAL.format(meta="", vote="1,1"),
        "line 13: voter v2 lists project 1 twice",
    ),
    "maxlen_0": (
        APPROVAL.format(meta="max_length;0\n", vote=""),
        "META max_length is 0: in pabulib a vote lists at most max_length projects",
    ),
    "maxsum_0": (
        POINTS.format(meta="max_sum_points;0\n", vote="1;3"),
        "META max_sum_points is 0",
    ),
    "points_over_max_sum": (
        POINTS.format(meta="max_sum_points;5\n", vote="1,2;3,3"),
        "line 14: voter v2 gives 6 points in all, more than the 5 that max_sum_points allows",
    ),
    "points_under_min_sum": (
        POINTS.format(meta="max_sum_points;5\nmin_sum_points;4\n", vote="1;3"),
        "line 15: voter v2 gives 3 points in all, fewer than the 4 that min_sum_points asks for",
    ),
    "maxsumcost_viol": (
        APPROVAL.format(meta="max_sum_cost;60\n", vote="1"),
        "line 13: voter v1 chooses projects costing 90 in all, more than the 60",
    ),
}


@pytest.mark.parametrize(("content", "message"), REFUSED.values(), ids=REFUSED)
def test_import_pb_cli_refuses_a_ballot_outside_the_files_limits(
    app, db, tmp_path, content, message
):
    path = tmp_path / "limits.pb"
    path.write_text(content, encoding="utf-8")
    before = table_counts(db)
    result = app.test_cli_runner().invoke(args=["import-pb", str(path)])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0] and lines[0].endswith("Nothing was imported.")
    assert table_counts(db) == before


@pytest.mark.parametrize("case", ["maxlen_viol", "dup_vote_in_ballot", "points_under_min_sum"])
def test_import_pb_web_refuses_a_ballot_outside_the_files_limits(app, db, case):
    content, message = REFUSED[case]
    client = app.test_client()
    login(client, make_user(db.session, is_facilitator=True))
    before = table_counts(db)
    response = client.post(
        "/rounds/import-pb",
        data={"pb_file": (io.BytesIO(content.encode()), "limits.pb")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert str(escape(message)) in html and "Nothing was imported" in html
    assert table_counts(db) == before


def test_a_repeat_is_read_once_when_asked_and_the_round_keeps_its_own_rules(app, db, tmp_path):
    path = tmp_path / "repeat.pb"
    path.write_text(APPROVAL.format(meta="max_length;2\n", vote="2,2"), encoding="utf-8")
    refused = app.test_cli_runner().invoke(args=["import-pb", str(path)])
    assert refused.exit_code == 1 and "--repeats merge" in refused.output
    result = app.test_cli_runner().invoke(args=["import-pb", str(path), "--repeats", "merge"])
    assert result.exit_code == 0, result.output
    rnd = db.session.get(Round, int(result.output.strip().splitlines()[-1]))
    profile = ballot_values.board_profile(db.session, rnd)
    assert [b.projects for b in profile.ballots] == [("1", "2"), ("2",)]
    rules = ballot_values.ballot_rules(rnd)
    instance = ballot_values.round_instance(rnd, voting.ballot_projects(db.session, rnd.id))
    from ballots.rules import validate

    assert all(not validate(b, rules, instance) for b in profile.ballots)

"""Hostile pabulib text: every fault is a PbError naming its line, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballots import pabulib

GOOD = (
    "META\nkey;value\nbudget;100\nvote_type;cumulative\nmax_sum_points;5\n"
    "PROJECTS\nproject_id;cost;name\n1;50;One\n2;40.5;Two\n"
    "VOTES\nvoter_id;vote;points\nv1;1,2;2,3\nv2;1;3\n"
)


def test_the_good_file_parses():
    pb = pabulib.parse(GOOD)
    assert [b.points for b in pb.profile.ballots] == [(2, 3), (3,)]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (GOOD.replace("One", "O\x00ne"), 8),
        ("\x00" + GOOD, 1),
        (GOOD.replace("v2;1;3", "v2;1;3\x00"), 13),
    ],
)
def test_a_nul_anywhere_is_refused_with_its_line(text, line):
    with pytest.raises(pabulib.PbError, match="contains a NUL character") as refused:
        pabulib.parse(text)
    assert refused.value.line == line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("budget;100", "budget;" + "9" * 5000, "line 3: budget '9999"),
        ("1;50;One", "1;" + "5" * 101 + ";One", "line 8: project 1 has cost '5555"),
        ("v2;1;3", "v2;1;" + "3" * 5000, "line 13: voter v2 has points '3333"),
    ],
)
def test_a_number_of_thousands_of_digits_is_refused_briefly(old, new, message):
    with pytest.raises(pabulib.PbError) as refused:
        pabulib.parse(GOOD.replace(old, new))
    text = str(refused.value)
    assert text.startswith(message)
    assert "longer than the 100 characters a number may have" in text
    assert len(text) < 200  # the value is shown cut short, with its length


def test_a_number_of_100_characters_is_still_read():
    budget = "1" * 98 + ".5"
    pb = pabulib.parse(GOOD.replace("budget;100", f"budget;{budget}"))
    assert pabulib.format_decimal(pb.instance.budget) == budget


def test_shown_cuts_long_values():
    assert pabulib.shown("  short ") == "short"
    assert pabulib.shown("x" * 41) == "x" * 40 + "… (41 characters)"


@st.composite
def spoiled_files(draw: st.DrawFn) -> str:
    """Return GOOD with a slice replaced by arbitrary text (NULs, digits, separators...)."""
    start = draw(st.integers(0, len(GOOD)))
    end = draw(st.integers(start, min(len(GOOD), start + 20)))
    middle = draw(
        st.one_of(
            st.text(max_size=30),
            st.text(st.sampled_from(';,\n\r"0123456789-.\x00²'), max_size=30),
            st.sampled_from(["9" * 5000, "-1", "1e9", "NaN", "2147483648"]),
        )
    )
    return GOOD[:start] + middle + GOOD[end:]


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(spoiled_files(), st.text(max_size=200)))
def test_any_text_parses_or_is_a_pb_error(text):
    try:
        pb = pabulib.parse(text)
    except pabulib.PbError as exc:
        assert exc.line >= 1
        assert str(exc).startswith(f"line {exc.line}: ")
    else:
        assert pabulib.parse(pabulib.write(pb)) == pb


# --- Ballots that break the file's own META limits (pabulib.check_limits) -----------------

APPROVAL = (
    "META\nkey;value\nbudget;100\nvote_type;approval\n{meta}"
    "PROJECTS\nproject_id;cost;name\n1;50;One\n2;40;Two\n"
    "VOTES\nvoter_id;vote\nv1;1,2\nv2;{vote}\n"
)
POINTS = (
    "META\nkey;value\nbudget;100\nvote_type;cumulative\n{meta}"
    "PROJECTS\nproject_id;cost;name\n1;50;One\n2;40.5;Two\n"
    "VOTES\nvoter_id;vote;points\nv1;1,2;2,3\nv2;{vote}\n"
)


def _approval(meta: str, vote: str = "1") -> str:
    return APPROVAL.format(meta="".join(f"{line}\n" for line in meta.split("|") if line), vote=vote)


def _points(meta: str, vote: str = "1;3") -> str:
    return POINTS.format(meta="".join(f"{line}\n" for line in meta.split("|") if line), vote=vote)


LIMIT_BREAKS = {
    # The files an outside tester sent (/tmp/r11a/pb), and their neighbours.
    "maxlen_viol": (_approval("max_length;1"), 12, "voter v1 lists 2 projects, more than the 1"),
    "minlen_viol": (_approval("min_length;2"), 13, "voter v2 lists 1 project, fewer than the 2"),
    "dup_vote_in_ballot": (_approval("", vote="1,1"), 12, "voter v2 lists project 1 twice"),
    "dup_in_a_ranking": (
        _approval("", vote="2,1,2").replace("approval", "ordinal"),
        12,
        "voter v2 lists project 2 twice",
    ),
    "maxlen_0": (
        _approval("max_length;0"),
        12,
        "lists 2 projects, more than the 0 that max_length",
    ),
    "maxsum_0": (_points("max_sum_points;0"), 12, "gives 5 points in all, more than the 0"),
    "over_max_sum_points": (_points("max_sum_points;5", vote="1,2;3,3"), 13, "6 points in all"),
    "under_min_sum_points": (
        _points("max_sum_points;5|min_sum_points;4", vote="1;3"),
        14,
        "gives 3 points in all, fewer than the 4 that min_sum_points asks for",
    ),
    "over_max_points": (
        _points("max_sum_points;5|max_points;2"),
        13,
        "gives 3 points to project 2, more than the 2 that max_points allows",
    ),
    "negative_points": (_points("max_sum_points;5", vote="1;-1"), 13, "points cannot be negative"),
    "over_max_sum_cost": (_approval("max_sum_cost;60"), 12, "costing 90 in all, more than the 60"),
    "under_min_sum_cost": (_approval("min_sum_cost;45", vote="2"), 13, "costing 40 in all, less"),
    "minlen_gt_max": (_approval("min_length;2|max_length;1"), 5, "META min_length (2) is more"),
    "minsum_gt_max": (
        _points("max_sum_points;5|min_sum_points;10"),
        6,
        "META min_sum_points (10) is more than max_sum_points (5)",
    ),
    "minlen_neg": (_approval("min_length;-1"), 5, "META min_length is -1, which is negative"),
    "maxlen_not_whole": (_approval("max_length;1.5"), 5, "META max_length '1.5' is not a whole"),
}


@pytest.mark.parametrize(("text", "line", "message"), LIMIT_BREAKS.values(), ids=LIMIT_BREAKS)
def test_a_ballot_breaking_the_files_own_limits_is_refused_at_its_line(text, line, message):
    pb = pabulib.parse(text)  # the file itself reads: the limits are checked on request
    with pytest.raises(pabulib.PbError) as refused:
        pabulib.check_limits(pb)
    assert refused.value.line == line, str(refused.value)
    assert message in refused.value.reason


@pytest.mark.parametrize(
    "text",
    [
        _approval("min_length;1|max_length;2"),
        _approval("max_length;2|max_sum_cost;90", vote="1,2"),
        _approval("max_length;"),  # empty: not stated
        _approval("max_length;None"),
        _points("max_sum_points;5|min_sum_points;3|max_points;3", vote="1;3"),
        _points("", vote="1;3"),  # no stated limit: nothing to break
    ],
)
def test_ballots_within_the_limits_pass(text):
    pabulib.check_limits(pabulib.parse(text))


def test_the_limits_are_checked_on_every_ballot_not_only_the_first():
    text = _approval("max_length;2").replace("v2;1\n", "v2;1\nv3;1,2\nv4;2,1,2\n")
    with pytest.raises(pabulib.PbError, match=r"^line 15: voter v4 lists project 2 twice"):
        pabulib.check_limits(pabulib.parse(text))


def test_a_file_built_in_code_has_no_lines_and_still_checks():
    pb = pabulib.parse(_approval("max_length;1"))
    bare = pabulib.PbFile(instance=pb.instance, profile=pb.profile)
    assert bare == pb and bare.vote_lines == ()
    with pytest.raises(pabulib.PbError, match="voter v1 lists 2 projects"):
        pabulib.check_limits(bare)


@settings(max_examples=200, deadline=None)
@given(text=spoiled_files())
def test_check_limits_raises_only_pb_errors(text):
    try:
        pb = pabulib.parse(text)
        pabulib.check_limits(pb)
    except pabulib.PbError as exc:
        assert exc.line >= 1

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

"""pyrankvote decides the shortlist: a hand-counted STV election with a transfer and an
elimination (issue 15, acceptance 4), IRV for one place, and refused ballots.

The election, counted by hand: 11 ballots, 2 places, quota 11/3 = 3.666667.
  5 × A>B, 2 × C>B, 3 × D>C, 1 × B>D
Round 1: A 5, B 1, C 2, D 3. A reaches the quota and is elected.
Round 2: A's surplus of 5 − 11/3 = 4/3 goes on from A's 5 ballots (4/15 each) to B: B = 7/3.
         Nobody else reaches the quota; C has the fewest (2) and is eliminated.
Round 3: C's 2 ballots go to B: B = 13/3 ≥ 11/3, elected; D (3) is left out.
"""

from __future__ import annotations

import pytest

from decide.ranked import CountMethod, RankingRefused, count_ranked

BALLOTS = [["A", "B"]] * 5 + [["C", "B"]] * 2 + [["D", "C"]] * 3 + [["B", "D"]]


def test_hand_counted_stv_with_a_transfer_and_an_elimination():
    count = count_ranked(["A", "B", "C", "D"], BALLOTS, places=2, seed="s")
    assert count.method is CountMethod.STV
    assert count.quota == "3.666667"
    assert count.winners == ("A", "B")
    first, second, third = count.rounds
    assert dict(first.counts) == {"A": "5", "B": "1", "C": "2", "D": "3"}
    assert (first.elected, first.eliminated, dict(first.transfers)) == (("A",), (), {})
    assert dict(second.counts) == {"A": "3.666667", "B": "2.333333", "C": "2", "D": "3"}
    assert dict(second.transfers) == {"A": "-1.333333", "B": "1.333333"}  # A's surplus
    assert (second.elected, second.eliminated) == ((), ("C",))
    assert dict(third.counts) == {"A": "3.666667", "B": "4.333333", "C": "0", "D": "3"}
    assert dict(third.transfers) == {"B": "2", "C": "-2"}  # C's ballots, whole
    assert (third.elected, third.eliminated) == (("B",), ("D",))


def test_one_place_is_instant_runoff():
    count = count_ranked(["A", "B", "C", "D"], BALLOTS, places=1, seed="s")
    assert count.method is CountMethod.IRV and count.quota == ""
    assert count.winners == ("A",)
    assert count.rounds[0].eliminated == ("B", "C")  # cannot catch up, even together


def test_same_ballots_and_seed_give_the_same_transcript_whatever_the_order():
    tied = [["A"], ["B"], ["C"], ["D"]]
    one = count_ranked(["A", "B", "C", "D"], tied, places=2, seed="seed-1")
    again = count_ranked(["A", "B", "C", "D"], tied, places=2, seed="seed-1")
    assert one.to_json() == again.to_json()
    assert len(one.winners) == 2


@pytest.mark.parametrize(
    ("ballots", "places", "message"),
    [
        ([["A", "A"]], 1, "twice"),
        ([["Z"]], 1, "unknown candidate"),
        ([["A"]], 0, "Choose from 1 to 4 places"),
        ([["A"]], 5, "Choose from 1 to 4 places"),
    ],
)
def test_bad_ballots_are_refused(ballots, places, message):
    with pytest.raises(RankingRefused, match=message):
        count_ranked(["A", "B", "C", "D"], ballots, places=places, seed="s")


def test_the_transcript_says_when_a_tie_was_broken_and_how(app):
    from flask import render_template

    tied_round = {
        "round": 2,
        "counts": [("Swimming", "1.5"), ("Benefits clinic", "1.5"), ("Gardens", "3")],
        "exhausted": "0",
        "elected": [],
        "eliminated": ["Benefits clinic"],
        "transfers": [],
    }
    clear_round = dict(tied_round, round=1, counts=[("Swimming", "2"), ("Benefits clinic", "1")])
    transcript = {
        "method": "stv", "method_words": "single transferable vote", "places": 2,
        "ballots": 6, "quota": "2", "seed": "decision 7", "winners": ["Gardens", "Swimming"],
        "rounds": [clear_round, tied_round],
    }  # fmt: skip
    with app.test_request_context():
        html = render_template("deliberation/_transcript.html", transcript=transcript)
    assert "Tie in round 2:" in html and "Tie in round 1" not in html
    assert "Benefits clinic had as many votes as Swimming" in html
    assert "“decision 7”" in html and "No further choice" in html

"""Pounds as typed become integer pence exactly, never through floats."""

from __future__ import annotations

import pytest

from ballots.wording import money_for_input
from decide.web.forms import parse_pence


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("12,500.50", 1_250_050),
        ("£12,500.50", 1_250_050),
        ("12500.5", 1_250_050),
        ("0.29", 29),
        ("1,000,000", 100_000_000),
        (" 7 ", 700),
        ("0.1", 10),
        ("19.99", 1_999),
    ],
)
def test_parse_pence(text, pence):
    assert parse_pence(text) == pence


@pytest.mark.parametrize(
    "text", ["", "abc", "1.234", "1,00", "12,50.00", "1e3", "-5", "£-5", "1..2"]
)
def test_parse_pence_refuses(text):
    with pytest.raises(ValueError):
        parse_pence(text)


def test_round_trip():
    for pence in (1, 29, 100, 1_250_050, 99_999_999):
        assert parse_pence(money_for_input(pence)) == pence


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (None, ""),
        (0, "0"),
        (29, "0.29"),
        (1_250_000, "12500"),
        (1_250_050, "12500.50"),
        (-5, "-0.05"),
    ],
)
def test_money_for_input_writes_what_people_type(pence, text):
    assert money_for_input(pence) == text

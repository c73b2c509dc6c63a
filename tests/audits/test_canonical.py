from __future__ import annotations

import hashlib
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audits.canonical import (
    CanonicalJSONError,
    canonical_json,
    parse_canonical,
    parse_json,
    sha256_hex,
)


def test_sorted_keys_no_whitespace_utf8():
    assert (
        canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )


def test_tuples_are_lists_and_big_integers_exact():
    assert canonical_json((1, 2**80)) == b"[1,1208925819614629174706176]"


def test_control_characters_escaped():
    assert canonical_json('a\nb\x01"\\') == b'"a\\nb\\u0001\\"\\\\"'


@pytest.mark.parametrize("bad", [1.0, Fraction(1, 3), Decimal("1.5"), b"x", {1: 2}, {1, 2}])
def test_non_canonical_values_refused(bad):
    with pytest.raises(CanonicalJSONError):
        canonical_json({"x": [bad]})


def test_float_error_names_path():
    with pytest.raises(CanonicalJSONError, match=r"\$\.budget.*floats"):
        canonical_json({"budget": 1.5})


def test_lone_surrogate_refused():
    with pytest.raises(CanonicalJSONError):
        canonical_json("\ud800")


def test_parse_refuses_floats_duplicates_and_noncanonical():
    with pytest.raises(CanonicalJSONError):
        parse_json(b'{"a":1.5}')
    with pytest.raises(CanonicalJSONError):
        parse_json(b'{"a":1,"a":2}')
    with pytest.raises(CanonicalJSONError):
        parse_json(b'{"a":NaN}')
    with pytest.raises(CanonicalJSONError):
        parse_canonical(b'{"b":1, "a":2}')
    assert parse_canonical(b'{"a":2,"b":1}') == {"a": 2, "b": 1}


def test_sha256_hex():
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_round_trip(value):
    data = canonical_json(value)
    assert parse_canonical(data) == value

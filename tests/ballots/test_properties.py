"""Hypothesis properties of the ballots package."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.canonical import canonical_ballot_bytes, decode_canonical_ballot
from ballots.model import Ballot, Instance, Profile, Project, VoteType
from ballots.pabulib import PbFile, format_decimal, parse, write
from ballots.rules import CODES, BallotRules, Violation, describe, validate
from ballots.tally import tally

# Any text the CSV layer must carry: separators, quotes, newlines, non-ASCII.
cell_text = st.text(
    alphabet=st.sampled_from([*"abcXYZ 09;,\"'\n\r\t#Łó€", "\u2028", "\x0b"]),
    max_size=12,
)
ident = st.text(alphabet=st.sampled_from(list("abcxyz0189;\"'_/.-Ł ")), min_size=1, max_size=8)
project_id = ident.filter(lambda s: s == s.strip())
voter_id = ident.filter(lambda s: s == s.strip())
column_name = st.text(alphabet=st.sampled_from(list("abcdefgh_")), min_size=1, max_size=6)


@st.composite
def decimals(draw: st.DrawFn) -> Fraction:
    whole = draw(st.integers(min_value=0, max_value=10**12))
    places = draw(st.integers(min_value=0, max_value=4))
    return Fraction(whole, 10**places)


@st.composite
def pb_files(draw: st.DrawFn) -> PbFile:
    vote_type: VoteType = draw(st.sampled_from(["approval", "cumulative", "ordinal", "scoring"]))
    ids = draw(st.lists(project_id, min_size=1, max_size=6, unique=True))
    reserved = {"project_id", "cost", "name", "voter_id", "vote", "points"}
    pfields = draw(
        st.lists(column_name.filter(lambda c: c not in reserved), unique=True, max_size=3)
    )
    vfields = draw(
        st.lists(column_name.filter(lambda c: c not in reserved), unique=True, max_size=3)
    )
    with_name = draw(st.booleans())
    projects = tuple(
        Project(
            pid,
            draw(decimals()),
            draw(cell_text) if with_name else "",
            {f: draw(cell_text) for f in pfields},
        )
        for pid in ids
    )
    meta_keys = draw(
        st.lists(
            ident.filter(lambda s: s == s.strip() and s not in ("budget", "vote_type")),
            unique=True,
            max_size=4,
        )
    )
    meta = {k: draw(cell_text) for k in meta_keys}
    budget = draw(decimals())
    label = vote_type
    if vote_type == "approval" and draw(st.booleans()):
        label = "choose-1"
    # The file may spell an integer budget "1000.0"; the writer must keep that spelling.
    spelling = draw(st.sampled_from(["", ".0", ".00"])) if budget.denominator == 1 else ""
    meta["budget"] = format_decimal(budget) + spelling
    meta["vote_type"] = label
    voters = draw(st.lists(voter_id, unique=True, max_size=6))
    ballots = []
    for v in voters:
        chosen = tuple(draw(st.lists(st.sampled_from(ids), max_size=5)))
        points = None
        if vote_type in ("cumulative", "scoring"):
            points = tuple(draw(st.integers(-5, 20)) for _ in chosen)
        ballots.append(Ballot(v, chosen, points, {f: draw(cell_text) for f in vfields}))
    instance = Instance(budget, projects, meta)
    return PbFile(instance, Profile(vote_type, tuple(ballots)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pb_files())
def test_write_then_parse_gives_the_same_data(pb: PbFile) -> None:
    text = write(pb)
    again = parse(text)
    assert again == pb
    assert write(again) == text


INSTANCE = Instance(
    Fraction(1000),
    tuple(Project(str(i), Fraction(c), f"P{i}") for i, c in enumerate([100, 250, 400, 0, 999])),
)


@st.composite
def ballot_rules(draw: st.DrawFn) -> BallotRules:
    kind = draw(st.sampled_from(["approval", "knapsack", "cumulative", "ranked"]))
    least = draw(st.integers(0, 3))
    most = draw(st.one_of(st.none(), st.integers(max(least, 1), 6)))
    money: dict[str, Any] = {
        "currency": draw(st.sampled_from(["£", "€", "PLN", ""])),
        "unit_is_pence": draw(st.booleans()),
    }
    if kind == "approval":
        return BallotRules("approval", min_choices=least, max_choices=most, **money)
    if kind == "knapsack":
        return BallotRules(
            "knapsack",
            min_choices=least,
            max_choices=most,
            max_cost=draw(st.one_of(st.none(), decimals())),
            min_budget_share=draw(
                st.one_of(st.none(), st.fractions(min_value=0, max_value=1, max_denominator=7))
            ),
            **money,
        )
    if kind == "cumulative":
        return BallotRules(
            "cumulative",
            min_choices=least,
            max_choices=most,
            total_points=draw(st.integers(1, 20)),
            max_points_per_project=draw(st.one_of(st.none(), st.integers(1, 10))),
            spend_all_points=draw(st.booleans()),
            **money,
        )
    return BallotRules("ranked", min_choices=least, rank_depth=most, **money)


anything = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.fractions(),
)


@st.composite
def arbitrary_ballots(draw: st.DrawFn) -> Ballot:
    ids = draw(
        st.lists(
            st.one_of(st.sampled_from(INSTANCE.project_ids), st.text(max_size=4), anything),
            max_size=8,
        )
    )
    points = draw(
        st.one_of(
            st.none(),
            st.lists(st.one_of(st.integers(-5, 30), anything), max_size=9).map(tuple),
            st.just(tuple(draw(st.integers(0, 10)) for _ in ids)),
        )
    )
    return Ballot("x", tuple(ids), points)


@settings(max_examples=400, deadline=None)
@given(arbitrary_ballots(), ballot_rules())
def test_validate_never_raises_and_uses_known_codes(ballot: Ballot, rules: BallotRules) -> None:
    violations = validate(ballot, rules, INSTANCE)
    assert all(isinstance(v, Violation) for v in violations)
    assert all(v.code in CODES and v.message for v in violations)
    assert describe(rules, INSTANCE)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(INSTANCE.project_ids), max_size=5, unique=True).flatmap(
        lambda ids: st.tuples(st.just(ids), st.permutations(ids))
    ),
    ballot_rules(),
)
def test_validate_ignores_the_order_of_approvals(pair: Any, rules: BallotRules) -> None:
    ids, shuffled = pair
    if rules.kind in ("cumulative", "ranked"):
        return
    a = validate(Ballot("x", tuple(ids)), rules, INSTANCE)
    b = validate(Ballot("y", tuple(shuffled)), rules, INSTANCE)
    assert [v.code for v in a] == [v.code for v in b]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=5), max_size=8).flatmap(
        lambda ids: st.tuples(st.just(ids), st.permutations(ids))
    ),
    st.lists(st.integers(0, 5), max_size=3),
    st.sampled_from(["approval", "knapsack"]),
)
def test_canonical_approval_bytes_ignore_order_and_repeats(
    pair: Any, repeat: list[int], kind: str
) -> None:
    ids, shuffled = pair
    extra = [ids[i % len(ids)] for i in repeat] if ids else []
    a = canonical_ballot_bytes(kind, Ballot("alice", tuple(ids)))
    b = canonical_ballot_bytes(kind, Ballot("bob", tuple(shuffled) + tuple(extra)))
    assert a == b
    vote_type, decoded = decode_canonical_ballot(a)
    assert vote_type == "approval"
    assert decoded.approved == frozenset(ids)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.sampled_from(INSTANCE.project_ids), st.integers(-3, 9), max_size=5).flatmap(
        lambda d: st.tuples(st.just(d), st.permutations(list(d.items())))
    ),
)
def test_canonical_points_bytes_ignore_order(pair: Any) -> None:
    d, items = pair
    ballot = Ballot("x", tuple(d), tuple(d.values()))
    shuffled = Ballot("y", tuple(k for k, _ in items), tuple(v for _, v in items))
    data = canonical_ballot_bytes("cumulative", ballot)
    assert data == canonical_ballot_bytes("cumulative", shuffled)
    _, decoded = decode_canonical_ballot(data)
    assert decoded.points_by_project == {k: v for k, v in d.items() if v != 0}


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(INSTANCE.project_ids), max_size=5), max_size=8).flatmap(
        lambda bs: st.tuples(st.just(bs), st.permutations(bs))
    ),
    st.sampled_from(["approval", "ordinal"]),
)
def test_tally_ignores_the_order_of_ballots(pair: Any, vote_type: VoteType) -> None:
    ballots, shuffled = pair
    a = tally(
        INSTANCE, Profile(vote_type, tuple(Ballot(str(i), tuple(b)) for i, b in enumerate(ballots)))
    )
    b = tally(
        INSTANCE,
        Profile(vote_type, tuple(Ballot(str(i), tuple(b)) for i, b in enumerate(shuffled))),
    )
    assert a.approvals == b.approvals and a.borda == b.borda
    assert sum(a.approvals.values()) == sum(len(set(x)) for x in ballots)

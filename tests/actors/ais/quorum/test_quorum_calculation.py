"""Votequorum arithmetic: properties that must hold for every vote assignment and split."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from actors.ais.quorum.calculation import calculate, quorum_for, tie_breaker_node

votes_st = st.dictionaries(st.integers(1, 9), st.integers(0, 3), min_size=1, max_size=7)


@st.composite
def split(draw: st.DrawFn) -> tuple[dict[int, int], int, set[int]]:
    votes = draw(votes_st)
    expected = sum(votes.values()) + draw(st.integers(0, 3))
    side = draw(st.sets(st.sampled_from(sorted(votes))))
    return votes, expected, side


@given(split(), st.booleans())
def test_two_partitions_are_never_both_quorate(case: tuple, atb: bool) -> None:
    votes, expected, side = case
    tie = tie_breaker_node("lowest", votes) if atb else None
    a = calculate({n: v for n, v in votes.items() if n in side}, expected, tie_breaker=tie)
    b = calculate({n: v for n, v in votes.items() if n not in side}, expected, tie_breaker=tie)
    assert not (a.quorate and b.quorate)


@given(split())
def test_quorate_exactly_with_a_strict_majority(case: tuple) -> None:
    votes, expected, side = case
    present = {n: v for n, v in votes.items() if n in side}
    state = calculate(present, expected)
    assert state.quorate == (2 * sum(present.values()) > max(expected, 1))
    assert state.quorum == quorum_for(max(expected, 1))


@given(split(), st.integers(1, 9), st.integers(1, 3), st.booleans())
def test_more_votes_never_lose_quorum(case: tuple, extra: int, extra_votes: int, atb: bool) -> None:
    votes, expected, side = case
    present = {n: v for n, v in votes.items() if n in side}
    tie = tie_breaker_node("lowest", votes) if atb else None
    before = calculate(present, expected, tie_breaker=tie)
    grown = {**present, extra: present.get(extra, 0) + extra_votes}
    after = calculate(grown, max(expected, sum(votes.values()) + extra_votes), tie_breaker=tie)
    if before.quorate and after.expected_votes == before.expected_votes:
        assert after.quorate


@given(split())
def test_expected_votes_never_below_votes_present(case: tuple) -> None:
    votes, _, side = case
    present = {n: v for n, v in votes.items() if n in side}
    state = calculate(present, 1)
    assert state.expected_votes >= state.total_votes


def test_two_node_and_waiting() -> None:
    assert calculate({1: 1}, 2, two_node=True).quorate
    assert not calculate({1: 1}, 2, two_node=True, waiting_for_all=True).quorate
    assert not calculate({1: 1}, 2).quorate
    assert calculate({1: 1}, 2, tie_breaker=1).tie_broken
    assert not calculate({2: 1}, 2, tie_breaker=1).quorate


def test_tie_breaker_node_rules() -> None:
    assert tie_breaker_node("lowest", {3, 1, 2}) == 1
    assert tie_breaker_node("highest", {3, 1, 2}) == 3
    assert tie_breaker_node((7, 2, 1), {1, 2, 3}) == 2
    assert tie_breaker_node("lowest", set()) is None

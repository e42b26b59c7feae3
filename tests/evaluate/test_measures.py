"""The metric arithmetic on hand-made inputs with known answers."""

from __future__ import annotations

import pytest

from oncall.evaluate.measures import (
    PRF,
    Tally,
    best_match,
    hit_at_k,
    pairwise,
    recall_at_k,
    same_group_pairs,
    set_score,
)


def fs(*items: str) -> frozenset[str]:
    return frozenset(items)


def test_perfect_clustering() -> None:
    score = pairwise([fs("a", "b", "c"), fs("d", "e")], [["a", "b", "c"], ["d", "e"]])
    assert (score.tp, score.predicted, score.actual) == (4, 4, 4)
    assert score.precision == score.recall == score.f1 == 1.0


def test_split_loses_recall_not_precision() -> None:
    # truth {a,b,c,d}: 6 pairs; predicted {a,b} {c,d}: 2 pairs, both right
    score = pairwise([fs("a", "b", "c", "d")], [["a", "b"], ["c", "d"]])
    assert score == PRF(tp=2, predicted=2, actual=6)
    assert score.precision == 1.0
    assert score.recall == pytest.approx(1 / 3)
    assert score.f1 == pytest.approx(2 * 2 / (2 + 6))


def test_merge_loses_precision_not_recall() -> None:
    # truth {a,b} {c,d}; predicted one group: 6 pairs, 2 right
    score = pairwise([fs("a", "b"), fs("c", "d")], [["a", "b", "c", "d"]])
    assert score == PRF(tp=2, predicted=6, actual=2)
    assert score.precision == pytest.approx(1 / 3)
    assert score.recall == 1.0
    assert score.f1 == pytest.approx(0.5)


def test_alert_called_noise_is_a_missed_pair_and_noise_is_no_pair() -> None:
    # c was called noise (in no predicted group); n is truth noise the tool grouped with a
    score = pairwise([fs("a", "b", "c")], [["a", "b", "n"]])
    assert score == PRF(tp=1, predicted=1, actual=3)


def test_no_pairs_anywhere_is_perfect_and_f1_is_harmonic_mean() -> None:
    assert PRF().f1 == 1.0
    assert PRF().precision is None and PRF().recall is None
    prf = PRF(tp=3, predicted=4, actual=6)
    p, r = 3 / 4, 3 / 6
    assert prf.f1 == pytest.approx(2 * p * r / (p + r))
    assert PRF(tp=0, predicted=0, actual=3).f1 == 0.0


def test_micro_average_adds_counts_before_dividing() -> None:
    total = PRF(1, 1, 1) + PRF(0, 0, 9)
    assert total.recall == pytest.approx(0.1)  # not the mean of per-case recalls (0.5)


def test_same_group_pairs_is_unordered_and_restricted() -> None:
    assert same_group_pairs([["b", "a", "x"]], fs("a", "b")) == {("a", "b")}


def test_set_score() -> None:
    score = set_score({"n1", "n2", "a"}, {"n1", "n2", "n3"})
    assert (score.precision, score.recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))


def test_accuracy_at_k_counts_distinct_candidates() -> None:
    ranked = ["api", "api", "db", "cache", "checkout"]
    assert hit_at_k(ranked, "api", 1)
    assert not hit_at_k(ranked, "db", 1)
    assert hit_at_k(ranked, "cache", 3)  # the repeated api takes one place, not two
    assert not hit_at_k(ranked, "checkout", 3)
    assert not hit_at_k([], "api", 3)


def test_recall_at_3() -> None:
    assert recall_at_k(["r1", "r2", "r3", "r4"], ["r1", "r4"], 3) == Tally(1, 2)
    assert recall_at_k([], ["r1"], 3).rate == 0.0
    assert recall_at_k(["r1"], [], 3).rate is None
    assert (Tally(1, 2) + Tally(2, 2)).rate == 0.75


def test_best_match_takes_largest_overlap_then_rank() -> None:
    groups = [fs("a"), fs("b", "c"), fs("c", "d")]
    assert best_match(fs("b", "c", "d"), groups) == 1  # tie between 1 and 2: earlier wins
    assert best_match(fs("c", "d", "e"), groups) == 2
    assert best_match(fs("z"), groups) is None

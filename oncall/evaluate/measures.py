"""The arithmetic of the metrics: pairwise clustering scores, AC@k, recall@k, matching.

Every count is kept as an additive tally (hits over total, or true positives over
predicted and actual) so that summing tallies over cases gives micro-averages: each
alert pair, incident or runbook id weighs the same, whichever case it comes from.
Pure functions on plain values, so each can be checked on a hand-made example.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TypeVar

T = TypeVar("T")
Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Tally:
    """`hits` out of `total`; the rate is None when there was nothing to count."""

    hits: int = 0
    total: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.hits + other.hits, self.total + other.total)

    @property
    def rate(self) -> float | None:
        return self.hits / self.total if self.total else None


def tally(ok: bool) -> Tally:
    return Tally(1 if ok else 0, 1)


@dataclass(frozen=True, slots=True)
class PRF:
    """True positives against the predicted and the actual set sizes."""

    tp: int = 0
    predicted: int = 0
    actual: int = 0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.predicted + other.predicted,
                   self.actual + other.actual)

    @property
    def precision(self) -> float | None:
        return self.tp / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.actual if self.actual else None

    @property
    def f1(self) -> float:
        """2TP / (predicted + actual): the harmonic mean of precision and recall, 0 when
        either is 0, and 1 when nothing was to be found and nothing was claimed."""
        denominator = self.predicted + self.actual
        return 2 * self.tp / denominator if denominator else 1.0


def same_group_pairs(groups: Iterable[Iterable[str]], within: frozenset[str]) -> set[Pair]:
    """Unordered pairs of members of `within` that share a group."""
    out: set[Pair] = set()
    for group in groups:
        members = sorted(set(group) & within)
        out.update(combinations(members, 2))
    return out


def pairwise(truth: Sequence[frozenset[str]], predicted: Iterable[Iterable[str]]) -> PRF:
    """Pairwise clustering score over the alerts the truth puts in incidents.

    Noise alerts take no part; a true-incident alert the prediction left out of every
    group (called it noise) forms no predicted pair, so its true pairs count as missed.
    """
    universe = frozenset().union(*truth) if truth else frozenset()
    true_pairs = same_group_pairs(truth, universe)
    got_pairs = same_group_pairs(predicted, universe)
    return PRF(len(true_pairs & got_pairs), len(got_pairs), len(true_pairs))


def set_score(predicted: Iterable[str], actual: Iterable[str]) -> PRF:
    got, want = set(predicted), set(actual)
    return PRF(len(got & want), len(got), len(want))


def distinct(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))


def hit_at_k(ranked: Sequence[T], truth: T, k: int) -> bool:
    """AC@k: the truth is among the first k distinct candidates."""
    return truth in distinct(ranked)[:k]


def recall_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> Tally:
    """How many of the relevant ids are among the first k retrieved ones."""
    wanted = set(relevant)
    return Tally(len(wanted & set(ranked[:k])), len(wanted))


def best_match(alerts: frozenset[str], groups: Sequence[frozenset[str]]) -> int | None:
    """Index of the group sharing the most alerts (the earlier one, i.e. the better
    ranked, on a tie); None when no group shares any."""
    best, best_overlap = None, 0
    for i, group in enumerate(groups):
        overlap = len(alerts & group)
        if overlap > best_overlap:
            best, best_overlap = i, overlap
    return best

"""When two roots are one incident.

Time alone is weak evidence: in a busy estate two unrelated failures start within the
same minute often enough, and co-firing chains (A with B, B with C) would fold a whole
storm into one incident. Roots are joined only on evidence an SRE would accept:

- a trace in which both failed;
- a dependency one of them has on the other, within two hops, and onsets within the
  merge window (the deeper one is the cause, its alert was just slower);
- a dependency they both call directly, with onsets in the same co-firing interval
  (several callers of a silent dependency failing together point at it);
- a dependency they both reach further down, or a caller alerting on both, with
  onsets in the same rule evaluation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from oncall.correlate.roots import CO_FIRING
from oncall.topology import Topology

ROOT_MERGE_WINDOW = timedelta(minutes=15)
SAME_EVALUATION = timedelta(seconds=30)
NEAR_HOPS = 2


class UnionFind:
    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, key: str) -> str:
        parent = self.parent
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller key wins so the result does not depend on the order of unions.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def merge_roots(
    onset: dict[str, datetime],
    topology: Topology,
    co_failing: set[tuple[str, str]],
    implicated: set[str],
) -> UnionFind:
    """Unions roots (keys of `onset`) that the rules above tie together."""
    uf = UnionFind(sorted(onset))

    def close(a: str, b: str, limit: timedelta) -> bool:
        return abs(onset[a] - onset[b]) <= limit

    for a, b in sorted(co_failing):
        if a in onset and b in onset and close(a, b, ROOT_MERGE_WINDOW):
            uf.union(a, b)
    for root in sorted(onset):
        for other in topology.downstream(root, NEAR_HOPS):
            if other in onset and close(root, other, ROOT_MERGE_WINDOW):
                uf.union(root, other)
    shared_callee: dict[str, list[str]] = defaultdict(list)
    same_evaluation: dict[str, list[str]] = defaultdict(list)
    for root in sorted(onset):
        for callee in topology.callees.get(root, ()):
            shared_callee[callee].append(root)
        for below in topology.downstream(root):
            same_evaluation[below].append(root)
        for caller in topology.upstream(root, NEAR_HOPS):
            if caller in implicated:
                same_evaluation[f"^{caller}"].append(root)
    _union_close(uf, shared_callee, onset, CO_FIRING)
    _union_close(uf, same_evaluation, onset, SAME_EVALUATION)
    return uf


def _union_close(
    uf: UnionFind, buckets: dict[str, list[str]], onset: dict[str, datetime], limit: timedelta
) -> None:
    """Within each bucket, unions members whose onsets fall in one `limit`-long window.

    Windows are anchored on their first member (leader clustering), so a long run of
    staggered onsets forms several groups instead of chaining into one."""
    for key in sorted(buckets):
        members = sorted(buckets[key], key=lambda r: (onset[r], r))
        leader = members[0]
        for root in members[1:]:
            if onset[root] - onset[leader] <= limit:
                uf.union(leader, root)
            else:
                leader = root

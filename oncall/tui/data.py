"""What the dashboard shows, loaded in one piece: the snapshot, its triage, the graph.

The screens need more than the `Triage` (raw metric series for the sparklines, the
change log for the timeline, the dependency graph for the blast radius), so the loader
keeps the `Snapshot` beside it. The triage itself comes from `pipeline.triage_snapshot`,
the same composition root as `oncall triage`, so both show the same incidents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oncall.knowledge import LexicalRetriever
from oncall.model import KnowledgeDoc, Policy, Snapshot, Triage
from oncall.pipeline import RetrieverFactory, triage_snapshot
from oncall.remediate.policy import merge_policies
from oncall.sources import Source
from oncall.topology import Topology, build_topology


@dataclass(frozen=True, slots=True)
class DashboardData:
    """One consistent view: the triage was computed from exactly this snapshot."""

    snapshot: Snapshot
    triage: Triage
    topology: Topology


Loader = Callable[[], DashboardData]


def build_data(
    snap: Snapshot,
    extra_knowledge: list[KnowledgeDoc] | None = None,
    retriever_factory: RetrieverFactory = LexicalRetriever,
    user_policy: Policy | None = None,
) -> DashboardData:
    """Triage `snap` and keep the graph the pipeline built from it (rebuilt: it is cheap).

    `user_policy` (oncall.yaml) tightens the snapshot's own, as in `oncall triage`."""
    snap.policy = merge_policies(snap.policy, user_policy)
    result = triage_snapshot(snap, extra_knowledge, retriever_factory)
    return DashboardData(snap, result, build_topology(snap.catalog, snap.spans))


class SourceLoader:
    """Reads the source afresh on every call, so a reload shows what changed.

    `first` is a snapshot the caller already read (the CLI reads it before the app
    starts, so bad input ends with one line and exit 2); it is used once, then the
    source is asked again.
    """

    def __init__(
        self,
        source: Source,
        extra_knowledge: list[KnowledgeDoc] | None = None,
        retriever_factory: RetrieverFactory = LexicalRetriever,
        first: Snapshot | None = None,
        user_policy: Policy | None = None,
    ) -> None:
        self.source = source
        self.user_policy = user_policy
        self.extra_knowledge = extra_knowledge
        self.retriever_factory = retriever_factory
        self._first = first

    def __call__(self) -> DashboardData:
        snap, self._first = self._first, None
        if snap is None:
            snap = self.source.snapshot()
        return build_data(snap, self.extra_knowledge, self.retriever_factory, self.user_policy)

"""The service dependency graph: from the catalog's `dependsOn`, else from traces.

Edges point from caller to callee. Both correlation (symptoms on callers join the
incident of the failing dependency) and analysis (the deepest anomalous service is the
likeliest culprit) walk this graph, so it is built once per triage.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from oncall.model import Catalog, Span


class Topology:
    def __init__(self, edges: Iterable[tuple[str, str]] = ()) -> None:
        self.callees: dict[str, set[str]] = {}
        self.callers: dict[str, set[str]] = {}
        self._walks: dict[tuple[str, str, int | None], dict[str, int]] = {}
        for caller, callee in edges:
            self.add(caller, callee)

    def add(self, caller: str, callee: str) -> None:
        if caller == callee:
            return
        self._walks.clear()
        self.callees.setdefault(caller, set()).add(callee)
        self.callers.setdefault(callee, set()).add(caller)
        self.callees.setdefault(callee, set())
        self.callers.setdefault(caller, set())

    @property
    def services(self) -> set[str]:
        return set(self.callees) | set(self.callers)

    def __contains__(self, service: object) -> bool:
        return service in self.callees

    def downstream(self, service: str, max_hops: int | None = None) -> dict[str, int]:
        """Services `service` depends on (transitively, or within `max_hops`), with hop
        counts; cycles are safe."""
        return self._walk("down", service, max_hops)

    def upstream(self, service: str, max_hops: int | None = None) -> dict[str, int]:
        """Services that depend on `service` (its blast radius), however far up."""
        return self._walk("up", service, max_hops)

    def _walk(self, direction: str, service: str, max_hops: int | None) -> dict[str, int]:
        """Memoised: correlation and analysis ask for the same walks many times."""
        key = (direction, service, max_hops)
        found = self._walks.get(key)
        if found is None:
            graph = self.callees if direction == "down" else self.callers
            found = self._walks[key] = _bfs(service, graph, max_hops)
        return found

    def distance(self, a: str, b: str) -> int | None:
        """Hops between two services in either direction, or None if unrelated."""
        down = self.downstream(a).get(b)
        up = self.upstream(a).get(b)
        options = [d for d in (down, up) if d is not None]
        return min(options) if options else None


def _bfs(start: str, graph: dict[str, set[str]], max_hops: int | None) -> dict[str, int]:
    """Breadth-first hop counts from `start`; each node is visited once (cycles end)."""
    seen: dict[str, int] = {}
    queue: deque[tuple[str, int]] = deque([(start, 0)])
    visited = {start}
    while queue:
        node, hops = queue.popleft()
        if max_hops is not None and hops >= max_hops:
            continue
        for nxt in sorted(graph.get(node, ())):
            if nxt not in visited:
                visited.add(nxt)
                seen[nxt] = hops + 1
                queue.append((nxt, hops + 1))
    return seen


def edges_from_spans(spans: Iterable[Span]) -> set[tuple[str, str]]:
    """Caller -> callee pairs wherever a span's parent belongs to another service."""
    by_id: dict[tuple[str, str], str] = {}
    span_list = list(spans)
    for span in span_list:
        by_id[(span.trace_id, span.span_id)] = span.service
    edges: set[tuple[str, str]] = set()
    for span in span_list:
        if span.parent_id is None:
            continue
        parent_service = by_id.get((span.trace_id, span.parent_id))
        if parent_service and parent_service != span.service:
            edges.add((parent_service, span.service))
    return edges


def build_topology(catalog: Catalog | None, spans: list[Span] | None) -> Topology:
    """The catalog is the declared truth; traces fill in what it does not declare."""
    topo = Topology(catalog.edges() if catalog else ())
    if spans:
        for caller, callee in sorted(edges_from_spans(spans)):
            topo.add(caller, callee)
    return topo

"""The dependency graph: walks, cycles, depth, and where edges come from."""

from __future__ import annotations

from itertools import pairwise

from oncall.model import Catalog, CatalogEntity, Span
from oncall.topology import Topology, build_topology, edges_from_spans


def test_walks_count_hops_and_survive_cycles() -> None:
    topo = Topology([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    assert topo.downstream("a") == {"b": 1, "c": 2, "d": 3}
    assert topo.upstream("d") == {"c": 1, "b": 2, "a": 3}
    assert topo.downstream("a", 2) == {"b": 1, "c": 2}
    assert topo.distance("a", "d") == 3
    assert topo.distance("d", "zzz") is None


def test_blast_radius_is_not_capped_on_deep_chains() -> None:
    names = [f"s{i}" for i in range(300)]
    topo = Topology(pairwise(names))
    assert len(topo.upstream(names[-1])) == 299
    assert topo.upstream(names[-1])[names[0]] == 299


def test_self_edges_are_ignored_and_walks_refresh_after_add() -> None:
    topo = Topology([("a", "a"), ("a", "b")])
    assert topo.downstream("a") == {"b": 1}
    topo.add("b", "c")
    assert topo.downstream("a") == {"b": 1, "c": 2}


def test_catalog_edges_then_trace_edges() -> None:
    catalog = Catalog(entities=(
        CatalogEntity(kind="Component", name="web", depends_on=("component:default/api",)),
    ))
    spans = [Span("t", "1", None, "api", "GET", 0, 10),
             Span("t", "2", "1", "db", "query", 1, 5),
             Span("t", "3", "2", "db", "inner", 2, 1)]
    assert edges_from_spans(spans) == {("api", "db")}
    topo = build_topology(catalog, spans)
    assert topo.downstream("web") == {"api": 1, "db": 2}
    assert "db" in topo and "nowhere" not in topo
    assert build_topology(None, None).services == set()

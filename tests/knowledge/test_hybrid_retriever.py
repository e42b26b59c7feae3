"""The `Retriever` triage can use: same factory shape as `LexicalRetriever(docs)`."""

from __future__ import annotations

from pathlib import Path

from oncall.knowledge import KnowledgeQuery, LexicalRetriever
from oncall.knowledge.hybrid import HybridFactory, HybridRetriever
from oncall.knowledge.store import KnowledgeIndex
from oncall.model import KnowledgeDoc, KnowledgeHit
from oncall.pipeline import RetrieverFactory
from tests.helpers import ScenarioFactory
from tests.knowledge.conftest import HashEmbedder


def _doc(id_: str, body: str, tags: tuple[str, ...] = (), services: tuple[str, ...] = (),
         alerts: tuple[str, ...] = ()) -> KnowledgeDoc:
    return KnowledgeDoc(id=id_, title=id_.replace("-", " "), doc_type="runbook", body=body,
                        tags=tags, services=services, alerts=alerts, path=f"/k/{id_}.md")


DOCS = [
    _doc("bad-deploy", "# Bad deploy\n## Mitigation\nRoll back the release with kubectl "
         "rollout undo.", tags=("deploy",), alerts=("HighErrorRate",)),
    _doc("hot-pod", "# Hot pod\n## Triage\nCPU saturation on one pod; scale out.",
         tags=("capacity",), alerts=("HighCPU",)),
    _doc("checkout-timeouts", "# Checkout timeouts\nUpstream timeout to payments lowered.",
         tags=("config",), services=("checkout",)),
]


def test_factory_shape_matches_the_pipeline() -> None:
    factory: RetrieverFactory = HybridRetriever
    assert isinstance(factory(DOCS).search(KnowledgeQuery(text="cpu")), list)
    assert HybridFactory(use_user_index=False).searches_user_index is False


def test_without_the_model_it_ranks_like_the_lexical_retriever_and_says_so_once(
        capsys: object) -> None:
    query = KnowledgeQuery(text="HighCPU pod latency", alerts=["HighCPU"], kinds=["capacity"])
    ours = HybridRetriever(DOCS).search(query)
    HybridRetriever(DOCS)
    assert ours == LexicalRetriever(DOCS).search(query)
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert err.count("no embedding model installed") == 1


def test_labels_dense_and_bm25_fused_in_memory(hash_embedder: HashEmbedder) -> None:
    retriever = HybridRetriever(DOCS, embedder=hash_embedder)
    hits = retriever.search(KnowledgeQuery(text="pod cpu saturation", alerts=["HighCPU"],
                                           kinds=["capacity"]))
    assert isinstance(hits[0], KnowledgeHit)
    assert (hits[0].id, hits[0].section, hits[0].path) == ("hot-pod", "Triage", "/k/hot-pod.md")
    # services prefer their own runbook, but generic ones remain candidates
    hits = retriever.search(KnowledgeQuery(text="timeout", services=["checkout"],
                                           kinds=["config"]))
    assert hits[0].id == "checkout-timeouts"
    elsewhere = retriever.search(KnowledgeQuery(text="timeout release", services=["search"],
                                                kinds=["deploy"]))
    assert elsewhere[0].id == "bad-deploy"


def test_user_index_is_searched_beside_the_scenario_docs(kb: Path, tmp_path: Path,
                                                         hash_embedder: HashEmbedder) -> None:
    idx = tmp_path / "idx"
    KnowledgeIndex.open(idx, embedder=hash_embedder).index_paths([kb])
    user = KnowledgeIndex.open(idx, embedder=hash_embedder)
    retriever = HybridRetriever(DOCS, user_index=user, embedder=hash_embedder)
    hits = retriever.search(KnowledgeQuery(
        text="payments latency pool connections exhausted", services=["payments"],
        alerts=["PaymentsLatencyHigh"], kinds=["saturation"]))
    assert hits[0].id == "INC-1042" and hits[0].doc_type == "incident"
    only_user = HybridRetriever([], user_index=user, embedder=hash_embedder)
    assert only_user.search(KnowledgeQuery(text="disk full logs"))[0].id == "disk-full"


def test_factory_opens_the_default_user_index_lazily(kb: Path) -> None:
    KnowledgeIndex.open(None).index_paths([kb])  # XDG_DATA_HOME is a tmp dir here
    factory = HybridFactory()
    hits = factory([]).search(KnowledgeQuery(text="certificate expired handshake"))
    assert hits[0].id == "KE-7"


def test_the_pipeline_runs_with_the_hybrid_factory(make_scenario: ScenarioFactory, kb: Path,
                                                   hash_embedder: HashEmbedder,
                                                   tmp_path: Path) -> None:
    from oncall.pipeline import load_knowledge, triage
    from oncall.sources import ScenarioSource
    from tests.helpers import alert

    scenario = make_scenario(alerts=[alert("PaymentsLatencyHigh", "payments")])
    idx = tmp_path / "idx"
    KnowledgeIndex.open(idx, embedder=hash_embedder).index_paths([kb])
    factory = HybridFactory(idx, lexical=True)
    result = triage(ScenarioSource(scenario), extra_knowledge=load_knowledge([kb]),
                    retriever_factory=factory)
    (incident,) = result.incidents
    assert incident.runbooks and incident.runbooks[0].id == "INC-1042"
    assert incident.runbooks[0].path.endswith("2026-02-pool.yaml")

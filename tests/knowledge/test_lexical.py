"""Lexical retrieval: words plus the team's own front-matter labels."""

from __future__ import annotations

from oncall.knowledge import KnowledgeQuery, LexicalRetriever
from oncall.model import KnowledgeDoc
from oncall.sources.knowledge import parse_knowledge_doc


def _doc(id_: str, body: str, tags: tuple[str, ...] = (), services: tuple[str, ...] = (),
         alerts: tuple[str, ...] = ()) -> KnowledgeDoc:
    return KnowledgeDoc(id=id_, title=id_.replace("-", " "), doc_type="runbook", body=body,
                        tags=tags, services=services, alerts=alerts)


DOCS = [
    _doc("bad-deploy", "# Bad deploy\n## Mitigation\nRoll back the release with kubectl "
         "rollout undo.", tags=("deploy",), alerts=("HighErrorRate",)),
    _doc("hot-pod", "# Hot pod\n## Triage\nCPU saturation on one pod; scale out.",
         tags=("capacity",), alerts=("HighCPU",)),
    _doc("checkout-timeouts", "# Checkout timeouts\nUpstream timeout to payments lowered.",
         tags=("config",), services=("checkout",)),
]


def test_kind_tags_and_alert_names_outrank_shared_vocabulary() -> None:
    hits = LexicalRetriever(DOCS).search(
        KnowledgeQuery(text="HighCPU pod latency", alerts=["HighCPU"], kinds=["capacity"]))
    assert hits[0].id == "hot-pod"
    assert hits[0].section == "Triage"


def test_service_specific_runbook_is_preferred_for_its_service_only() -> None:
    retriever = LexicalRetriever(DOCS)
    query = KnowledgeQuery(text="timeout latency", kinds=["config"])
    for_checkout = retriever.search(KnowledgeQuery(query.text, ["checkout"], [], ["config"]))
    assert for_checkout[0].id == "checkout-timeouts"
    elsewhere = retriever.search(KnowledgeQuery(query.text, ["search"], [], ["deploy"]))
    assert elsewhere[0].id == "bad-deploy"


def test_empty_corpus_returns_nothing() -> None:
    assert LexicalRetriever([]).search(KnowledgeQuery(text="anything")) == []


def test_front_matter_parsing_defaults() -> None:
    doc = parse_knowledge_doc("---\ntitle: T\ntags: [a]\n---\n# Heading\nbody", "x/my-id.md",
                              "incident")
    assert (doc.id, doc.title, doc.doc_type, doc.tags) == ("my-id", "T", "incident", ("a",))
    plain = parse_knowledge_doc("# Only a heading\ntext", "y/plain.md", "runbook")
    assert (plain.id, plain.title) == ("plain", "Only a heading")

"""Lexical retrieval: words plus the team's own front-matter labels."""

from __future__ import annotations

from collections import Counter

from oncall.knowledge import KnowledgeQuery, LexicalRetriever
from oncall.knowledge.lexical import tokens
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


def test_catch_all_runbook_does_not_collect_a_boost_from_every_kind() -> None:
    """A runbook tagged with one cause kind beats one tagged with three of them."""
    docs = [
        _doc("catch-all", "# Many things\nSaturation and pools.",
             tags=("dependency", "capacity", "config")),
        _doc("scale-out", "# Scale out\nSaturation and pools.", tags=("capacity",)),
    ]
    hits = LexicalRetriever(docs).search(
        KnowledgeQuery(text="saturation", kinds=["capacity", "config", "dependency"]))
    assert [h.id for h in hits] == ["scale-out", "catch-all"]


def test_a_rare_firing_alert_counts_more_than_a_common_one() -> None:
    common = ("HighErrorRate", "SLOBurnRateHigh")
    docs = [
        _doc("generic", "# Errors\nLook at the errors.", alerts=common),
        _doc("tls", "# Errors\nLook at the errors.", alerts=(*common, "TLSHandshakeErrors")),
        _doc("other", "# Errors\nLook at the errors.", alerts=common),
    ]
    query = KnowledgeQuery(text="errors", alerts=["SLOBurnRateHigh", "TLSHandshakeErrors"])
    assert LexicalRetriever(docs).search(query)[0].id == "tls"


def test_a_word_in_the_title_counts_more_than_in_the_body() -> None:
    docs = [
        KnowledgeDoc(id="a-body", title="Payments", doc_type="runbook",
                     body="when the queue backs up, drain the queue"),
        KnowledgeDoc(id="b-title", title="Queue", doc_type="runbook",
                     body="when the payments back up, drain them"),
    ]
    assert LexicalRetriever(docs).search(KnowledgeQuery(text="queue"))[0].id == "b-title"


def test_runbook_for_other_services_is_held_back_even_on_words_alone() -> None:
    docs = [
        _doc("billing-db", "# Database\ndatabase database pool", services=("billing",)),
        _doc("database", "# Database\ndatabase pool"),
    ]
    hits = LexicalRetriever(docs).search(KnowledgeQuery(text="database", services=["checkout"]))
    assert hits[0].id == "database"
    for_billing = LexicalRetriever(docs).search(
        KnowledgeQuery(text="database", services=["billing"]))
    assert for_billing[0].id == "billing-db"


def test_equal_scores_are_ordered_by_id() -> None:
    docs = [_doc(i, "# Same\nidentical words") for i in ("c-doc", "a-doc", "b-doc")]
    hits = LexicalRetriever(docs).search(KnowledgeQuery(text="identical"))
    assert [h.id for h in hits] == ["a-doc", "b-doc", "c-doc"]


def test_inverted_index_scores_only_documents_that_share_a_word() -> None:
    filler = [_doc(f"filler-{n:05d}", f"# Note {n}\nroutine maintenance of node {n}")
              for n in range(10_000)]
    wanted = [_doc("zz-kafka", "# Kafka lag\nconsumer lag on kafka-events"),
              _doc("zz-lag", "# Lag\nreplication lag")]
    retriever = LexicalRetriever([*filler, *wanted])
    scored = retriever._words(Counter(tokens("kafka lag")))
    assert {retriever.docs[i].id for i in scored} == {"zz-kafka", "zz-lag"}
    hits = retriever.search(KnowledgeQuery(text="kafka lag"))
    assert [h.id for h in hits] == ["zz-kafka", "zz-lag"]

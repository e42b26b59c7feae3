"""Heading-aware chunking of Markdown runbooks and YAML incident records."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.errors import InputError
from oncall.knowledge.chunk import (
    chunk_doc,
    chunk_source,
    discover,
    parse_yaml_records,
    read_source,
    sections,
)
from oncall.model import KnowledgeDoc
from oncall.sources.knowledge import parse_knowledge_doc
from tests.knowledge.conftest import POOL_INCIDENT, RUNBOOK


def test_sections_follow_headings_and_ignore_code_fences() -> None:
    doc = parse_knowledge_doc(RUNBOOK, "runbooks/bad-deploy.md", "runbook")
    got = [(path, text.splitlines()[0]) for path, text in sections(doc.body)]
    assert got == [
        (("Roll back a bad deploy",), "Use when the error rate jumps right after a release."),
        (("Roll back a bad deploy", "Symptoms"), "5xx responses from the new pods only; the old "
         "replica set is healthy."),
        (("Roll back a bad deploy", "Mitigation"), "Roll back the release with kubectl rollout "
         "undo."),
        (("Roll back a bad deploy", "Mitigation", "Verify"), "The error rate is back under one "
         "percent within five minutes."),
    ]
    mitigation = sections(doc.body)[2][1]
    assert "# this comment is not a heading" in mitigation  # stayed inside its fence


def test_chunks_carry_front_matter_and_drop_the_title_from_the_heading_path() -> None:
    doc = parse_knowledge_doc(RUNBOOK, "/kb/runbooks/bad-deploy.md", "runbook")
    chunks = chunk_doc(doc, "k")
    assert [c.section for c in chunks] == ["", "Symptoms", "Mitigation", "Verify"]
    verify = chunks[-1]
    assert verify.headings == ("Mitigation", "Verify")
    assert (verify.doc_id, verify.doc_type, verify.services, verify.alerts, verify.tags) == (
        "bad-deploy", "runbook", ("checkout",), ("HighErrorRate",), ("deploy",))
    assert verify.embed_text().startswith("Roll back a bad deploy > Mitigation > Verify\n")
    assert len({c.id for c in chunks}) == len(chunks)


def test_long_sections_split_at_paragraphs_and_keep_fences_whole() -> None:
    para = " ".join(["word"] * 120)
    fence = "```\n" + "\n".join(f"line {i} of a long script" for i in range(60)) + "\n```"
    body = f"## Big\n{para}\n\n{para}\n\n{fence}\n\n{para}"
    doc = KnowledgeDoc(id="big", title="Huge", doc_type="runbook", body=body)
    chunks = chunk_doc(doc, "k", max_words=180)
    assert len(chunks) == 4
    assert all(c.section == "Big" for c in chunks)
    assert any(c.text.startswith("```") and c.text.endswith("```") for c in chunks)


def test_a_paragraph_longer_than_the_limit_is_cut_by_words() -> None:
    doc = KnowledgeDoc(id="w", title="W", doc_type="runbook", body=" ".join(["x"] * 400))
    assert [len(c.text.split()) for c in chunk_doc(doc, "k", max_words=180)] == [180, 180, 40]


def test_front_matter_root_cause_becomes_a_summary_chunk() -> None:
    doc = parse_knowledge_doc("---\nroot_cause: pool exhausted\nresolution: raise the cap\n---\n"
                              "# INC\nnotes", "i/inc-1.md", "incident")
    first = chunk_doc(doc, "k")[0]
    assert first.section == "Summary"
    assert "Root cause: pool exhausted" in first.text and first.root_cause == "pool exhausted"


def test_yaml_incident_record_renders_sections_and_keeps_metadata() -> None:
    (doc,) = parse_yaml_records(POOL_INCIDENT, "/kb/incidents/pool.yaml", "incident")
    assert (doc.id, doc.doc_type, doc.services, doc.date) == (
        "INC-1042", "incident", ("payments",), "2026-02-11")
    assert doc.root_cause and "batch job" in doc.root_cause
    chunks = chunk_doc(doc, "k")
    assert [c.section for c in chunks] == ["Summary", "Root cause", "Resolution", "Timeline"]
    assert "02:31" in chunks[-1].text


def test_yaml_list_of_records_gets_ids_and_bad_records_name_their_index() -> None:
    docs = parse_yaml_records("- title: A\n  resolution: x\n- title: B\n", "/kb/ke.yaml",
                              "known_error")
    assert [d.id for d in docs] == ["ke-1", "ke-2"]
    with pytest.raises(InputError, match=r"ke\.yaml\[1\]: a knowledge record must be a mapping"):
        parse_yaml_records("- title: A\n- just text\n", "/kb/ke.yaml", "known_error")
    with pytest.raises(InputError, match="services: expected a list of strings"):
        parse_yaml_records("title: A\nservices: {a: 1}\n", "/kb/x.yaml", "incident")
    with pytest.raises(InputError, match="is not valid YAML"):
        parse_yaml_records("title: [unclosed\n", "/kb/x.yaml", "incident")


def test_discover_types_files_by_folder_and_skips_non_records(kb: Path) -> None:
    found = {p.relative_to(kb.resolve()).as_posix(): t for p, t in discover(kb)}
    assert found == {
        "incidents/2026-02-pool.yaml": "incident",
        "known-errors/cert.md": "known_error",
        "runbooks/bad-deploy.md": "runbook",
        "runbooks/disk.md": "runbook",
    }


def test_chunk_source_reads_a_file_with_its_hash(kb: Path) -> None:
    src = read_source((kb / "known-errors" / "cert.md").resolve(), "known_error")
    docs, chunks = chunk_source(src)
    assert len(src.sha256) == 64
    assert docs[0].doc_type == "known_error" and {c.section for c in chunks} == {
        "Symptom", "Workaround"}


def test_unreadable_input_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe not utf-8 \x80")
    with pytest.raises(InputError, match="is not UTF-8 text"):
        chunk_source(read_source(bad, "runbook"))
    with pytest.raises(InputError, match="no such file or directory"):
        list(discover(tmp_path / "missing"))

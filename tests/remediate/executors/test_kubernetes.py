"""kubectl executor: exact argv through a fake kubectl on PATH (there is no cluster)."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.remediate.executors import ActionRequest, ExecutionFailed, Refused
from oncall.remediate.executors.config import KubernetesConfig
from oncall.remediate.executors.kubernetes import KubernetesExecutor
from tests.remediate.fakes import FakeKubectl


@pytest.fixture
def kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKubectl:
    return FakeKubectl(tmp_path, monkeypatch)


def req(action: str, **kw: str) -> ActionRequest:
    return ActionRequest(action=action, service="checkout", incident="inc-1",
                         namespace=kw.pop("namespace", "shop"), **kw)  # type: ignore[arg-type]


def test_restart_preview_runs_a_server_dry_run_and_execute_runs_the_same_call(
        kubectl: FakeKubectl) -> None:
    ex = KubernetesExecutor(KubernetesConfig(context="prod-eu"))
    preview = ex.preview(req("restart"))
    assert preview.argv == ("kubectl", "--context", "prod-eu", "-n", "shop", "rollout",
                            "restart", "deployment/checkout")
    assert preview.dry_run_ok is True and "server dry run" in preview.dry_run
    assert preview.undo_kind == "none"
    result = ex.execute(req("restart"))
    assert result.ok and "restarted" in result.detail
    assert kubectl.calls == [
        ["--context", "prod-eu", "-n", "shop", "rollout", "restart", "deployment/checkout",
         "--dry-run=server"],
        ["--context", "prod-eu", "-n", "shop", "rollout", "restart", "deployment/checkout"],
    ]
    with pytest.raises(Refused):
        ex.undo(req("restart"), result)


def test_restart_of_one_pod_deletes_that_pod(kubectl: FakeKubectl) -> None:
    ex = KubernetesExecutor(KubernetesConfig(dry_run="client"))
    ex.preview(req("restart", pod="checkout-7d9f-x2k"))
    assert kubectl.calls == [["-n", "shop", "delete", "pod", "checkout-7d9f-x2k",
                              "--dry-run=client"]]


def test_scale_reads_the_replicas_first_and_undo_scales_back(kubectl: FakeKubectl) -> None:
    kubectl.replicas(4)
    ex = KubernetesExecutor(KubernetesConfig())
    result = ex.execute(req("scale"))
    assert result.ok and result.state == {"replicas_before": "4", "replicas_after": "6"}
    undone = ex.undo(req("scale"), result)
    assert undone.ok
    assert kubectl.calls == [
        ["-n", "shop", "get", "deployment/checkout", "-o", "jsonpath={.spec.replicas}"],
        ["-n", "shop", "scale", "deployment/checkout", "--current-replicas=4", "--replicas=6"],
        ["-n", "shop", "scale", "deployment/checkout", "--current-replicas=6", "--replicas=4"],
    ]


def test_scale_respects_the_configured_maximum(kubectl: FakeKubectl) -> None:
    kubectl.replicas(9)
    ex = KubernetesExecutor(KubernetesConfig(max_replicas=10))
    assert ex.execute(req("scale")).state["replicas_after"] == "10"
    kubectl.replicas(10)
    with pytest.raises(Refused, match="maximum"):
        ex.execute(req("scale"))


def test_rollback_records_the_live_revision_and_undo_returns_to_it(kubectl: FakeKubectl) -> None:
    ex = KubernetesExecutor(KubernetesConfig())
    preview = ex.preview(req("rollback", revision="3"))
    assert preview.undo == "kubectl -n shop rollout undo deployment/checkout --to-revision=7"
    result = ex.execute(req("rollback", revision="3"))
    assert result.state == {"revision_before": "7"}
    ex.undo(req("rollback"), result)
    mutating = kubectl.mutating()
    assert mutating == [
        ["-n", "shop", "rollout", "undo", "deployment/checkout", "--to-revision=3"],
        ["-n", "shop", "rollout", "undo", "deployment/checkout", "--to-revision=7"],
    ]


def test_a_git_revision_is_not_passed_as_a_kubernetes_revision(kubectl: FakeKubectl) -> None:
    ex = KubernetesExecutor(KubernetesConfig())
    ex.execute(req("rollback", revision="4b9d0ce"))
    assert kubectl.mutating() == [["-n", "shop", "rollout", "undo", "deployment/checkout"]]


def test_a_refusing_api_server_is_a_failed_result_not_an_exception(kubectl: FakeKubectl) -> None:
    kubectl.fail_on("restart")
    result = KubernetesExecutor(KubernetesConfig()).execute(req("restart"))
    assert not result.ok and "refused by the fake API server" in result.detail


def test_without_a_namespace_nothing_runs(kubectl: FakeKubectl) -> None:
    ex = KubernetesExecutor(KubernetesConfig())
    with pytest.raises(Refused, match="namespace"):
        ex.execute(ActionRequest("restart", "checkout", "inc-1"))
    assert kubectl.calls == []
    KubernetesExecutor(KubernetesConfig(namespace="ops")).execute(
        ActionRequest("restart", "checkout", "inc-1"))
    assert kubectl.calls == [["-n", "ops", "rollout", "restart", "deployment/checkout"]]


def test_other_actions_are_refused(kubectl: FakeKubectl) -> None:
    with pytest.raises(Refused):
        KubernetesExecutor(KubernetesConfig()).preview(req("failover"))
    assert kubectl.calls == []


def test_a_missing_kubectl_is_a_clear_failure(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ExecutionFailed, match="not on PATH"):
        KubernetesExecutor(KubernetesConfig()).execute(req("restart"))

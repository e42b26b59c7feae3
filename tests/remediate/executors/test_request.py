"""Only validated values reach an executor: hostile names are refused, never repaired."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oncall.model import (
    Alert,
    Catalog,
    CatalogEntity,
    Change,
    Hypothesis,
    Incident,
    Remediation,
    Snapshot,
)
from oncall.remediate.executors import Refused, build_request
from oncall.remediate.executors.commands import fill

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
HOSTILE = ["checkout; rm -rf /", "$(id)", "`id`", "--kubeconfig=/tmp/x", "-n", "Checkout",
           "checkout\nrm", "checkout && kubectl delete ns prod", "../etc/passwd", ""]


def snapshot(namespace: str = "shop", change_id: str = "cfg-1",
             revision: str = "41aa07b") -> Snapshot:
    entity = CatalogEntity("Component", "checkout",
                           annotations={"backstage.io/kubernetes-namespace": namespace})
    return Snapshot(name="s", now=NOW, catalog=Catalog((entity, CatalogEntity(
        "Component", "payments"))), changes=[Change(change_id, "config", "checkout", NOW,
                                                    previous_revision=revision)])


def incident(*hyps: Hypothesis, alerts: list[Alert] | None = None) -> Incident:
    return Incident("inc-1", alerts or [], ["checkout"], NOW, hypotheses=list(hyps))


def rem(action: str = "config_revert", target: str = "checkout",
        command: str = "revert the config") -> Remediation:
    return Remediation(action, target, "low", True, "why", "undo", {}, command=command)


def test_a_valid_remediation_carries_namespace_change_and_revision() -> None:
    inc = incident(Hypothesis("checkout", "config", 0.9, change="cfg-1", pod="checkout-7d9f"))
    request = build_request(rem(), inc, snapshot())
    assert (request.service, request.namespace, request.change, request.revision) == (
        "checkout", "shop", "cfg-1", "41aa07b")
    assert request.pod is None  # only a restart acts on one pod
    restart = build_request(rem("restart", command="kubectl ..."), inc, snapshot())
    assert restart.pod == "checkout-7d9f"


def test_the_cause_of_the_matching_kind_names_the_change() -> None:
    inc = incident(Hypothesis("checkout", "network", 0.9),
                   Hypothesis("checkout", "config", 0.5, change="cfg-1"))
    assert build_request(rem(), inc, snapshot()).change == "cfg-1"


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target: str) -> None:
    with pytest.raises(Refused):
        build_request(rem(target=target), incident(), snapshot())


def test_a_target_outside_the_catalog_is_refused() -> None:
    with pytest.raises(Refused, match="not a Component or Resource in the catalog"):
        build_request(rem(target="billing"), incident(), snapshot())
    no_catalog = snapshot()
    no_catalog.catalog = None
    with pytest.raises(Refused, match="no catalog"):
        build_request(rem(), incident(), no_catalog)


@pytest.mark.parametrize("namespace", ["prod; rm -rf /", "$(id)", "-A", "Kube-System"])
def test_a_hostile_namespace_is_refused(namespace: str) -> None:
    with pytest.raises(Refused, match="namespace"):
        build_request(rem(), incident(Hypothesis("checkout", "config", 0.9)),
                      snapshot(namespace=namespace))


def test_hostile_change_ids_and_revisions_are_refused() -> None:
    bad_change = incident(Hypothesis("checkout", "config", 0.9, change="cfg-1; reboot"))
    with pytest.raises(Refused, match="change id"):
        build_request(rem(), bad_change, snapshot(change_id="cfg-1; reboot"))
    with pytest.raises(Refused, match="revision"):
        build_request(rem(), incident(Hypothesis("checkout", "config", 0.9, change="cfg-1")),
                      snapshot(revision="--to-revision=$(id)"))


def test_a_hostile_pod_falls_back_to_the_whole_deployment() -> None:
    inc = incident(Hypothesis("checkout", "code", 0.9, pod="x; rm -rf /"))
    assert build_request(rem("restart", command="kubectl ..."), inc, snapshot()).pod is None


def test_a_move_the_planner_left_without_command_is_not_executable() -> None:
    with pytest.raises(Refused, match="no command"):
        build_request(rem(command=""), incident(), snapshot())


def test_an_action_outside_the_vocabulary_is_refused() -> None:
    with pytest.raises(Refused, match="vocabulary"):
        build_request(rem(action="run_shell"), incident(), snapshot())


def test_a_template_value_fills_exactly_one_argument() -> None:
    inc = incident(Hypothesis("checkout", "config", 0.9, change="cfg-1"))
    request = build_request(rem(), inc, snapshot())
    argv = fill(["cfgctl", "revert", "--service", "{service}", "--to", "{revision}"], request)
    assert argv == ["cfgctl", "revert", "--service", "checkout", "--to", "41aa07b"]
    with pytest.raises(Refused, match=r"\{pod\}"):
        fill(["kubectl", "delete", "pod", "{pod}"], request)

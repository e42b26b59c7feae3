"""Structured edits keep the file's shape; each cause kind gets its fix or a clear no."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml

from oncall.change.edits import ABSENT, Edit, EditConflict, apply_edits, parse_path
from oncall.change.history import IncidentRecord
from oncall.change.recurrence import Recurrence
from oncall.change.remedies import NoFix, propose_fix
from tests.change.conftest import CERT, CONFIG, FLAGS, MANIFEST

FILES = {"k8s/checkout.yaml": MANIFEST, "config/checkout.yaml": CONFIG,
         "flags/flags.json": FLAGS, "certs/payments.yaml": CERT}


def _rec(service: str, kind: str, root_cause: str = "", diff: str = "",
         summary: str = "") -> Recurrence:
    day = datetime(2026, 11, 1, tzinfo=UTC)
    incidents = [IncidentRecord(id=f"INC-{n}", path="x", service=service, kind=kind, day=day,
                                root_cause=root_cause,
                                change={"diff": diff, "summary": summary} if diff or summary
                                else {}) for n in range(2)]
    return Recurrence(id="REC-1", service=service, kind=kind, incidents=incidents)


def _apply(fix_edits: list[Edit]) -> dict[str, str]:
    out = dict(FILES)
    for name in {e.file for e in fix_edits}:
        out[name] = apply_edits(name, FILES[name], [e for e in fix_edits if e.file == name])
    return out


def test_yaml_edits_keep_comments_order_and_other_documents() -> None:
    text = apply_edits("k8s/checkout.yaml", MANIFEST,
                       [Edit("k8s/checkout.yaml", ("spec", "minReplicas"), 3, 2, doc=1)])
    assert "minReplicas: 3  # floor" in text and "replicas: 3   # sized for the spring sale" \
        in text and text.startswith("# checkout: the order API")
    changed = [ln for ln in text.splitlines() if ln not in MANIFEST.splitlines()]
    assert changed == ["  minReplicas: 3  # floor"]


def test_a_value_changed_since_is_a_conflict_not_an_overwrite() -> None:
    with pytest.raises(EditConflict, match="holds 200 where the fix expected 250"):
        apply_edits("config/checkout.yaml", CONFIG,
                    [Edit("config/checkout.yaml", parse_path("upstreams.payments.timeout_ms"),
                          800, 250)])
    with pytest.raises(EditConflict):
        apply_edits("config/checkout.yaml", CONFIG,
                    [Edit("config/checkout.yaml", ("log_level",), "warn", ABSENT)])


def test_json_keeps_its_indentation() -> None:
    text = apply_edits("flags/flags.json", FLAGS, [Edit(
        "flags/flags.json", ("flags", "new-checkout-flow", "defaultVariant"), "off", "on")])
    assert json.loads(text)["flags"]["new-checkout-flow"]["defaultVariant"] == "off"
    assert text.splitlines()[1] == '  "flags": {' and text.endswith("\n")


def test_capacity_raises_the_hpa_floor_and_the_ceiling_with_it() -> None:
    fix = propose_fix(_rec("checkout", "capacity"), FILES)
    hpa = list(yaml.safe_load_all(_apply(fix.edits)["k8s/checkout.yaml"]))[1]
    assert hpa["spec"]["minReplicas"] == 3 and hpa["spec"]["maxReplicas"] == 4
    assert "2 to 3" in fix.summary and "minReplicas back to 2" in fix.rollback


def test_config_restores_the_value_the_culprit_change_replaced() -> None:
    diff = "- upstreams.payments.timeout_ms: 800\n+ upstreams.payments.timeout_ms: 200\n"
    fix = propose_fix(_rec("checkout", "config", diff=diff), FILES)
    text = _apply(fix.edits)["config/checkout.yaml"]
    assert "timeout_ms: 800   # lowered in cfg-2291" in text and "retries: 2" in text
    with pytest.raises(NoFix, match="may have been fixed already"):
        propose_fix(_rec("checkout", "config", diff=diff.replace("200", "300")), FILES)
    with pytest.raises(NoFix, match=r"no file holds .* for search"):
        propose_fix(_rec("search", "config", diff=diff), FILES)


def test_flag_is_gated_off_by_default() -> None:
    fix = propose_fix(_rec("checkout", "flag", summary="enable new-checkout-flow for all"),
                      FILES)
    flags = json.loads(_apply(fix.edits)["flags/flags.json"])
    assert flags["flags"]["new-checkout-flow"]["defaultVariant"] == "off"
    with pytest.raises(NoFix):
        propose_fix(_rec("checkout", "flag", summary="enable other-flag"), FILES)


def test_repeated_bad_deploys_get_rollout_safeguards() -> None:
    fix = propose_fix(_rec("checkout", "deploy"), FILES)
    dep = next(iter(yaml.safe_load_all(_apply(fix.edits)["k8s/checkout.yaml"])))
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"] == container["livenessProbe"]
    assert dep["spec"]["minReadySeconds"] == 30
    assert dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_cert_renews_thirty_days_ahead_and_unknown_kinds_say_so() -> None:
    fix = propose_fix(_rec("payments", "cert"), FILES)
    cert = yaml.safe_load(_apply(fix.edits)["certs/payments.yaml"])
    assert cert["spec"]["renewBefore"] == "720h"
    with pytest.raises(NoFix, match="--set"):
        propose_fix(_rec("checkout", "network"), FILES)
    with pytest.raises(NoFix, match="no HorizontalPodAutoscaler or Deployment named ledger"):
        propose_fix(_rec("ledger", "capacity"), FILES)


def test_paths_parse_with_indexes() -> None:
    assert parse_path("spec.containers[0].image") == ("spec", "containers", 0, "image")

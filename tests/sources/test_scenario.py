"""The scenario loader: the whole file contract, `now` cut-off, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oncall.errors import InputError
from oncall.sources import ScenarioSource
from tests.helpers import ScenarioFactory, alert, train_ticket_cases


@pytest.mark.parametrize("case", train_ticket_cases(), ids=lambda p: p.name)
def test_loads_every_real_case(case: Path) -> None:
    snap = ScenarioSource(case).snapshot()
    assert snap.alerts and snap.spans and snap.metrics and snap.logs is not None
    assert snap.catalog is not None and snap.catalog.get(snap.alerts[0].service or "")
    assert snap.policy is not None and snap.policy.autonomy == "execute"
    assert {d.doc_type for d in snap.knowledge} == {"runbook", "incident"}
    now_us = snap.now.timestamp() * 1e6
    assert all(s.start_us <= now_us for s in snap.spans)
    assert all(p[0] <= snap.now.timestamp() for m in snap.metrics for p in m.samples)
    assert not snap.missing


def test_data_after_now_is_ignored(make_scenario: ScenarioFactory) -> None:
    root = make_scenario(
        alerts=[alert("Late", starts="2026-03-14T02:30:00Z"), alert("Early")],
        changes_yaml={"changes": [
            {"id": "a", "kind": "deploy", "service": "x", "at": "2026-03-14T02:00:00Z"},
            {"id": "b", "kind": "deploy", "service": "x", "at": "2026-03-14T02:25:00Z"},
        ]},
        metrics_json={"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"__name__": "error_ratio", "service": "x"},
             "values": [[1773454000, "0.1"], [1773454800, "0.9"]]}]}},
        logs_json={"status": "success", "data": {"resultType": "streams", "result": [
            {"stream": {"service": "x"}, "values": [
                ["1773454000000000000", "ERROR early trace_id=00000000000000aa"],
                ["1773454800000000000", "ERROR late"]]}]}},
    )
    snap = ScenarioSource(root).snapshot()
    assert [a.name for a in snap.alerts] == ["Early"]
    assert [c.id for c in snap.changes or []] == ["a"]
    assert [p[1] for p in (snap.metrics or [])[0].samples] == [0.1]
    assert [ln.line for ln in snap.logs or []] == ["ERROR early trace_id=00000000000000aa"]
    assert (snap.logs or [])[0].trace_id == "00000000000000aa"
    assert snap.missing == ["traces: no traces.json", "catalog: no catalog.yaml",
                            "policy: no policy.yaml"]


def test_webhook_payload_is_accepted(make_scenario: ScenarioFactory) -> None:
    a = alert("HighErrorRate")
    a["status"] = "firing"
    b = alert("Old", fingerprint="old")
    b["status"] = "resolved"
    root = make_scenario(alerts={"version": "4", "status": "firing", "alerts": [a, b]})
    snap = ScenarioSource(root).snapshot()
    assert [x.firing_at(snap.now) for x in snap.alerts] == [True, False]


def test_otlp_traces(make_scenario: ScenarioFactory) -> None:
    otlp = {"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "payments"}},
            {"key": "k8s.pod.name", "value": {"stringValue": "payments-1"}}]},
        "scopeSpans": [{"spans": [{
            "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
            "name": "POST /charge", "startTimeUnixNano": "1773454000000000000",
            "endTimeUnixNano": "1773454000250000000", "status": {"code": 2, "message": "boom"},
            "attributes": [{"key": "http.status_code", "value": {"intValue": "503"}}]}]}]}]}
    snap = ScenarioSource(make_scenario(traces_json=otlp)).snapshot()
    (span,) = snap.spans or []
    assert (span.service, span.pod, span.error, span.duration_us) == (
        "payments", "payments-1", True, 250_000)
    assert span.status_code == 503 and span.messages == ("boom",)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"alerts_json": "[{"}, "alerts.json: invalid JSON at line 1"),
        ({"alerts_json": [{"labels": {"alertname": "X"}, "startsAt": 5}]},
         "alerts.json: [0].startsAt: expected an RFC 3339 time"),
        ({"alerts_json": [{"labels": {}, "startsAt": "2026-03-14T02:00:00Z"}]},
         "alerts.json: [0].labels.alertname: is required"),
        ({"alerts_json": {"alerts": "nope"}}, "alerts.json: alerts: expected a list"),
        ({"policy_yaml": {"actions": {"reboot_everything": "auto"}}},
         "policy.yaml: actions.reboot_everything: unknown action 'reboot_everything'"),
        ({"policy_yaml": {"actions": {"restart": "maybe"}}},
         "policy.yaml: actions.restart: unknown decision 'maybe'"),
        ({"changes_yaml": {"changes": [{"id": "c", "kind": "yolo", "service": "x",
                                         "at": "2026-03-14T02:00:00Z"}]}},
         "changes.yaml: changes[0].kind: unknown kind 'yolo'"),
        ({"metrics_json": {"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {}, "values": [[1, "abc"]]}]}}},
         "metrics.json: data.result[0].values[0][1]: expected a number"),
        ({"traces_json": b"\xff\xfe{}"}, "traces.json: is not UTF-8"),
        ({"traces_json": "[" * 100000 + "]" * 100000}, "traces.json: "),
        ({"catalog_yaml": "a: [unclosed"}, "catalog.yaml: invalid YAML at line"),
    ],
)
def test_bad_input_names_file_and_field(
    make_scenario: ScenarioFactory, files: dict, expected: str
) -> None:
    files = dict(files)
    alerts = files.pop("alerts_json", None)
    root = make_scenario(alerts=alerts, **files)
    with pytest.raises(InputError) as info:
        ScenarioSource(root).snapshot()
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_missing_required_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such scenario directory"):
        ScenarioSource(tmp_path / "nope").snapshot()
    (tmp_path / "scenario.yaml").write_text("name: x\nnow: 2026-03-14T02:19:00Z\n")
    with pytest.raises(InputError, match=r"alerts\.json: required file is missing"):
        ScenarioSource(tmp_path).snapshot()
    (tmp_path / "alerts.json").write_text(json.dumps([]))
    (tmp_path / "scenario.yaml").write_text("name: x\n")
    with pytest.raises(InputError, match=r"scenario\.yaml: now: is required"):
        ScenarioSource(tmp_path).snapshot()

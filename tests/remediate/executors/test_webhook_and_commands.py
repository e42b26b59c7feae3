"""The generic webhook and command templates: exact bodies, exact argv, no shell."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.remediate.executors import ActionRequest, Refused
from oncall.remediate.executors.commands import CommandExecutor
from oncall.remediate.executors.config import CommandTemplate, HttpSettings, WebhookConfig
from oncall.remediate.executors.http import Sender
from oncall.remediate.executors.webhook import WebhookExecutor
from tests.remediate.fakes import FakeKubectl, Recorder

REQ = ActionRequest("traffic_shift", "checkout", "inc-1", namespace="shop", change="dep-1")


def hook(rec: Recorder, dry_run: bool = False, undo: bool = False) -> WebhookExecutor:
    settings = HttpSettings("https://mesh.example.test/hooks/shift",
                            headers_env={"X-Api-Key": "MESH_KEY"})
    config = WebhookConfig("mesh", settings, "POST", ("traffic_shift",), dry_run, undo)
    return WebhookExecutor(config, Sender(rec.client(settings.url), "webhook:mesh", settings))


def test_webhook_body_headers_dry_run_and_undo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESH_KEY", "k-123")
    rec = Recorder({("POST", "/hooks/shift"): {"message": "ok"}})
    ex = hook(rec, dry_run=True, undo=True)
    preview = ex.preview(REQ)
    assert preview.dry_run_ok is True and preview.undo_kind == "undo"
    result = ex.execute(REQ)
    ex.undo(REQ, result)
    common = {"action": "traffic_shift", "service": "checkout", "incident": "inc-1",
              "namespace": "shop", "pod": None, "change": "dep-1", "revision": None}
    assert rec.bodies() == [{**common, "dry_run": True, "undo": False},
                            {**common, "dry_run": False, "undo": False},
                            {**common, "dry_run": False, "undo": True}]
    assert {r.headers["x-api-key"] for r in rec.requests} == {"k-123"}
    assert "k-123" not in preview.call


def test_a_webhook_without_dry_run_or_undo_sends_nothing_on_preview(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESH_KEY", "k")
    rec = Recorder({("POST", "/hooks/shift"): {}})
    ex = hook(rec)
    preview = ex.preview(REQ)
    assert preview.dry_run_ok is None and preview.undo_kind == "impossible"
    assert rec.requests == []
    with pytest.raises(Refused):
        ex.undo(REQ, ex.execute(REQ))


def test_a_command_template_runs_as_an_argument_list(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    kubectl = FakeKubectl(tmp_path, monkeypatch)
    template = CommandTemplate(
        "traffic_shift",
        run=("kubectl", "-n", "{namespace}", "scale", "deployment/canary", "--replicas=0"),
        undo=("kubectl", "-n", "{namespace}", "scale", "deployment/canary", "--replicas=1"),
        dry_run=("kubectl", "-n", "{namespace}", "scale", "deployment/canary",
                 "--replicas=0", "--dry-run=server"))
    ex = CommandExecutor(template)
    preview = ex.preview(REQ)
    assert preview.argv == ("kubectl", "-n", "shop", "scale", "deployment/canary",
                            "--replicas=0")
    result = ex.execute(REQ)
    assert result.ok
    ex.undo(REQ, result)
    assert [c[-1] for c in kubectl.calls] == ["--dry-run=server", "--replicas=0", "--replicas=1"]


def test_a_value_with_shell_syntax_stays_one_argument(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # build_request refuses such values; even if one got through, no shell ever sees it.
    kubectl = FakeKubectl(tmp_path, monkeypatch)
    marker = tmp_path / "pwned"
    hostile = ActionRequest("traffic_shift", f"x; touch {marker}", "inc-1",
                            namespace=f"$(touch {marker})")
    template = CommandTemplate("traffic_shift", run=("kubectl", "-n", "{namespace}", "get",
                                                     "{service}"))
    CommandExecutor(template).execute(hostile)
    assert kubectl.calls == [["-n", f"$(touch {marker})", "get", f"x; touch {marker}"]]
    assert not marker.exists()


def test_a_template_for_another_action_is_refused() -> None:
    ex = CommandExecutor(CommandTemplate("failover", run=("true",)))
    with pytest.raises(Refused):
        ex.preview(REQ)

"""Argo CD rollback over its HTTP API, through httpx.MockTransport."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oncall.remediate.executors import ActionRequest, ExecutionFailed, Refused
from oncall.remediate.executors.argocd import ArgoCDExecutor
from oncall.remediate.executors.config import ArgoCDConfig, HttpSettings
from oncall.remediate.executors.http import Sender
from tests.remediate.fakes import Recorder

BASE = "https://argocd.example.test"
APP = "/api/v1/applications/checkout-prod"
HISTORY = [{"id": 5, "revision": "41aa07b9"}, {"id": 6, "revision": "9c1e2f0a"},
           {"id": 4, "revision": "0000aaa"}]


def app_doc(automated: bool = False) -> dict[str, Any]:
    policy = {"automated": {"prune": True}} if automated else {}
    return {"metadata": {"name": "checkout-prod"}, "spec": {"syncPolicy": policy},
            "status": {"history": HISTORY, "sync": {"status": "Synced"}}}


def make(recorder: Recorder, retries: int = 2, token_env: str | None = "ARGOCD_TOKEN"
         ) -> ArgoCDExecutor:
    settings = HttpSettings(BASE, token_env=token_env, retries=retries)
    config = ArgoCDConfig(settings, {"checkout": "checkout-prod"})
    return ArgoCDExecutor(config, Sender(recorder.client(BASE), "argocd", settings,
                                         sleep=lambda s: None))


REQ = ActionRequest("rollback", "checkout", "inc-1")


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGOCD_TOKEN", "s3cret")


def test_preview_is_a_dry_run_rollback_to_the_entry_before_the_current_one() -> None:
    rec = Recorder({("GET", APP): app_doc(), ("POST", APP + "/rollback"): app_doc()})
    preview = make(rec).preview(REQ)
    assert rec.bodies() == [{"name": "checkout-prod", "id": 5, "dryRun": True,
                             "prune": False}]
    assert preview.call == (f'POST {BASE}{APP}/rollback '
                            '{"dryRun":false,"id":5,"name":"checkout-prod","prune":false}')
    assert preview.dry_run_ok is True and preview.undo_kind == "undo"
    assert '"id":6' in preview.undo
    assert all(r.headers["authorization"] == "Bearer s3cret" for r in rec.requests)
    assert "s3cret" not in preview.call + preview.undo + preview.dry_run


def test_execute_then_undo_returns_to_the_entry_that_was_running() -> None:
    rec = Recorder({("GET", APP): app_doc(), ("POST", APP + "/rollback"): app_doc()})
    ex = make(rec)
    result = ex.execute(ActionRequest("rollback", "checkout", "inc-1", revision="41aa07b"))
    assert result.ok and result.state["history_id_before"] == "6"
    ex.undo(REQ, result)
    assert [b["id"] for b in rec.bodies()] == [5, 6]
    assert all(b["dryRun"] is False for b in rec.bodies())


def test_a_revision_not_in_the_history_is_refused() -> None:
    rec = Recorder({("GET", APP): app_doc()})
    with pytest.raises(Refused, match="no earlier history entry"):
        make(rec).execute(ActionRequest("rollback", "checkout", "inc-1", revision="ffff"))
    assert rec.bodies() == []


def test_automated_sync_is_reported_and_nothing_is_posted() -> None:
    rec = Recorder({("GET", APP): app_doc(automated=True)})
    ex = make(rec)
    assert ex.preview(REQ).dry_run_ok is False
    assert not ex.execute(REQ).ok
    assert rec.bodies() == []


def test_a_503_is_retried_but_a_post_that_timed_out_is_not_sent_twice() -> None:
    answers = iter([httpx.Response(503, json={"message": "busy"}), httpx.Response(200, json={})])
    rec = Recorder({("GET", APP): app_doc(), ("POST", APP + "/rollback"): lambda r: next(answers)})
    assert make(rec).execute(REQ).ok
    assert len(rec.bodies()) == 2

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    rec = Recorder({("GET", APP): app_doc(), ("POST", APP + "/rollback"): timeout})
    with pytest.raises(ExecutionFailed, match="outcome is unknown"):
        make(rec).execute(REQ)
    assert len(rec.bodies()) == 1


def test_retries_are_bounded() -> None:
    rec = Recorder({("GET", APP): httpx.Response(503, json={"message": "down"})})
    with pytest.raises(ExecutionFailed, match=r"HTTP 503: down \(3 tries\)"):
        make(rec, retries=2).preview(REQ)
    assert len(rec.requests) == 3


def test_an_error_answer_names_the_servers_message() -> None:
    rec = Recorder({("GET", APP): app_doc(), ("POST", APP + "/rollback"): httpx.Response(
        403, json={"message": "permission denied"})})
    with pytest.raises(ExecutionFailed, match="HTTP 403: permission denied"):
        make(rec).execute(REQ)


def test_a_missing_token_refuses_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARGOCD_TOKEN")
    rec = Recorder({("GET", APP): app_doc()})
    with pytest.raises(Refused, match="ARGOCD_TOKEN is not set"):
        make(rec).preview(REQ)
    assert rec.requests == []


def test_a_service_without_an_application_is_refused() -> None:
    with pytest.raises(Refused, match="no Argo CD application"):
        make(Recorder({})).preview(ActionRequest("rollback", "payments", "inc-1"))

"""The control plane read and driven by oncall's own connectors and executor.

No mock stands in for either side: the lab's server runs on 127.0.0.1 and the Argo CD,
Backstage and Loki connectors and the Argo CD executor talk to it over HTTP, so what is
tested is exactly what `oncall lab` relies on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from oncall.config import SourceConfig, Target
from oncall.errors import SourceUnavailable
from oncall.lab import stack
from oncall.lab.control import ControlPlane
from oncall.lab.deploy import Deployer, revision_of
from oncall.lab.faults import FAULTS
from oncall.lab.logstore import LogStore
from oncall.lab.settings import SERVICES, read_config, spec
from oncall.remediate.executors import Router
from oncall.remediate.executors.base import ActionRequest
from oncall.remediate.executors.config import parse_executor_config
from oncall.sources.catalog import parse_catalog
from oncall.sources.changes import parse_changes
from oncall.sources.live.backstage import BackstageConnector
from oncall.sources.live.base import Window
from oncall.sources.live.changes import ArgoCDConnector
from oncall.sources.live.http import Fetcher
from oncall.sources.live.loki import LokiConnector
from oncall.sources.logs import parse_logs


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    (tmp_path / "config").mkdir()
    (tmp_path / "logs").mkdir()
    deployer = Deployer(tmp_path / "config")
    for svc in SERVICES:
        deployer.deploy(svc.name, svc.config, author="lab-bootstrap")
    control = ControlPlane(deployer, LogStore(tmp_path / "logs")).start()
    try:
        yield control
    finally:
        control.stop()


def _fetcher(url: str, kind: str) -> Fetcher:
    return Fetcher(httpx.Client(base_url=url, timeout=5), kind, retries=0,
                   sleep=lambda _s: None)


def _window() -> Window:
    now = datetime.now(UTC) + timedelta(seconds=2)
    return Window(start=now - timedelta(minutes=10), end=now,
                  changes_start=now - timedelta(hours=1), step_seconds=1)


def _push_fault(plane: ControlPlane, name: str = "config-timeout") -> None:
    fault = FAULTS[name]
    current = plane.deployer.current(fault.service)
    plane.deployer.deploy(fault.service, fault.apply(current.config), fault.author)


def test_a_push_is_a_change_the_argocd_source_reads_with_its_previous_revision(
        plane: ControlPlane) -> None:
    _push_fault(plane)
    config = SourceConfig(kind="argocd", url=plane.url, origin="t", where="sources.argocd",
                          targets=tuple(Target(s.name, s.name) for s in SERVICES))
    connector = ArgoCDConnector(_fetcher(plane.url, "argocd"), config)
    changes = parse_changes(connector.fetch(_window()).body, "t")
    by_id = {c.id: c for c in changes}
    assert set(by_id) == {"argocd-payments-0", "argocd-checkout-0", "argocd-frontend-0",
                          "argocd-checkout-1"}
    pushed = by_id["argocd-checkout-1"]
    assert pushed.service == "checkout" and pushed.author == "dlee"
    boot = revision_of("checkout", spec("checkout").config)
    assert pushed.previous_revision == boot[:12]
    assert "lowered" not in (pushed.summary or "") and "timeout" not in (pushed.summary or "")
    assert connector.probe() == "Argo CD oncall-lab"


def test_the_argocd_executor_rolls_the_push_back_and_can_undo_it(plane: ControlPlane) -> None:
    _push_fault(plane)
    config_file = plane.deployer.config_path("checkout")
    broken = read_config(config_file)
    doc = stack.oncall_config("http://127.0.0.1:1", "http://127.0.0.1:2", plane.url,
                              Path("policy.yaml"))
    router = Router(parse_executor_config(doc["executors"], "oncall.yaml"))
    boot = revision_of("checkout", spec("checkout").config)
    request = ActionRequest(action="rollback", service="checkout", incident="inc-1",
                            change="argocd-checkout-1", revision=boot[:12])
    try:
        executor = router.route(request)
        preview = executor.preview(request)
        assert preview.executor == "argocd" and preview.dry_run_ok is True
        assert preview.undo_kind == "undo"
        assert read_config(config_file) == broken  # the dry run changed nothing
        result = executor.execute(request)
        assert result.ok and '"id":0' in result.call.replace(" ", "")
        assert read_config(config_file) == spec("checkout").config
        history = plane.deployer.application("checkout")["status"]["history"]
        assert [h["id"] for h in history] == [0, 1, 2]
        assert history[-1]["revision"] == boot and history[-1]["initiatedBy"] == {
            "username": "oncall-rollback"}
        undone = executor.undo(request, result)
        assert undone.ok and read_config(config_file) == broken
    finally:
        router.close()


def test_rollback_to_an_unknown_entry_or_app_is_refused(plane: ControlPlane) -> None:
    url = f"{plane.url}/api/v1/applications"
    missing = httpx.post(f"{url}/checkout/rollback", json={"id": 7}, timeout=5)
    assert missing.status_code == 400 and "no history entry 7" in missing.json()["error"]
    assert httpx.post(f"{url}/checkout/rollback", json={"id": "0"},
                      timeout=5).status_code == 400
    assert httpx.get(f"{url}/nobody", timeout=5).status_code == 404
    assert httpx.post(f"{url}/nobody/rollback", json={"id": 0}, timeout=5).status_code == 404


def test_the_catalog_answers_as_backstage_with_the_call_chain(plane: ControlPlane) -> None:
    config = SourceConfig(kind="backstage", url=plane.url, origin="t",
                          where="sources.backstage", kinds=("Component", "Group"))
    connector = BackstageConnector(_fetcher(plane.url, "backstage"), config)
    catalog = parse_catalog(connector.fetch(_window()).body, "t")
    names = {e.name: e for e in catalog.entities}
    assert set(names) == {"payments", "checkout", "frontend", "lab-team"}  # no System
    assert list(names["frontend"].depends_on) == ["component:checkout"]
    assert names["checkout"].annotations["backstage.io/kubernetes-namespace"] == "lab"
    assert names["lab-team"].annotations["oncall/escalation"]
    assert connector.probe().startswith("Backstage catalog")


def _log(path: Path, level: str, message: str, at: float | None = None) -> None:
    with path.open("a") as fh:
        fh.write(json.dumps({"ts": at or time.time(), "level": level, "msg": message}) + "\n")


def test_the_services_logs_answer_as_loki_streams(plane: ControlPlane,
                                                   tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    _log(logs / "checkout.log", "error", "call to payments failed after 3 attempt(s)")
    _log(logs / "checkout.log", "info", "config loaded: version 2.31.0")
    _log(logs / "payments.log", "error", "ancient", at=time.time() - 3600)
    (logs / "payments.log").open("a").write("{half a line")
    config = SourceConfig(kind="loki", url=plane.url, origin="t", where="sources.loki",
                          log_queries=('{namespace="lab"}',), limit=100)
    connector = LokiConnector(_fetcher(plane.url, "loki"), config)
    lines = parse_logs(connector.fetch(_window()).body, "t")
    assert [(ln.service, ln.level, ln.pod) for ln in lines] == [
        ("checkout", "error", "checkout-0"), ("checkout", "info", "checkout-0")]
    assert connector.probe() == "Loki oncall-lab"
    narrow = SourceConfig(kind="loki", url=plane.url, origin="t", where="sources.loki",
                          log_queries=('{service=~"check.*", level="error"} |= "payments"',))
    only = parse_logs(LokiConnector(_fetcher(plane.url, "loki"), narrow).fetch(
        _window()).body, "t")
    assert [ln.line for ln in only] == ["call to payments failed after 3 attempt(s)"]
    bad = SourceConfig(kind="loki", url=plane.url, origin="t", where="sources.loki",
                       log_queries=('sum(rate({namespace="lab"}[1m]))',))
    with pytest.raises(SourceUnavailable, match="parse error"):
        LokiConnector(_fetcher(plane.url, "loki"), bad).fetch(_window())


def test_alertmanager_notifications_are_recorded(plane: ControlPlane) -> None:
    body = {"status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "LabHighErrorRatio"}},
        {"status": "resolved", "labels": {"alertname": "LabHighLatencyP95"}}]}
    assert httpx.post(f"{plane.url}/hooks/alertmanager", json=body,
                      timeout=5).status_code == 200
    assert httpx.post(f"{plane.url}/hooks/alertmanager", content=b"[",
                      timeout=5).status_code == 400
    assert plane.notified() == ["LabHighErrorRatio"]

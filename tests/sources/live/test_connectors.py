"""Connectors for hosted APIs through httpx.MockTransport, with payloads shaped like the
real ones: GitHub deployments, Argo CD history, Backstage, Jaeger, Tempo, Loki, K8s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from oncall.config import SourceConfig, Target
from oncall.errors import SourceUnavailable
from oncall.sources.catalog import parse_catalog
from oncall.sources.changes import parse_changes
from oncall.sources.live.backstage import BackstageConnector
from oncall.sources.live.base import Window
from oncall.sources.live.build import build_connector
from oncall.sources.live.changes import ArgoCDConnector, GitHubConnector, KubernetesConnector
from oncall.sources.live.http import Fetcher
from oncall.sources.live.loki import LokiConnector
from oncall.sources.live.traces import JaegerConnector, TempoConnector
from oncall.sources.logs import parse_logs
from oncall.sources.traces import parse_traces

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
WINDOW = Window(start=NOW - timedelta(hours=1), end=NOW, changes_start=NOW - timedelta(hours=24))
Handler = Callable[[httpx.Request], httpx.Response]


def _connector(kind: str, handler: Handler, **fields: Any) -> Any:
    url = f"https://{kind}.test"
    config = SourceConfig(kind=kind, url=url, origin="oncall.yaml", where=f"sources.{kind}",
                          **fields)
    client = httpx.Client(base_url=url, transport=httpx.MockTransport(handler))
    return build_connector(config, client, sleep=lambda _: None)


def _routes(table: dict[str, Any], seen: list[httpx.Request] | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        body = table.get(request.url.path)
        if body is None:
            return httpx.Response(404, json={"message": "Not Found"})
        return body if isinstance(body, httpx.Response) else httpx.Response(200, json=body)

    return handler


def _deployment(ident: int, sha: str, at: str, env: str = "production") -> dict[str, Any]:
    return {"url": f"https://api.github.com/repos/acme/checkout/deployments/{ident}",
            "id": ident, "node_id": "DE_x", "sha": sha, "ref": "main", "task": "deploy",
            "payload": {}, "original_environment": env, "environment": env,
            "description": None, "creator": {"login": "jdoe", "id": 1, "type": "User"},
            "created_at": at, "updated_at": at, "transient_environment": False,
            "production_environment": True}


def test_github_deployments_become_changes_with_previous_revisions() -> None:
    seen: list[httpx.Request] = []
    deployments = [_deployment(3, "c" * 40, "2026-03-14T02:07:00Z"),
                   _deployment(2, "b" * 40, "2026-03-13T20:00:00Z"),
                   _deployment(1, "a" * 40, "2026-03-10T09:00:00Z")]
    connector = _connector("github", _routes({"/repos/acme/checkout/deployments": deployments},
                                             seen),
                           targets=(Target("acme/checkout", "checkout", "production"),))
    fetched = connector.fetch(WINDOW)
    changes = parse_changes(fetched.body, "github")
    assert [(c.id, c.at.hour, c.revision, c.previous_revision) for c in changes] == [
        ("gh-checkout-2", 20, "b" * 12, "a" * 12), ("gh-checkout-3", 2, "c" * 12, "b" * 12)]
    assert changes[0].service == "checkout" and changes[0].author == "jdoe"
    assert changes[0].summary == "deploy main to production"
    request = seen[0]
    assert request.url.params["environment"] == "production"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_github_one_unknown_repo_is_a_problem_not_a_failure() -> None:
    connector = _connector("github", _routes({"/repos/acme/checkout/deployments": []}),
                           targets=(Target("acme/checkout", "checkout"),
                                    Target("acme/gone", "gone")))
    fetched = connector.fetch(WINDOW)
    assert fetched.body == {"changes": []}
    assert fetched.problems == ["repo acme/gone: HTTP 404 on /repos/acme/gone/deployments: "
                                "Not Found"]


def test_argocd_history_becomes_changes() -> None:
    app = {"metadata": {"name": "checkout"}, "status": {"history": [
        {"id": 11, "revision": "41aa07b" + "0" * 33, "deployedAt": "2026-03-13T10:00:00Z",
         "deployStartedAt": "2026-03-13T09:59:50Z",
         "source": {"repoURL": "https://git/x", "path": "apps/checkout"},
         "initiatedBy": {"automated": True}},
        {"id": 12, "revision": "9c1e2f0" + "0" * 33, "deployedAt": "2026-03-14T02:07:00Z",
         "source": {"repoURL": "https://git/x", "path": "apps/checkout"},
         "initiatedBy": {"username": "jdoe"}},
    ]}}
    connector = _connector("argocd", _routes({"/api/v1/applications/checkout": app,
                                              "/api/version": {"Version": "v2.13.1"}}),
                           targets=(Target("checkout", "checkout"),))
    changes = parse_changes(connector.fetch(WINDOW).body, "argocd")
    assert [(c.id, c.author, c.revision, c.previous_revision) for c in changes] == [
        ("argocd-checkout-11", "automated", "41aa07b00000", None),
        ("argocd-checkout-12", "jdoe", "9c1e2f000000", "41aa07b00000")]
    assert changes[1].summary == "Argo CD sync of checkout to 9c1e2f000000 (apps/checkout)"
    assert connector.probe() == "Argo CD v2.13.1"


def test_kubernetes_replicasets_are_the_rollout_history() -> None:
    def rs(deploy: str, revision: int, at: str, image: str) -> dict[str, Any]:
        return {"metadata": {
            "name": f"{deploy}-{revision}", "namespace": "prod", "creationTimestamp": at,
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                 "name": deploy, "controller": True}]},
            "spec": {"replicas": 0, "template": {"spec": {"containers": [
                {"name": deploy, "image": image}]}}}}

    body = {"kind": "ReplicaSetList", "apiVersion": "apps/v1", "items": [
        rs("checkout", 7, "2026-03-14T02:07:00Z", "registry/checkout:1.8.0"),
        rs("checkout", 6, "2026-03-12T02:07:00Z", "registry/checkout:1.7.9"),
        {"metadata": {"name": "orphan", "creationTimestamp": "2026-03-14T01:00:00Z"}},
    ]}
    seen: list[httpx.Request] = []
    connector = _connector("kubernetes",
                           _routes({"/apis/apps/v1/namespaces/prod/replicasets": body}, seen),
                           namespace="prod", label_selector="team=payments")
    (change,) = parse_changes(connector.fetch(WINDOW).body, "k8s")
    assert (change.id, change.service, change.revision, change.previous_revision) == (
        "k8s-checkout-rev7", "checkout", "7", "6")
    assert change.summary == "rollout of registry/checkout:1.8.0"
    assert seen[0].url.params["labelSelector"] == "team=payments"


def test_backstage_pages_by_cursor_and_parses_as_a_catalog() -> None:
    seen: list[httpx.Request] = []
    component = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                 "metadata": {"name": "checkout", "namespace": "default",
                              "annotations": {"oncall/tier": "1"}},
                 "spec": {"type": "service", "owner": "group:payments",
                          "dependsOn": ["component:payments"]},
                 "relations": [{"type": "ownedBy", "targetRef": "group:default/payments"}]}
    group = {"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
             "metadata": {"name": "payments", "annotations": {"oncall/escalation": "@pay"}},
             "spec": {"type": "team", "profile": {"email": "pay@x"}, "children": []}}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "cursor" not in request.url.params:
            return httpx.Response(200, json={"items": [component], "totalItems": 2,
                                             "pageInfo": {"nextCursor": "abc"}})
        return httpx.Response(200, json={"items": [group], "totalItems": 2, "pageInfo": {}})

    connector = _connector("backstage", handler, kinds=("Component", "Group"))
    catalog = parse_catalog(connector.fetch(WINDOW).body, "backstage")
    assert [e.ref for e in catalog.entities] == ["component:checkout", "group:payments"]
    assert catalog.get("checkout").tier == 1  # type: ignore[union-attr]
    assert seen[0].url.params.get_list("filter") == ["kind=component", "kind=group"]
    assert seen[1].url.params["cursor"] == "abc"


def _jaeger_trace(trace_id: str, service: str, error: bool) -> dict[str, Any]:
    tags = [{"key": "http.status_code", "type": "int64", "value": 500 if error else 200}]
    return {"traceID": trace_id, "spans": [{
        "traceID": trace_id, "spanID": "s1", "flags": 1, "operationName": "GET /pay",
        "references": [], "startTime": int(NOW.timestamp() * 1e6) - 5_000_000,
        "duration": 120_000, "tags": tags, "logs": [], "processID": "p1", "warnings": None}],
        "processes": {"p1": {"serviceName": service, "tags": [
            {"key": "hostname", "type": "string", "value": f"{service}-7d9f"}]}},
        "warnings": None}


def test_jaeger_merges_services_and_drops_duplicate_traces() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        service = request.url.params["service"]
        data = [_jaeger_trace("t1", "checkout", True)]
        if service == "payments":
            data.append(_jaeger_trace("t2", "payments", False))
        return httpx.Response(200, json={"data": data, "total": 0, "limit": 0, "offset": 0,
                                         "errors": None})

    connector = _connector("jaeger", handler, services=("checkout", "payments"), limit=20,
                           tags={"error": "true"})
    spans = parse_traces(connector.fetch(WINDOW).body, "jaeger")
    assert sorted((s.trace_id, s.service, s.error, s.pod) for s in spans) == [
        ("t1", "checkout", True, "checkout-7d9f"), ("t2", "payments", False, "payments-7d9f")]


def test_tempo_searches_then_fetches_each_trace_as_otlp() -> None:
    start = int(NOW.timestamp() * 1e9) - 5_000_000_000
    batch = {"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "checkout"}}]},
        "scopeSpans": [{"scope": {"name": "x"}, "spans": [{
            "traceId": "AAAAAAAAAAAAAAAAAAAAAQ==", "spanId": "AAAAAAAAAAE=", "name": "GET",
            "kind": "SPAN_KIND_SERVER", "startTimeUnixNano": str(start),
            "endTimeUnixNano": str(start + 300_000_000), "status": {"code": 2}}]}]}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/search":
            assert request.url.params["q"] == "{ status = error }"
            return httpx.Response(200, json={"traces": [
                {"traceID": "1", "rootServiceName": "checkout", "durationMs": 300},
                {"traceID": "2", "rootServiceName": "checkout", "durationMs": 10}],
                "metrics": {"inspectedTraces": 2}})
        if request.url.path == "/api/traces/1":
            return httpx.Response(200, json={"batches": [batch]})
        return httpx.Response(404, text="trace not found")

    connector = _connector("tempo", handler, traceql="{ status = error }", limit=5)
    fetched = connector.fetch(WINDOW)
    (span,) = parse_traces(fetched.body, "tempo")
    assert (span.service, span.error, span.duration_us) == ("checkout", True, 300_000)
    assert fetched.problems == ["trace 2: HTTP 404 on /api/traces/2: trace not found"]


def test_loki_streams_merge_and_a_metric_query_is_reported() -> None:
    end_ns = int(NOW.timestamp()) * 10**9

    def handler(request: httpx.Request) -> httpx.Response:
        query = request.url.params["query"]
        assert request.url.params["direction"] == "backward"
        if query.startswith("rate("):
            return httpx.Response(200, json={"status": "success", "data": {
                "resultType": "matrix", "result": []}})
        return httpx.Response(200, json={"status": "success", "data": {
            "resultType": "streams", "result": [{
                "stream": {"service": "checkout", "pod": "checkout-7d9f", "level": "error"},
                "values": [[str(end_ns - 10**9), "upstream timeout trace_id=" + "ab" * 8]]}],
            "stats": {}}})

    connector = _connector("loki", handler, log_queries=('{app="checkout"}',
                                                         'rate({app="x"}[1m])'))
    fetched = connector.fetch(WINDOW)
    (line,) = parse_logs(fetched.body, "loki")
    assert (line.service, line.level, line.trace_id) == ("checkout", "error", "ab" * 8)
    assert "not a log stream query" in fetched.problems[0]


def test_loki_every_query_failing_is_the_source_failing() -> None:
    connector = _connector("loki", lambda request: httpx.Response(
        400, json={"status": "error", "error": "parse error at line 1"}),
        log_queries=("{",))
    with pytest.raises(SourceUnavailable, match=r"query \{: HTTP 400 .*parse error at line 1"):
        connector.fetch(WINDOW)


def test_github_sends_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from oncall.config import Auth
    from oncall.sources.live.build import build_client

    monkeypatch.setenv("GH_TOKEN_FOR_TEST", "s3cret\n")
    config = SourceConfig(kind="github", url="https://api.github.com", origin="oncall.yaml",
                          where="sources.github", auth=Auth(token_env="GH_TOKEN_FOR_TEST"),
                          targets=(Target("acme/checkout", "checkout"),))
    with build_client(config) as client:
        assert client.headers["Authorization"] == "Bearer s3cret"
        assert str(client.base_url) == "https://api.github.com"


def test_each_connector_kind_is_built_for_its_part() -> None:
    parts = {"jaeger": (JaegerConnector, "traces"), "tempo": (TempoConnector, "traces"),
             "loki": (LokiConnector, "logs"), "backstage": (BackstageConnector, "catalog"),
             "github": (GitHubConnector, "changes"), "argocd": (ArgoCDConnector, "changes"),
             "kubernetes": (KubernetesConnector, "changes")}
    for kind, (cls, part) in parts.items():
        connector = _connector(kind, _routes({}))
        assert isinstance(connector, cls) and connector.part == part
        assert isinstance(connector.fetcher, Fetcher)

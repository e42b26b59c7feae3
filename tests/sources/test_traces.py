"""Span kind and peer.service survive parsing in both trace formats."""

from __future__ import annotations

from oncall.sources.traces import parse_traces


def test_jaeger_client_span_names_its_peer() -> None:
    body = {"data": [{"traceID": "t1", "processes": {"p1": {"serviceName": "checkout"}},
                      "spans": [{"traceID": "t1", "spanID": "a", "operationName": "SELECT",
                                 "startTime": 1, "duration": 5, "processID": "p1",
                                 "tags": [{"key": "span.kind", "value": "client"},
                                          {"key": "peer.service", "value": "orders-db"}]},
                                {"traceID": "t1", "spanID": "b", "operationName": "GET /",
                                 "startTime": 1, "duration": 9, "processID": "p1",
                                 "tags": []}]}]}
    client, plain = parse_traces(body, "traces.json")
    assert (client.kind, client.peer) == ("client", "orders-db")
    assert (plain.kind, plain.peer) == (None, None)


def test_otlp_kind_enum_and_names() -> None:
    def span(kind: object, peer: str | None) -> dict[str, object]:
        attrs = [{"key": "peer.service", "value": {"stringValue": peer}}] if peer else []
        return {"traceId": "t", "spanId": "s", "name": "call", "kind": kind,
                "startTimeUnixNano": "1000", "endTimeUnixNano": "2000", "attributes": attrs}

    body = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "cart"}}]},
        "scopeSpans": [{"spans": [span(3, "redis"), span("SPAN_KIND_SERVER", None),
                                  span(99, None)]}]}]}
    spans = parse_traces(body, "traces.json")
    assert [(s.kind, s.peer) for s in spans] == [("client", "redis"), ("server", None),
                                                 (None, None)]

"""The slice of LogQL the lab's log store understands, and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oncall.lab.logstore import LogStore, QueryError, parse_query


def test_selectors_and_line_filters_parse() -> None:
    query = parse_query('{namespace="lab", service=~"check.*", level!="info"} |= "payments"')
    assert query.matchers == (("namespace", "=", "lab"), ("service", "=~", "check.*"),
                              ("level", "!=", "info"))
    assert query.contains == ("payments",)
    assert query.selects({"namespace": "lab", "service": "checkout", "level": "error"})
    assert not query.selects({"namespace": "lab", "service": "checkout", "level": "info"})
    assert not query.selects({"namespace": "lab", "service": "payments", "level": "error"})
    assert parse_query('{a="x,y"}').matchers == (("a", "=", "x,y"),)


@pytest.mark.parametrize("text", [
    "service=checkout", "{}", '{service="a"} | json', '{service=~"("}',
    'sum(rate({a="b"}[1m]))', "{service=checkout}",
])
def test_anything_else_is_a_parse_error(text: str) -> None:
    with pytest.raises(QueryError, match="parse error"):
        parse_query(text)


def test_query_range_keeps_the_newest_lines_within_the_limit(tmp_path: Path) -> None:
    with (tmp_path / "checkout.log").open("w") as fh:
        for i in range(5):
            fh.write(json.dumps({"ts": 100 + i, "level": "error", "msg": f"e{i}"}) + "\n")
    store = LogStore(tmp_path)
    body = store.query_range('{service="checkout"}', 0, 10**12, limit=2)
    values = body["data"]["result"][0]["values"]
    assert [v[1] for v in values] == ["e4", "e3"]
    assert values[0][0] == str(104 * 10**9)
    window = store.query_range('{service="checkout"}', 101 * 10**9, 102 * 10**9, limit=10,
                               backward=False)
    assert [v[1] for v in window["data"]["result"][0]["values"]] == ["e1", "e2"]

"""The service config every fault pulls on, and the faults themselves."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from oncall.lab.faults import DEFAULT_FAULT, FAULTS
from oncall.lab.settings import (
    SERVICES,
    ConfigError,
    ServiceConfig,
    read_config,
    spec,
    write_config,
)


def test_a_config_survives_the_file_round_trip(tmp_path: Path) -> None:
    config = ServiceConfig(version="9.9.9", latency_ms=(1.0, 2.5), upstream_timeout_ms=250,
                           retries=1, retry_backoff_ms=10, error_rate=0.25, workers=3)
    path = tmp_path / "svc.json"
    write_config(path, config)
    assert read_config(path) == config
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write leaves no temp file


@pytest.mark.parametrize(("doc", "message"), [
    ({"timeout": 5}, "timeout: unknown key"),
    ({"error_rate": 1.5}, "error_rate: expected 0 to 1"),
    ({"retries": 1.5}, "retries: expected a whole number"),
    ({"workers": True}, "workers: expected a number"),
    ({"latency_ms": [5, 1]}, "latency_ms: expected 0 <= low <= high"),
    ({"latency_ms": "fast"}, "latency_ms: expected [low, high]"),
    ({"version": ""}, "version: expected a non-empty string"),
    ([], "expected a JSON object"),
])
def test_a_bad_config_is_refused_naming_the_field(doc: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        ServiceConfig.from_dict(doc)


def test_an_unreadable_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"broken\.json: cannot be read"):
        read_config(path)
    path.write_text(json.dumps({"workers": 0}))
    with pytest.raises(ConfigError, match=r"broken\.json: workers"):
        read_config(path)


def test_the_services_form_one_call_chain_ending_at_payments() -> None:
    names = [s.name for s in SERVICES]
    assert names == ["payments", "checkout", "frontend"]  # start order: upstream first
    assert spec("frontend").upstream == "checkout" and spec("checkout").upstream == "payments"
    assert spec("payments").upstream is None
    with pytest.raises(KeyError):
        spec("nobody")


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_changes_one_service_and_nothing_else_of_it(name: str) -> None:
    fault = FAULTS[name]
    before = spec(fault.service).config
    after = fault.apply(before)
    changed = {k for k, v in after.to_dict().items() if before.to_dict()[k] != v}
    assert changed, f"{name} changes nothing"
    assert changed <= {"upstream_timeout_ms", "version", "error_rate", "workers"}
    ServiceConfig.from_dict(after.to_dict())  # still a valid config


def test_the_default_fault_breaks_checkouts_timeout_below_payments_latency() -> None:
    fault = FAULTS[DEFAULT_FAULT]
    broken = fault.apply(spec("checkout").config)
    assert fault.service == "checkout"
    assert broken.upstream_timeout_ms < spec("payments").config.latency_ms[0]
    assert replace(broken, upstream_timeout_ms=spec("checkout").config.upstream_timeout_ms) \
        == spec("checkout").config

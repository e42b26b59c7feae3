"""expected.yaml parsing: the contract's shape, and one clear line for each mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oncall.errors import InputError
from oncall.evaluate.truth import load_expected, parse_expected
from tests.evaluate.builders import expected_doc


def test_contract_example_parses() -> None:
    truth = parse_expected(expected_doc(["a1", "a2"], ["n1"]), "expected.yaml")
    (inc,) = truth.incidents
    assert inc.alerts == {"a1", "a2"} and truth.noise == {"n1"}
    assert inc.root_cause is not None and inc.root_cause.change is None
    assert inc.remediation is not None and inc.remediation.decision == "auto"
    assert inc.runbooks == ("checkout-errors",)
    assert truth.incident_alerts == {"a1", "a2"}


def test_optional_parts_may_be_left_out() -> None:
    truth = parse_expected({"incidents": [{"alerts": ["a"]}]}, "expected.yaml")
    (inc,) = truth.incidents
    assert inc.root_cause is None and inc.remediation is None and inc.runbooks is None
    assert truth.noise == frozenset()


def _broken(**changes: Any) -> dict[str, Any]:
    doc = expected_doc(["a1"], ["n1"])
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            doc["incidents"][0][section][field] = value
        else:
            doc["incidents"][0][section] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (["not", "a", "map"], "expected.yaml: expected an object, got a list"),
        (None, "expected.yaml: is empty"),
        ({"incidents": {"alerts": ["a"]}}, "expected.yaml: incidents: expected a list"),
        (_broken(alerts=[]), "incidents[0].alerts: is required"),
        (_broken(root_cause__kind="gremlins"), "incidents[0].root_cause.kind: unknown kind"),
        (_broken(root_cause__service=None), "incidents[0].root_cause.service: is required"),
        (_broken(remediation__action="reboot"), "incidents[0].remediation.action: unknown "
         "action"),
        (_broken(remediation__decision="maybe"), "remediation.decision: unknown decision"),
        (_broken(runbooks={"a": 1}), "incidents[0].runbooks: expected a list"),
        ({"incidents": [{"alerts": ["a"]}, {"alerts": ["a"]}]},
         "incidents[1].alerts: alert 'a' is already in incidents[0]"),
        ({"incidents": [{"alerts": ["a"]}], "noise": ["a"]}, "also listed as noise"),
    ],
)
def test_mistakes_name_the_field(doc: Any, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_expected(doc, "expected.yaml")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "expected.yaml").write_text("incidents: [\n")
    with pytest.raises(InputError, match=r"expected.yaml: invalid YAML at line 2"):
        load_expected(tmp_path)

"""The action loop: nothing runs that policy does not allow; everything that runs is
verified, undone when it did not help, and written to the audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oncall.audit import AuditLog
from oncall.model import (
    Catalog,
    CatalogEntity,
    Freeze,
    Hypothesis,
    Incident,
    MetricSeries,
    Policy,
    Remediation,
    Snapshot,
)
from oncall.remediate.executors import Router
from oncall.remediate.executors.config import (
    ExecutorConfig,
    HttpSettings,
    KubernetesConfig,
    WebhookConfig,
)
from oncall.remediate.session import (
    ActSession,
    ActSettings,
    Confirmation,
    ConfirmRequest,
    Verifier,
)
from oncall.remediate.verify_loop import ReplayMetrics
from tests.remediate.fakes import FakeKubectl, Recorder

NOW = datetime(2026, 3, 14, 2, 19, tzinfo=UTC)
LATER = NOW + timedelta(days=30)
VERIFY = {"latency_p95_seconds": "<= 0.2", "error_ratio": "<= 0.01"}
RESTART = Remediation("restart", "checkout", "medium", True, "restart", "none needed", VERIFY,
                      command="kubectl rollout restart deployment/checkout -n shop")
SCALE = Remediation("scale", "checkout", "low", True, "scale", "scale back", VERIFY,
                    command="kubectl scale deployment/checkout --replicas=REPLICAS -n shop")
ROLLBACK = Remediation("rollback", "checkout", "low", True, "roll back", "roll forward",
                       VERIFY, command="kubectl rollout undo deployment/checkout -n shop")
ESCALATE = Remediation("escalate", "checkout", "low", True, "page", "none needed", {},
                       command="page the owners of checkout")
EXECUTE = Policy(autonomy="execute", actions={"restart": "auto", "scale": "auto",
                                              "rollback": "approve", "failover": "deny"})


def series(signal: str, values: list[float], start: float = NOW.timestamp()) -> MetricSeries:
    return MetricSeries(signal, {"service": "checkout", "pod": "checkout-1"},
                        tuple((start + 30 * i, v) for i, v in enumerate(values)))


HEALTHY = [series("latency_p95_seconds", [2.0, 0.15, 0.12, 0.11, 0.1, 0.1, 0.1, 0.1]),
           series("error_ratio", [0.2, 0.005, 0.004, 0.003, 0.003, 0.003, 0.003, 0.003])]
STILL_BAD = [series("latency_p95_seconds", [2.0] * 40), series("error_ratio", [0.2] * 40)]


class Person:
    """A scripted person at the terminal: says yes or no, and remembers what was asked."""

    def __init__(self, *answers: bool, name: str = "alice") -> None:
        self.answers = list(answers)
        self.asked: list[ConfirmRequest] = []
        self.name = name

    def __call__(self, request: ConfirmRequest) -> Confirmation:
        self.asked.append(request)
        ok = self.answers.pop(0) if self.answers else False
        return Confirmation(ok, (self.name,) if ok else (), "" if ok else "declined")


@pytest.fixture
def kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKubectl:
    return FakeKubectl(tmp_path, monkeypatch)


def make(tmp_path: Path, *rems: Remediation, policy: Policy = EXECUTE,
         metrics: list[MetricSeries] | None = None, target: str = "checkout",
         **settings: object) -> tuple[ActSession, AuditLog]:
    catalog = Catalog((CatalogEntity("Component", "checkout", annotations={
        "backstage.io/kubernetes-namespace": "shop"}),))
    snap = Snapshot("s", NOW, catalog=catalog, policy=policy)
    incident = Incident("inc-1", [], [target], NOW, owner="group:payments",
                        escalation="pager:payments",
                        hypotheses=[Hypothesis(target, "capacity", 0.9)],
                        remediations=[replace(r, target=target) for r in rems])
    audit = AuditLog(tmp_path / "audit.jsonl", actor="alice")
    replay = ReplayMetrics(metrics if metrics is not None else HEALTHY, NOW.timestamp())
    verifier = Verifier(replay, replay.clock, replay.sleep, interval_seconds=30, consecutive=3)
    router = Router(ExecutorConfig(kubernetes=KubernetesConfig()))
    act = ActSettings(now=lambda: NOW, **settings)  # type: ignore[arg-type]
    return ActSession(snap, incident, router, audit, act, verifier), audit


def events(audit: AuditLog) -> list[str]:
    return [r["event"] for r in audit.records()]


def test_auto_with_yes_runs_verifies_and_audits_every_step(tmp_path: Path,
                                                           kubectl: FakeKubectl) -> None:
    session, audit = make(tmp_path, RESTART, yes=True)
    outcome = session.act(0)
    assert outcome.status == "recovered", outcome.message
    assert kubectl.mutating() == [["-n", "shop", "rollout", "restart", "deployment/checkout"]]
    assert events(audit) == ["proposal", "decision", "note", "approval", "execution",
                             "verification"]
    records = list(audit.records())
    assert records[3]["actor"] == "policy" and records[4]["actor"] == "alice"
    assert records[4]["data"]["call"] == "kubectl -n shop rollout restart deployment/checkout"
    assert records[5]["data"]["status"] == "recovered"
    assert audit.verify().ok


def test_deny_never_runs_not_even_a_dry_run(tmp_path: Path, kubectl: FakeKubectl) -> None:
    failover = replace(RESTART, action="failover")
    person = Person(True)
    session, _ = make(tmp_path, failover, yes=True, confirm=person)
    outcome = session.act(0)
    assert outcome.status == "denied" and not outcome.executed
    assert kubectl.calls == [] and person.asked == []


def test_assist_executes_nothing_even_when_a_person_says_yes(tmp_path: Path,
                                                             kubectl: FakeKubectl) -> None:
    policy = Policy(autonomy="assist", actions={"restart": "auto"})
    person = Person(True)
    session, _ = make(tmp_path, RESTART, policy=policy, yes=True, confirm=person)
    assert session.act(0).status == "proposed"
    assert kubectl.calls == [] and person.asked == []


@pytest.mark.parametrize("moment", ["page", "acting"])
def test_a_freeze_turns_auto_into_a_question(tmp_path: Path, kubectl: FakeKubectl,
                                             moment: str) -> None:
    start = NOW if moment == "page" else LATER
    policy = replace(EXECUTE, freezes=(Freeze(start - timedelta(hours=1),
                                              start + timedelta(hours=1), "quarter close"),))
    session, _ = make(tmp_path, RESTART, policy=policy, yes=True)
    if moment == "acting":
        session.settings.now = lambda: LATER
    outcome = session.act(0)
    assert outcome.status == "proposed"
    assert outcome.decision is not None and "quarter close" in outcome.decision.reason
    assert kubectl.mutating() == []


def test_a_frozen_action_runs_once_a_person_confirms(tmp_path: Path,
                                                     kubectl: FakeKubectl) -> None:
    policy = replace(EXECUTE, freezes=(Freeze(NOW - timedelta(hours=1),
                                              NOW + timedelta(hours=1)),))
    person = Person(True)
    session, audit = make(tmp_path, RESTART, policy=policy, yes=True, confirm=person)
    assert session.act(0).status == "recovered"
    assert person.asked[0].decision.decision == "approve"
    assert person.asked[0].preview.call == "kubectl -n shop rollout restart deployment/checkout"
    assert [r["data"].get("approvers") for r in audit.records()
            if r["event"] == "approval"] == [["alice"]]


def test_a_missing_approval_stops_the_action(tmp_path: Path, kubectl: FakeKubectl) -> None:
    policy = replace(EXECUTE, approvers_min=2, approver_groups=("group:sre",))
    session, audit = make(tmp_path, ROLLBACK, policy=policy, confirm=Person(True))
    outcome = session.act(0)
    assert outcome.status == "refused" and "approval missing" in outcome.message
    assert kubectl.mutating() == []
    assert events(audit)[-1] == "rejection"


@pytest.mark.parametrize("again", ["alice", "ALICE", " alice", "   ", ""])
def test_the_actor_renamed_or_a_blank_name_is_no_second_approver(
        tmp_path: Path, kubectl: FakeKubectl, again: str) -> None:
    policy = replace(EXECUTE, approvers_min=2)
    session, audit = make(tmp_path, ROLLBACK, policy=policy, confirm=Person(True),
                          approvers=(again,))
    outcome = session.act(0)
    assert outcome.status == "refused" and not outcome.executed
    assert "needs 2 distinct approver(s), have 1 (alice)" in outcome.message
    assert kubectl.mutating() == [] and "execution" not in events(audit)


def test_attested_names_are_recorded_stripped(tmp_path: Path, kubectl: FakeKubectl) -> None:
    policy = replace(EXECUTE, approvers_min=2)
    session, audit = make(tmp_path, ROLLBACK, policy=policy, confirm=Person(True),
                          approvers=(" bob ",))
    assert session.act(0).status == "recovered"
    approval = next(r for r in audit.records() if r["event"] == "approval")
    assert approval["data"]["approvers"] == ["alice", "bob"]


def test_a_dry_run_of_an_escalation_records_no_escalation(tmp_path: Path,
                                                          kubectl: FakeKubectl) -> None:
    session, audit = make(tmp_path, ESCALATE, dry_run=True)
    outcome = session.act(0)
    assert outcome.status == "dry_run" and "pager:payments" in outcome.message
    assert "escalation" not in events(audit)


def test_a_second_attested_approver_completes_the_approval(tmp_path: Path,
                                                           kubectl: FakeKubectl) -> None:
    policy = replace(EXECUTE, approvers_min=2)
    session, audit = make(tmp_path, ROLLBACK, policy=policy, confirm=Person(True),
                          approvers=("bob",))
    assert session.act(0).status == "recovered"
    assert kubectl.mutating() == [["-n", "shop", "rollout", "undo", "deployment/checkout"]]
    approval = next(r for r in audit.records() if r["event"] == "approval")
    assert approval["data"]["approvers"] == ["alice", "bob"]


def test_yes_never_approves_on_a_persons_behalf(tmp_path: Path, kubectl: FakeKubectl) -> None:
    session, _ = make(tmp_path, ROLLBACK, yes=True)
    outcome = session.act(0)
    assert outcome.status == "proposed" and "requires approval by a person" in outcome.message
    assert kubectl.calls == []


def test_without_yes_or_a_terminal_it_only_proposes(tmp_path: Path,
                                                    kubectl: FakeKubectl) -> None:
    session, audit = make(tmp_path, RESTART)
    assert session.act(0).status == "proposed"
    assert kubectl.mutating() == []
    assert "execution" not in events(audit)


def test_a_person_who_says_no_stops_it(tmp_path: Path, kubectl: FakeKubectl) -> None:
    session, audit = make(tmp_path, RESTART, confirm=Person(False))
    assert session.act(0).status == "rejected"
    assert kubectl.mutating() == [] and events(audit)[-1] == "rejection"


@pytest.mark.parametrize("target", ["checkout; rm -rf /", "$(id)", "billing"])
def test_a_hostile_or_unknown_target_never_reaches_kubectl(tmp_path: Path, kubectl: FakeKubectl,
                                                           target: str) -> None:
    person = Person(True)
    session, audit = make(tmp_path, RESTART, target=target, yes=True, confirm=person)
    outcome = session.act(0)
    assert outcome.status == "refused" and not outcome.executed
    assert kubectl.calls == [] and person.asked == []
    assert "execution" not in events(audit)


def test_dry_run_previews_only(tmp_path: Path, kubectl: FakeKubectl) -> None:
    session, _ = make(tmp_path, SCALE, yes=True, dry_run=True)
    outcome = session.act(0)
    assert outcome.status == "dry_run" and outcome.preview is not None
    assert outcome.preview.call.endswith("--current-replicas=4 --replicas=6")
    assert kubectl.mutating() == []


def test_no_recovery_undoes_an_auto_action_and_pages(tmp_path: Path,
                                                     kubectl: FakeKubectl) -> None:
    session, audit = make(tmp_path, SCALE, metrics=STILL_BAD, yes=True)
    outcome = session.act(0)
    assert outcome.status == "undone", outcome.message
    assert kubectl.mutating() == [
        ["-n", "shop", "scale", "deployment/checkout", "--current-replicas=4", "--replicas=6"],
        ["-n", "shop", "scale", "deployment/checkout", "--current-replicas=6", "--replicas=4"],
    ]
    assert events(audit)[-3:] == ["verification", "undo", "escalation"]
    escalation = list(audit.records())[-1]["data"]
    assert escalation["escalation"] == "pager:payments"
    assert outcome.verification is not None and "still over target" in outcome.verification.reason


def test_an_approved_change_is_undone_only_when_a_person_confirms(
        tmp_path: Path, kubectl: FakeKubectl) -> None:
    person = Person(True, False)  # yes to the rollback, no to its undo
    session, audit = make(tmp_path, ROLLBACK, metrics=STILL_BAD, confirm=person)
    outcome = session.act(0)
    assert outcome.status == "escalated" and outcome.undo is None
    assert person.asked[1].undo is True
    assert len(kubectl.mutating()) == 1
    assert events(audit)[-2:] == ["rejection", "escalation"]


def test_a_restart_that_does_not_help_is_not_undone_but_escalated(
        tmp_path: Path, kubectl: FakeKubectl) -> None:
    session, audit = make(tmp_path, RESTART, metrics=STILL_BAD, yes=True)
    outcome = session.act(0)
    assert outcome.status == "escalated"
    assert len(kubectl.mutating()) == 1 and "undo" not in events(audit)
    # no pager is configured: the outcome says the escalation was recorded, never "paged"
    assert "paged" not in outcome.message
    assert outcome.message.endswith("the change was left in place; the escalation was "
                                    "recorded; no pager is configured: call pager:payments")


def test_missing_metrics_never_count_as_recovery(tmp_path: Path, kubectl: FakeKubectl) -> None:
    session, _ = make(tmp_path, RESTART, metrics=[], yes=True)
    outcome = session.act(0)
    assert outcome.status == "escalated"
    assert outcome.verification is not None and "no fresh data" in outcome.verification.reason


def test_a_failed_execution_pages_the_owners(tmp_path: Path, kubectl: FakeKubectl) -> None:
    kubectl.fail_on("restart")
    session, _ = make(tmp_path, RESTART, yes=True)
    # the dry run fails first, so policy alone may not run it: a person must look
    outcome = session.act(0)
    assert outcome.status == "proposed" and "dry run failed" in outcome.message
    assert kubectl.mutating() == []
    (tmp_path / "again").mkdir()
    session, audit = make(tmp_path / "again", RESTART, yes=True, confirm=Person(True))
    outcome = session.act(0)
    assert outcome.status == "failed" and "refused by the fake API server" in outcome.message
    assert events(audit)[-2:] == ["execution", "escalation"]


def test_escalate_without_a_pager_is_recorded_with_whom_to_call(tmp_path: Path,
                                                                kubectl: FakeKubectl) -> None:
    session, audit = make(tmp_path, ESCALATE, yes=True)
    outcome = session.act(0)
    assert outcome.status == "escalated" and "pager:payments" in outcome.message
    assert events(audit)[-1] == "escalation" and kubectl.calls == []


def pager_router(recorder: Recorder) -> Router:
    settings = HttpSettings("https://pager.example.test/enqueue")
    config = ExecutorConfig(kubernetes=KubernetesConfig(), webhooks={
        "pager": WebhookConfig("pager", settings, actions=("escalate",))})
    return Router(config, clients={"webhook:pager": recorder.client(settings.url)})


@pytest.mark.parametrize(("escalate", "paged"), [("auto", True), ("approve", False)])
def test_the_pager_is_called_after_a_failure_only_when_policy_lets_it(
        tmp_path: Path, kubectl: FakeKubectl, escalate: str, paged: bool) -> None:
    recorder = Recorder({("POST", "/enqueue"): {"status": "queued"}})
    policy = replace(EXECUTE, actions={**EXECUTE.actions, "escalate": escalate})
    session, audit = make(tmp_path, RESTART, policy=policy, metrics=STILL_BAD, yes=True)
    session.router = pager_router(recorder)
    outcome = session.act(0)
    assert outcome.status == "escalated"
    assert [b["action"] for b in recorder.bodies()] == (["escalate"] if paged else [])
    page = list(audit.records())[-1]["data"]["page"]
    assert page["ok"] is paged
    assert ("the owners were paged" in outcome.message) is paged
    if not paged:
        assert "paged" not in outcome.message
        assert "the escalation was recorded; the pager was not called" in outcome.message


def test_a_failing_pager_is_not_reported_as_paged(tmp_path: Path,
                                                   kubectl: FakeKubectl) -> None:
    recorder = Recorder({})  # every call to the pager fails
    session, audit = make(tmp_path, RESTART, metrics=STILL_BAD, yes=True)
    session.router = pager_router(recorder)
    outcome = session.act(0)
    assert outcome.status == "escalated"
    assert list(audit.records())[-1]["data"]["page"]["ok"] is False
    assert "paged" not in outcome.message
    assert "the pager call failed: call pager:payments" in outcome.message


def test_a_chosen_escalation_goes_to_the_configured_pager(tmp_path: Path,
                                                          kubectl: FakeKubectl) -> None:
    recorder = Recorder({("POST", "/enqueue"): {"status": "queued"}})
    session, _ = make(tmp_path, ESCALATE, confirm=Person(True))
    session.router = pager_router(recorder)
    outcome = session.act(0)
    assert outcome.status == "escalated" and outcome.executed
    assert recorder.bodies() == [{"action": "escalate", "service": "checkout",
                                  "incident": "inc-1", "namespace": "shop", "pod": None,
                                  "change": None, "revision": None, "dry_run": False,
                                  "undo": False}]

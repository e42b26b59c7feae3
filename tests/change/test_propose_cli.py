"""`oncall recurring` and `oncall change propose` end to end on a real git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from oncall.audit import AuditLog
from oncall.change.forge import ForgeError, github_pull_request
from oncall.cli.main import app
from tests.change.conftest import git

runner = CliRunner()
NOW = "2026-11-25T10:00:00Z"  # a Wednesday


def _policy(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(body)
    return path


CHANGE = "autonomy: change\napprovers: {min: 2, groups: ['group:sre']}\n"


def _cluster(history: Path, kind: str) -> str:
    out = runner.invoke(app, ["recurring", str(history), "--now", NOW, "--format", "json"])
    assert out.exit_code == 0, out.stderr
    return next(r["id"] for r in json.loads(out.stdout)["recurring"] if r["kind"] == kind)


def _propose(history: Path, infra: Path, tmp_path: Path, target: str, policy: str,
             *extra: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [
        "change", "propose", target, "--history", str(history), "--repo", str(infra),
        "--policy", str(_policy(tmp_path, policy)), "--now", NOW,
        "--audit", str(tmp_path / "audit.jsonl"), *extra])
    return result.exit_code, result.stdout, result.stderr


def test_recurring_lists_clusters_by_impact(history: Path) -> None:
    out = runner.invoke(app, ["recurring", str(history), "--now", NOW])
    assert out.exit_code == 0 and "2 recurring cause(s)" in out.stdout
    assert out.stdout.index("config") < out.stdout.index("capacity")


def test_a_fix_lands_on_a_branch_and_the_checkout_stays_untouched(
        history: Path, infra: Path, tmp_path: Path) -> None:
    head = git(infra, "rev-parse", "HEAD")
    target = _cluster(history, "config")
    code, out, err = _propose(history, infra, tmp_path, target, CHANGE)
    assert code == 0, err
    branch = f"oncall/fix-{target.lower()}"
    assert f"on branch {branch}" in out and "-    timeout_ms: 200" in out
    assert git(infra, "rev-parse", "HEAD") == head and git(infra, "status", "--short") == ""
    assert git(infra, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    changed = git(infra, "show", f"{branch}:config/checkout.yaml")
    assert "timeout_ms: 800   # lowered in cfg-2291" in changed
    message = git(infra, "log", "-1", "--format=%B", branch)
    for needle in ("INC-CFG-0", "INC-CFG-1", "Expected effect:", "Verify after rollout:",
                   "Rollback: revert this commit", "Needs 2 approval(s) from group:sre"):
        assert needle in message
    assert git(infra, "diff", "--name-only", "main", branch).split() == ["config/checkout.yaml"]
    events = [r["event"] for r in AuditLog(tmp_path / "audit.jsonl").records()]
    assert events == ["proposal"]
    assert "pull request description" in out  # no forge asked: ready to paste

    again = _propose(history, infra, tmp_path, target, CHANGE)
    assert again[0] == 2 and "already exists" in again[2]


def test_push_to_a_remote(history: Path, infra: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(infra, "remote", "add", "origin", str(remote))
    target = _cluster(history, "capacity")
    code, _, err = _propose(history, infra, tmp_path, target, CHANGE, "--push", "origin")
    assert code == 0, err
    assert f"oncall/fix-{target.lower()}" in git(remote, "branch", "--list")


@pytest.mark.parametrize("policy, needle", [
    ("autonomy: execute\n", "needs autonomy 'change'"),
    ("autonomy: change\nchange_windows: [{days: [mon], start: '09:00', end: '12:00', "
     "tz: UTC}]\n", "next window opens 2026-11-30 09:00Z"),
    ("autonomy: change\nfreezes: [{from: 2026-11-20T00:00:00Z, to: 2026-12-01T00:00:00Z, "
     "reason: black friday}]\n", "black friday"),
])
def test_governance_refusals_exit_3_and_are_audited(history: Path, infra: Path,
                                                    tmp_path: Path, policy: str,
                                                    needle: str) -> None:
    code, _, err = _propose(history, infra, tmp_path, _cluster(history, "config"), policy)
    assert code == 3 and needle in err and len(err.strip().splitlines()) == 1
    assert git(infra, "branch", "--list").split() == ["*", "main"]
    assert [r["event"] for r in AuditLog(tmp_path / "audit.jsonl").records()] == ["rejection"]


def test_a_change_window_that_is_open_allows_it(history: Path, infra: Path,
                                                tmp_path: Path) -> None:
    policy = CHANGE + "change_windows: [{days: [wed], start: '09:00', end: '16:00', " \
        "tz: Europe/Berlin}]\n"
    code, out, _ = _propose(history, infra, tmp_path, _cluster(history, "capacity"), policy,
                            "--dry-run")
    assert code == 0 and "inside change window wed 09:00-16:00 Europe/Berlin" in out
    assert "dry run" in out and git(infra, "branch", "--list").split() == ["*", "main"]


def test_refusals_for_bad_targets_missing_files_and_conflicts(history: Path, infra: Path,
                                                              tmp_path: Path) -> None:
    code, _, err = _propose(history, infra, tmp_path, "REC-nope", CHANGE)
    assert code == 2 and "neither a recurring cluster" in err
    code, _, err = _propose(history, infra, tmp_path, "INC-CAP-0", CHANGE, "--set",
                            "k8s/missing.yaml:spec.replicas=5")
    assert code == 2 and "k8s/missing.yaml" in err
    (infra / "config" / "checkout.yaml").write_text(
        (infra / "config" / "checkout.yaml").read_text().replace("200", "250"))
    git(infra, "commit", "-qam", "someone tuned it")
    code, _, err = _propose(history, infra, tmp_path, _cluster(history, "config"), CHANGE)
    assert code == 2 and "no file holds upstreams.payments.timeout_ms = 200" in err


def test_an_explicit_edit_for_a_single_incident(history: Path, infra: Path,
                                                tmp_path: Path) -> None:
    code, out, err = _propose(history, infra, tmp_path, "INC-OTHER", CHANGE, "--set",
                              "k8s/checkout.yaml#0:spec.replicas=6")
    assert code == 0, err
    assert "-  replicas: 3   # sized for the spring sale" in out
    assert "+  replicas: 6   # sized for the spring sale" in out


def _github(handler: object) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def test_github_pull_request_and_reviewers() -> None:
    seen: list[tuple[str, str, dict[str, object], str]] = []
    answers = iter([httpx.Response(502), httpx.Response(
        201, json={"number": 42, "html_url": "https://github.com/acme/infra/pull/42"}),
        httpx.Response(201, json={})])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the look-up before the create is sent again
            seen.append(("GET", request.url.path, dict(request.url.params), ""))
            return httpx.Response(200, json=[])
        seen.append((request.method, request.url.path, json.loads(request.content),
                     request.headers["Authorization"]))
        return next(answers)

    sleeps: list[float] = []
    opened = github_pull_request(_github(handler), "acme/infra", "tok", head="oncall/fix-1",
                                 base="main", title="Raise floor", body="why",
                                 reviewers=["group:sre", "alice"], sleep=sleeps.append)
    assert opened.number == 42 and opened.reviewers_requested == ("sre", "alice")
    assert [s[1] for s in seen] == ["/repos/acme/infra/pulls"] * 3 + [
        "/repos/acme/infra/pulls/42/requested_reviewers"]
    assert seen[1] == ("GET", "/repos/acme/infra/pulls",
                       {"head": "acme:oncall/fix-1", "state": "open"}, "")
    assert seen[2][2]["head"] == "oncall/fix-1" and seen[2][3] == "Bearer tok"
    assert seen[3][2] == {"reviewers": ["alice"], "team_reviewers": ["sre"]}
    assert sleeps == [0.5]


def test_github_refusals_are_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(422, json={"message": "A pull request already exists"})

    with pytest.raises(ForgeError, match="already exists"):
        github_pull_request(_github(handler), "acme/infra", "t", head="b", base="main",
                            title="t", body="b", reviewers=[], sleep=lambda s: None)
    assert calls == [1]


def test_github_and_gitlab_together_are_refused_before_anything(
        history: Path, infra: Path, tmp_path: Path) -> None:
    code, out, err = _propose(history, infra, tmp_path, _cluster(history, "config"), CHANGE,
                              "--github", "acme/infra", "--gitlab", "g/infra")
    assert code == 2 and out == ""
    assert err == ("oncall: --gitlab: give --github OWNER/REPO or --gitlab GROUP/PROJECT, not "
                   "both (one change is reviewed in one place)\n")
    assert git(infra, "branch", "--list").split() == ["*", "main"]
    assert not (tmp_path / "audit.jsonl").exists()


def test_a_bad_forge_api_url_is_refused_before_anything(
        history: Path, infra: Path, tmp_path: Path) -> None:
    code, out, err = _propose(history, infra, tmp_path, _cluster(history, "config"), CHANGE,
                              "--github", "acme/infra", "--api", "https://ghe.example:abc")
    assert code == 2 and out == ""
    assert err == ("oncall: --api: the port must be a number from 1 to 65535, got "
                   "'https://ghe.example:abc'\n")
    assert git(infra, "branch", "--list").split() == ["*", "main"]
    with pytest.raises(ForgeError, match="--api: the URL has no host"):
        github_pull_request(_github(lambda r: httpx.Response(500)), "acme/infra", "tok",
                            head="h", base="main", title="t", body="b", reviewers=[],
                            api="https://", sleep=lambda _s: None)

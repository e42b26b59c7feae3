"""`oncall change propose` against a forge that answers badly: the base branch the pull
request targets, failures after the push (exit 1, the description to paste, the audit),
secrets kept out, and a create that is never blindly sent twice."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from oncall.audit import AuditLog
from oncall.change.forge import ForgeError, github_pull_request, gitlab_merge_request
from oncall.cli.main import app
from tests.change.conftest import git

runner = CliRunner()
NOW = "2026-11-25T10:00:00Z"
TOKEN = "ghp_" + "S3cr3tT0ken" * 3
POLICY = "autonomy: change\napprovers: {min: 2, groups: ['group:sre', 'alice']}\n"
Handler = Callable[[httpx.Request], httpx.Response]
REAL_CLIENT = httpx.Client


def _ok(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/pulls"):
        return httpx.Response(201, json={"number": 42, "html_url": "https://gh/pull/42"})
    return httpx.Response(201, json={})


@pytest.fixture
def remote(infra: Path, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(infra, "remote", "add", "origin", str(bare))
    return bare


def _run(monkeypatch: pytest.MonkeyPatch, history: Path, infra: Path, tmp_path: Path,
         handler: Handler, *extra: str) -> tuple[int, str, str, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    def client(**kwargs: object) -> httpx.Client:
        return REAL_CLIENT(transport=httpx.MockTransport(record))

    monkeypatch.setattr(httpx, "Client", client)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setattr("time.sleep", lambda _s: None)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    result = runner.invoke(app, [
        "change", "propose", "INC-CFG-0", "--history", str(history), "--repo", str(infra),
        "--policy", str(policy), "--now", NOW, "--audit", str(tmp_path / "audit.jsonl"),
        "--github", "acme/infra", "--api", "https://ghe.example/api/v3", *extra])
    return result.exit_code, result.stdout, result.stderr, seen


def _audit(tmp_path: Path) -> list[dict[str, object]]:
    return [r for r in AuditLog(tmp_path / "audit.jsonl").records()]


def _created(seen: list[httpx.Request]) -> dict[str, object]:
    body = json.loads(next(r for r in seen if r.url.path.endswith("/pulls")).content)
    assert isinstance(body, dict)
    return body


# 1. the base branch


def test_the_pull_request_targets_the_branch_base_names(
        monkeypatch: pytest.MonkeyPatch, history: Path, infra: Path, remote: Path,
        tmp_path: Path) -> None:
    git(infra, "branch", "release")
    code, out, err, seen = _run(monkeypatch, history, infra, tmp_path, _ok,
                                "--base", "release")
    assert code == 0, err
    assert _created(seen)["base"] == "release" and "into release" in out
    assert git(infra, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_a_remote_tracking_base_targets_its_branch(
        monkeypatch: pytest.MonkeyPatch, history: Path, infra: Path, remote: Path,
        tmp_path: Path) -> None:
    git(infra, "push", "-q", "origin", "main:release")
    git(infra, "fetch", "-q", "origin")
    code, _, err, seen = _run(monkeypatch, history, infra, tmp_path, _ok,
                              "--base", "origin/release")
    assert code == 0, err
    assert _created(seen)["base"] == "release"


def test_without_base_the_current_branch_is_the_target(
        monkeypatch: pytest.MonkeyPatch, history: Path, infra: Path, remote: Path,
        tmp_path: Path) -> None:
    git(infra, "checkout", "-q", "-b", "stable")
    code, _, err, seen = _run(monkeypatch, history, infra, tmp_path, _ok)
    assert code == 0, err
    assert _created(seen)["base"] == "stable"


@pytest.mark.parametrize("setup, base, needle", [
    (("tag", "v1"), "v1", "'v1' is a tag"),
    (("tag", "v1"), "HEAD~0", "'HEAD~0' is not a branch"),
    (("checkout", "-q", "--detach"), None, "HEAD is detached"),
])
def test_a_base_that_is_no_branch_is_refused_before_anything(
        monkeypatch: pytest.MonkeyPatch, history: Path, infra: Path, remote: Path,
        tmp_path: Path, setup: tuple[str, ...], base: str | None, needle: str) -> None:
    git(infra, *setup)
    extra = ("--base", base) if base else ()
    code, _, err, seen = _run(monkeypatch, history, infra, tmp_path, _ok, *extra)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert seen == [] and "oncall/" not in git(infra, "branch", "--list")
    assert not (tmp_path / "audit.jsonl").exists()


# 2-4. failures after the push


def _says_open_by_hand(code: int, out: str, err: str, tmp_path: Path) -> dict[str, object]:
    assert code == 1
    assert "branch oncall/fix-inc-cfg-0 pushed to origin;" in err
    assert "open the pull request into main by hand" in err
    assert "---- pull request description ----" in out and "Rollback:" in out
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2
    events = _audit(tmp_path)
    assert [e["event"] for e in events] == ["proposal", "note"]
    data = events[1]["data"]
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("answer, needle", [
    (httpx.Response(201, text="<html>ok</html>"), "not JSON"),
    (httpx.Response(201, json={"html_url": "x"}), "no 'number'"),
    (httpx.Response(200, json=[1]), "no 'number'"),
])
def test_a_2xx_that_is_not_a_pull_request_is_one_line(
        monkeypatch: pytest.MonkeyPatch, history: Path, infra: Path, remote: Path,
        tmp_path: Path, answer: httpx.Response, needle: str) -> None:
    code, out, err, _ = _run(monkeypatch, history, infra, tmp_path, lambda r: answer)
    data = _says_open_by_hand(code, out, err, tmp_path)
    assert err.startswith("oncall: GitHub: POST ") and needle in err
    assert "it may have been opened" in err and needle in str(data["failed"])


def test_a_forge_failure_after_the_push_exits_1_with_the_description(
        monkeypatch: pytest.MonkeyPatch, history: Path, infra: Path, remote: Path,
        tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])
        return httpx.Response(500, json={"message": "boom"})

    code, out, err, seen = _run(monkeypatch, history, infra, tmp_path, handler)
    data = _says_open_by_hand(code, out, err, tmp_path)
    assert "HTTP 500: boom (3 tries)" in err and "it may have been" not in err
    assert "oncall/fix-inc-cfg-0" in git(remote, "branch", "--list")
    assert data["failed"] == err.splitlines()[0].removeprefix("oncall: ")
    assert [r.method for r in seen] == ["POST", "GET", "POST", "GET", "POST"]


def test_reviewers_failing_keeps_the_pull_request(
        monkeypatch: pytest.MonkeyPatch, history: Path, infra: Path, remote: Path,
        tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/pulls"):
            return httpx.Response(201, json={"number": 42, "html_url": "https://gh/pull/42"})
        return httpx.Response(422, json={"message": "Reviews may only be requested from "
                                                    "collaborators."})

    code, out, err, _ = _run(monkeypatch, history, infra, tmp_path, handler)
    assert code == 1 and "opened https://gh/pull/42" in out
    assert "pull request #42 is open (https://gh/pull/42) but the reviewers were not " \
        "requested: request group:sre, alice by hand" in err
    assert "only be requested from collaborators" in err
    data = _audit(tmp_path)[1]["data"]
    assert isinstance(data, dict)
    assert data["number"] == 42 and data["opened"] == "https://gh/pull/42"
    assert "collaborators" in str(data["failed"])


def test_tokens_never_reach_the_output_or_the_audit(
        monkeypatch: pytest.MonkeyPatch, history: Path, infra: Path, remote: Path,
        tmp_path: Path) -> None:
    other = "ghp_" + "Z" * 36

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"message": f"bad: {request.headers['Authorization']}"
                                                    f" and {other}"})

    code, out, err, _ = _run(monkeypatch, history, infra, tmp_path, handler)
    assert code == 1 and "HTTP 401: bad: Bearer" in err
    audit = (tmp_path / "audit.jsonl").read_text()
    for text in (out, err, audit):
        assert TOKEN not in text and other not in text


# 5. a create is never blindly sent twice


def _client(handler: Handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_a_lost_create_is_found_not_repeated() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        if request.method == "POST" and request.url.path.endswith("/pulls"):
            raise httpx.ReadTimeout("slow", request=request)
        if request.method == "GET":
            return httpx.Response(200, json=[{"number": 7, "html_url": "https://gh/7"}])
        return httpx.Response(201, json={})

    opened = github_pull_request(_client(handler), "acme/infra", "tok", head="oncall/fix-1",
                                 base="main", title="t", body="b", reviewers=["group:sre"],
                                 sleep=lambda _s: None)
    assert opened.number == 7 and opened.url == "https://gh/7"
    assert seen == ["POST /repos/acme/infra/pulls?",
                    "GET /repos/acme/infra/pulls?head=acme%3Aoncall%2Ffix-1&state=open",
                    "POST /repos/acme/infra/pulls/7/requested_reviewers?"]


def test_a_create_is_not_repeated_when_the_look_up_fails() -> None:
    posts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(1)
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(503)

    with pytest.raises(ForgeError, match="whether it was created is unknown") as failed:
        github_pull_request(_client(handler), "acme/infra", "tok", head="b", base="main",
                            title="t", body="b", reviewers=[], sleep=lambda _s: None)
    assert posts == [1] and failed.value.maybe_created and failed.value.exit_code == 1


def test_gitlab_looks_up_the_merge_request_by_source_branch() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.query.decode()}")
        if request.method == "POST":
            return httpx.Response(502)
        return httpx.Response(200, json=[{"iid": 3, "web_url": "https://gl/3"}])

    opened = gitlab_merge_request(_client(handler), "g/infra", "tok", head="oncall/fix-1",
                                  base="release", title="t", body="b", sleep=lambda _s: None)
    assert opened.number == 3 and seen == [
        "POST ", "GET source_branch=oncall%2Ffix-1&state=opened"]

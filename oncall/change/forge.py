"""Open the reviewed change where the team reviews code: a GitHub PR or a GitLab MR.

The client is injected (`httpx.Client`), so tests hand in a MockTransport and nothing
here knows about the network. Tokens come from the environment only. Requests are
retried a bounded number of times on 429 and 5xx (honouring Retry-After), then the
failure is reported with the branch left in place, ready to open by hand.

Approvers from the policy become requested reviewers; the pull request is never merged
by oncall and says how many approvals it needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from oncall.config import BadURL, check_url
from oncall.errors import OncallError

ATTEMPTS = 3
GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"


class ForgeError(OncallError):
    """The forge refused or did not answer; the branch is still there to open by hand."""


@dataclass(frozen=True, slots=True)
class Opened:
    number: int
    url: str
    reviewers_requested: tuple[str, ...] = ()


def _send(client: httpx.Client, method: str, url: str, *, json: dict[str, Any],
          headers: dict[str, str], sleep: Callable[[float], None]) -> httpx.Response:
    last = ""
    for attempt in range(ATTEMPTS):
        try:
            response = client.request(method, url, json=json, headers=headers)
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code < 400:
                return response
            last = f"HTTP {response.status_code}: {_message(response)}"
            if response.status_code != 429 and response.status_code < 500:
                break
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.isdigit() and attempt + 1 < ATTEMPTS:
                sleep(min(float(retry_after), 30.0))
                continue
        if attempt + 1 < ATTEMPTS:
            sleep(0.5 * 2 ** attempt)
    raise ForgeError(f"{method} {url}: {last}")


def _api(api: str) -> str:
    """The API base URL through the shared check (`oncall.config.check_url`)."""
    try:
        return check_url(api)
    except BadURL as exc:
        raise ForgeError(f"--api: {exc}") from None


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:200]
    return str(body)[:200]


def github_pull_request(client: httpx.Client, repo: str, token: str, *, head: str, base: str,
                        title: str, body: str, reviewers: list[str],
                        api: str = GITHUB_API,
                        sleep: Callable[[float], None] = time.sleep) -> Opened:
    """POST /repos/{repo}/pulls, then request the policy's approvers as reviewers.

    `group:sre` style approvers become team reviewers (`sre`), others user reviewers.
    """
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": "2022-11-28"}
    base_url = f"{_api(api)}/repos/{repo}"
    created = _send(client, "POST", f"{base_url}/pulls", headers=headers, sleep=sleep,
                    json={"title": title, "head": head, "base": base, "body": body,
                          "maintainer_can_modify": True}).json()
    number, url = int(created["number"]), str(created.get("html_url", ""))
    teams = [r.split(":", 1)[1] for r in reviewers if r.startswith("group:")]
    users = [r.split(":", 1)[-1] for r in reviewers if not r.startswith("group:")]
    if teams or users:
        _send(client, "POST", f"{base_url}/pulls/{number}/requested_reviewers",
              headers=headers, sleep=sleep, json={"reviewers": users, "team_reviewers": teams})
    return Opened(number, url, tuple(teams + users))


def gitlab_merge_request(client: httpx.Client, project: str, token: str, *, head: str,
                         base: str, title: str, body: str,
                         api: str = GITLAB_API,
                         sleep: Callable[[float], None] = time.sleep) -> Opened:
    """POST /projects/:id/merge_requests (approvers are named in the description)."""
    url = f"{_api(api)}/projects/{quote(project, safe='')}/merge_requests"
    created = _send(client, "POST", url, headers={"PRIVATE-TOKEN": token}, sleep=sleep,
                    json={"source_branch": head, "target_branch": base, "title": title,
                          "description": body, "remove_source_branch": False}).json()
    return Opened(int(created["iid"]), str(created.get("web_url", "")))

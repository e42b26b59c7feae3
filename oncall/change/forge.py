"""Open the reviewed change where the team reviews code: a GitHub PR or a GitLab MR.

The client is injected (`httpx.Client`), so tests hand in a MockTransport and nothing
here knows about the network. Tokens come from the environment only. Requests are
retried a bounded number of times on a failed connection, a timeout, 429 and 5xx
(honouring Retry-After), then the failure is reported with the branch left in place,
ready to open by hand.

Creating the pull request is not idempotent: a retry of a create whose answer was lost
would be refused as "already exists" and hide the success. So before the create is sent
again, the open pull request (merge request) from the same head branch is looked up and
used when there is one; when that look-up fails too, the create is not repeated and the
error says the outcome is unknown. Every message is one line with the token (and
anything shaped like one) cut out.

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
CREATE_TIMEOUT = 10.0  # seconds, the create and its look-up: about 50 s at worst in all
TIMEOUT = 15.0
GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"


class ForgeError(OncallError):
    """The forge refused or did not answer; the branch is still there to open by hand.

    An outside system failing: exit code 1."""

    exit_code = 1

    def __init__(self, message: str, *, maybe_created: bool = False) -> None:
        super().__init__(message)
        self.maybe_created = maybe_created  # the create may have worked: look before redoing


@dataclass(frozen=True, slots=True)
class Opened:
    number: int
    url: str
    reviewers_requested: tuple[str, ...] = ()
    reviewers_error: str | None = None  # opened, but the reviewers could not be requested


class _Unknown(Exception):
    """The look-up before a repeated create failed: whether it was created is unknown."""


def scrub(text: str, token: str) -> str:
    """One line without `token` or anything that looks like a credential."""
    from oncall.itsm.http import scrub as scrub_literals
    from oncall.llm.redact import Redactor

    text = scrub_literals(text, [token])
    return " ".join(Redactor(literals=[token])(text).text.split())


class _Forge:
    def __init__(self, client: httpx.Client, name: str, token: str, headers: dict[str, str],
                 sleep: Callable[[float], None]) -> None:
        self.client, self.name, self.token = client, name, token
        self.headers, self.sleep = headers, sleep

    def error(self, what: str, detail: str, ours: str = "", *,
              maybe_created: bool = False) -> ForgeError:
        """`detail` came from the server or the network: scrubbed of anything that looks
        like a secret; `what` and `ours` are oncall's own words: scrubbed of the token."""
        from oncall.itsm.http import scrub as scrub_literals

        line = f"{self.name}: {what}: {scrub(detail, self.token)}{ours}"
        return ForgeError(" ".join(scrub_literals(line, [self.token]).split()),
                          maybe_created=maybe_created)

    def send(self, method: str, url: str, *, json: dict[str, Any] | None = None,
             params: dict[str, str] | None = None, timeout: float = TIMEOUT,
             before_retry: Callable[[], Any] | None = None) -> tuple[httpx.Response | None,
                                                                     Any]:
        """(the 2xx response, None), or (None, what `before_retry` found), or ForgeError.

        `before_retry` runs before a request is sent again; what it returns (not None)
        ends the retries. It raises `_Unknown` when it cannot tell."""
        what = f"{method} {url}"
        last = ""
        for attempt in range(ATTEMPTS):
            if attempt and before_retry is not None:
                try:
                    found = before_retry()
                except _Unknown as unknown:
                    raise self.error(what, last, f"; not sent again: whether it was "
                                     f"created is unknown ({unknown})",
                                     maybe_created=True) from None
                if found is not None:
                    return None, found
            try:
                response = self.client.request(method, url, json=json, params=params,
                                               headers=self.headers, timeout=timeout)
            except httpx.TimeoutException:
                last = f"no answer within {timeout:.0f} s"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    return response, None
                last = f"HTTP {response.status_code}: {_message(response)}"
                if response.status_code != 429 and response.status_code < 500:
                    raise self.error(what, last)
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit() and attempt + 1 < ATTEMPTS:
                    self.sleep(min(float(retry_after), 30.0))
                    continue
            if attempt + 1 < ATTEMPTS:
                self.sleep(0.5 * 2 ** attempt)
        raise self.error(what, f"{last} ({ATTEMPTS} tries)")

    def body(self, response: httpx.Response, what: str, key: str) -> dict[str, Any]:
        """The JSON object answered, holding an integer `key`; else one line saying so."""
        try:
            body = response.json()
        except ValueError:
            body = None
            detail = f"not JSON: {response.text[:80]!r}"
        else:
            detail = f"no {key!r} in {str(body)[:80]!r}"
        if isinstance(body, dict) and isinstance(body.get(key), int):
            return body
        raise self.error(what, f"HTTP {response.status_code} but the answer is not what "
                         f"{self.name} sends ({detail})", maybe_created=True)

    def lookup(self, url: str, params: dict[str, str], key: str,
               link: str) -> Opened | None:
        """The first open PR/MR `GET url?params` lists, None when there is none."""
        try:
            response = self.client.request("GET", url, params=params, headers=self.headers,
                                           timeout=CREATE_TIMEOUT)
        except httpx.HTTPError as exc:
            raise _Unknown(f"GET {url}: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise _Unknown(f"GET {url}: HTTP {response.status_code}")
        try:
            found = response.json()
        except ValueError:
            raise _Unknown(f"GET {url}: not JSON") from None
        if not isinstance(found, list):
            raise _Unknown(f"GET {url}: not a list")
        for item in found:
            if isinstance(item, dict) and isinstance(item.get(key), int):
                return Opened(item[key], str(item.get(link, "")))
        return None


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
        text = str(body.get("message") or body.get("error") or body)
        errors = body.get("errors")
        if isinstance(errors, list):  # GitHub's 422 says why here
            text += "".join(f"; {e['message']}" for e in errors
                            if isinstance(e, dict) and e.get("message"))
        return text[:200]
    return str(body)[:200]


def github_pull_request(client: httpx.Client, repo: str, token: str, *, head: str, base: str,
                        title: str, body: str, reviewers: list[str],
                        api: str = GITHUB_API,
                        sleep: Callable[[float], None] = time.sleep) -> Opened:
    """POST /repos/{repo}/pulls, then request the policy's approvers as reviewers.

    `group:sre` style approvers become team reviewers (`sre`), others user reviewers.
    A failed reviewer request does not lose the pull request: it comes back in
    `Opened.reviewers_error`.
    """
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": "2022-11-28"}
    base_url = f"{_api(api)}/repos/{repo}"
    forge = _Forge(client, "GitHub", token, headers, sleep)
    pulls = f"{base_url}/pulls"
    owner = repo.split("/", 1)[0]
    response, found = forge.send(
        "POST", pulls, timeout=CREATE_TIMEOUT,
        json={"title": title, "head": head, "base": base, "body": body,
              "maintainer_can_modify": True},
        before_retry=lambda: forge.lookup(pulls, {"head": f"{owner}:{head}", "state": "open"},
                                          "number", "html_url"))
    if response is not None:
        created = forge.body(response, f"POST {pulls}", "number")
        found = Opened(created["number"], str(created.get("html_url", "")))
    assert isinstance(found, Opened)
    teams = [r.split(":", 1)[1] for r in reviewers if r.startswith("group:")]
    users = [r.split(":", 1)[-1] for r in reviewers if not r.startswith("group:")]
    if not (teams or users):
        return found
    try:
        forge.send("POST", f"{pulls}/{found.number}/requested_reviewers",
                   json={"reviewers": users, "team_reviewers": teams})
    except ForgeError as failed:
        return Opened(found.number, found.url, (), str(failed))
    return Opened(found.number, found.url, tuple(teams + users))


def gitlab_merge_request(client: httpx.Client, project: str, token: str, *, head: str,
                         base: str, title: str, body: str,
                         api: str = GITLAB_API,
                         sleep: Callable[[float], None] = time.sleep) -> Opened:
    """POST /projects/:id/merge_requests (approvers are named in the description)."""
    url = f"{_api(api)}/projects/{quote(project, safe='')}/merge_requests"
    forge = _Forge(client, "GitLab", token, {"PRIVATE-TOKEN": token}, sleep)
    response, found = forge.send(
        "POST", url, timeout=CREATE_TIMEOUT,
        json={"source_branch": head, "target_branch": base, "title": title,
              "description": body, "remove_source_branch": False},
        before_retry=lambda: forge.lookup(url, {"source_branch": head, "state": "opened"},
                                          "iid", "web_url"))
    if response is not None:
        created = forge.body(response, f"POST {url}", "iid")
        return Opened(created["iid"], str(created.get("web_url", "")))
    assert isinstance(found, Opened)
    return found

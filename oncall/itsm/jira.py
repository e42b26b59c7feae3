"""Jira Service Management (Jira Cloud REST v3): one issue per incident, then transition.

- Idempotent by a label equal to the correlation id (`oncall-inc-...`), found with
  `GET /rest/api/3/search/jql`; the issue also carries an entity property `oncall`
  with the correlation id and the facts, so a later run knows what it last said without
  parsing the Atlassian Document Format description back.
- Create: `POST /rest/api/3/issue` (project, issue type, summary, ADF description,
  labels, the property). A lost answer is looked up again before the POST is repeated.
- Update: a comment saying what changed, and the property refreshed.
- Resolve: the transition named `transition_resolved` (by its name or the name of the
  status it leads to) from `GET .../transitions`, with a comment holding the close
  notes. An issue already in a "done" status category is left alone.

Authentication is Atlassian's basic auth with an account e-mail and an API token.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from oncall.itsm.base import TicketAction
from oncall.itsm.config import JiraConfig
from oncall.itsm.content import (
    JIRA_PRIORITY,
    TicketView,
    description,
    short_description,
    what_changed,
)
from oncall.itsm.http import Found, ItsmError, Sender

NAME = "jira"
PROPERTY = "oncall"
SEARCH_PATH = "/rest/api/3/search/jql"
ISSUE_PATH = "/rest/api/3/issue"


def auth_header(config: JiraConfig, env: Mapping[str, str]) -> tuple[str, list[str]]:
    email = env.get(config.email_env, "").strip()
    if not email:
        raise KeyError(config.email_env)
    token = env.get(config.token_env, "").strip()
    if not token:
        raise KeyError(config.token_env)
    raw = base64.b64encode(f"{email}:{token}".encode()).decode()
    return f"Basic {raw}", [token, raw]


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document: one paragraph per block,
    hard breaks inside a block (ADF refuses empty text nodes)."""
    content = []
    for block in text.split("\n\n"):
        nodes: list[dict[str, Any]] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                nodes.append({"type": "hardBreak"})
            if line:
                nodes.append({"type": "text", "text": line})
        if nodes:
            content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


class Jira:
    name = NAME

    def __init__(self, sender: Sender, config: JiraConfig, authorization: str,
                 prefix: str = "oncall-") -> None:
        self.sender = sender
        self.config = config
        self.prefix = prefix
        self.headers = {"Accept": "application/json", "Authorization": authorization}

    def find(self, label: str) -> dict[str, Any] | None:
        jql = (f'project = "{self.config.project}" AND labels = "{label}" '
               "ORDER BY created DESC")
        response = self.sender.request(
            "GET", self.config.url + SEARCH_PATH, headers=self.headers,
            params={"jql": jql, "fields": "summary,status,labels", "properties": PROPERTY,
                    "maxResults": "1"})
        body = self._json(response, SEARCH_PATH)
        issues = body.get("issues") if isinstance(body, dict) else None
        if not isinstance(issues, list):
            raise self._unexpected(SEARCH_PATH, "no 'issues' list")
        return issues[0] if issues and isinstance(issues[0], dict) else None

    def fields(self, view: TicketView) -> dict[str, Any]:
        """The body of the POST that creates the issue."""
        corr = view.correlation_id(self.prefix)
        fields: dict[str, Any] = {
            "project": {"key": self.config.project},
            "issuetype": {"name": self.config.issue_type},
            "summary": short_description(view, 255),
            "description": adf(description(view)),
            "labels": [corr, "oncall"],
        }
        if self.config.set_priority:
            fields["priority"] = {"name": JIRA_PRIORITY[view.priority]}
        return {"fields": fields,
                "properties": [{"key": PROPERTY, "value": {"correlation_id": corr,
                                                           "facts": view.facts()}}]}

    def sync(self, view: TicketView, tickets: Sequence[TicketAction] = ()) -> TicketAction:
        corr = view.correlation_id(self.prefix)
        issue = self.find(corr)
        if issue is None:
            return self._create(view, corr)
        key = str(issue.get("key", ""))
        if _done(issue):
            return self._act(view, "skipped", key, "already in a done status")
        before = _facts(issue)
        changed = what_changed(before, view.facts())
        if not changed:
            return self._act(view, "unchanged", key, "nothing new since the last sync")
        self._comment(key, "oncall update: " + "; ".join(changed) + "\n\n" + view.narrative)
        self.sender.request("PUT", f"{self._issue_url(key)}/properties/{PROPERTY}",
                            headers=self.headers,
                            json={"correlation_id": corr, "facts": view.facts()})
        return self._act(view, "updated", key, "comment: " + "; ".join(changed))

    def resolve(self, view: TicketView, notes: str,
                tickets: Sequence[TicketAction] = ()) -> TicketAction:
        issue = self.find(view.correlation_id(self.prefix))
        if issue is None:
            return TicketAction(NAME, view.id, "skipped", "",
                                f"no issue labelled {view.correlation_id(self.prefix)}")
        key = str(issue.get("key", ""))
        if _done(issue):
            return self._act(view, "skipped", key, "already in a done status")
        url = f"{self._issue_url(key)}/transitions"
        listing = self._json(self.sender.request("GET", url, headers=self.headers),
                             "transitions")
        options = listing.get("transitions") if isinstance(listing, dict) else None
        if not isinstance(options, list):
            raise self._unexpected("transitions", "no 'transitions' list")
        wanted = self.config.transition_resolved.casefold()
        chosen = next((t for t in options if isinstance(t, dict) and wanted in (
            str(t.get("name", "")).casefold(),
            str((t.get("to") or {}).get("name", "")).casefold())), None)
        if chosen is None:
            names = ", ".join(str(t.get("name")) for t in options if isinstance(t, dict))
            raise self.sender.error(f"{key} has no transition {self.config.transition_resolved!r} "
                                    f"(available: {names or 'none'}); set "
                                    "itsm.jira.transition_resolved")
        body: dict[str, Any] = {"transition": {"id": str(chosen.get("id"))},
                                "update": {"comment": [{"add": {"body": adf(notes)}}]}}
        if self.config.resolution:
            body["fields"] = {"resolution": {"name": self.config.resolution}}
        self.sender.request("POST", url, headers=self.headers, json=body)
        return self._act(view, "resolved", key, f"transition {chosen.get('name')}")

    # ---- steps -----------------------------------------------------------------------

    def _create(self, view: TicketView, corr: str) -> TicketAction:
        def look_again() -> None:
            found = self.find(corr)
            if found is not None:
                raise Found(found)

        try:
            response = self.sender.request("POST", self.config.url + ISSUE_PATH,
                                           headers=self.headers, json=self.fields(view),
                                           before_retry=look_again)
        except Found as found:
            return self._act(view, "created", str(found.value.get("key", "")),
                             "found after a lost answer")
        body = self._json(response, ISSUE_PATH)
        if not isinstance(body, dict) or not body.get("key"):
            raise self._unexpected(ISSUE_PATH, "no issue key")
        return self._act(view, "created", str(body["key"]), f"{self.config.issue_type} in "
                         f"{self.config.project}")

    def _comment(self, key: str, text: str) -> None:
        self.sender.request("POST", f"{self._issue_url(key)}/comment", headers=self.headers,
                            json={"body": adf(text)})

    def _issue_url(self, key: str) -> str:
        if not key.replace("-", "").isalnum():
            raise self.sender.error(f"unexpected issue key {key!r}")
        return f"{self.config.url}{ISSUE_PATH}/{key}"

    def _json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._unexpected(what, "the answer is not JSON (is url right?)") from None

    def _unexpected(self, what: str, why: str) -> ItsmError:
        return self.sender.error(f"{what}: unexpected answer ({why})")

    def _act(self, view: TicketView, action: str, key: str, detail: str) -> TicketAction:
        return TicketAction(NAME, view.id, action, key, detail,
                            f"{self.config.url}/browse/{key}" if key else "")


def _done(issue: Mapping[str, Any]) -> bool:
    status = (issue.get("fields") or {}).get("status") or {}
    category = status.get("statusCategory") or {} if isinstance(status, dict) else {}
    return isinstance(category, dict) and category.get("key") == "done"


def _facts(issue: Mapping[str, Any]) -> dict[str, str] | None:
    prop = (issue.get("properties") or {}).get(PROPERTY)
    facts = prop.get("facts") if isinstance(prop, dict) else None
    if isinstance(facts, dict):
        return {str(k): str(v) for k, v in facts.items()}
    return None


def dry_run_answer(request: httpx.Request, config: JiraConfig,
                   existing: bool) -> httpx.Response | None:
    """What a dry run pretends Jira answered (issue DRYRUN-1); None for other URLs."""
    if not str(request.url).startswith(config.url + "/rest/api/3/"):
        return None
    path = request.url.path
    if path.endswith(SEARCH_PATH):
        issues = [{"id": "0", "key": "DRYRUN-1", "fields": {}}] if existing else []
        return httpx.Response(200, json={"issues": issues})
    if path.endswith("/transitions") and request.method == "GET":
        return httpx.Response(200, json={"transitions": [
            {"id": "0", "name": config.transition_resolved}]})
    if path.endswith(ISSUE_PATH) and request.method == "POST":
        return httpx.Response(201, json={"id": "0", "key": "DRYRUN-1"})
    return httpx.Response(204)

"""Change sources: Kubernetes rollout history, GitHub deployments, Argo CD sync history.

Each turns its API's records into `changes.yaml` entries (`{id, kind, service, at,
...}`), which the live source then checks with the same parser as a scenario file.
Ids carry the source (`k8s-`, `gh-`, `argocd-`) so several change sources never
collide, and `previous_revision` is the revision before each one: that is where a
rollback goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from oncall.sources.fields import parse_rfc3339
from oncall.sources.live.base import Fetched, Window, rfc3339
from oncall.sources.live.http import HttpConnector, QueryRejected

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"


class KubernetesConnector(HttpConnector):
    """Rollout history as the API server keeps it: one ReplicaSet per Deployment
    revision, created when the rollout started (what `kubectl rollout history` reads)."""

    kind = "kubernetes"
    part = "changes"

    def fetch(self, window: Window) -> Fetched:
        path = f"/apis/apps/v1/namespaces/{self.config.namespace}/replicasets"
        params = {"labelSelector": self.config.label_selector} \
            if self.config.label_selector else None
        body = self.fetcher.get_json(path, params=params)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise self.fetcher.unavailable(f"{path} answer has no 'items' list")
        by_deployment: dict[str, list[tuple[int, datetime, dict[str, Any]]]] = {}
        for item in items:
            meta = _get(item, "metadata")
            owner = next((o.get("name") for o in meta.get("ownerReferences") or []
                          if isinstance(o, dict) and o.get("kind") == "Deployment"), None)
            revision = str(_get(meta, "annotations").get(REVISION, ""))
            created = parse_rfc3339(str(meta.get("creationTimestamp", "")))
            if not owner or not revision.isdigit() or created is None:
                continue
            by_deployment.setdefault(str(owner), []).append((int(revision), created, item))
        changes = []
        for deployment, revisions in sorted(by_deployment.items()):
            revisions.sort(key=lambda r: r[0])
            for i, (number, created, item) in enumerate(revisions):
                if created < window.changes_start or created > window.end:
                    continue
                meta = _get(item, "metadata")
                images = [str(c.get("image")) for c in _containers(item) if c.get("image")]
                cause = str(_get(meta, "annotations").get(CHANGE_CAUSE, ""))
                change: dict[str, Any] = {
                    "id": f"k8s-{deployment}-rev{number}", "kind": "deploy",
                    "service": deployment, "at": rfc3339(created),
                    "summary": cause or f"rollout of {', '.join(images) or deployment}",
                    "revision": str(number),
                }
                if i:
                    change["previous_revision"] = str(revisions[i - 1][0])
                changes.append(change)
        return Fetched({"changes": changes})

    def probe(self) -> str:
        info = self.fetcher.get_json("/version")
        version = info.get("gitVersion", "") if isinstance(info, dict) else ""
        path = f"/apis/apps/v1/namespaces/{self.config.namespace}/replicasets"
        body = self.fetcher.get_json(path, params={"limit": "1"})
        if not isinstance(body, dict):
            raise self.fetcher.unavailable(f"{path} did not answer a list")
        return f"Kubernetes {version or 'unknown version'}, namespace {self.config.namespace}"


class GitHubConnector(HttpConnector):
    """`GET /repos/{owner}/{repo}/deployments`, newest first, per configured repo."""

    kind = "github"
    part = "changes"
    headers: ClassVar[dict[str, str]] = {"Accept": "application/vnd.github+json",
                                         "X-GitHub-Api-Version": "2022-11-28"}

    def fetch(self, window: Window) -> Fetched:
        changes: list[dict[str, Any]] = []
        problems: list[str] = []
        for target in self.config.targets:
            params = {"per_page": "50"}
            if target.environment:
                params["environment"] = target.environment
            try:
                body = self.fetcher.get_json(f"/repos/{target.name}/deployments",
                                             params=params, headers=self.headers)
            except QueryRejected as exc:
                problems.append(f"repo {target.name}: {exc.reason}")
                continue
            deployments = []
            for item in body if isinstance(body, list) else []:
                at = parse_rfc3339(str(_get_any(item, "created_at")))
                if at is not None and item.get("id") is not None:
                    deployments.append((at, item))
            deployments.sort(key=lambda d: d[0])
            previous: dict[str, str] = {}  # environment -> last sha
            for at, item in deployments:
                env = str(item.get("environment") or "")
                sha = str(item.get("sha") or "")[:12]
                if window.changes_start <= at <= window.end:
                    creator = item.get("creator")
                    author = creator.get("login", "") if isinstance(creator, dict) else ""
                    ref = str(item.get("ref") or sha)
                    change: dict[str, Any] = {
                        "id": f"gh-{target.name.split('/')[-1]}-{item['id']}",
                        "kind": "deploy", "service": target.service, "at": rfc3339(at),
                        "author": str(author),
                        "summary": str(item.get("description") or "")
                        or f"deploy {ref} to {env or 'an environment'}",
                    }
                    if sha:
                        change["revision"] = sha
                    if previous.get(env):
                        change["previous_revision"] = previous[env]
                    changes.append(change)
                if sha:
                    previous[env] = sha
        if problems and len(problems) == len(self.config.targets):
            raise self.fetcher.unavailable("; ".join(problems))
        return Fetched({"changes": changes}, problems)

    def probe(self) -> str:
        for target in self.config.targets:
            try:
                self.fetcher.get_json(f"/repos/{target.name}", headers=self.headers)
            except QueryRejected as exc:
                raise self.fetcher.unavailable(f"repo {target.name}: {exc.reason}") from None
        return f"GitHub, {len(self.config.targets)} repo(s) readable"


class ArgoCDConnector(HttpConnector):
    """`GET /api/v1/applications/{name}`: `status.history` lists each sync."""

    kind = "argocd"
    part = "changes"

    def fetch(self, window: Window) -> Fetched:
        changes: list[dict[str, Any]] = []
        problems: list[str] = []
        for target in self.config.targets:
            try:
                app = self.fetcher.get_json(f"/api/v1/applications/{target.name}")
            except QueryRejected as exc:
                problems.append(f"application {target.name}: {exc.reason}")
                continue
            history = _get(app, "status").get("history")
            entries = []
            for item in history if isinstance(history, list) else []:
                if not isinstance(item, dict):
                    continue
                at = parse_rfc3339(str(item.get("deployedAt") or ""))
                if at is not None:
                    entries.append((at, item))
            entries.sort(key=lambda e: e[0])
            for i, (at, item) in enumerate(entries):
                if not window.changes_start <= at <= window.end:
                    continue
                revision = _revision(item)
                who = _get(item, "initiatedBy")
                author = str(who.get("username") or ("automated" if who.get("automated")
                                                     else ""))
                path = str(_get(item, "source").get("path") or "")
                change: dict[str, Any] = {
                    "id": f"argocd-{target.name}-{item.get('id', i)}", "kind": "deploy",
                    "service": target.service, "at": rfc3339(at), "author": author,
                    "summary": f"Argo CD sync of {target.name} to {revision[:12] or '?'}"
                    + (f" ({path})" if path else ""),
                }
                if revision:
                    change["revision"] = revision[:12]
                if i and _revision(entries[i - 1][1]):
                    change["previous_revision"] = _revision(entries[i - 1][1])[:12]
                changes.append(change)
        if problems and len(problems) == len(self.config.targets):
            raise self.fetcher.unavailable("; ".join(problems))
        return Fetched({"changes": changes}, problems)

    def probe(self) -> str:
        info = self.fetcher.get_json("/api/version")
        version = info.get("Version", "") if isinstance(info, dict) else ""
        return f"Argo CD {version or 'unknown version'}"


def _revision(item: dict[str, Any]) -> str:
    """`revision`, or the first of `revisions` for multi-source applications."""
    if item.get("revision"):
        return str(item["revision"])
    many = item.get("revisions")
    return str(many[0]) if isinstance(many, list) and many else ""


def _get(obj: Any, key: str) -> dict[str, Any]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


def _get_any(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _containers(item: Any) -> list[dict[str, Any]]:
    spec = _get(_get(_get(item, "spec"), "template"), "spec")
    containers = spec.get("containers")
    return [c for c in containers if isinstance(c, dict)] if isinstance(containers, list) \
        else []

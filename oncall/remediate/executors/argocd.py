"""Argo CD rollback over its HTTP API.

`GET /api/v1/applications/{app}` gives the deployment history (`status.history`, each
entry an `id` and the `revision` it synced); the last entry is what runs now. A rollback
is `POST /api/v1/applications/{app}/rollback` with the `id` of the entry to return to:
the one whose revision matches the change's `previous_revision` when the change log
names it, else the entry before the current one. The undo rolls back to the entry that
was current before, so it returns exactly to what was running.

Argo CD refuses a rollback while automated sync is on (the next sync would undo it);
the preview says so instead of pretending the call will work. The dry run is the API's
own `dryRun: true`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from oncall.remediate.executors.base import ActionRequest, ExecutionFailed, Preview, Refused, Result
from oncall.remediate.executors.config import ArgoCDConfig
from oncall.remediate.executors.http import Sender, shown_request


class ArgoCDExecutor:
    name = "argocd"

    def __init__(self, config: ArgoCDConfig, sender: Sender) -> None:
        self.config = config
        self.sender = sender

    def handles(self, service: str) -> bool:
        return service in self.config.apps

    def preview(self, request: ActionRequest) -> Preview:
        app = self._app(request)
        current, target, automated = self._history(app, request)
        body = self._body(app, target, dry_run=False)
        call = shown_request("POST", self.sender.url(self._path(app)), body)
        undo = shown_request("POST", self.sender.url(self._path(app)),
                             self._body(app, current, dry_run=False))
        if automated:
            return Preview(self.name, call, f"{app} has automated sync enabled: Argo CD refuses "
                           "a rollback until it is turned off", False, "undo", undo)
        answer = self.sender.call("POST", self._path(app), self._body(app, target, dry_run=True))
        return Preview(self.name, call, _summary(answer, f"dry run: would return {app} to "
                       f"history entry {target}"), True, "undo", undo)

    def execute(self, request: ActionRequest) -> Result:
        app = self._app(request)
        current, target, automated = self._history(app, request)
        body = self._body(app, target, dry_run=False)
        call = shown_request("POST", self.sender.url(self._path(app)), body)
        state = {"app": app, "history_id_before": str(current), "rolled_back_to": str(target)}
        if automated:
            return Result(False, call, f"{app} has automated sync enabled; rollback refused",
                          state)
        answer = self.sender.call("POST", self._path(app), body)
        return Result(True, call, _summary(answer, f"{app} rolled back to entry {target}"), state)

    def undo(self, request: ActionRequest, result: Result) -> Result:
        app = result.state.get("app") or self._app(request)
        before = result.state.get("history_id_before", "")
        if not before.isdigit():
            raise Refused("the rollback did not record the history entry it replaced")
        body = self._body(app, int(before), dry_run=False)
        answer = self.sender.call("POST", self._path(app), body)
        return Result(True, shown_request("POST", self.sender.url(self._path(app)), body),
                      _summary(answer, f"{app} returned to entry {before}"))

    # ----------------------------------------------------------------------------

    def _app(self, request: ActionRequest) -> str:
        if request.action != "rollback" and request.action != "config_revert":
            raise Refused(f"the argocd executor does not do {request.action}")
        app = self.config.apps.get(request.service)
        if app is None:
            raise Refused(f"no Argo CD application configured for {request.service} "
                          "(executors.argocd.apps)")
        return app

    def _path(self, app: str) -> str:
        return f"/api/v1/applications/{quote(app, safe='')}/rollback"

    def _body(self, app: str, history_id: int, dry_run: bool) -> dict[str, Any]:
        return {"name": app, "id": history_id, "dryRun": dry_run, "prune": False}

    def _history(self, app: str, request: ActionRequest) -> tuple[int, int, bool]:
        """(the entry running now, the entry to return to, automated sync on)."""
        doc = self.sender.call("GET", f"/api/v1/applications/{quote(app, safe='')}")
        if not isinstance(doc, dict):
            raise ExecutionFailed(f"argocd: {app}: the application answer is not an object")
        status = doc.get("status") if isinstance(doc.get("status"), dict) else {}
        entries = [e for e in (status or {}).get("history") or []
                   if isinstance(e, dict) and isinstance(e.get("id"), int)]
        entries.sort(key=lambda e: e["id"])
        if len(entries) < 2:
            raise Refused(f"{app} has no earlier deployment in its Argo CD history")
        current, earlier = entries[-1], entries[:-1]
        if request.revision:
            matching = [e for e in earlier if str(e.get("revision", "")).startswith(
                request.revision)]
            if not matching:
                raise Refused(f"{app}: no earlier history entry has revision {request.revision}")
            target = matching[-1]
        else:
            target = earlier[-1]
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        policy = (spec or {}).get("syncPolicy")
        automated = isinstance(policy, dict) and bool(policy.get("automated"))
        return int(current["id"]), int(target["id"]), automated


def _summary(answer: Any, fallback: str) -> str:
    if isinstance(answer, dict):
        status = answer.get("status") if isinstance(answer.get("status"), dict) else {}
        sync = (status or {}).get("sync")
        if isinstance(sync, dict) and sync.get("status"):
            return f"{fallback} (sync {sync.get('status')}, revision {sync.get('revision', '?')})"
    return fallback

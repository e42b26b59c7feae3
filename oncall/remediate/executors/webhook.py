"""A generic HTTP webhook: for toolchains with no executor of their own.

Traffic managers, failover controllers, cache fleets and pagers differ too much for a
built-in client, but most accept a JSON POST. The body carries the validated request
(`action`, `service`, `namespace`, `pod`, `change`, `revision`, `incident`) and two
switches the receiver must honour if the config says it does: `dry_run` (check, do not
act) and `undo` (reverse the action). A webhook without `undo: true` is irreversible
from here, and the session will not run it on policy alone.
"""

from __future__ import annotations

from typing import Any

from oncall.remediate.executors.base import ActionRequest, Preview, Refused, Result, UndoKind
from oncall.remediate.executors.config import WebhookConfig
from oncall.remediate.executors.http import Sender, shown_request


class WebhookExecutor:
    def __init__(self, config: WebhookConfig, sender: Sender) -> None:
        self.config = config
        self.sender = sender
        self.name = f"webhook:{config.name}"
        self.url = config.http.url  # absolute: a webhook is one URL, not a base

    def preview(self, request: ActionRequest) -> Preview:
        call = shown_request(self.config.method, self.url, self._body(request))
        undo = (shown_request(self.config.method, self.url,
                              self._body(request, undo=True))
                if self.config.undo else "this webhook has no undo")
        kind: UndoKind = "undo" if self.config.undo else "impossible"
        if not self.config.dry_run:
            return Preview(self.name, call, "this webhook has no dry run; nothing was sent",
                           None, kind, undo)
        answer = self.sender.call(self.config.method, self.url, self._body(request, dry_run=True))
        return Preview(self.name, call, _text(answer, "dry run accepted"), True, kind, undo)

    def execute(self, request: ActionRequest) -> Result:
        body = self._body(request)
        answer = self.sender.call(self.config.method, self.url, body)
        return Result(True, shown_request(self.config.method, self.url, body),
                      _text(answer, "accepted"))

    def undo(self, request: ActionRequest, result: Result) -> Result:
        if not self.config.undo:
            raise Refused(f"{self.name} has no undo")
        body = self._body(request, undo=True)
        answer = self.sender.call(self.config.method, self.url, body)
        return Result(True, shown_request(self.config.method, self.url, body),
                      _text(answer, "undo accepted"))

    def _body(self, request: ActionRequest, dry_run: bool = False,
              undo: bool = False) -> dict[str, Any]:
        return {**request.values(), "dry_run": dry_run, "undo": undo}


def _text(answer: Any, fallback: str) -> str:
    if isinstance(answer, dict):
        for key in ("message", "status", "text"):
            if isinstance(answer.get(key), str) and answer[key]:
                return answer[key][:500]
    return fallback

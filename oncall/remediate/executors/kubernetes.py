"""Kubernetes through kubectl: rollout undo, rollout restart (or one pod), scale.

Every call is an argument list: `kubectl [--context C] -n NS <verb> deployment/<service>`
with values the request validated as DNS-1123 names. Undo reads what it needs *before*
acting, because afterwards it is gone:
- rollback: the Deployment's current revision (`deployment.kubernetes.io/revision`); the
  undo rolls back to exactly that revision.
- scale: the current replica count; the new count is half as many again (at least one
  more, capped by `max_replicas`), and both directions pass `--current-replicas` so a
  change someone (or an autoscaler) made in between is not overwritten.
- restart: nothing to put back, the pods are recreated from the same spec.
The dry run is kubectl's own `--dry-run=server` (the API server admits the change
without persisting it) or `client`.
"""

from __future__ import annotations

import math

from oncall.remediate.executors.base import (
    ActionRequest,
    ExecutionFailed,
    Preview,
    Refused,
    Result,
)
from oncall.remediate.executors.config import KubernetesConfig
from oncall.remediate.executors.runner import Completed, run_argv, shown_call

ACTIONS = ("rollback", "restart", "scale")
REVISION_PATH = r"{.metadata.annotations.deployment\.kubernetes\.io/revision}"


class KubernetesExecutor:
    name = "kubernetes"

    def __init__(self, config: KubernetesConfig) -> None:
        self.config = config

    # ---- the protocol ------------------------------------------------------------

    def preview(self, request: ActionRequest) -> Preview:
        argv, undo = self._plan(request, read=True)
        dry = self._run([*argv, f"--dry-run={self.config.dry_run}"])
        return Preview(self.name, shown_call(argv), dry.output or "(no output)", dry.ok,
                       "none" if request.action == "restart" else "undo", undo, tuple(argv))

    def execute(self, request: ActionRequest) -> Result:
        state: dict[str, str] = {}
        if request.action == "scale":
            current = self._replicas(request)
            state = {"replicas_before": str(current),
                     "replicas_after": str(self._scaled(current))}
        elif request.action == "rollback":
            state = {"revision_before": self._revision(request)}
        argv, _ = self._plan(request, read=False, state=state)
        done = self._run(argv)
        return Result(done.ok, shown_call(argv), done.output or f"exit {done.code}", state)

    def undo(self, request: ActionRequest, result: Result) -> Result:
        argv = self._undo_argv(request, result.state)
        done = self._run(argv)
        return Result(done.ok, shown_call(argv), done.output or f"exit {done.code}")

    # ---- argument lists ----------------------------------------------------------

    def _base(self, request: ActionRequest) -> list[str]:
        namespace = request.namespace or self.config.namespace
        if not namespace:
            raise Refused(f"no namespace known for {request.service}: set "
                          "executors.kubernetes.namespace or the catalog annotation "
                          "backstage.io/kubernetes-namespace")
        argv = [self.config.kubectl]
        if self.config.context:
            argv += ["--context", self.config.context]
        return [*argv, "-n", namespace]

    def _plan(self, request: ActionRequest, read: bool,
              state: dict[str, str] | None = None) -> tuple[list[str], str]:
        """(the argv that acts, the undo in words or as a call). `read`: look up what the
        preview needs (the replica count) instead of taking it from `state`."""
        if request.action not in ACTIONS:
            raise Refused(f"the kubernetes executor does not do {request.action}")
        base, deployment = self._base(request), f"deployment/{request.service}"
        if request.action == "restart":
            if request.pod:
                return ([*base, "delete", "pod", request.pod],
                        "none needed: its controller recreates the pod from the same spec")
            return ([*base, "rollout", "restart", deployment],
                    "none needed: the pods are recreated from the same spec")
        if request.action == "scale":
            current = self._replicas(request) if read else int((state or {})["replicas_before"])
            target = self._scaled(current)
            return ([*base, "scale", deployment, f"--current-replicas={current}",
                     f"--replicas={target}"],
                    shown_call([*base, "scale", deployment, f"--current-replicas={target}",
                                f"--replicas={current}"]))
        argv = [*base, "rollout", "undo", deployment]
        if request.revision and request.revision.isdigit():
            argv.append(f"--to-revision={request.revision}")
        if not read:
            return argv, ""
        before = self._revision(request)
        return argv, shown_call([*base, "rollout", "undo", deployment, f"--to-revision={before}"])

    def _undo_argv(self, request: ActionRequest, state: dict[str, str]) -> list[str]:
        base, deployment = self._base(request), f"deployment/{request.service}"
        if request.action == "scale":
            return [*base, "scale", deployment,
                    f"--current-replicas={state['replicas_after']}",
                    f"--replicas={state['replicas_before']}"]
        if request.action == "rollback":
            return [*base, "rollout", "undo", deployment,
                    f"--to-revision={state['revision_before']}"]
        raise Refused("a restart has nothing to undo: the pods are recreated from the same spec")

    # ---- reads before acting -----------------------------------------------------

    def _replicas(self, request: ActionRequest) -> int:
        text = self._read(request, "{.spec.replicas}")
        if not text.isdigit():
            raise ExecutionFailed(f"kubectl reported replicas {text[:40]!r} for "
                                  f"deployment/{request.service}")
        return int(text)

    def _revision(self, request: ActionRequest) -> str:
        text = self._read(request, REVISION_PATH)
        if not text.isdigit():
            raise ExecutionFailed(f"deployment/{request.service} has no revision to return "
                                  f"to ({text[:40]!r})")
        return text

    def _read(self, request: ActionRequest, jsonpath: str) -> str:
        argv = [*self._base(request), "get", f"deployment/{request.service}",
                "-o", f"jsonpath={jsonpath}"]
        done = self._run(argv)
        if not done.ok:
            raise ExecutionFailed(f"{shown_call(argv)} failed: {done.output[:300]}")
        return done.stdout.strip()

    def _scaled(self, current: int) -> int:
        wanted = max(current + 1, math.ceil(current * 1.5))
        if current >= self.config.max_replicas:
            raise Refused(f"already at {current} replicas, the configured maximum is "
                          f"{self.config.max_replicas}")
        return min(wanted, self.config.max_replicas)

    def _run(self, argv: list[str]) -> Completed:
        return run_argv(argv, self.config.timeout_seconds)

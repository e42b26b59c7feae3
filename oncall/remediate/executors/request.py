"""From a proposed remediation to an `ActionRequest` an executor may act on.

A remediation names its target by service; the namespace, pod, change and revision come
from the incident's causes and the snapshot. All of them started as input (alert labels,
the change log, traces) that anyone who can push an alert or a change record chooses, so
each is validated here, before any executor exists: Kubernetes names must be DNS-1123,
change ids and revisions one plain token, and the service must be a Component or
Resource of the catalog. A hostile value is refused, never repaired, and nothing runs.
"""

from __future__ import annotations

from oncall.model import ACTIONS, Hypothesis, Incident, Remediation, Snapshot
from oncall.remediate.executors.base import ActionRequest, Refused
from oncall.remediate.planner import MAX_CAUSES, order_causes
from oncall.remediate.safety import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_safe_token,
    shown,
)
from oncall.remediate.stage import namespaces_for

# The cause kinds whose hypothesis a move of this action comes from (moves.py): used to
# find the change a revert or a rollback undoes when one service has several causes.
_KINDS: dict[str, tuple[str, ...]] = {
    "rollback": ("deploy", "infra"),
    "config_revert": ("config", "cert"),
    "flag_disable": ("flag",),
    "scale": ("capacity",),
    "failover": ("dependency",),
}


def build_request(remediation: Remediation, incident: Incident, snap: Snapshot) -> ActionRequest:
    """The validated request for `remediation`, or `Refused` saying which value failed."""
    action, service = remediation.action, remediation.target
    if action not in ACTIONS:
        raise Refused(f"{shown(action)} is not in the action vocabulary")
    if not is_dns1123_subdomain(service):
        raise Refused(f"target {shown(service)} is not a valid Kubernetes name (DNS-1123)")
    if snap.catalog is None:
        raise Refused(f"no catalog: cannot confirm that {service} is a known service")
    if snap.catalog.get(service) is None:
        raise Refused(f"target {service} is not a Component or Resource in the catalog")
    if action != "escalate" and not remediation.command:
        raise Refused(f"the plan has no command for {action} on {service} "
                      f"({remediation.rationale[:200]})")
    if not is_safe_token(incident.id):
        raise Refused(f"incident id {shown(incident.id)} is not a plain identifier")
    cause = _cause(incident, action, service)
    namespace = namespaces_for([service], incident, snap).get(service) or None
    if namespace is not None and not is_dns1123_label(namespace):
        raise Refused(f"namespace {shown(namespace)} is not a valid Kubernetes name (DNS-1123)")
    pod = cause.pod if cause and action == "restart" else None
    if pod is not None and not is_dns1123_subdomain(pod):
        pod = None  # the planner left it out too: the whole deployment restarts
    change = cause.change if cause else None
    if change is not None and not is_safe_token(change):
        raise Refused(f"change id {shown(change)} is not a plain identifier")
    revision = _revision(snap, change)
    if revision is not None and not is_safe_token(revision):
        raise Refused(f"revision {shown(revision)} is not a plain identifier")
    return ActionRequest(action=action, service=service, incident=incident.id,
                         namespace=namespace, pod=pod, change=change, revision=revision,
                         remediation=remediation)


def _cause(incident: Incident, action: str, service: str) -> Hypothesis | None:
    """The cause this move answers: on the same service, of a kind the action fits."""
    causes = [h for h in order_causes(incident.hypotheses)[:MAX_CAUSES] if h.service == service]
    kinds = _KINDS.get(action)
    fitting = [h for h in causes if kinds is None or h.kind in kinds]
    best = fitting or causes
    return best[0] if best else None


def _revision(snap: Snapshot, change: str | None) -> str | None:
    if change is None:
        return None
    for record in snap.changes or ():
        if record.id == change:
            return record.previous_revision
    return None

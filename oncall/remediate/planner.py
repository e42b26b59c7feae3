"""Remediation planning: from ranked causes to ranked, reversible moves.

For each likely cause the planner knows the moves an SRE would make, how risky they
are, how to undo them and what should recover if they work. Moves that remove the top
cause come first, lowest risk and reversible first; moves that only ease symptoms
follow; escalation to the owners is always on the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncall.model import Hypothesis, Remediation

RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True, slots=True)
class Move:
    action: str
    risk: str
    reversible: bool
    rationale: str
    undo: str
    command: str
    addresses: bool = True  # False: eases the symptoms without removing the cause


def _moves_for(h: Hypothesis, namespace: str, change_revision: str | None) -> list[Move]:
    svc = h.service
    ns = f" -n {namespace}" if namespace else ""
    prev = f" to {change_revision}" if change_revision else ""
    pod = h.pod
    table: dict[str, list[Move]] = {
        "deploy": [
            Move("rollback", "low", True, f"roll {svc} back to the previous release{prev}",
                 "roll forward to the release that was reverted",
                 f"kubectl rollout undo deployment/{svc}{ns}"),
            Move("traffic_shift", "medium", True, f"shift traffic away from the new {svc} pods",
                 "restore the original traffic weights",
                 f"shift traffic weight of {svc} canary to 0"),
        ],
        "config": [
            Move("config_revert", "low", True, f"revert {svc} configuration{prev}",
                 "re-apply the reverted configuration revision",
                 f"revert config of {svc}{prev} (change {h.change})"),
            Move("restart", "medium", True, f"restart {svc} pods to drop bad state",
                 "none needed: pods are recreated from the same spec",
                 f"kubectl rollout restart deployment/{svc}{ns}", addresses=False),
        ],
        "cert": [
            Move("config_revert", "low", True,
                 f"return the {svc} certificate/secret to its previous revision{prev}",
                 "re-apply the rotated certificate once fixed",
                 f"revert secret of {svc}{prev} (change {h.change})"),
        ],
        "flag": [
            Move("flag_disable", "low", True, f"turn the flag off for {svc}",
                 "turn the flag back on at its previous rollout percentage",
                 f"disable feature flag (change {h.change}) for {svc}"),
        ],
        "infra": [
            Move("rollback", "medium", True, f"revert the infrastructure change on {svc}{prev}",
                 "re-apply the infrastructure change",
                 f"revert infrastructure change {h.change}"),
        ],
        "capacity": [
            Move("scale", "low", True, f"add replicas to {svc} so load spreads",
                 "scale back to the previous replica count",
                 f"kubectl scale deployment/{svc} --replicas=<current+50%>{ns}"),
            Move("restart", "medium", True,
                 f"replace the hot pod {pod}" if pod else f"restart {svc} pods",
                 "none needed: the pod is recreated",
                 f"kubectl delete pod {pod}{ns}" if pod
                 else f"kubectl rollout restart deployment/{svc}{ns}"),
        ],
        "network": [
            Move("restart", "low", True,
                 f"reschedule {pod} onto a fresh network path" if pod
                 else f"restart {svc} pods onto fresh network paths",
                 "none needed: the pod is recreated",
                 f"kubectl delete pod {pod}{ns}" if pod
                 else f"kubectl rollout restart deployment/{svc}{ns}"),
            Move("traffic_shift", "medium", True, f"shift traffic for {svc} to another zone",
                 "restore the original traffic weights",
                 f"shift traffic of {svc} away from the affected zone"),
        ],
        "dependency": [
            Move("failover", "high", True, f"fail {svc} over to its standby",
                 f"fail back to the primary once {svc} is healthy",
                 f"fail over {svc} to replica"),
            Move("cache_flush", "medium", False, f"flush caches that hold errors from {svc}",
                 "cannot be undone; caches refill on demand",
                 f"flush cache entries for {svc}", addresses=False),
        ],
        "code": [],
    }
    return table.get(h.kind, [])


def plan_remediations(
    hypotheses: list[Hypothesis],
    verify: dict[str, dict[str, str]],
    namespace: str = "",
    revisions: dict[str, str] | None = None,
) -> list[Remediation]:
    """Remediations for the top causes; `verify` maps a service to its recovery checks."""
    revisions = revisions or {}
    out: list[Remediation] = []
    seen: set[tuple[str, str]] = set()
    for rank, hyp in enumerate(hypotheses[:2]):
        moves = sorted(
            _moves_for(hyp, namespace, revisions.get(hyp.change or "")),
            key=lambda m: (not m.addresses, RISK_ORDER[m.risk], not m.reversible),
        )
        if rank == 0:
            # Paging the owners always belongs to the top cause; when nothing else
            # addresses it (a code fault with no change to undo) it is the first move.
            moves.append(Move("escalate", "low", True,
                              f"page the owners of {hyp.service} with the evidence",
                              "none needed", f"page owner of {hyp.service}",
                              addresses=False))
        for move in moves:
            key = (move.action, hyp.service)
            if key in seen:
                continue
            seen.add(key)
            out.append(_remediation(move, hyp, verify, rank))
    return out


def _remediation(
    move: Move, hyp: Hypothesis, verify: dict[str, dict[str, str]], rank: int
) -> Remediation:
    cause = f"{hyp.kind} on {hyp.service}" + (f" ({hyp.change})" if hyp.change else "")
    return Remediation(
        action=move.action,
        target=hyp.service,
        risk=move.risk,
        reversible=move.reversible,
        rationale=f"{move.rationale}; addresses cause #{rank + 1}: {cause}",
        undo=move.undo,
        verify=dict(verify.get(hyp.service, {})),
        command=move.command,
    )

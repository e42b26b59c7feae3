"""Remediation planning: from ranked causes to ranked, reversible moves.

For each likely cause the planner takes the moves an SRE would make (`moves.py`), how
risky they are, how to undo them and what should recover if they work. The list reads
top cause first: the moves that remove it, lowest risk and reversible first, then paging
its owners (first of all when nothing else removes the cause, as for a code fault).
Lower-ranked causes follow with the moves that would remove them, so the person on call
sees the alternative if the top cause is wrong. Moves that only ease the top cause's
symptoms (a restart under a bad config, a cache flush) come last.

Every value that reaches a command is validated and quoted (`safety.py`); a cause whose
service is not a valid Kubernetes name gets no command at all, only the escalation.
"""

from __future__ import annotations

from oncall.model import Hypothesis, Remediation
from oncall.remediate.moves import VERIFY_WITHIN_MINUTES, Move, escalate, moves_for
from oncall.remediate.safety import check, shown

RISK_ORDER = {"low": 0, "medium": 1, "high": 2}
MAX_CAUSES = 3  # causes that get moves; beyond the third they are rarely the one
# A change on the same service wins the top place when it is at least this likely
# relative to the cause it would replace (see `order_causes`).
CHANGE_PROMOTION_RATIO = 0.5


def order_causes(hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    """Hypotheses in the order remediation should consider them.

    When a cause that names no change (network, capacity, code ...) is followed, on the
    same service, by a cause that does name a change and is at least half as likely,
    the change goes first. The analyzer often cannot tell a bad config push from the
    latency or errors it produces; "what changed?" is the first question on call, and
    undoing a change returns the service to a state known to have worked, whereas a
    restart or a scale-out leaves the bad change in place. Otherwise the order is kept.
    """
    order = list(hypotheses)
    out: list[Hypothesis] = []
    used: set[int] = set()
    for i, hyp in enumerate(order):
        if i in used:
            continue
        if not hyp.change:
            partner = next(
                (j for j in range(i + 1, len(order))
                 if j not in used and order[j].service == hyp.service and order[j].change
                 and order[j].score >= CHANGE_PROMOTION_RATIO * hyp.score),
                None,
            )
            if partner is not None:
                used.add(partner)
                out.append(order[partner])
        used.add(i)
        out.append(hyp)
    return out


def plan_remediations(
    hypotheses: list[Hypothesis],
    verify: dict[str, dict[str, str]],
    namespace: str = "",
    revisions: dict[str, str] | None = None,
    *,
    namespaces: dict[str, str] | None = None,
) -> list[Remediation]:
    """Remediations for the top causes, best first.

    `verify` maps a service to its recovery checks; `revisions` a change id to the
    revision a revert returns to; `namespaces` a service to its namespace (else
    `namespace`).
    """
    revisions = revisions or {}
    namespaces = namespaces or {}
    planned: list[tuple[Move, Hypothesis, int]] = []
    easing: list[tuple[Move, Hypothesis, int]] = []
    for rank, hyp in enumerate(order_causes(hypotheses)[:MAX_CAUSES]):
        removing, ease = _moves(hyp, rank, namespaces.get(hyp.service, namespace), revisions)
        planned.extend((m, hyp, rank) for m in removing)
        if rank == 0:
            easing.extend((m, hyp, rank) for m in ease)
    out: list[Remediation] = []
    seen: set[tuple[str, str]] = set()
    for move, hyp, rank in [*planned, *easing]:
        key = (move.action, hyp.service)
        if key not in seen:
            seen.add(key)
            out.append(_remediation(move, hyp, verify, rank))
    return out


def _moves(hyp: Hypothesis, rank: int, namespace: str,
           revisions: dict[str, str]) -> tuple[list[Move], list[Move]]:
    """(moves that remove the cause, then paging its owners; moves that ease symptoms).

    The owners are paged for the top cause, and for any cause nothing else removes (a
    code fault), since then they are the only way to the fix.
    """
    ok = check(hyp.service, namespace, hyp.pod, hyp.change,
               revisions.get(hyp.change) if hyp.change else None)
    if ok.service is None:
        # The target itself cannot be trusted: nothing to run, only people to page.
        return [escalate(hyp.service, ok)], []
    candidates = moves_for(hyp, ok)
    removing = sorted((m for m in candidates if m.addresses), key=_risk_key)
    easing = sorted((m for m in candidates if not m.addresses), key=_risk_key)
    page = [escalate(hyp.service, ok)] if rank == 0 or not removing else []
    return removing + page, easing


def _risk_key(move: Move) -> tuple[int, bool]:
    return RISK_ORDER[move.risk], not move.reversible


def _remediation(
    move: Move, hyp: Hypothesis, verify: dict[str, dict[str, str]], rank: int
) -> Remediation:
    cause = f"{hyp.kind} on {shown(hyp.service)}" + (f" ({shown(hyp.change)})"
                                                      if hyp.change else "")
    return Remediation(
        action=move.action,
        target=hyp.service,
        risk=move.risk,
        reversible=move.reversible,
        rationale=f"{move.rationale}; addresses cause #{rank + 1}: {cause}",
        undo=move.undo,
        verify=dict(verify.get(hyp.service, {})),
        verify_within_minutes=VERIFY_WITHIN_MINUTES.get(move.action, 10),
        command=move.command,
    )

"""What a system under evaluation claims about a case, in one neutral shape.

The product's `Triage` and each baseline are turned into these few fields (alert
groups, noise, ranked causes, ranked moves, retrieved ids) so that a single scorer
judges them all the same way, and the scorer never depends on the product's types.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncall.model import Triage


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked root-cause guess."""

    service: str
    change: str | None
    kind: str | None


@dataclass(frozen=True, slots=True)
class Move:
    """One proposed remediation and the policy decision the system attached to it."""

    action: str
    target: str
    decision: str


@dataclass(frozen=True, slots=True)
class PredictedIncident:
    id: str
    alerts: frozenset[str]
    causes: tuple[Candidate, ...] = ()
    moves: tuple[Move, ...] = ()
    runbooks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prediction:
    incidents: tuple[PredictedIncident, ...]
    noise: frozenset[str]
    firing: int  # distinct alerts firing at `now`, the denominator of noise reduction


def from_triage(result: Triage) -> Prediction:
    return Prediction(
        incidents=tuple(
            PredictedIncident(
                id=inc.id,
                alerts=frozenset(inc.fingerprints),
                causes=tuple(Candidate(h.service, h.change, h.kind) for h in inc.hypotheses),
                moves=tuple(Move(r.action, r.target, r.decision) for r in inc.remediations),
                runbooks=tuple(hit.id for hit in inc.runbooks),
            )
            for inc in result.incidents
        ),
        noise=frozenset(n.fingerprint for n in result.noise),
        firing=result.stats.firing,
    )

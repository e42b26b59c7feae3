"""The domain model of `oncall`: plain dataclasses, no I/O.

Every source (scenario files today, live connectors later) produces these objects and
every stage consumes them, so a stage can be swapped or tested without knowing where
the data came from. Times are timezone-aware UTC datetimes; span times stay in
microseconds because traces are the largest input and converting each span is waste.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ACTIONS: tuple[str, ...] = (
    "rollback",
    "config_revert",
    "flag_disable",
    "traffic_shift",
    "restart",
    "scale",
    "cache_flush",
    "failover",
    "escalate",
)
CHANGE_KINDS: tuple[str, ...] = ("deploy", "config", "flag", "infra", "cert", "scale")
CAUSE_KINDS: tuple[str, ...] = (
    "deploy",
    "config",
    "flag",
    "infra",
    "cert",
    "capacity",
    "dependency",
    "code",
    "network",
)
Decision = Literal["auto", "approve", "deny"]
DECISIONS: tuple[str, ...] = ("auto", "approve", "deny")
AUTONOMY_LEVELS: tuple[str, ...] = ("assist", "execute", "change")

SERVICE_LABELS: tuple[str, ...] = ("service", "job", "app", "app_kubernetes_io_name")


@dataclass(frozen=True, slots=True)
class Alert:
    """One Alertmanager alert episode (a fingerprint may have several episodes)."""

    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    updated_at: datetime | None
    state: str = "active"  # active | suppressed | unprocessed | resolved
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def service(self) -> str | None:
        for key in SERVICE_LABELS:
            value = self.labels.get(key)
            if value:
                return value
        return None

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "").lower()

    @property
    def pod(self) -> str | None:
        return self.labels.get("pod") or None

    @property
    def suppressed(self) -> bool:
        return bool(self.silenced_by or self.inhibited_by) or self.state == "suppressed"

    def firing_at(self, now: datetime) -> bool:
        """Alertmanager keeps `endsAt` in the future while an alert is active."""
        if self.state == "resolved":
            return False
        if self.starts_at > now:
            return False
        return self.ends_at is None or now < self.ends_at


@dataclass(frozen=True, slots=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    operation: str
    start_us: int
    duration_us: int
    error: bool = False
    pod: str | None = None
    version: str | None = None
    status_code: int | None = None
    messages: tuple[str, ...] = ()
    kind: str | None = None  # client | server | producer | consumer | internal
    peer: str | None = None  # `peer.service` of an outgoing call, when the caller names it

    @property
    def end_us(self) -> int:
        return self.start_us + self.duration_us


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One Prometheus series; `samples` are (unix seconds, value) in time order."""

    name: str
    labels: dict[str, str]
    samples: tuple[tuple[float, float], ...]

    @property
    def service(self) -> str | None:
        for key in SERVICE_LABELS:
            value = self.labels.get(key)
            if value and key != "job":
                return value
        return self.labels.get("job")

    @property
    def pod(self) -> str | None:
        return self.labels.get("pod") or None


@dataclass(frozen=True, slots=True)
class LogLine:
    timestamp: float  # unix seconds
    service: str | None
    pod: str | None
    level: str
    line: str
    trace_id: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    id: str
    kind: str
    service: str
    at: datetime
    author: str = ""
    summary: str = ""
    revision: str | None = None
    previous_revision: str | None = None
    pods: tuple[str, ...] = ()
    diff: str = ""


@dataclass(frozen=True, slots=True)
class CatalogEntity:
    """A Backstage entity: Component, Resource, Group, System, API or User."""

    kind: str
    name: str
    annotations: dict[str, str] = field(default_factory=dict)
    owner: str | None = None
    type: str | None = None
    system: str | None = None
    depends_on: tuple[str, ...] = ()  # entity refs such as "component:payments"
    email: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind.lower()}:{self.name}"

    @property
    def tier(self) -> int | None:
        return _int_or_none(self.annotations.get("oncall/tier"))

    def number(self, key: str) -> float | None:
        raw = self.annotations.get(key)
        try:
            return float(raw) if raw is not None else None
        except ValueError:
            return None


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(str(raw)) if raw is not None else None
    except ValueError:
        return None


def ref_name(ref: str) -> str:
    """`component:default/payments` -> `payments`."""
    name = ref.split(":", 1)[-1]
    return name.split("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Catalog:
    entities: tuple[CatalogEntity, ...] = ()

    def get(self, name: str) -> CatalogEntity | None:
        for entity in self.entities:
            if entity.name == name and entity.kind in ("Component", "Resource"):
                return entity
        return None

    def group(self, ref: str | None) -> CatalogEntity | None:
        if not ref:
            return None
        wanted = ref_name(ref)
        for entity in self.entities:
            if entity.kind == "Group" and entity.name == wanted:
                return entity
        return None

    def edges(self) -> list[tuple[str, str]]:
        """(caller, callee) pairs from `spec.dependsOn`."""
        return [
            (entity.name, ref_name(dep))
            for entity in self.entities
            if entity.kind in ("Component", "Resource")
            for dep in entity.depends_on
        ]


@dataclass(frozen=True, slots=True)
class Freeze:
    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChangeWindow:
    days: tuple[str, ...]
    start: str  # "HH:MM"
    end: str
    tz: str = "UTC"


@dataclass(frozen=True, slots=True)
class Policy:
    autonomy: str = "assist"
    actions: dict[str, str] = field(default_factory=dict)
    freezes: tuple[Freeze, ...] = ()
    change_windows: tuple[ChangeWindow, ...] = ()
    approvers_min: int = 1
    approver_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KnowledgeDoc:
    """A runbook, past incident or known error, with its front matter."""

    id: str
    title: str
    doc_type: str  # runbook | incident | known_error
    body: str
    path: str = ""
    services: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    date: str | None = None
    root_cause: str | None = None
    resolution: str | None = None


@dataclass(slots=True)
class Snapshot:
    """Everything known at the moment of a page. `None` means the source is absent."""

    name: str
    now: datetime
    description: str = ""
    alerts: list[Alert] = field(default_factory=list)
    spans: list[Span] | None = None
    metrics: list[MetricSeries] | None = None
    logs: list[LogLine] | None = None
    changes: list[Change] | None = None
    catalog: Catalog | None = None
    policy: Policy | None = None
    knowledge: list[KnowledgeDoc] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # "traces: file absent", ...


# ---- results of the stages -------------------------------------------------


@dataclass(slots=True)
class Impact:
    tier: int | None
    summary: str
    users_affected: float | None = None
    revenue_at_risk: float | None = None
    minutes: float = 0.0
    blast_radius: list[str] = field(default_factory=list)
    slo_burn: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Hypothesis:
    service: str
    kind: str
    score: float
    change: str | None = None
    pod: str | None = None
    evidence: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PolicyDecision:
    decision: str  # auto | approve | deny
    reason: str


@dataclass(slots=True)
class Remediation:
    action: str
    target: str
    risk: str  # low | medium | high
    reversible: bool
    rationale: str
    undo: str
    verify: dict[str, str]
    verify_within_minutes: int = 10
    command: str = ""
    decision: str = "approve"
    reason: str = ""


@dataclass(slots=True)
class KnowledgeHit:
    id: str
    title: str
    score: float
    doc_type: str = "runbook"
    path: str = ""
    section: str = ""


@dataclass(slots=True)
class Incident:
    id: str
    alerts: list[Alert]
    services: list[str]
    started_at: datetime
    title: str = ""
    narrative: str = ""
    owner: str | None = None
    escalation: str | None = None
    impact: Impact | None = None
    hypotheses: list[Hypothesis] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)
    runbooks: list[KnowledgeHit] = field(default_factory=list)

    @property
    def fingerprints(self) -> list[str]:
        return sorted({a.fingerprint for a in self.alerts})


@dataclass(slots=True)
class NoiseAlert:
    fingerprint: str
    name: str
    reason: str


@dataclass(slots=True)
class NoiseStats:
    alerts_received: int
    firing: int
    distinct: int
    incidents: int
    noise: int

    @property
    def reduction(self) -> float:
        """Share of firing alerts an engineer no longer has to read one by one."""
        if self.firing == 0:
            return 0.0
        return 1.0 - self.incidents / self.firing


@dataclass(slots=True)
class Triage:
    scenario: str
    now: datetime
    incidents: list[Incident]
    noise: list[NoiseAlert]
    stats: NoiseStats
    missing: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)  # those the hypotheses name
    policy: Policy | None = None  # what decided the remediations (None: the default)

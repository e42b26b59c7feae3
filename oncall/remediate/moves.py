"""The moves an SRE would make for each kind of cause, with risk, undo and command.

One table, keyed by the cause kind of a hypothesis (the contract's mapping: a deploy
is rolled back, a config push or a certificate/secret rotation reverted, a flag turned
off, a saturated service scaled out, a failing dependency failed over, a bad network
path left by restarting the pods onto other nodes; a code fault has nothing to undo, so
its owners are paged). `addresses=False` marks a move that eases the symptoms without
removing the cause (a restart of pods running a bad config, a cache flush).

Commands are built only from values `safety.check` let through, and written with
`shlex` quoting. A move whose command would need a refused value keeps its action but
carries no command: it is a proposal for a person, not something to run.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncall.model import Hypothesis
from oncall.remediate.safety import Checked, command, quote

# How long each move takes to show its effect, so verification knows when to judge.
# Rollouts and failovers replace pods or connections (minutes); a flag flip or a traffic
# weight applies within seconds, so a short window is enough.
VERIFY_WITHIN_MINUTES: dict[str, int] = {
    "rollback": 15,
    "config_revert": 10,
    "flag_disable": 5,
    "traffic_shift": 5,
    "restart": 10,
    "scale": 10,
    "cache_flush": 5,
    "failover": 15,
    "escalate": 30,
}


@dataclass(frozen=True, slots=True)
class Move:
    action: str
    risk: str  # low | medium | high
    reversible: bool
    rationale: str
    undo: str
    command: str
    addresses: bool = True  # False: eases the symptoms without removing the cause


def moves_for(hyp: Hypothesis, ok: Checked) -> list[Move]:
    """Candidate moves for one cause; `ok.service` must not be None (checked by caller)."""
    assert ok.service is not None
    svc = ok.service
    builder = _TABLE.get(hyp.kind)
    return builder(svc, ok) if builder else []


def escalate(service: str, ok: Checked) -> Move:
    """Paging the owners: always possible, even when every other command is refused."""
    if ok.service is None:
        return Move("escalate", "low", True,
                    f"page the owners with the evidence; not executable: {_why(ok)}",
                    "none needed", "")
    return Move("escalate", "low", True, f"page the owners of {quote(service)} with the evidence",
                "none needed", f"page the owners of {quote(service)} with this triage",
                addresses=False)


def _kubectl(ok: Checked, *argv: str) -> str:
    """kubectl with the namespace; none when the namespace label itself was refused."""
    if any(r.startswith("namespace ") for r in ok.refused):
        return ""
    ns = ("-n", ok.namespace) if ok.namespace else ()
    return command("kubectl", *argv, *ns)


def _why(ok: Checked) -> str:
    return "; ".join(ok.refused)


def _note(ok: Checked, cmd: str, rationale: str) -> str:
    """Says why a value was left out of the command (or why there is no command)."""
    if not ok.refused:
        return rationale
    if not cmd:
        return f"{rationale}; not executable: {_why(ok)}"
    return f"{rationale} ({_why(ok)}: left out of the command)"


def _move(action: str, risk: str, reversible: bool, rationale: str, undo: str, cmd: str,
          ok: Checked, addresses: bool = True) -> Move:
    return Move(action, risk, reversible, _note(ok, cmd, rationale), undo, cmd, addresses)


def _to(ok: Checked) -> str:
    return f" to {quote(ok.revision)}" if ok.revision else " to its previous revision"


def _change(ok: Checked) -> str:
    return f" (change {quote(ok.change)})" if ok.change else ""


def _change_needed(ok: Checked, cmd: str) -> str:
    """A revert of a change whose id was refused cannot say which change: no command."""
    return "" if any(r.startswith("change id ") for r in ok.refused) else cmd


def _restart(svc: str, ok: Checked, why: str, risk: str, addresses: bool) -> Move:
    if ok.pod:
        return _move("restart", risk, True, f"replace pod {quote(ok.pod)}: {why}",
                     "none needed: the pod is recreated from the same spec",
                     _kubectl(ok, "delete", "pod", ok.pod), ok, addresses)
    return _move("restart", risk, True, f"restart the pods of {quote(svc)}: {why}",
                 "none needed: pods are recreated from the same spec",
                 _kubectl(ok, "rollout", "restart", f"deployment/{svc}"), ok, addresses)


def _deploy(svc: str, ok: Checked) -> list[Move]:
    return [
        _move("rollback", "low", True, f"roll {quote(svc)} back to the previous release"
              f"{_to(ok)}", f"roll forward: redeploy the release of {quote(svc)} that was rolled "
              "back (the executor's undo says how)",
              _kubectl(ok, "rollout", "undo", f"deployment/{svc}"), ok),
        _move("traffic_shift", "medium", True, f"shift traffic away from the new {quote(svc)} pods",
              "restore the original traffic weights",
              f"set the canary traffic weight of {quote(svc)} to 0", ok),
    ]


def _config(svc: str, ok: Checked) -> list[Move]:
    return [
        _move("config_revert", "low", True, f"revert the configuration of {quote(svc)}{_to(ok)}",
              "re-apply the reverted configuration revision",
              _change_needed(ok, f"revert the config of {quote(svc)}{_to(ok)}{_change(ok)}"), ok),
        _restart(svc, ok, "drops state built from the bad configuration", "medium", False),
    ]


def _cert(svc: str, ok: Checked) -> list[Move]:
    return [
        _move("config_revert", "low", True,
              f"return the certificate/secret of {quote(svc)}{_to(ok)}",
              "re-apply the rotated certificate once it is fixed",
              _change_needed(ok, f"revert the secret of {quote(svc)}{_to(ok)}{_change(ok)}"), ok),
    ]


def _flag(svc: str, ok: Checked) -> list[Move]:
    return [
        _move("flag_disable", "low", True, f"turn the flag off for {quote(svc)}",
              "turn the flag back on at its previous rollout percentage",
              _change_needed(ok, f"disable the feature flag{_change(ok)} for {quote(svc)}"), ok),
    ]


def _infra(svc: str, ok: Checked) -> list[Move]:
    return [
        _move("rollback", "medium", True,
              f"revert the infrastructure change on {quote(svc)}{_to(ok)}",
              "re-apply the infrastructure change",
              _change_needed(ok, f"revert the infrastructure change{_change(ok)} on "
                                 f"{quote(svc)}"), ok),
    ]


def _capacity(svc: str, ok: Checked) -> list[Move]:
    return [
        _move("scale", "low", True, f"add replicas to {quote(svc)} so load spreads "
              "(REPLICAS: the current count plus half)",
              "scale back to the previous replica count",
              _kubectl(ok, "scale", f"deployment/{svc}", "--replicas=REPLICAS"), ok),
        _restart(svc, ok, "a saturated pod gives up its load", "medium", True),
    ]


def _network(svc: str, ok: Checked) -> list[Move]:
    return [
        _restart(svc, ok, "rescheduled onto a fresh network path", "low", True),
        _move("traffic_shift", "medium", True, f"shift traffic for {quote(svc)} to another zone",
              "restore the original traffic weights",
              f"shift the traffic of {quote(svc)} away from the affected zone", ok),
    ]


def _dependency(svc: str, ok: Checked) -> list[Move]:
    return [
        _move("failover", "high", True, f"fail {quote(svc)} over to its standby",
              f"fail back to the primary once {quote(svc)} is healthy",
              f"fail over {quote(svc)} to its replica", ok),
        _restart(svc, ok, "drops wedged connections and workers", "medium", False),
        _move("cache_flush", "medium", False, f"flush caches that hold errors from {quote(svc)}",
              "cannot be undone; caches refill on demand",
              f"flush the cache entries for {quote(svc)}", ok, addresses=False),
    ]


def _code(svc: str, ok: Checked) -> list[Move]:
    # Nothing to undo: the owners must fix the code. A restart only buys time (it clears
    # leaked memory or stuck workers; the fault comes back), so it never comes first.
    return [_restart(svc, ok, "a stopgap that clears leaked memory or stuck workers while "
                     "the owners fix the code", "medium", False)]


_TABLE = {
    "deploy": _deploy,
    "config": _config,
    "cert": _cert,
    "flag": _flag,
    "infra": _infra,
    "capacity": _capacity,
    "network": _network,
    "dependency": _dependency,
    "code": _code,
}

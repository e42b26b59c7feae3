"""`oncall lab`: the whole loop (detect, triage, act, verify) against real servers on 127.0.0.1.

Scenario files show that triage reads a frozen page well; the lab shows the loop working
live. It starts three small demo services (frontend -> checkout -> payments, each its
own process exposing `/metrics`), a request generator, a real Prometheus scraping them
with alert rules and a real Alertmanager; it pushes a bad change through its deploy
log, waits for the alerts, triages from the live sources, runs the top remediation
through a real executor under a lab policy, and verifies recovery from Prometheus.

Modules: `settings` (the services and the config file each re-reads), `demo` (a
service or the request generator, run as `python -m oncall.lab.demo`), `deploy` (the
deploy log), `logstore`, `tracestore` and `control` (the deploy log, catalog, logs and
traces served in the wire formats the live connectors read), `faults`, `stack`
(Prometheus, Alertmanager and oncall configuration), `procs` (starting and always
stopping processes), `respond` (triage, act, verify), `report` and `run` (the
orchestration).
"""

from oncall.lab.faults import DEFAULT_FAULT, FAULTS

__all__ = ["DEFAULT_FAULT", "FAULTS"]

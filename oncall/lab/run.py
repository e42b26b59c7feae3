"""One lab run, start to finish: bring up, break, triage, act, verify, tear down.

The order is the on-call loop's: a healthy baseline (the alerts must be quiet), a bad
push through the deploy log, the alerts Prometheus fires into Alertmanager, a live
triage through `oncall.yaml` exactly as `oncall triage --live` reads it, the top
remediation through the action loop (`ActSession`: policy, preview with dry run,
approval by policy with `--yes` semantics, execution by the Argo CD executor, audit),
and verification polled from Prometheus by `PrometheusReader`. Every wait is bounded
by the run's deadline, and every process and temporary directory is removed in a
`finally`, whatever happened. The lab knows which fault it injected only to say,
after the triage, whether the diagnosis matched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from oncall.errors import InputError, OncallError
from oncall.lab import stack
from oncall.lab.control import ControlPlane
from oncall.lab.deploy import Deployer
from oncall.lab.faults import DEFAULT_FAULT, FAULTS, Fault
from oncall.lab.logstore import LogStore
from oncall.lab.procs import (
    LabError,
    Supervisor,
    TimedOut,
    find_binary,
    http_ok,
    read_port,
    wait_until,
)
from oncall.lab.report import LabReport
from oncall.lab.respond import respond
from oncall.lab.settings import ENTRY, NAMESPACE, SERVICES
from oncall.lab.tracestore import TraceStore

INSTALL = "apt-get install prometheus prometheus-alertmanager"
START_SECONDS = 30.0
ALERT_SETTLE_SECONDS = 4.0
CLEANUP_MARGIN_SECONDS = 10.0


@dataclass(slots=True)
class LabOptions:
    fault: str = DEFAULT_FAULT
    timeout_seconds: float = 240.0
    warmup_seconds: float = 20.0
    rate: float = 20.0  # requests per second into the frontend
    audit: Path | None = None
    progress: Callable[[str], None] = field(default=lambda _line: None)
    hold: Callable[[dict[str, str]], None] | None = None  # --keep: called before teardown


def check_prerequisites(fault: str) -> tuple[str, str]:
    """(prometheus, alertmanager) binaries; `InputError` (exit 2) naming what is missing."""
    if fault not in FAULTS:
        raise InputError("--fault", f"unknown fault {fault[:40]!r} (expected one of "
                         f"{', '.join(FAULTS)})")
    prometheus = find_binary("prometheus")
    alertmanager = find_binary("prometheus-alertmanager", "alertmanager")
    if prometheus is None or alertmanager is None:
        name = "prometheus" if prometheus is None else "prometheus-alertmanager"
        raise InputError(name, f"is not installed ({INSTALL})")
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        raise InputError("prometheus_client", "is not installed (pip install "
                         "'prometheus_client>=0.20'): the demo services need it") from None
    return prometheus, alertmanager


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LabRun:
    """The state of one run: its directories, processes and servers."""

    def __init__(self, options: LabOptions, binaries: tuple[str, str]) -> None:
        self.options = options
        self.fault: Fault = FAULTS[options.fault]
        self.prometheus_bin, self.alertmanager_bin = binaries
        self.started = time.monotonic()
        self.deadline = self.started + options.timeout_seconds
        self.root = Path(tempfile.mkdtemp(prefix="oncall-lab-"))
        for sub in ("config", "logs", "traces", "out", "prometheus", "alertmanager", "oncall"):
            (self.root / sub).mkdir()
        audit = options.audit
        if audit is None:
            audit = Path(tempfile.mkdtemp(prefix="oncall-lab-audit-")) / "audit.jsonl"
        self.audit_path = audit
        self.report = LabReport(fault=self.fault.name, audit=str(audit), workdir=str(self.root))
        self.supervisor = Supervisor(self.root / "out")
        self.deployer = Deployer(self.root / "config")
        self.traces = TraceStore(self.root / "traces")
        self.control = ControlPlane(self.deployer, LogStore(self.root / "logs"), self.traces)
        self.urls: dict[str, str] = {"control": self.control.url}
        self.ports: dict[str, int] = {}

    # ---- helpers ------------------------------------------------------------------

    def step(self, text: str, **data: Any) -> None:
        at = time.monotonic() - self.started
        self.report.steps.append({"at": round(at, 1), "step": text, **data})
        self.options.progress(f"[{at:5.1f}s] {text}")

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def wait(self, check: Callable[[], bool], seconds: float, what: str) -> None:
        budget = min(seconds, self.remaining() - CLEANUP_MARGIN_SECONDS)
        ran_out = LabError(f"the --timeout ({self.options.timeout_seconds:g} s) ran out "
                           f"waiting for {what}")
        if budget <= 0:
            raise ran_out
        try:
            wait_until(check, budget, what, self.supervisor)
        except TimedOut:
            if budget < seconds:
                raise ran_out from None
            raise

    def pause(self, seconds: float) -> None:
        """Sleeps, watching that every process stays up."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.supervisor.check()
            time.sleep(min(0.5, max(0.0, end - time.monotonic())))

    # ---- phases -------------------------------------------------------------------

    def run(self) -> LabReport:
        try:
            self.control.start()
            self._start_services()
            self._start_monitoring()
            self._start_load()
            self._baseline()
            self._inject()
            self._await_alerts()
            self._triage_and_act()
        except (LabError, OncallError) as exc:
            # Inside the run every input is the lab's own: a source that cannot be read
            # or a refused call is a failed run (exit 1), not the user's bad input.
            self.report.status = "failed"
            self.report.message = " ".join(str(exc).split())
            self.step(f"stopped: {self.report.message}")
        finally:
            self._teardown()
        return self.report

    def _start_services(self) -> None:
        ports: dict[str, int] = {}
        for svc in SERVICES:  # upstream first: each needs its upstream's port
            self.deployer.deploy(svc.name, svc.config, author="lab-bootstrap")
            argv = [sys.executable, "-m", "oncall.lab.demo", "--parent", str(os.getpid()),
                    "service", "--name", svc.name,
                    "--config", str(self.deployer.config_path(svc.name)),
                    "--log", str(self.root / "logs" / f"{svc.name}.log"),
                    "--spans", str(self.traces.path(svc.name)),
                    "--port-file", str(self.root / "out" / f"{svc.name}.port")]
            if svc.upstream:
                argv += ["--upstream", f"{svc.upstream}=http://127.0.0.1:{ports[svc.upstream]}"]
            proc = self.supervisor.start(svc.name, argv)
            port_file = self.root / "out" / f"{svc.name}.port"
            self.wait(_exists(port_file), START_SECONDS, f"{svc.name} to listen")
            ports[svc.name] = read_port(port_file) or 0
            self.urls[svc.name] = f"http://127.0.0.1:{ports[svc.name]}"
            self.report.processes.append({"name": svc.name, "pid": proc.pid})
        self.ports = ports
        self.step("demo services up: " + ", ".join(f"{s.name} :{ports[s.name]}"
                                                    for s in reversed(SERVICES)))

    def _start_monitoring(self) -> None:
        am_port, prom_port = free_port(), free_port()
        am_dir, prom_dir = self.root / "alertmanager", self.root / "prometheus"
        _write_yaml(am_dir / "alertmanager.yml",
                    stack.alertmanager_config(f"{self.control.url}/hooks/alertmanager"))
        am = self.supervisor.start("alertmanager", [
            self.alertmanager_bin, f"--config.file={am_dir / 'alertmanager.yml'}",
            f"--storage.path={am_dir / 'data'}", f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address="], cwd=am_dir)
        _write_yaml(prom_dir / "rules.yml", stack.prometheus_rules())
        _write_yaml(prom_dir / "prometheus.yml", stack.prometheus_config(
            self.ports, am_port, prom_dir / "rules.yml"))
        prom = self.supervisor.start("prometheus", [
            self.prometheus_bin, f"--config.file={prom_dir / 'prometheus.yml'}",
            f"--storage.tsdb.path={prom_dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}"], cwd=prom_dir)
        self.urls["alertmanager"] = f"http://127.0.0.1:{am_port}"
        self.urls["prometheus"] = f"http://127.0.0.1:{prom_port}"
        self.report.processes += [{"name": "alertmanager", "pid": am.pid},
                                  {"name": "prometheus", "pid": prom.pid}]
        self.wait(lambda: http_ok(f"{self.urls['alertmanager']}/-/ready"), START_SECONDS,
                  "Alertmanager to be ready")
        self.wait(lambda: http_ok(f"{self.urls['prometheus']}/-/ready"), START_SECONDS,
                  "Prometheus to be ready")
        self.step(f"Prometheus {self.urls['prometheus']} and Alertmanager "
                  f"{self.urls['alertmanager']} ready")

    def _start_load(self) -> None:
        proc = self.supervisor.start("loadgen", [
            sys.executable, "-m", "oncall.lab.demo", "--parent", str(os.getpid()), "loadgen",
            "--target", self.urls[ENTRY], "--rate", f"{self.options.rate:g}"])
        self.report.processes.append({"name": "loadgen", "pid": proc.pid})
        want = len(SERVICES)
        self.wait(lambda: self._series_count(stack.RECORDED["error_ratio"]) >= want,
                  START_SECONDS, "Prometheus to record every service's signals")
        self.step(f"traffic at {self.options.rate:g} req/s; Prometheus records p95 and "
                  "5xx ratio for every service")

    def _baseline(self) -> None:
        seconds = min(self.options.warmup_seconds,
                      max(0.0, self.remaining() - CLEANUP_MARGIN_SECONDS))
        self.pause(seconds)
        firing = self._firing()
        if firing:
            raise LabError("the lab is not healthy before the fault: "
                           + ", ".join(firing))
        self.step(f"healthy baseline for {seconds:.0f} s, no alerts")

    def _inject(self) -> None:
        fault = self.fault
        current = self.deployer.current(fault.service)
        sync = self.deployer.deploy(fault.service, fault.apply(current.config), fault.author)
        self.report.injected = {"fault": fault.name, "service": fault.service,
                                "change": f"argocd-{fault.service}-{sync.id}",
                                "revision": sync.revision[:12],
                                "previous_revision": current.revision[:12],
                                "description": fault.description}
        self.step(f"fault injected: {fault.description} (sync {sync.id} of {fault.service}, "
                  f"revision {sync.revision[:12]})")

    def _await_alerts(self) -> None:
        self.wait(lambda: bool(self._firing()), 60.0, "an alert to fire")
        seen = self._firing()
        stable_since = time.monotonic()
        end = time.monotonic() + 3 * ALERT_SETTLE_SECONDS
        while time.monotonic() < end and time.monotonic() - stable_since < ALERT_SETTLE_SECONDS:
            self.pause(1.0)
            now = self._firing()
            if now != seen:
                seen, stable_since = now, time.monotonic()
        self.report.alerts = seen
        self.report.notified = len(self.control.notified())
        self.step("firing in Alertmanager: " + ", ".join(seen))

    def _triage_and_act(self) -> None:
        respond(self.report, self._write_oncall_config(), self.audit_path,
                lambda: self.remaining() - CLEANUP_MARGIN_SECONDS, self.step)

    def _teardown(self) -> None:
        try:
            if self.options.hold is not None:
                with contextlib.suppress(KeyboardInterrupt):
                    self.options.hold(dict(self.urls))
        finally:
            self.supervisor.stop_all()
            self.control.stop()
            shutil.rmtree(self.root, ignore_errors=True)
            self.report.elapsed_seconds = time.monotonic() - self.started

    # ---- reading the stack --------------------------------------------------------

    def _write_oncall_config(self) -> Path:
        directory = self.root / "oncall"
        _write_yaml(directory / "policy.yaml", stack.policy())
        path = directory / "oncall.yaml"
        _write_yaml(path, stack.oncall_config(self.urls["prometheus"],
                                              self.urls["alertmanager"], self.control.url,
                                              directory / "policy.yaml"))
        return path

    def _series_count(self, query: str) -> int:
        try:
            body = httpx.get(f"{self.urls['prometheus']}/api/v1/query",
                             params={"query": query}, timeout=2.0).json()
        except (httpx.HTTPError, ValueError):
            return 0
        result = body.get("data", {}).get("result", []) if isinstance(body, dict) else []
        return sum(1 for r in result if isinstance(r, dict)
                   and r.get("value", [0, "NaN"])[1] not in ("NaN", "+Inf", "-Inf"))

    def _firing(self) -> list[str]:
        """`AlertName service` of every active lab alert in Alertmanager, sorted."""
        try:
            response = httpx.get(f"{self.urls['alertmanager']}/api/v2/alerts", timeout=2.0,
                                 params={"active": "true", "silenced": "false",
                                         "inhibited": "false",
                                         "filter": f'namespace="{NAMESPACE}"'})
            alerts = response.json()
        except (httpx.HTTPError, ValueError):
            return []
        return sorted({f"{a['labels'].get('alertname')} {a['labels'].get('service', '?')}"
                       for a in alerts if isinstance(a, dict)
                       and isinstance(a.get("labels"), dict)}) \
            if isinstance(alerts, list) else []


def _exists(port_file: Path) -> Callable[[], bool]:
    return lambda: read_port(port_file) is not None


def _write_yaml(path: Path, doc: Any) -> None:
    path.write_text(yaml.safe_dump(json.loads(json.dumps(doc)), sort_keys=False),
                    encoding="utf-8")


def run_lab(options: LabOptions) -> LabReport:
    """Runs the lab once; `InputError` (exit 2) before anything starts when the fault is
    unknown or a binary is missing."""
    binaries = check_prerequisites(options.fault)
    return LabRun(options, binaries).run()

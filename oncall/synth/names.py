"""Identifiers and people: everything random but shaped like the real thing.

Kubernetes pod names, Jaeger ids, git revisions and silence ids all come from the
case's own `random.Random`, never from `uuid`/`secrets`/the clock, so a seed always
gives the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime

# Kubernetes draws pod-template hashes and pod suffixes from this "safe" alphabet
# (no vowels, no look-alike characters), so generated names look like real ones.
K8S_SAFE = "bcdfghjklmnpqrstvwxz2456789"

AUTHORS = (
    "jdoe",
    "akim",
    "mrossi",
    "lwei",
    "tkato",
    "hliu",
    "sgarcia",
    "nokafor",
    "pdubois",
    "emueller",
    "rsingh",
    "cnovak",
    "ayilmaz",
    "bjensen",
    "dcohen",
    "fsato",
    "gandersen",
    "ipetrov",
    "kobrien",
    "mlopez",
)
BOTS = {
    "deploy": ("argocd", "deploy-bot", "flagger"),
    "config": ("argocd",),
    "cert": ("cert-manager",),
    "scale": ("keda", "cluster-autoscaler"),
}


def author(rng: random.Random, kind: str) -> str:
    """Who made a change: a person, or the bot that does this kind of change."""
    bots = BOTS.get(kind, ())
    if kind == "cert":
        return bots[0] if rng.random() < 0.8 else rng.choice(AUTHORS)
    if bots and rng.random() < 0.3:
        return rng.choice(bots)
    return rng.choice(AUTHORS)


def rs_hash(rng: random.Random) -> str:
    """A ReplicaSet pod-template hash (9-10 characters)."""
    return "".join(rng.choice(K8S_SAFE) for _ in range(rng.choice((9, 10))))


def pod_suffix(rng: random.Random) -> str:
    return "".join(rng.choice(K8S_SAFE) for _ in range(5))


def hex_id(rng: random.Random, nbytes: int) -> str:
    return f"{rng.getrandbits(8 * nbytes):0{2 * nbytes}x}"


def revision(rng: random.Random) -> str:
    """A short git sha."""
    return hex_id(rng, 4)[:7]


def uuid4(rng: random.Random) -> str:
    """A version-4 shaped UUID (Alertmanager silence ids look like this)."""
    h = hex_id(rng, 16)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def fingerprint(labels: dict[str, str]) -> str:
    """Alert fingerprint: first 16 hex digits of sha256 over the sorted `k=v` labels
    joined with "," (the joining used by the shared train-ticket dataset too)."""
    text = ",".join(sorted(f"{k}={v}" for k, v in labels.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def iso(ts: float) -> str:
    """RFC 3339 UTC with a Z, to the second."""
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def ip(rng: random.Random, prefix: str = "10.42") -> str:
    return f"{prefix}.{rng.randint(0, 15)}.{rng.randint(2, 254)}"

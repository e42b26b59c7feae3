"""Retrieval benchmark: embedding throughput, recall@3 (dense / BM25 / hybrid), query latency.

    python benchmarks/retrieval.py               # all sections (the model ones if installed)
    python benchmarks/retrieval.py --scale 10000 # query p95 and index cost at 10k chunks
    python benchmarks/retrieval.py --json        # machine-readable

1. Throughput: `oncall.knowledge.embed.OnnxEmbedder` (onnxruntime, dynamic padding,
   batches by length) against chroma's built-in `ONNXMiniLM_L6_V2` pointed at the same
   model.onnx (it pads every input to 256 tokens), on the same ~100-token chunks, plus
   one-query latency. Needs `oncall model install`.
2. Recall@3 on a generated corpus: incident records and runbooks for 25 failure
   families, each family written for several services (near-duplicate distractors: the
   same failure on another service, and a known error with the family's words but
   another cause), plus every Markdown file in the repo's `runbooks/` folder. Queries
   are incident-shaped (alert name, service, a paraphrased symptom, a log line) and
   each has one right answer. BM25 always; dense and hybrid with the model.
3. Scale (`--scale N`, with the model): index N chunks with `oncall` (SQLite + FTS5 +
   chroma) against a raw chroma `add` of the same chunks and vectors; then hybrid query
   latency (embed + dense + BM25 + fusion) p50/p95.

Nothing here asserts a time: the numbers go to docs/knowledge.md.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from oncall.knowledge.embed import OnnxEmbedder, chroma_builtin_function, find_model  # noqa: E402
from oncall.knowledge.store import KnowledgeIndex  # noqa: E402

SERVICES = ["checkout", "payments", "cart", "search", "auth", "inventory", "shipping",
            "notifications"]


@dataclass(frozen=True)
class Family:
    key: str
    alert: str
    title: str
    symptom: str  # how the docs describe it
    cause: str
    fix: str
    paraphrase: str  # how a page describes it (other words)
    log: str


FAMILIES = [
    Family("db-pool", "DBPoolExhausted", "database connection pool exhausted",
           "Requests block waiting for a pooled connection; HikariCP reports pool exhaustion.",
           "A batch job held most connections of the pool open for minutes.",
           "Kill the batch job, cap its pool size, raise max_connections only with DBA sign-off.",
           "calls hang until they time out, every worker is waiting on the database",
           "Connection is not available, request timed out after 30000ms"),
    Family("disk-full", "NodeFilesystemAlmostFull", "node disk full",
           "The node filesystem is above 95 percent; pods are evicted for ephemeral storage.",
           "Container logs were never rotated and filled the root volume.",
           "Rotate and truncate logs, prune unused images with crictl rmi --prune.",
           "no space left on the host volume, writes fail and pods get evicted",
           "write /var/log/app.log: no space left on device"),
    Family("oom", "KubePodOOMKilled", "pods OOMKilled after memory growth",
           "Containers restart with reason OOMKilled; memory climbs steadily before each kill.",
           "A cache without eviction grew until it hit the container memory limit.",
           "Raise the memory limit for now, bound the cache size, redeploy.",
           "containers keep getting killed for exceeding their memory limit and restart",
           "Last State: Terminated Reason: OOMKilled Exit Code: 137"),
    Family("cert", "CertificateExpiringSoon", "TLS certificate expired",
           "Clients fail the TLS handshake: the serving certificate has expired.",
           "cert-manager could not renew because the ACME solver was blocked.",
           "Unblock the solver, renew the certificate with cmctl renew, reload the ingress.",
           "https clients refuse to connect, the handshake says the cert is no longer valid",
           "x509: certificate has expired or is not yet valid"),
    Family("dns", "CoreDNSErrorsHigh", "DNS resolution failures",
           "Lookups of internal service names fail intermittently with SERVFAIL.",
           "CoreDNS pods were CPU throttled and dropped queries under load.",
           "Scale CoreDNS, remove its CPU limit, enable NodeLocal DNSCache.",
           "service names sometimes fail to resolve, lookups come back with errors",
           "dial tcp: lookup orders.svc.cluster.local: server misbehaving"),
    Family("bad-deploy", "HighErrorRate", "error spike after a bad deploy",
           "5xx rate jumps right after a rollout; only the new replica set returns errors.",
           "The release shipped a null-pointer bug in the request handler.",
           "Roll back with kubectl rollout undo, then fix forward behind a flag.",
           "errors started the minute the new version went out, old pods are fine",
           "NullPointerException at RequestHandler.handle(RequestHandler.java:88)"),
    Family("config", "ConfigReloadFailed", "bad configuration push",
           "A config change set the upstream timeout to 50 ms; calls fail with timeouts.",
           "A typo in the config repository changed seconds to milliseconds.",
           "Revert the config commit, add schema validation to the config pipeline.",
           "right after a settings change calls to the upstream started timing out",
           "upstream request timeout after 50ms"),
    Family("cpu-throttle", "CPUThrottlingHigh", "CPU throttling raises latency",
           "p99 latency rises while CPU usage sits at the limit; cfs throttled periods climb.",
           "The CPU limit was set far below the service's real need after a traffic increase.",
           "Raise or remove the CPU limit, scale out replicas, check the HPA target.",
           "slow responses while the containers are pinned at their cpu quota",
           "container_cpu_cfs_throttled_periods_total increasing rapidly"),
    Family("gc", "JVMGCPauseLong", "long garbage collection pauses",
           "Stop-the-world GC pauses of several seconds freeze request handling.",
           "The heap was sized too small for the new workload and old gen fills quickly.",
           "Increase the heap, switch to G1 or ZGC, look for large allocation sites.",
           "the jvm freezes for seconds at a time and requests pile up",
           "GC pause (G1 Evacuation Pause) 4.2s"),
    Family("queue-lag", "KafkaConsumerLagHigh", "consumer lag on the message queue",
           "Consumer group lag grows without bound; messages are processed minutes late.",
           "A slow downstream call made each consumer take seconds per message.",
           "Scale consumers up to the partition count, add a timeout to the downstream call.",
           "events are processed late and the backlog keeps growing",
           "consumer group orders-consumer lag=184233"),
    Family("cache-stampede", "CacheHitRateLow", "cache stampede after a flush",
           "The cache hit rate collapses and the database is flooded with identical queries.",
           "A deploy flushed the cache and every request recomputed the same keys at once.",
           "Warm the cache, add request coalescing and jittered expiry.",
           "after the cache was cleared the database got hammered with the same reads",
           "cache miss rate 97% key=product:*"),
    Family("rate-limit", "UpstreamRateLimited", "rate limited by an upstream API",
           "Calls to the third-party API fail with 429 Too Many Requests.",
           "A retry storm without backoff exceeded the vendor quota.",
           "Add exponential backoff with jitter, request a higher quota from the vendor.",
           "the external provider keeps rejecting us for sending too many calls",
           "HTTP 429 Too Many Requests retry-after=30"),
    Family("clock-skew", "NodeClockSkew", "clock skew breaks token validation",
           "Tokens are rejected as not yet valid; node clocks drift by minutes.",
           "chrony stopped syncing after a firewall change blocked NTP.",
           "Open UDP 123 to the NTP servers, restart chrony, verify offset.",
           "logins fail because tokens look like they come from the future",
           "token used before issued (iat) by 312 seconds"),
    Family("node-notready", "KubeNodeNotReady", "node not ready",
           "A node flips to NotReady; its pods are rescheduled slowly.",
           "The kubelet lost contact with the API server after the node's network card failed.",
           "Cordon and drain the node, replace the instance, check the autoscaler.",
           "one worker machine dropped out of the cluster and its workloads moved",
           "Node worker-7 status is now: NodeNotReady"),
    Family("pvc-full", "PersistentVolumeFillingUp", "persistent volume filling up",
           "The database's persistent volume is 98 percent full; writes will stop.",
           "WAL archiving failed silently and old segments piled up.",
           "Fix archiving, remove archived WAL, expand the PVC.",
           "the storage claim of the stateful set is almost out of space",
           "PANIC: could not write to file pg_wal/xlogtemp: No space left on device"),
    Family("thread-pool", "ThreadPoolSaturated", "thread pool saturated",
           "All worker threads are busy; the executor queue rejects new tasks.",
           "Blocking I/O ran on the request thread pool under a slow dependency.",
           "Move blocking calls to a bounded separate pool, add timeouts.",
           "the server stops accepting work, every worker thread is stuck",
           "RejectedExecutionException: Task rejected from ThreadPoolExecutor"),
    Family("deadlock", "DBDeadlocksHigh", "database deadlocks",
           "Transactions abort with deadlock detected; retries pile up.",
           "Two code paths update the same rows in opposite orders.",
           "Order updates consistently, shorten transactions, retry with backoff.",
           "transactions keep getting aborted because they wait on each other",
           "ERROR: deadlock detected DETAIL: Process 4242 waits for ShareLock"),
    Family("replica-lag", "MySQLReplicationLag", "replication lag on read replicas",
           "Read replicas fall minutes behind the primary; users see stale data.",
           "A large schema migration ran on the primary in one transaction.",
           "Route reads to the primary temporarily, run migrations in batches.",
           "people see old data because the replicas are far behind",
           "Seconds_Behind_Master: 640"),
    Family("lb-5xx", "LoadBalancer5xx", "load balancer returns 502s",
           "The load balancer answers 502 Bad Gateway; targets fail health checks.",
           "The health check path was removed in a refactor so targets were marked unhealthy.",
           "Restore the health endpoint, correct the target group health check.",
           "the edge proxy says bad gateway although the app looks up",
           "upstream connect error or disconnect/reset before headers. reset reason: 502"),
    Family("feature-flag", "ConversionDrop", "feature flag broke a flow",
           "Conversion drops after a feature flag rollout to 50 percent of users.",
           "The flagged code path skipped a required validation step.",
           "Turn the flag off, add the flow to the flag's automated checks.",
           "orders fall off for half the users since the toggle was enabled",
           "flag new-checkout-flow enabled for 50% cohort"),
    Family("secret-rotation", "AuthFailuresHigh", "credentials rotated without reload",
           "Authentication to the database fails after a scheduled secret rotation.",
           "The service cached the old password and never reloaded the new secret.",
           "Restart the pods to pick up the secret, add a secret reload watcher.",
           "after the passwords were changed the app can no longer log in to its store",
           "FATAL: password authentication failed for user app"),
    Family("memory-leak", "MemoryGrowthHigh", "slow memory leak",
           "Resident memory grows a little every hour until the process is restarted.",
           "Listeners were registered per request and never removed.",
           "Restart on a schedule for now, fix the listener leak, add a heap alert.",
           "memory keeps creeping up over days and never comes back down",
           "heap used 7.8GiB of 8GiB, growing 120MiB/h"),
    Family("network-partition", "ServiceUnreachable", "network partition between zones",
           "Calls between two availability zones time out; each zone alone works.",
           "A security group change blocked traffic between zone subnets.",
           "Revert the security group change, fail traffic over to the healthy zone.",
           "traffic between data centre zones is dropped, inside a zone everything works",
           "dial tcp 10.2.3.4:8080: i/o timeout"),
    Family("hpa-maxed", "HPAMaxedOut", "autoscaler at max replicas",
           "The HPA sits at max replicas while CPU stays high; latency climbs.",
           "A traffic spike exceeded the maximum replica count configured for the HPA.",
           "Raise maxReplicas, add node capacity, shed low-priority traffic.",
           "we cannot add more copies of the service, the scaler is at its ceiling",
           "horizontal-pod-autoscaler: desired replicas 40 exceeds max 20"),
    Family("crashloop", "KubePodCrashLooping", "pods crash looping on start",
           "Pods restart in CrashLoopBackOff right after start; readiness never passes.",
           "A required environment variable was missing from the new manifest.",
           "Add the variable back, validate manifests in CI, roll back if urgent.",
           "the pods die immediately at startup and keep restarting",
           "Back-off restarting failed container; panic: missing env DATABASE_URL"),
]


def generate(seed: int = 7) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(relative path, Markdown) documents and (query, expected doc id) pairs."""
    rnd = random.Random(seed)
    docs: list[tuple[str, str]] = []
    queries: list[tuple[str, str]] = []
    for fam in FAMILIES:
        docs.append((f"runbooks/{fam.key}.md", _md(
            f"rb-{fam.key}", f"Runbook: {fam.title}", [], [fam.alert], [fam.key], {
                "Symptoms": fam.symptom, "Diagnosis": f"Usual cause: {fam.cause}",
                "Mitigation": fam.fix})))
        services = rnd.sample(SERVICES, 4)
        for n, service in enumerate(services[:3]):
            inc = f"inc-{fam.key}-{service}"
            docs.append((f"incidents/{inc}.md", _md(
                inc, f"{service}: {fam.title}", [service], [fam.alert], [fam.key], {
                    "Summary": f"{service} was degraded: {fam.symptom}",
                    "Root cause": f"In {service}, {fam.cause[0].lower()}{fam.cause[1:]}",
                    "Resolution": f"On {service}: {fam.fix}"})))
            if n < 2:
                queries.append((
                    f"{fam.alert} firing for {service}: {fam.paraphrase}. log: {fam.log}", inc))
        other = services[3]
        # same words, another cause and service: a known error that should not win
        docs.append((f"known-errors/ke-{fam.key}.md", _md(
            f"ke-{fam.key}", f"Known error: {fam.title} false alarm on {other}", [other],
            [fam.alert], [fam.key], {
                "Symptom": f"{fam.alert} fires on {other} during the nightly backup window.",
                "Workaround": "Silence the alert during the window; nothing is broken."})))
        queries.append((f"how do I fix {fam.paraphrase}", f"rb-{fam.key}"))
    for path in sorted((REPO / "runbooks").glob("**/*.md")):
        docs.append((f"repo-runbooks/{path.name}", path.read_text()))
    return docs, queries


def _md(id_: str, title: str, services: list[str], alerts: list[str], tags: list[str],
        sections: dict[str, str]) -> str:
    body = "\n\n".join(f"## {h}\n{t}" for h, t in sections.items())
    return (f"---\nid: {id_}\ntitle: \"{title}\"\nservices: {json.dumps(services)}\n"
            f"alerts: {json.dumps(alerts)}\ntags: {json.dumps(tags)}\n---\n# {title}\n\n{body}\n")


def write_corpus(root: Path, docs: list[tuple[str, str]]) -> None:
    for rel, text in docs:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def recall(store: KnowledgeIndex, queries: list[tuple[str, str]], mode: str, k: int = 3
           ) -> tuple[float, list[str]]:
    hits_at_k = 0
    misses: list[str] = []
    for text, expected in queries:
        if mode == "dense":
            ranking = {"dense": store.dense_ranking(text, (), (), 50)}
            ids = [h.id for h in store.fuse(ranking, k)]
        else:
            ids = [h.id for h in store.search(text, limit=k, lexical=mode == "bm25")]
        if expected in ids:
            hits_at_k += 1
        else:
            misses.append(f"{expected} <- {text[:60]}... got {ids}")
    return hits_at_k / len(queries), misses


def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def synthetic_chunks(n: int, seed: int = 11) -> list[str]:
    """~100-token passages in the corpus's vocabulary."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        fam = rnd.choice(FAMILIES)
        service = rnd.choice(SERVICES)
        parts = [fam.symptom, fam.cause, fam.fix, fam.paraphrase, fam.log]
        rnd.shuffle(parts)
        out.append(f"{service} {fam.title}. " + " ".join(parts))
    return out


def throughput(model_root: Path | None, n: int = 256) -> dict[str, Any]:
    files = find_model(model_root)
    assert files is not None
    ours = OnnxEmbedder(files)
    builtin = chroma_builtin_function(model_root)
    texts = synthetic_chunks(n)
    tokens = statistics.mean(len(ours._tokenizer.encode(t).ids) for t in texts[:64])
    ours.embed(texts[:8])
    builtin(texts[:8])  # warm both sessions
    ours_s = timed(lambda: ours.embed(texts))
    builtin_s = timed(lambda: builtin(texts))
    query = "checkout p99 latency high after deploy"
    q_ours = statistics.median(timed(lambda: ours.embed([query])) for _ in range(30))
    q_builtin = statistics.median(timed(lambda: builtin([query])) for _ in range(10))
    return {
        "chunks": n, "mean_tokens": round(tokens, 1),
        "oncall_chunks_per_s": round(n / ours_s, 1),
        "chroma_builtin_chunks_per_s": round(n / builtin_s, 1),
        "speedup": round(builtin_s / ours_s, 2),
        "oncall_query_ms": round(q_ours * 1000, 2),
        "chroma_builtin_query_ms": round(q_builtin * 1000, 2),
    }


def scale(n: int, model_root: Path | None, workdir: Path) -> dict[str, Any]:
    """Index N chunks with oncall vs a raw chroma add; hybrid query latency."""
    import chromadb

    from oncall.knowledge.dense import chroma_settings

    texts = synthetic_chunks(n, seed=3)
    corpus = workdir / "scale-corpus"
    per_doc = 5
    for d in range(0, n, per_doc):
        sections = "\n\n".join(f"## Part {i}\n{t}" for i, t in enumerate(texts[d:d + per_doc]))
        path = corpus / "runbooks" / f"doc-{d // per_doc:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Doc {d // per_doc}\n\n{sections}\n")
    index_dir = workdir / "scale-index"
    store = KnowledgeIndex.open(index_dir, model_root=model_root)
    t_index = timed(lambda: store.index_paths([corpus]))
    chunks = store.stats()["chunks"]
    size_oncall = _du(index_dir)

    files = find_model(model_root)
    assert files is not None
    embedder = OnnxEmbedder(files)
    docs = [r[0] for r in store.db.execute("SELECT text FROM chunks ORDER BY rowid")]
    t_embed = timed(lambda: embedder.embed(docs))
    vectors = embedder.embed(docs)
    raw_dir = workdir / "raw-chroma"
    client = chromadb.PersistentClient(path=str(raw_dir), settings=chroma_settings())
    col = client.get_or_create_collection("raw-chunks", embedding_function=None,
                                          configuration={"hnsw": {"space": "cosine"}})

    def raw_add() -> None:
        for s in range(0, len(docs), 1000):
            col.add(ids=[str(i) for i in range(s, min(s + 1000, len(docs)))],
                    documents=docs[s:s + 1000], embeddings=vectors[s:s + 1000])

    t_raw = timed(raw_add)
    size_raw = _du(raw_dir)

    rnd = random.Random(5)
    queries = [f"{f.alert} {rnd.choice(SERVICES)} {f.paraphrase}" for f in FAMILIES] * 4
    latencies = []
    for q in queries[:5]:
        store.search(q, limit=5)  # warm
    for q in queries:
        start = time.perf_counter()
        store.search(q, limit=5)
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    return {
        "chunks": chunks, "oncall_index_s": round(t_index, 1),
        "oncall_index_mib": round(size_oncall / 2**20, 1),
        "raw_chroma_embed_s": round(t_embed, 1), "raw_chroma_add_s": round(t_raw, 1),
        "raw_chroma_mib": round(size_raw / 2**20, 1),
        "query_p50_ms": round(latencies[len(latencies) // 2], 2),
        "query_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        "queries": len(latencies),
    }


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=2000, help="chunks for the scale run "
                        "(0 to skip)")
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)

    has_model = find_model(args.model_dir) is not None
    out: dict[str, Any] = {"model_installed": has_model}
    docs, queries = generate()
    workdir = Path(tempfile.mkdtemp(prefix="oncall-retrieval-"))
    try:
        write_corpus(workdir / "corpus", docs)
        store = KnowledgeIndex.open(workdir / "index", model_root=args.model_dir)
        t = timed(lambda: store.index_paths([workdir / "corpus"]))
        out["corpus"] = {"documents": len(docs), "queries": len(queries),
                         "chunks": store.stats()["chunks"], "index_s": round(t, 2)}
        modes = ["dense", "bm25", "hybrid"] if has_model else ["bm25"]
        out["recall_at_3"] = {}
        for mode in modes:
            value, misses = recall(store, queries, mode)
            out["recall_at_3"][mode] = round(value, 3)
            if args.show_misses:
                for miss in misses:
                    print(f"[{mode}] miss: {miss}", file=sys.stderr)
        if has_model:
            out["throughput"] = throughput(args.model_dir)
            if args.scale:
                out["scale"] = scale(args.scale, args.model_dir, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        _print(out)
    return out


def _print(out: dict[str, Any]) -> None:
    corpus = out["corpus"]
    print(f"corpus: {corpus['documents']} documents, {corpus['chunks']} chunks, "
          f"{corpus['queries']} queries (indexed in {corpus['index_s']} s)")
    print("recall@3: " + ", ".join(f"{k} {v:.3f}" for k, v in out["recall_at_3"].items()))
    if not out["model_installed"]:
        print("dense/hybrid, throughput and scale need the model: `oncall model install`")
        return
    tp = out["throughput"]
    print(f"embedding ({tp['chunks']} chunks, ~{tp['mean_tokens']} tokens each): "
          f"oncall {tp['oncall_chunks_per_s']} chunks/s vs chroma built-in "
          f"{tp['chroma_builtin_chunks_per_s']} chunks/s ({tp['speedup']}x); one query "
          f"{tp['oncall_query_ms']} ms vs {tp['chroma_builtin_query_ms']} ms")
    if "scale" in out:
        sc = out["scale"]
        print(f"scale: {sc['chunks']} chunks indexed by oncall in {sc['oncall_index_s']} s "
              f"({sc['oncall_index_mib']} MiB); raw chroma: embed {sc['raw_chroma_embed_s']} s "
              f"+ add {sc['raw_chroma_add_s']} s ({sc['raw_chroma_mib']} MiB); hybrid query "
              f"p50 {sc['query_p50_ms']} ms, p95 {sc['query_p95_ms']} ms")


if __name__ == "__main__":
    main()

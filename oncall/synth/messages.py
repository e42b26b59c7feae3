"""Error message templates, per language and per failure mechanism.

Real incidents are recognised by their text ("x509: certificate has expired", "connection
refused"), so each mechanism has the messages its stack would print. A template is
filled per occurrence: ids, ports and durations vary line to line while the signature
(exception class, file and line) stays fixed for a case, as it does in a real outage.
"""

from __future__ import annotations

import random

from oncall.synth import names


def _varying(key: str, rng: random.Random) -> str:
    """Values that change from one occurrence of a message to the next."""
    if key == "id":
        return f"{rng.choice(('ord', 'req', 'txn', 'tx'))}_{names.hex_id(rng, 5)}"
    if key == "n":
        return str(rng.randint(2, 512))
    if key == "ms":
        return str(rng.randint(180, 4900))
    if key in ("ip", "ip2"):
        return names.ip(rng)
    if key == "port":
        return str(rng.randint(32768, 60999))
    if key == "hex":
        return names.hex_id(rng, 3)
    if key == "sku":
        return f"SKU-{rng.randint(10000, 99999)}"
    if key == "user":
        return f"u{rng.randint(100000, 999999)}"
    raise KeyError(f"message template field {key!r} has no value")


class _Fill(dict[str, str]):
    def __init__(self, base: dict[str, str], rng: random.Random) -> None:
        super().__init__(base)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        value = _varying(key, self.rng)
        self[key] = value
        return value


class Ctx(dict[str, str]):
    """Template context: fixed fields for the case, varying ones drawn on use."""

    def fill(self, template: str, rng: random.Random) -> str:
        return template.format_map(_Fill(self, rng))


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


EXCEPTIONS = {
    "java": (
        'java.lang.NullPointerException: Cannot invoke "{cls}.{getter}()" because "{var}" is '
        "null at com.{org}.{pkg}.{Svc}Service.{method}({Svc}Service.java:{line}) request_id={id}",
        "java.lang.IllegalStateException: {Svc}Service.{method}: unexpected state PENDING for "
        "{id} at {Svc}Service.java:{line}",
        "java.lang.ClassCastException: class java.lang.String cannot be cast to class "
        "java.math.BigDecimal at com.{org}.{pkg}.{Svc}Mapper.map({Svc}Mapper.java:{line}) id={id}",
    ),
    "go": (
        "panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV "
        "addr=0x{hex}] goroutine {n} [running]: {pkg}.(*Handler).{method}(...) {pkg}/handler.go:"
        "{line} request_id={id}",
        "{method}: unexpected nil {var} in response for {id} ({pkg}/service.go:{line})",
        "runtime error: index out of range [{n}] with length {line} in {pkg}.{method} id={id}",
    ),
    "python": (
        "KeyError: '{var}' in {pkg}/handlers.py:{line} ({method}) request_id={id}",
        "TypeError: unsupported operand type(s) for +: 'NoneType' and 'Decimal' in {pkg}/"
        "{method}.py:{line} id={id}",
        "AttributeError: 'NoneType' object has no attribute '{var}' ({pkg}/service.py:{line}) "
        "request_id={id}",
    ),
    "node": (
        "TypeError: Cannot read properties of undefined (reading '{var}') at {method} "
        "(/app/src/{pkg}/index.js:{line}:17) requestId={id}",
        "RangeError: Invalid array length at {method} (/app/src/{pkg}/handler.js:{line}:9) "
        "requestId={id}",
    ),
}

SLOW = {
    "java": "slow request: {method} took {ms}ms (threshold 500ms) request_id={id}",
    "go": "slow handler {method} took {ms}ms request_id={id}",
    "python": "request {method} took {ms}ms, exceeding 500ms budget request_id={id}",
    "node": "slow response {method} {ms}ms requestId={id}",
}

UPSTREAM_5XX = {
    "java": "org.springframework.web.client.HttpServerErrorException$InternalServerError: 500 "
    "from POST http://{callee}:8080{callee_path} request_id={id}",
    "go": "call {callee}{callee_path}: unexpected status 503 Service Unavailable request_id={id}",
    "python": "requests.exceptions.HTTPError: 502 Server Error: Bad Gateway for url: "
    "http://{callee}:8080{callee_path} request_id={id}",
    "node": "Error: Request failed with status code 500 calling {callee}{callee_path} "
    "requestId={id}",
}

TIMEOUT = {
    "java": "java.net.SocketTimeoutException: Read timed out after {timeout_ms}ms calling "
    "{callee} request_id={id}",
    "go": "upstream request timeout after {timeout_ms}ms: {callee}{callee_path}: context "
    "deadline exceeded request_id={id}",
    "python": "httpx.ReadTimeout: timed out after {timeout_ms}ms calling {callee} request_id={id}",
    "node": "Error: timeout of {timeout_ms}ms exceeded calling {callee} requestId={id}",
}

CONN_REFUSED = {
    "java": "java.net.ConnectException: Connection refused: connection refused to "
    "{callee}:{callee_port} request_id={id}",
    "go": "dial tcp {ip}:{callee_port}: connect: connection refused (connection refused to "
    "{callee}:{callee_port}) request_id={id}",
    "python": "ConnectionRefusedError: [Errno 111] connection refused to {callee}:{callee_port} "
    "request_id={id}",
    "node": "Error: connect ECONNREFUSED {ip}:{callee_port} (connection refused to "
    "{callee}:{callee_port}) requestId={id}",
}

NET_RESET = (
    "upstream connect error or disconnect/reset before headers. reset reason: connection "
    "termination calling {callee} request_id={id}",
    "read tcp {ip}:{port}->{ip2}:{callee_port}: read: connection reset by peer ({callee}) "
    "request_id={id}",
    "write tcp {ip}:{port}->{ip2}:{callee_port}: i/o timeout ({callee}) request_id={id}",
)

X509 = {
    "expired": "x509: certificate has expired or is not yet valid: current time {now_iso} is "
    "after {expiry_iso} (calling {callee}:{callee_port}) request_id={id}",
    "unknown-ca": 'x509: certificate signed by unknown authority (possibly because of "crypto/'
    'rsa: verification error" while trying to verify candidate authority '
    'certificate "{ca}") calling {callee} request_id={id}',
    "hostname": "x509: certificate is valid for {wrong_host}, not {callee}.{ns}.svc.cluster.local "
    "(calling {callee}) request_id={id}",
}

TLS_SERVER_SIDE = (
    "http: TLS handshake error from {ip}:{port}: remote error: tls: bad certificate",
    "http: TLS handshake error from {ip}:{port}: EOF",
)

DB_ERRORS = {
    "postgres": {
        "down": "FATAL: the database system is shutting down (connection refused to "
        "{callee}:5432) request_id={id}",
        "slow": "ERROR: canceling statement due to statement timeout ({callee}, {callee_op}) "
        "request_id={id}",
        "conn-limit": "FATAL: sorry, too many clients already ({callee}:5432) request_id={id}",
    },
    "mysql": {
        "down": "dial tcp {ip}:3306: connect: connection refused (connection refused to "
        "{callee}:3306) request_id={id}",
        "slow": "Error 3024 (HY000): Query execution was interrupted, maximum statement "
        "execution time exceeded ({callee}) request_id={id}",
        "conn-limit": "Error 1040: Too many connections ({callee}:3306) request_id={id}",
    },
    "redis": {
        "down": "dial tcp {ip}:6379: connect: connection refused (connection refused to "
        "{callee}:6379) request_id={id}",
        "slow": "redis: i/o timeout after {ms}ms on {callee} ({callee_op}) request_id={id}",
        "conn-limit": "redis: connection pool timeout ({callee}) request_id={id}",
    },
    "kafka": {
        "down": "kafka: client has run out of available brokers to talk to ({callee}:9092) "
        "request_id={id}",
        "slow": "kafka: Broker: Request timed out producing to {callee_op} request_id={id}",
        "conn-limit": "kafka: Broker: Not enough in-sync replicas ({callee}) request_id={id}",
    },
    "cassandra": {
        "down": "gocql: no hosts available in the pool ({callee}:9042) request_id={id}",
        "slow": "Cassandra timeout during read query at consistency LOCAL_QUORUM ({callee}) "
        "request_id={id}",
        "conn-limit": "gocql: no response received from cassandra within timeout period "
        "({callee}) request_id={id}",
    },
    "elasticsearch": {
        "down": "elasticsearch: dial tcp {ip}:9200: connect: connection refused (connection "
        "refused to {callee}:9200) request_id={id}",
        "slow": "elasticsearch: search_phase_execution_exception: timeout ({callee}) "
        "request_id={id}",
        "conn-limit": "elasticsearch: es_rejected_execution_exception: rejected execution of "
        "search ({callee}) request_id={id}",
    },
    "http": {
        "down": "{callee} returned 503 Service Unavailable for POST {callee_op_path} "
        "request_id={id}",
        "slow": "timeout waiting for {callee} after {ms}ms ({callee_op_path}) request_id={id}",
        "conn-limit": "{callee} returned 429 Too Many Requests, retry budget exhausted "
        "request_id={id}",
    },
}

DB_SERVER_SIDE = {
    "postgres": (
        "FATAL: remaining connection slots are reserved for non-replication superuser connections",
        "LOG: checkpoints are occurring too frequently ({n} seconds apart)",
        "LOG: duration: {ms}.412 ms statement: SELECT * FROM {table} WHERE id = $1",
    ),
    "mysql": (
        "[Warning] Aborted connection {n} to db: '{table}' (Got timeout reading "
        "communication packets)",
        "[Note] InnoDB: page_cleaner: 1000ms intended loop took {ms}ms",
    ),
    "redis": (
        "# WARNING: Could not create server TCP listening socket *:6379: bind: Address "
        "already in use",
        "Asynchronous AOF fsync is taking too long (disk is busy?)",
    ),
    "kafka": (
        "[ReplicaFetcher replicaId=1, leaderId={n}] Error sending fetch request",
        "Shrinking ISR for partition {table}-{n} from 1,2,3 to 1",
    ),
    "cassandra": (
        "WARN  GCInspector.java:282 - G1 Young Generation GC in {ms}ms",
        "ERROR Dropped {n} READ messages in the last 5000ms",
    ),
    "elasticsearch": (
        "[WARN ][o.e.m.j.JvmGcMonitorService] [gc][{n}] overhead, spent [{ms}ms]",
        "[WARN ][o.e.c.r.a.DiskThresholdMonitor] high disk watermark exceeded",
    ),
}

POOL_EXHAUSTED = {
    "java": "HikariPool-1 - Connection is not available, request timed out after {ms}ms "
    "(total={pool}, active={pool}, idle=0, waiting={n}) request_id={id}",
    "go": "sql: timeout acquiring connection from pool after {ms}ms (max_open={pool}) "
    "request_id={id}",
    "python": "sqlalchemy.exc.TimeoutError: QueuePool limit of size {pool} overflow 0 reached, "
    "connection timed out, timeout {ms}ms request_id={id}",
    "node": "Error: timeout exceeded when trying to connect (pool max={pool}) requestId={id}",
}

SHED = {
    "java": "RejectedExecutionException: Task rejected from ThreadPoolExecutor[Running, pool "
    "size = 200, active threads = 200, queued tasks = 1000] request_id={id}",
    "go": "server overloaded: request queue full (inflight={n}, limit=512) request_id={id}",
    "python": "gunicorn: worker timeout, request queue full (backlog {n}) request_id={id}",
    "node": "event loop lag {ms}ms, shedding request requestId={id}",
}

RATE_LIMITED = (
    "503 Service Unavailable: local rate limit exceeded (limit={limit} rps) request_id={id}"
)

CRASH = {
    "java": "Application run failed: org.springframework.beans.factory.BeanCreationException: "
    "Error creating bean with name '{var}Client': Could not resolve placeholder "
    "'{env}'",
    "go": "panic: missing required environment variable {env} goroutine 1 [running]: main.main()",
    "python": "KeyError: '{env}' during startup (settings.py:{line})",
    "node": "Error: Cannot find module '/app/config/{var}.json' at startup",
}

NO_HEALTHY = (
    "no healthy upstream for {callee} (503) request_id={id}",
    "upstream connect error or disconnect/reset before headers. reset reason: "
    "connection failure, transport failure reason: delayed connect error: 111 "
    "({callee}) request_id={id}",
)

BACKGROUND = (
    "client disconnected before response was written request_id={id}",
    "validation failed: invalid coupon code 'SPRING{n}' request_id={id}",
    "context canceled while reading request body request_id={id}",
    "retrying idempotent request after 502 from load balancer (attempt 2) request_id={id}",
    "token expired for user {user}, returning 401 request_id={id}",
    "unknown sku {sku}, returning 404 request_id={id}",
)

WARNINGS = (
    "slow query {ms}ms: SELECT ... LIMIT 50",
    "cache miss rate above 20% for last minute",
    "retry 1/2 after transient error request_id={id}",
    "GC pause {ms}ms",
    "deprecated API version v1 called by client {user}",
)

"""Generators of hostile inputs that are too big or too odd to commit.

Each generator writes into a directory the test owns (pytest's `tmp_path`) and is
sized so that even a regression finishes: nesting stops Python at its recursion limit,
the YAML bomb expands to millions (not billions) of values, and a FIFO always gets a
writer, so a reader that should never have opened it still returns.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.redteam.scenarios import BOMB_TOP, YAML_BOMB, full_scenario

JSON_FILES = ("alerts.json", "traces.json", "metrics.json", "logs.json")
YAML_FILES = ("scenario.yaml", "changes.yaml", "catalog.yaml", "policy.yaml")
DOC = "knowledge/runbooks/checkout-timeouts.md"
ALL_FILES = (*JSON_FILES, *YAML_FILES, DOC)
DEPTH = 100_000


def write_base(root: Path) -> Path:
    """A complete, valid scenario (every optional file present) to spoil one file of."""
    files = full_scenario("hostile-base", "a valid scenario", text="checkout errors")
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def _yaml_body(kind: str) -> bytes | None:
    return {
        "empty": b"",
        "null": b"null\n",
        "scalar": b"just some text\n",
        "list": b"- 1\n- 2\n",
        "deep": b"a: " + b"[" * DEPTH + b"]" * DEPTH + b"\n",
        "huge-int": b"a: " + b"1" * 5000 + b"\n",
        "not-utf8": b"name: caf\xe9\n",
        "bomb": f"{YAML_BOMB}name: *{BOMB_TOP}\n".encode(),
        "self-alias": b"a: &a [1, *a]\n",
    }.get(kind)


def _json_body(kind: str) -> bytes | None:
    return {
        "empty": b"",
        "null": b"null",
        "scalar": b'"just some text"',
        "list": b"[1, 2]",
        "deep": b"[" * DEPTH + b"]" * DEPTH,
        "huge-int": b"[" + b"1" * 5000 + b"]",
        "not-utf8": b'["caf\xe9"]',
    }.get(kind)


def hostile_body(rel: str, kind: str, valid: bytes) -> bytes | None:
    """The bytes of `rel` spoiled in the way `kind` names; None when it does not apply."""
    if kind == "bom":
        return b"\xef\xbb\xbf" + valid
    if rel in JSON_FILES:
        return _json_body(kind)
    if rel in YAML_FILES:
        return _yaml_body(kind)
    if kind in ("empty", "not-utf8"):
        return _json_body(kind)
    front = _yaml_body(kind)
    return None if front is None else b"---\n" + front + b"---\n# Title\n\nbody\n"


@contextlib.contextmanager
def fifo_with_writer(path: Path, payload: bytes) -> Iterator[None]:
    """Puts a FIFO at `path` whose writer hands over `payload` once a reader opens it.

    The loader must refuse the FIFO without opening it; if it ever does open it, the
    writer answers and the read ends instead of blocking the test run forever.
    """
    os.mkfifo(path)

    def write() -> None:
        with contextlib.suppress(OSError), open(path, "wb") as fh:
            fh.write(payload)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        yield
    finally:
        # Release a writer still waiting for a reader, then let it finish.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        writer.join(timeout=10)
        os.close(fd)


def leaf_paths(value: Any, prefix: str = "") -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(printable path, key path) for every value below `value`, first list item only.

    The printable path uses the loader's own field notation (`[0].labels.alertname`,
    `data.result[0].values`), so a test can check the error names the right place.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{prefix}.{key}" if prefix else str(key)
            yield where, (key,)
            for sub, keys in leaf_paths(item, where):
                yield sub, (key, *keys)
    elif isinstance(value, list) and value:
        where = f"{prefix}[0]"
        yield where, (0,)
        for sub, keys in leaf_paths(value[0], where):
            yield sub, (0, *keys)


def replaced(body: Any, keys: tuple[Any, ...], new: Any) -> Any:
    """A deep copy of `body` with the value at `keys` replaced by `new`."""
    copy = json.loads(json.dumps(body, default=str))
    target = copy
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = new
    return copy

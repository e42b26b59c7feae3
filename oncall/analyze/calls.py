"""Calls between services, read off the span tree of one trace.

A request crosses a service boundary in two ways in a trace: a server span whose
parent belongs to another service (the callee is instrumented), or a client span of
the caller with nothing of the callee below it (a database, cache, queue or third party
without instrumentation, or a call that failed before the callee answered). The second
kind carries the time and the errors of a peer that has no spans of its own, so it is
charged to that peer, not to the caller that merely waited for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from oncall.model import Span

# a host name (first DNS label kept) followed by a port; IP addresses start with a digit
_SOURCE_FILES = frozenset({"go", "java", "py", "js", "ts", "rb", "kt", "scala", "cs", "rs", "c"})
_HOST_PORT = re.compile(r"(?<![\w.-])([a-zA-Z][\w-]*[a-zA-Z0-9])(?:\.[\w-]+)*:\d{2,5}\b")


class PeerNamer:
    """Names the peer of an outgoing call from the text the caller recorded about it.

    Without a `peer.service` tag, the call's operation name and error message usually
    name the callee ("SELECT history", "connection refused to location-cache:6379").
    A known callee of the caller is preferred, then the longest known service name found
    as a whole word, so `search-index` is not read as `search`. What was learned for one
    (service, operation) pair applies to its calls that carry no message, so a slow but
    successful call is attributed too.
    """

    def __init__(
        self, services: Iterable[str], callees: dict[str, set[str]] | None = None,
        traced: set[str] | None = None,
    ) -> None:
        names = sorted({s for s in services if s}, key=lambda s: (-len(s), s))
        self._callees = callees or {}
        # A caller with a single dependency that records no spans: its unnamed leaf
        # calls can only go there.
        self._only_untraced: dict[str, str] = {}
        if traced is not None:
            for caller, targets in self._callees.items():
                untraced = sorted(t for t in targets if t not in traced)
                if len(untraced) == 1:
                    self._only_untraced[caller] = untraced[0]
        self._pattern = (
            re.compile(r"(?<![\w.-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")
            if names
            else None
        )
        self.learned: dict[tuple[str, str], str] = {}

    def name(self, span: Span) -> str | None:
        key = (span.service, span.operation)
        if span.peer and span.peer != span.service:  # the caller said whom it called
            self.learned.setdefault(key, span.peer)
            return span.peer
        for text in (*span.messages[:1], span.operation):
            found = self._find(text, span.service)
            if found:
                self.learned.setdefault(key, found)
                return found
        return self.learned.get(key) or self._only_untraced.get(span.service)

    def learn(self, span: Span, peer: str) -> None:
        self.learned.setdefault((span.service, span.operation), peer)

    def _find(self, text: str, own: str) -> str | None:
        if not text:
            return None
        if self._pattern is None:
            return self._host(text, own)
        callees = self._callees.get(own, set())
        best: tuple[bool, int, str] | None = None
        for match in self._pattern.finditer(text):
            name = match.group(1)
            if name == own:
                continue
            rank = (name in callees, len(name), name)
            if best is None or rank > best:
                best = rank
        return best[2] if best else self._host(text, own)

    @staticmethod
    def _host(text: str, own: str) -> str | None:
        """A host with a port ("orders-db:5432") names the peer even if no catalog does."""
        for match in _HOST_PORT.finditer(text):
            name = match.group(1).lower()
            suffix = match.group(0)[len(name):].split(":")[0].lstrip(".").split(".")[0]
            if name != own and suffix.lower() not in _SOURCE_FILES:
                return name
        return None


def covered(span: Span, parts: Iterable[Span]) -> int:
    """Microseconds of `span` covered by the union of `parts` (clipped to the span)."""
    intervals = sorted(
        (max(p.start_us, span.start_us), min(p.end_us, span.end_us)) for p in parts
    )
    total = 0
    cur_start = cur_end = None
    for start, end in intervals:
        if end <= start:
            continue
        if cur_end is None or cur_start is None or start > cur_end:
            if cur_end is not None and cur_start is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None and cur_start is not None:
        total += cur_end - cur_start
    return total

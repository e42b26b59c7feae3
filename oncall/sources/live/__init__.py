"""Live connectors: the same `Source` seam as scenario files, fed by real systems.

Each connector takes an injected `httpx.Client`, fetches a body in the wire format
its scenario file uses, and the existing parsers read it. `build_live_source` turns
`oncall.yaml` into a `LiveSource`; `write_scenario` freezes a capture for replay.
"""

from oncall.sources.live.build import build_live_source, live_source_from
from oncall.sources.live.source import Capture, LiveSource
from oncall.sources.live.writer import write_scenario

__all__ = ["Capture", "LiveSource", "build_live_source", "live_source_from", "write_scenario"]

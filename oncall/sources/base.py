"""The one interface every source implements.

A scenario directory and a set of live connectors both answer `snapshot()`; the
pipeline never knows which it has. Parsers for each wire format live beside this
module and take decoded bodies, so a live connector reuses them on what its
`httpx.Client` fetched.
"""

from __future__ import annotations

from typing import Protocol

from oncall.model import Snapshot


class Source(Protocol):
    """Produces everything known at the moment of a page."""

    def snapshot(self) -> Snapshot:
        """Returns the snapshot; absent parts are `None` and named in `missing`."""
        ...

"""Sources produce a `Snapshot`: scenario files now, live connectors behind the same seam."""

from oncall.sources.base import Source
from oncall.sources.scenario import ScenarioSource

__all__ = ["ScenarioSource", "Source"]

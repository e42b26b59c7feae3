"""The incident view's panes, one module each: they draw an incident and hold no state."""

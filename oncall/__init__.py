"""oncall: an on-call copilot for the command line."""

__version__ = "0.1.0"

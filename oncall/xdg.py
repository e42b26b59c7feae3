"""The user's directories (XDG base directories), shared by every part that keeps state.

Relative values of the XDG variables are ignored, as the specification says.
"""

from __future__ import annotations

import os
from pathlib import Path


def _base(variable: str, default: str) -> Path:
    value = os.environ.get(variable) or ""
    return Path(value) if value and Path(value).is_absolute() else Path.home() / default


def data_dir() -> Path:
    """`$XDG_DATA_HOME/oncall`, by default `~/.local/share/oncall`."""
    return _base("XDG_DATA_HOME", ".local/share") / "oncall"


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/oncall`, by default `~/.config/oncall`."""
    return _base("XDG_CONFIG_HOME", ".config") / "oncall"


def state_dir() -> Path:
    """`$XDG_STATE_HOME/oncall`, by default `~/.local/state/oncall`."""
    return _base("XDG_STATE_HOME", ".local/state") / "oncall"

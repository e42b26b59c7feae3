"""Screens that show session data and must follow it when a reload replaces it."""

from __future__ import annotations

from textual.screen import Screen

from oncall.tui.session import Session


class DataScreen(Screen[None]):
    """A screen drawn from `session.data`; the app calls `refresh_data` after each load."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def refresh_data(self) -> None:
        """Redraw from the session's current data (or its load error)."""
        raise NotImplementedError(f"{type(self).__name__} must redraw from the session")

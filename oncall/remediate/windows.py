"""Change windows: when planned changes may happen, in each window's own time zone.

A window is a set of weekdays and a local start/end time in an IANA zone, so "09:00
Europe/Berlin" is 08:00Z in winter and 07:00Z in summer. An end at or before the start
means the window runs past midnight; "24:00" is the end of the day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oncall.model import ChangeWindow

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _at(day: date, clock: str, zone: ZoneInfo) -> datetime:
    hh, mm = (int(p) for p in clock.split(":"))
    extra = timedelta(days=1) if hh == 24 else timedelta()
    local = datetime.combine(day, time(hh % 24, mm), tzinfo=zone) + extra
    return local.astimezone(UTC)


def occurrences(window: ChangeWindow, now: datetime,
                days: int = 8) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of the window's openings from the day before `now` on."""
    zone = ZoneInfo(window.tz)
    today = now.astimezone(zone).date()
    out = []
    for offset in range(-1, days):
        day = today + timedelta(days=offset)
        if DAYS[day.weekday()] not in window.days:
            continue
        start, end = _at(day, window.start, zone), _at(day, window.end, zone)
        if end <= start:
            end = _at(day + timedelta(days=1), window.end, zone)
        out.append((start, end))
    return out


def open_window(windows: tuple[ChangeWindow, ...], now: datetime) -> ChangeWindow | None:
    """The window open at `now`, if any."""
    for window in windows:
        if any(start <= now < end for start, end in occurrences(window, now)):
            return window
    return None


def next_opening(windows: tuple[ChangeWindow, ...],
                 now: datetime) -> tuple[datetime, ChangeWindow] | None:
    """The first opening after `now` over all windows (None without windows)."""
    best: tuple[datetime, ChangeWindow] | None = None
    for window in windows:
        for start, _ in occurrences(window, now):
            if start > now and (best is None or start < best[0]):
                best = (start, window)
    return best


def describe(window: ChangeWindow) -> str:
    return f"{','.join(window.days)} {window.start}-{window.end} {window.tz}"

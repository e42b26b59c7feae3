"""Change windows in their own time zones, across midnight and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime

from oncall.model import ChangeWindow
from oncall.remediate.windows import next_opening, open_window

BERLIN = ChangeWindow(days=("mon", "tue", "wed", "thu"), start="09:00", end="16:00",
                      tz="Europe/Berlin")


def test_open_is_judged_in_local_time() -> None:
    # Tuesday 2026-03-17 08:30Z is 09:30 in Berlin (CET, UTC+1): open.
    assert open_window((BERLIN,), datetime(2026, 3, 17, 8, 30, tzinfo=UTC)) == BERLIN
    # 07:30Z is 08:30 local: not yet.
    assert open_window((BERLIN,), datetime(2026, 3, 17, 7, 30, tzinfo=UTC)) is None


def test_daylight_saving_moves_the_utc_opening() -> None:
    # After 2026-03-29 Berlin is on CEST (UTC+2): 09:00 local is 07:00Z.
    opening = next_opening((BERLIN,), datetime(2026, 3, 30, 0, 0, tzinfo=UTC))
    assert opening is not None and opening[0] == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    before = next_opening((BERLIN,), datetime(2026, 3, 16, 0, 0, tzinfo=UTC))
    assert before is not None and before[0] == datetime(2026, 3, 16, 8, 0, tzinfo=UTC)


def test_window_past_midnight_and_end_of_day() -> None:
    night = ChangeWindow(days=("fri",), start="22:00", end="02:00", tz="UTC")
    # Saturday 01:00Z is still inside Friday's window.
    assert open_window((night,), datetime(2026, 3, 14, 1, 0, tzinfo=UTC)) == night
    assert open_window((night,), datetime(2026, 3, 14, 2, 0, tzinfo=UTC)) is None
    late = ChangeWindow(days=("sat",), start="20:00", end="24:00", tz="UTC")
    assert open_window((late,), datetime(2026, 3, 14, 23, 59, tzinfo=UTC)) == late


def test_next_opening_picks_the_earliest_window() -> None:
    weekend = ChangeWindow(days=("sat",), start="02:00", end="06:00", tz="UTC")
    now = datetime(2026, 3, 14, 7, 0, tzinfo=UTC)  # Saturday, after the weekend window
    opening = next_opening((BERLIN, weekend), now)
    assert opening is not None and opening[1] == BERLIN
    assert next_opening((), now) is None

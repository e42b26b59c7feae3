"""Dashboard test helpers: run an app headless at 80x24 and read what it shows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

from oncall.tui.app import DashboardApp

Scenario = Callable[[Pilot[None]], Awaitable[None]]


def drive(app: DashboardApp, scenario: Scenario, size: tuple[int, int] = (80, 24)) -> None:
    """Runs `scenario` against `app` in a headless terminal, notifications on."""

    async def main() -> None:
        async with app.run_test(size=size, notifications=True) as pilot:
            await pilot.pause()
            await scenario(pilot)

    asyncio.run(main())


async def settle(pilot: Pilot[None]) -> None:
    """Lets workers finish and their results reach the screen."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()

"""The --jobs budget: browser tabs for appliances first, and the ones no appliance is waiting for, for helpers.

`--jobs N` captures N appliances at once; each appliance has a tab per interface, so the budget is 2N
tabs. When the fleet runs out of appliances still to start, the tabs of those that finish would sit idle
while the last ones are still going; an appliance still running may then borrow such a spare tab for a
second tab on one of its logged-in interfaces (see Runner._helper), so the tail of a fleet run keeps the
browser as busy as its middle. An appliance waiting to start always comes before a helper.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import AsyncIterator

TABS_PER_APPLIANCE = 2  # /appliance and /login


class Slots:
    def __init__(self, jobs: int, appliances: int) -> None:
        self.tabs = jobs * TABS_PER_APPLIANCE
        self.unstarted = appliances  # appliances that have not yet started
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def take(self) -> None:
        """An appliance's tabs: waits until they are free, first come first served."""
        if self.tabs >= TABS_PER_APPLIANCE and not self._waiters:
            self.tabs -= TABS_PER_APPLIANCE
        else:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut  # _hand_over() reserved the tabs for us
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self.give(TABS_PER_APPLIANCE)  # reserved just as we were cancelled: pass them on
                raise
        self.unstarted -= 1

    def give(self, tabs: int = TABS_PER_APPLIANCE) -> None:
        self.tabs += tabs
        while self._waiters and self.tabs >= TABS_PER_APPLIANCE:
            fut = self._waiters.popleft()
            if not fut.done():
                self.tabs -= TABS_PER_APPLIANCE
                fut.set_result(None)

    def spare(self) -> bool:
        """One tab for a helper, if no appliance can still need it; give(1) it back when done."""
        if self.tabs > 0 and self.unstarted == 0:
            self.tabs -= 1
            return True
        return False


class Turns:
    """One interface's tabs take turns around form steps: helper tabs load pages side by side, but never
    while the session's own tab is between loading the page a download or export starts on and submitting
    its form (an appliance that renews a form token on every page load would otherwise refuse the form)."""

    def __init__(self) -> None:
        self._pages = 0  # helper page loads in progress
        self._held = False  # the session's tab is in a form step
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def page(self) -> AsyncIterator[None]:
        """A helper tab's page load, read and screenshot."""
        async with self._changed:
            await self._changed.wait_for(lambda: not self._held)
            self._pages += 1
        try:
            yield
        finally:
            async with self._changed:
                self._pages -= 1
                self._changed.notify_all()

    @property
    def held(self) -> bool:
        return self._held

    async def hold(self) -> None:
        """The session's tab begins a form step: no new helper page, and the ones under way finish first."""
        async with self._changed:
            self._held = True
            await self._changed.wait_for(lambda: self._pages == 0)

    async def release(self) -> None:
        async with self._changed:
            self._held = False
            self._changed.notify_all()

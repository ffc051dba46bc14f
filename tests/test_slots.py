"""The --jobs budget: appliances first, spare tabs for helpers only when no appliance can still need them."""
from __future__ import annotations

import asyncio

from captools import run_async as run
from capture.slots import TABS_PER_APPLIANCE, Slots


def test_jobs_appliances_at_once_and_first_come_first_served() -> None:
    async def go() -> list[str]:
        slots = Slots(2, 4)
        order: list[str] = []
        running = 0
        peak = 0

        async def one(name: str, delay: float) -> None:
            nonlocal running, peak
            await slots.take()
            running += 1
            peak = max(peak, running)
            order.append(name)
            await asyncio.sleep(delay)
            running -= 1
            slots.give()

        await asyncio.gather(one("a", 0.05), one("b", 0.02), one("c", 0.01), one("d", 0.01))
        assert peak == 2
        assert slots.tabs == 2 * TABS_PER_APPLIANCE and slots.unstarted == 0
        return order

    assert run(go()) == ["a", "b", "c", "d"]


def test_no_spare_tab_while_an_appliance_has_not_started() -> None:
    async def go() -> None:
        slots = Slots(2, 3)
        await slots.take()
        await slots.take()
        assert not slots.spare()  # the third appliance will need the next free tabs
        slots.give()
        assert not slots.spare()  # still: those tabs are for the third
        await slots.take()
        assert slots.unstarted == 0
        slots.give()  # one appliance finished, nobody waits: its two tabs are spare
        assert slots.spare() and slots.spare() and not slots.spare()
        slots.give(1)
        assert slots.spare()

    run(go())


def test_helpers_never_hold_up_a_waiting_appliance() -> None:
    async def go() -> None:
        slots = Slots(1, 2)
        await slots.take()
        waiter = asyncio.ensure_future(slots.take())
        await asyncio.sleep(0)
        slots.give()  # handed straight to the waiting appliance
        await asyncio.wait_for(waiter, 1)
        assert slots.tabs == 0 and not slots.spare()

    run(go())


def test_a_cancelled_waiter_passes_its_tabs_on() -> None:
    async def go() -> None:
        slots = Slots(1, 3)
        await slots.take()
        first = asyncio.ensure_future(slots.take())
        second = asyncio.ensure_future(slots.take())
        await asyncio.sleep(0)
        first.cancel()
        slots.give()
        await asyncio.wait_for(second, 1)  # not lost with the cancelled one
        assert slots.tabs == 0

    run(go())


def test_form_steps_wait_for_helper_pages_and_hold_new_ones() -> None:
    from capture.slots import Turns

    async def go() -> list[str]:
        turns, log = Turns(), []

        async def helper_page(name: str, secs: float) -> None:
            async with turns.page():
                log.append(f"{name} start")
                await asyncio.sleep(secs)
                log.append(f"{name} end")

        first = asyncio.ensure_future(helper_page("a", 0.05))
        await asyncio.sleep(0.01)
        await turns.hold()  # returns only once page a is done
        log.append("form start")
        second = asyncio.ensure_future(helper_page("b", 0.01))
        await asyncio.sleep(0.05)
        log.append("form end")
        await turns.release()
        await asyncio.gather(first, second)
        return log

    assert run(go()) == ["a start", "a end", "form start", "form end", "b start", "b end"]

"""MODEL of a design, not anyone's code: the timer design plus a live countdown.

Everything ``timer_bot.py`` does, and per sprint a status message edited every 20 s (of sprint
time) with the time left, by a ticker that started with the sprint, so ticks fall on the minute
marks of each phase, phase ends included.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import discord

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import contextlib

from bench.peers.common import FINISHED, Sprint, run
from bench.peers.timer_bot import TimerBot

TICK = 20.0  # seconds of sprint time between edits


class CountdownBot(TimerBot):
    def started(self, sprints: list[Sprint]) -> None:
        self.tickers = [asyncio.create_task(self.tick(s)) for s in sprints]

    async def tick(self, sprint: Sprint) -> None:
        every = TICK / self.speed
        await asyncio.sleep((sprint.phase_ends_at - time.time()) % every)
        message = self.get_partial_messageable(sprint.channel_id).get_partial_message(
            sprint.status_message_id
        )
        while sprint.phase_index < FINISHED:
            left = max(0, round((sprint.phase_ends_at - time.time()) * self.speed))
            with contextlib.suppress(discord.HTTPException):
                await message.edit(content=f"⏳ {left // 60}:{left % 60:02d} left in this phase")
            await asyncio.sleep(every)


if __name__ == "__main__":
    run(CountdownBot)

"""MODEL of a design, not anyone's code: a timer per sprint, each phase line sent directly.

APScheduler with its defaults (misfire grace 1 s: a job started more than 1 s late is skipped),
one date job per sprint for its next phase end; the job sends the line with ``channel.send`` and
arms the next phase. No outbox and no global budget: discord.py's own 429 handling is all there
is. Timers live in memory; at start the sprints are read back (from the file the harness wrote)
and re-armed, so phase ends that passed while the bot was down are misfired and never announced.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.peers.common import (
    FINISHED,
    Sprint,
    line,
    load,
    mark_ready,
    post_status_messages,
    run,
    seconds_of,
)

log = logging.getLogger("timer_bot")


class TimerBot(discord.Client):
    config: dict

    async def setup_hook(self) -> None:
        self.speed = float(self.config.get("speed", 1.0))
        self.scheduler = AsyncIOScheduler()  # the defaults, on purpose
        self.scheduler.start()
        sprints = load(self.config)
        await post_status_messages(self, sprints)
        for sprint in sprints:
            self.arm(sprint)
        self.started(sprints)

    def started(self, sprints: list[Sprint]) -> None:
        """Hook for the countdown design."""

    def arm(self, sprint: Sprint) -> None:
        if sprint.phase_index < FINISHED:
            when = datetime.fromtimestamp(sprint.phase_ends_at, UTC)
            self.scheduler.add_job(self.phase_ended, "date", run_date=when, args=[sprint])

    async def phase_ended(self, sprint: Sprint) -> None:
        sprint.phase_index += 1
        if sprint.phase_index < FINISHED:
            sprint.phase_ends_at += seconds_of(sprint.phase_index, self.speed)
        self.arm(sprint)
        try:
            await self.get_partial_messageable(sprint.channel_id).send(line(sprint.phase_index))
        except discord.HTTPException as exc:  # e.g. 429 after discord.py's own retries
            log.warning("sprint %s: %s", sprint.id, exc)

    async def on_ready(self) -> None:
        mark_ready(self.config)


if __name__ == "__main__":
    run(TimerBot)

"""MODEL of a design, not anyone's code: a polling loop over a database of sprints.

Every 30 s (of sprint time) the loop reads the sprints whose phase has ended from its SQLite
database and, one after the other, sends the line and then records the new phase (a commit per
sprint). A kill between the send and the commit announces that phase again after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path

import aiosqlite
import discord

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.peers.common import FINISHED, line, mark_ready, run, seconds_of

log = logging.getLogger("polling_bot")
POLL = 30.0  # seconds of sprint time between polls


class PollingBot(discord.Client):
    config: dict

    async def setup_hook(self) -> None:
        self.speed = float(self.config.get("speed", 1.0))
        self.db = await aiosqlite.connect(self.config["db"])
        new = await self.db.execute_fetchall("SELECT id, channel_id FROM sprints WHERE started = 0")
        for sprint_id, channel_id in new:  # a start message for each new sprint, as a start costs
            channel = self.get_partial_messageable(channel_id)
            await channel.send("⏱️ Sprint starting in 2 min: 4 × 25 min of work.")
            await self.db.execute("UPDATE sprints SET started = 1 WHERE id = ?", (sprint_id,))
            await self.db.commit()
        self.loop_task = asyncio.create_task(self.poll_forever())

    async def poll_forever(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception:
                log.exception("poll failed")
            await asyncio.sleep(POLL / self.speed)

    async def poll(self) -> None:
        rows = await self.db.execute_fetchall(
            "SELECT id, channel_id, phase_index FROM sprints "
            "WHERE phase_index < ? AND phase_ends_at <= ?",
            (FINISHED, time.time()),
        )
        for sprint_id, channel_id, index in rows:
            index += 1
            try:
                await self.get_partial_messageable(channel_id).send(line(index))
            except discord.HTTPException as exc:
                log.warning("sprint %s: %s", sprint_id, exc)
                continue
            extra = seconds_of(index, self.speed) if index < FINISHED else 0.0
            await self.db.execute(
                "UPDATE sprints SET phase_index = ?, phase_ends_at = phase_ends_at + ? "
                "WHERE id = ?",
                (index, extra, sprint_id),
            )
            await self.db.commit()

    async def on_ready(self) -> None:
        mark_ready(self.config)


if __name__ == "__main__":
    run(PollingBot)

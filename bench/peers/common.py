"""What the peer models share: their config, the plain sprint's timeline and phase lines.

The peers are *models of designs*, a few dozen lines each, not anyone's code (issue #18):

- ``timer_bot.py``: a timer per sprint (APScheduler with its defaults: misfire grace 1 s), sending
  each phase line directly with ``channel.send``; no outbox, no global budget (the common design
  of Pomomo v1 and PomoBot).
- ``polling_bot.py``: a loop that wakes every 30 s, finds sprints whose phase has ended in its
  SQLite database and announces them one by one (pomomo-rewrite's scheduler).
- ``countdown_bot.py``: the timer design plus a status message per sprint edited every 20 s with
  the time left (pomodoro-go's live countdown).

Each runs as its own process: ``python bench/peers/<name>.py CONFIG.json``. The config names the
local server, the sprints (``sprints``: a JSON list of running 25/5 × 4 sprints) and ``speed``
(sprint seconds per real second). Times in the sprints file are Unix seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import yarl

# The plain sprint, as Sprintbot's pomodoro preset: a 2-minute intro to join, then work 25,
# break 5, four rounds (no long break before the end).
PHASES: list[tuple[str, int, int]] = [("intro", 2, 0)]  # (kind, minutes, round)
FIRST_WORK = 1
for _round in range(1, 5):
    PHASES.append(("work", 25, _round))
    if _round < 4:
        PHASES.append(("break", 5, _round))
FINISHED = len(PHASES)  # phase index after the last phase


def line(index: int) -> str:
    """The announcement when phase ``index`` begins (``FINISHED``: the sprint is complete)."""
    if index >= FINISHED:
        return "🏁 Sprint complete: 4 rounds of focus. Well done!"
    kind, minutes, round_ = PHASES[index]
    if kind == "work":
        return f"🍅 Work — round {round_}/4 ({minutes} min)"
    return f"☕ Break — round {round_}/4 done ({minutes} min)"


def seconds_of(index: int, speed: float) -> float:
    """Real seconds that phase ``index`` lasts at ``speed``."""
    return PHASES[index][1] * 60 / speed


@dataclass
class Sprint:
    id: int
    channel_id: int
    status_message_id: int  # a message of the bot's in the channel (the countdown edits it)
    phase_index: int
    phase_ends_at: float  # Unix seconds


def load(config: dict[str, Any]) -> list[Sprint]:
    return [Sprint(**s) for s in json.loads(Path(config["sprints"]).read_text())]


def client_for(config: dict[str, Any], cls: type[discord.Client]) -> discord.Client:
    """A discord.py client pointed at the local server (no privileged intents)."""
    discord.http.Route.BASE = config["api_base_url"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config["gateway_url"])
    return cls(intents=discord.Intents.none())


async def post_status_messages(client: discord.Client, sprints: list[Sprint]) -> None:
    """A sprint the bot has not posted about yet (``status_message_id`` 0) gets its start message
    (the peer's counterpart of Sprintbot's card): one request, as a real start costs."""
    for sprint in sprints:
        if not sprint.status_message_id:
            channel = client.get_partial_messageable(sprint.channel_id)
            message = await channel.send("⏱️ Sprint starting in 2 min: 4 × 25 min of work.")
            sprint.status_message_id = message.id


def mark_ready(config: dict[str, Any]) -> None:
    Path(config["ready_file"]).write_text(json.dumps({"ready": time.time()}))


def run(cls: type[discord.Client]) -> None:
    """Start the peer from ``sys.argv[1]``; it runs until SIGTERM/SIGKILL."""
    config = json.loads(Path(sys.argv[1]).read_text())
    client = client_for(config, cls)
    client.config = config  # type: ignore[attr-defined]

    async def main() -> None:
        async with client:
            await client.start(config["token"])

    try:
        asyncio.run(main())
    finally:
        sys.stdout.flush()
        os._exit(0)

"""Two shard processes share one database, and each runs only its own guilds.

Two real ``sprintbot run --shard-ids ... --shard-count 4`` processes (shards 0,1 and 2,3) connect
to the local server, which routes each guild to the shard Discord would pick
(``(guild_id >> 22) % 4``). Sprints were started beforehand in guilds of both halves; each process
re-arms only its own sprints' timers, advances them, and delivers only its own guilds' outbox rows;
together they deliver every row exactly once. Runs on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.localdiscord import Channel, Guild, LocalDiscord
from bot.scheduler import Timers
from bot.services.context import NullWaker, ServiceContext
from bot.services.sprints import SprintService, StartRequest
from bot.settings import Settings, TimingSettings
from db.engine import Database
from db.models import OutboxMessage, Sprint

ROOT = Path(__file__).resolve().parents[2]
SHARDS = 4
HALVES = {"low": (0, 1), "high": (2, 3)}
SPRINTS = {"low": 2, "high": 3}  # different counts, so each process's totals identify it


def shard_of(guild_id: int) -> int:
    return (guild_id >> 22) % SHARDS


def half_of(guild_id: int) -> str:
    return "low" if shard_of(guild_id) in HALVES["low"] else "high"


def make_guilds(server: LocalDiscord) -> dict[str, list[tuple[Guild, Channel]]]:
    """Guilds until each half has enough (guild ids are time-based snowflakes)."""
    picked: dict[str, list[tuple[Guild, Channel]]] = {"low": [], "high": []}
    for _ in range(1000):
        if all(len(picked[h]) >= SPRINTS[h] for h in picked):
            break
        guild = server.add_guild(f"Guild {len(server.world.guilds)}")
        half = half_of(guild.id)
        if len(picked[half]) < SPRINTS[half]:
            picked[half].append((guild, guild.add_text_channel("cowork")))
        time.sleep(0.002)  # a new millisecond, a new shard
    assert all(len(picked[h]) == SPRINTS[h] for h in picked)
    return picked


async def seed_sprints(database: Database, picked: dict[str, list[tuple[Guild, Channel]]]) -> None:
    """Start the sprints as the bot would (rows + card messages in the outbox), bot not running."""
    settings = Settings(timing=TimingSettings(speed=60.0))  # a plan minute lasts a second
    service = SprintService(
        ServiceContext(settings, database, SystemClock(), Timers(), NullWaker())
    )
    for pairs in picked.values():
        for guild, channel in pairs:
            await service.start(
                StartRequest(
                    guild_id=guild.id,
                    channel_id=channel.id,
                    host_id=guild.owner_id,
                    host_name="host",
                    work=4,
                    brk=1,
                    rounds=2,
                    intro=0,
                )
            )


async def start_shard(tmp: Path, server: LocalDiscord, db_url: str, ids: tuple[int, ...]) -> Any:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "SPRINTBOT_TOKEN": server.token,
        "SPRINTBOT_API_BASE_URL": server.api_base_url,
        "SPRINTBOT_GATEWAY_URL": server.gateway_url,
        "SPRINTBOT_DATABASE_URL": db_url,
        "SPRINTBOT_LOG_LEVEL": "INFO",
        "SPRINTBOT_LOG_FORMAT": "text",
    }
    env.pop("SPRINTBOT_CONFIG", None)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--no-migrate",
        "--shard-ids",
        ",".join(map(str, ids)),
        "--shard-count",
        str(SHARDS),
        cwd=tmp,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def all_done(database: Database) -> bool:
    async with database.transaction() as session:
        running = await session.scalar(
            select(func.count()).select_from(Sprint).where(Sprint.status != "finished")
        )
        pending = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        )
    return running == 0 and pending == 0


async def test_two_shard_processes_each_run_and_deliver_only_their_guilds(
    database: Database, db_url: str, tmp_path: Path
) -> None:
    async with LocalDiscord() as server:
        picked = make_guilds(server)
        await seed_sprints(database, picked)
        procs = {half: await start_shard(tmp_path, server, db_url, HALVES[half]) for half in HALVES}
        logs: dict[str, str] = {}
        try:
            async with asyncio.timeout(90):
                while not await all_done(database):
                    for half, proc in procs.items():
                        assert proc.returncode is None, f"shard process {half} exited"
                    await asyncio.sleep(0.2)
        finally:
            for proc in procs.values():
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
            for half, proc in procs.items():
                async with asyncio.timeout(30):
                    _out, err = await proc.communicate()
                logs[half] = err.decode(errors="replace")

        async with database.transaction() as session:
            rows = (await session.execute(select(OutboxMessage))).scalars().all()
        sent = Counter(half_of(r.guild_id) for r in rows if r.status == "sent")
        for half in HALVES:
            restored = re.search(r"restored (\d+) sprint timer", logs[half])
            assert restored and int(restored.group(1)) == SPRINTS[half], logs[half][-3000:]
            stopped = re.search(r"outbox sender stopped: sent (\d+)", logs[half])
            assert stopped and int(stopped.group(1)) == sent[half], logs[half][-3000:]
            # Stopped while its second shard was still connecting (the work can be done before
            # discord.py's 5 s pause between two shards' IDENTIFYs is over): discord.py logs that
            # interrupted connect with its traceback; ShardedSprintBot.launch_shard then stops
            # retrying, so the process still exits (communicate() above). Nothing else may fail.
            before_stop = logs[half].split("sprintbot: shutting down")[0]
            assert "Traceback" not in before_stop, logs[half][-3000:]
            after_stop = re.sub(
                r"ERROR +discord\.shard: Failed to connect for shard_id: \d+\. Retrying\.\.\.\n"
                r"Traceback[^\n]*\n(?:[ \t][^\n]*\n|\S*Error[^\n]*\n)*",
                "",
                logs[half][len(before_stop) :],
            )
            assert "Traceback" not in after_stop, logs[half][-3000:]

        # Every message exactly once, in the right channel; each shard identified once.
        for pairs in picked.values():
            for _guild, channel in pairs:
                sends = [
                    r
                    for r in rows
                    if r.kind == "send" and r.channel_id == channel.id and r.status == "sent"
                ]
                assert len(channel.messages) == len(sends) >= 3
                assert {r.result_id for r in sends} == set(channel.messages)
        shards = sorted(s.shard_id for s in server.gateway.sessions.values())
        assert shards == [0, 1, 2, 3]
        assert server.stats.rate_limited == 0
        assert server.errors == []

"""A bot process killed with SIGKILL in the middle of a burst loses and duplicates nothing.

The test commits a burst of outbox rows, starts the real bot in a child process (this file run as
a script), kills it with SIGKILL once part of the burst has reached the local server, then starts
a fresh bot on the same database: every row ends up delivered exactly once (creates carry the
row's nonce with ``enforce_nonce``, so a resend of a message the server already accepted returns
that message instead of posting a second one).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.core import create_bot
from bot.delivery import Outgoing, enqueue
from bot.localdiscord import LocalDiscord
from bot.localdiscord.testing import running_bot
from bot.settings import DiscordSettings, Settings
from db.engine import Database
from db.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
BURST = 200


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


async def test_kill_9_mid_burst_then_restart_delivers_every_row_exactly_once(
    database: Database, db_url: str
) -> None:
    async with LocalDiscord() as server:
        guild = server.add_guild("Crash Club")
        channels = [guild.add_text_channel(f"room-{i}") for i in range(100)]
        async with database.transaction() as session:
            await enqueue(
                session,
                *[
                    Outgoing(
                        "send",
                        {"content": f"msg {i}", "allowed_mentions": {"parse": []}},
                        channel_id=channels[i % 100].id,
                        guild_id=guild.id,
                    )
                    for i in range(BURST)
                ],
            )

        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            db_url,
            server.api_base_url,
            server.gateway_url,
            server.token,
            cwd=ROOT,
            env=child_env(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with asyncio.timeout(60):
                while sum(len(c.messages) for c in channels) < 60:
                    assert child.returncode is None, "the bot process exited on its own"
                    await asyncio.sleep(0.005)
        finally:
            child.send_signal(signal.SIGKILL)
            await child.wait()
        delivered_before = sum(len(c.messages) for c in channels)
        assert delivered_before < BURST  # the kill did land mid-burst
        # Discord's global limit is per token, not per process: the killed process's requests of
        # its last second still count, and a fresh sender knows nothing of them. A real restart
        # (a new process: imports, login) takes longer than that; this one is in-process and
        # quick, so it waits the second out.
        await asyncio.sleep(1.1)

        settings = Settings(
            discord=DiscordSettings(
                token=server.token,
                api_base_url=server.api_base_url,
                gateway_url=server.gateway_url,
            )
        )
        bot = create_bot(settings, database=database)
        async with running_bot(server, bot):
            async with asyncio.timeout(60):
                await bot.delivery.wait_idle()

        posted = Counter(m.content for c in channels for m in c.messages.values())
        assert len(posted) == BURST
        assert max(posted.values()) == 1
        async with database.transaction() as session:
            rows = (await session.execute(select(OutboxMessage))).scalars().all()
        assert {r.status for r in rows} == {"sent"}
        assert len({r.result_id for r in rows}) == BURST
        assert server.stats.rate_limited == 0
        assert server.errors == []


# -- the child process -----------------------------------------------------------------------------


async def _child(db_url: str, api_base_url: str, gateway_url: str, token: str) -> None:
    database = Database.from_url(db_url)
    settings = Settings(
        discord=DiscordSettings(token=token, api_base_url=api_base_url, gateway_url=gateway_url)
    )
    bot = create_bot(settings, database=database)
    async with bot:
        await bot.start(token)


if __name__ == "__main__":
    asyncio.run(_child(*sys.argv[1:5]))

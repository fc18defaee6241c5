"""Stats, the opt-in leaderboard, export and forget me end to end: the real bot over loopback.

Members run short sprints at a high ``timing.speed`` (one plan minute lasts one real second), then
ask for their figures. Charts and exports arrive as attachments on the interaction's followup.
Runs on SQLite and, when SPRINTBOT_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from bot.core import AnyBot
from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Message, Perm
from bot.localdiscord.testing import DiscordErrorLog, problems
from bot.render.charts import MEMBER_CHART_SIZE, SERVER_CHART_SIZE
from db.engine import Database
from tests.e2e.support import sprintbot, until
from tests.services.stats_world import traces

SPEED = 60.0


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    general: Channel
    zoe: Member
    otto: Member
    pia: Member
    mod: Member


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Stats Club")
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    return Club(
        server=server,
        guild=guild,
        general=guild.add_text_channel("general"),
        zoe=guild.add_member("zoe", global_name="Zoe Quillfeather"),
        otto=guild.add_member("otto", global_name="Otto Brightwater"),
        pia=guild.add_member("pia", global_name="Pia Nevermore"),
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
    )


async def ok(result: Any) -> Message:
    """The reply; charts may wait for the worker process to start (it imports matplotlib)."""
    return await result.message(timeout=30)


async def one_sprint(club: Club, bot: AnyBot, *members: Member) -> None:
    """A one-round sprint (1 plan minute of work) with ``members``, the first hosting."""
    driver = club.server.driver
    await ok(
        await driver.slash(members[0], club.general, "sprint start", work=1, rounds=1, intro=0)
    )
    for member in members[1:]:
        await ok(await driver.slash(member, club.general, "sprint join"))
    for member in members:
        await ok(await driver.slash(member, club.general, "goal", text=f"ship it ({member.name})"))
        await ok(await driver.slash(member, club.general, "done"))

    async def over() -> bool:
        return await bot.services.sprints.active_in_channel(club.general.id) is None

    await until(over, timeout=20)


def png_size(message: Message) -> tuple[int, int]:
    [attachment] = message.attachments
    assert attachment.filename.endswith(".png")
    image = Image.open(io.BytesIO(attachment.data))
    assert image.format == "PNG"
    return image.size


async def test_stats_me_answers_with_figures_and_a_png_chart(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        never = await ok(await driver.slash(club.pia, club.general, "stats me"))
        assert never.ephemeral and "haven't joined a sprint" in never.content

        await one_sprint(club, bot, club.zoe, club.otto)
        reply = await ok(await driver.slash(club.zoe, club.general, "stats me"))
        assert reply.ephemeral
        [embed] = reply.embeds
        assert "Sprints joined**: 1" in embed["description"]
        assert "Goals**: 1 of 1 done (100%)" in embed["description"]
        assert embed["image"]["url"] == "attachment://my-stats.png"
        assert png_size(reply) == MEMBER_CHART_SIZE

        denied = await ok(await driver.slash(club.zoe, club.general, "stats server"))
        assert "for managers" in denied.content and not denied.attachments
        server = await ok(await driver.slash(club.mod, club.general, "stats server"))
        assert "Active members**: 2 this week" in server.embeds[0]["description"]
        assert png_size(server) == SERVER_CHART_SIZE
    assert problems(club.server, error_log) == []


async def test_leaderboard_shows_only_members_who_opted_in(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        await one_sprint(club, bot, club.zoe, club.otto, club.pia)
        empty = await ok(await driver.slash(club.zoe, club.general, "leaderboard show"))
        assert "Nobody has joined" in empty.content

        await ok(await driver.slash(club.zoe, club.general, "leaderboard join"))
        await ok(await driver.slash(club.otto, club.general, "leaderboard join"))
        board = await ok(await driver.slash(club.pia, club.general, "leaderboard show", by="goals"))
        text = board.embeds[0]["description"]
        assert f"<@{club.zoe.id}>" in text and f"<@{club.otto.id}>" in text
        assert f"<@{club.pia.id}>" not in text  # ran the sprint too, but never opted in
        assert "you're not on it" in board.embeds[0]["footer"]["text"]
        assert board.allowed_mentions.get("parse") == []

        left = await ok(await driver.slash(club.otto, club.general, "leaderboard leave"))
        assert "off this server's leaderboard" in left.content
        board = await ok(await driver.slash(club.zoe, club.general, "leaderboard show"))
        assert f"<@{club.otto.id}>" not in board.embeds[0]["description"]
        assert "← you" in board.embeds[0]["description"]
    assert problems(club.server, error_log) == []


async def test_export_holds_exactly_my_data_and_nobody_elses(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        await one_sprint(club, bot, club.otto, club.zoe)
        reply = await ok(await driver.slash(club.zoe, club.general, "privacy export"))
        assert reply.ephemeral
        [attachment] = reply.attachments
        assert attachment.filename.endswith(".json")
        document = json.loads(attachment.data)
        assert document["format"] == "sprintbot-export" and document["user_id"] == str(club.zoe.id)
        tables = document["tables"]
        assert [g["text"] for g in tables["goals"]] == ["ship it (zoe)"]
        assert len(tables["sprint_participants"]) == 1 and tables["sprints_hosted"] == []
        text = attachment.data.decode()
        assert str(club.otto.id) not in text and "Otto" not in text and "otto" not in text

        again = await ok(await driver.slash(club.zoe, club.general, "privacy export"))
        assert "once an hour" in again.content and not again.attachments
    assert problems(club.server, error_log) == []


async def test_forget_me_leaves_nothing_that_names_me_and_others_figures_unchanged(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    zoe, otto = club.zoe, club.otto
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        await one_sprint(club, bot, zoe, otto)
        await ok(await driver.slash(zoe, club.general, "leaderboard join"))
        await ok(await driver.slash(zoe, club.general, "timezone me", zone="Europe/Paris"))
        before = (await ok(await driver.slash(otto, club.general, "stats me"))).embeds[0]
        server_before = await ok(await driver.slash(club.mod, club.general, "stats server"))

        prompt = await ok(await driver.slash(zoe, club.general, "privacy forget"))
        assert "cannot be undone" in prompt.content
        done = await ok(await driver.click(zoe, prompt, "Forget me"))
        assert "deleted or anonymised" in done.content and not done.buttons

        assert await traces(bot.db, zoe.id, "Zoe Quillfeather") == []
        assert await traces(bot.db, zoe.id, "zoe") == []
        after = (await ok(await driver.slash(otto, club.general, "stats me"))).embeds[0]
        assert after["description"] == before["description"]
        server_after = await ok(await driver.slash(club.mod, club.general, "stats server"))
        assert server_after.embeds[0]["description"] == server_before.embeds[0]["description"]

        refused = await ok(await driver.slash(zoe, club.general, "goal", text="sneak one in"))
        assert "/privacy track" in refused.content
        twice = await ok(await driver.slash(zoe, club.general, "privacy forget"))
        assert "already forgotten" in twice.content
        assert await traces(bot.db, zoe.id, "Zoe Quillfeather") == []
    assert problems(club.server, error_log) == []

"""/sprint end to end: the real bot (real discord.py over loopback) against the local server.

Members act through the driver (slash commands, card buttons, voice); the bot's timers run on
the real clock with ``timing.speed`` raised so a sprint takes seconds. Runs on SQLite and, when
SPRINTBOT_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from bot.core import AnyBot
from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Message, Perm, Role
from bot.localdiscord.render import render_message
from bot.localdiscord.testing import DiscordErrorLog, problems
from bot.services.sprints import SprintView, timer_key
from db.engine import Database
from db.models import OutboxMessage
from tests.e2e.support import drained, sprintbot, until

T = TypeVar("T")


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    general: Channel
    focus: Channel  # voice
    alice: Member  # hosts
    bob: Member
    cat: Member
    dan: Member
    mod: Member  # Manage Server
    mods: Role


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Sprint Club")
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    return Club(
        server=server,
        guild=guild,
        general=guild.add_text_channel("general"),
        focus=guild.add_voice_channel("Focus Room"),
        alice=guild.add_member("alice", global_name="Alice"),
        bob=guild.add_member("bob", global_name="Bob"),
        cat=guild.add_member("cat", global_name="Cat"),
        dan=guild.add_member("dan", global_name="Dan"),
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
        mods=mods,
    )


async def active(bot: AnyBot, channel: Channel) -> SprintView:
    view = await bot.services.sprints.active_in_channel(channel.id)
    assert view is not None, "no active sprint"
    return view


async def ended(bot: AnyBot, sprint_id: int, timeout: float = 40.0) -> SprintView:  # noqa: ASYNC109
    async def check() -> SprintView | None:
        view = await bot.services.sprints.get(sprint_id)
        return view if view.is_over else None

    return await until(check, timeout)


async def delivered_card(bot: AnyBot, club: Club, sprint_id: int) -> Message:
    """The card message as it stands now (found through the outbox row that created it)."""
    async with bot.db.transaction() as session:
        message_id = (
            await session.execute(
                select(OutboxMessage.result_id).where(
                    OutboxMessage.ref == f"sprint_card:{sprint_id}", OutboxMessage.kind == "send"
                )
            )
        ).scalar_one()
    assert message_id is not None, "the card was not delivered"
    return club.server.world.messages[message_id]


async def card_of(club: Club, sprint_id: int) -> Message:
    return await club.server.driver.wait_for_message(
        club.general,
        lambda m: (
            any(c.get("custom_id") == f"sprint:{sprint_id}:join" for c in m.walk_components())
            or f"Sprint #{sprint_id}" in str(m.embeds)
        ),
        timeout=15,
    )


def announcements(channel: Channel) -> list[str]:
    """The bot's phase lines in order (not cards, check-ins or debriefs)."""
    lines = []
    for message in sorted(channel.history(), key=lambda m: m.id):
        first = message.content.split("\n", 1)[0]
        if re.match(r"^(🍅|☕|🌴|🏁|⏩|⏹️|👋 Everyone)", first):
            lines.append(first)
    return lines


def phase_names(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if "Catching up" in line:
            out.append("catch-up")
        elif line.startswith("🍅"):
            match = re.search(r"round (\d+)/(\d+)", line)
            assert match is not None
            out.append(f"work {match[1]}")
        elif line.startswith("☕"):
            match = re.search(r"round (\d+)/", line)
            assert match is not None
            out.append(f"break {match[1]}")
        elif line.startswith("🌴"):
            out.append("long break")
        elif line.startswith("🏁"):
            out.append("finished")
        else:
            out.append(line)
    return out


async def _now(value: T) -> T:
    return value


async def reply_text(result: Any) -> Message:
    message = await result.message()
    return message


# -- the whole sprint -----------------------------------------------------------------------------


async def test_a_full_pomodoro_at_high_speed_announces_the_exact_phase_sequence(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=1000) as bot:
        started = await driver.slash(club.alice, club.general, "sprint start", preset="pomodoro")
        reply = await started.message()
        assert reply.ephemeral and "Started" in reply.content
        view = await active(bot, club.general)
        assert (view.plan.work_min, view.plan.break_min, view.plan.rounds) == (25, 5, 4)
        await ended(bot, view.id)
        await drained(bot)
        final = await bot.services.sprints.get(view.id)
        card = await delivered_card(bot, club, view.id)
        # Finished on schedule: the card was not edited at the end (issue #18: it shows the
        # whole schedule already, and the finish message below carries the debrief) ...
        assert card.edited_at is None and card.button("Join")
        finish = [m for m in club.general.history() if "is complete" in m.content]
        assert len(finish) == 1 and "Debrief" in finish[0].embeds[0]["title"]
        assert [b["label"] for b in finish[0].buttons] == [
            "Add a debrief note",
            "Carry my open goals over",
        ]
        # ... and a click on it redraws it as ended, as the answer to the click.
        clicked = await driver.click(club.bob, card, "Join")
        assert await clicked.response() == 7  # UPDATE_MESSAGE: the card itself
        [told_id] = await until(lambda: _now(clicked.state.followup_ids), 5)
        told = club.server.world.messages[told_id]
        assert told.ephemeral and "This sprint has ended" in told.content
        card = club.server.world.messages[card.id]
    assert phase_names(announcements(club.general)) == [
        "work 1",
        "break 1",
        "work 2",
        "break 2",
        "work 3",
        "break 3",
        "work 4",
        "finished",
    ]
    assert final.end_reason == "finished"
    assert list(card.walk_components()) == []  # the click's redraw removed the buttons
    assert "this sprint has ended" in card.embeds[0]["footer"]["text"]
    assert problems(club.server, error_log) == []


async def test_phase_lines_ping_only_participants_who_want_pings(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=120) as bot:
        start = await driver.slash(
            club.alice, club.general, "sprint start", work=1, rounds=1, intro=3
        )
        await start.message()
        view = await active(bot, club.general)
        await (await driver.slash(club.bob, club.general, "sprint join", ping=False)).message()
        await (await driver.slash(club.cat, club.general, "sprint join")).message()
        await ended(bot, view.id)
        await drained(bot)
    first = next(
        m for m in sorted(club.general.history(), key=lambda m: m.id) if m.content.startswith("🍅")
    )
    assert first.allowed_mentions == {"parse": [], "users": [str(club.alice.id), str(club.cat.id)]}
    assert set(first.mention_ids) == {club.alice.id, club.cat.id}
    assert problems(club.server, error_log) == []


async def test_a_linked_voice_channel_status_follows_the_phase_and_chat_copies_are_a_setting(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=120) as bot:
        await (
            await driver.slash(
                club.alice,
                club.general,
                "sprint start",
                work=1,
                rounds=1,
                intro=2,
                voice_channel=club.focus,
            )
        ).message()
        view = await active(bot, club.general)

        def status_is(prefix: str) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return (club.focus.status or "").startswith(prefix)

            return check

        await until(status_is("👋 Intro · until"), 5.0)  # the status follows the phase
        await until(status_is("🍅 Work 1/1 · until"), 5.0)
        await ended(bot, view.id)
        await drained(bot)
        assert club.focus.history() == []  # by default the status alone says the phase
        assert not club.focus.status  # cleared when the sprint ended

        shown = await (
            await driver.slash(club.mod, club.general, "sprint settings", voice_chat=True)
        ).message()
        assert "Announcements in the voice chat: on" in render_message(shown)
        await (
            await driver.slash(
                club.alice,
                club.general,
                "sprint start",
                work=1,
                rounds=1,
                intro=1,
                voice_channel=club.focus,
            )
        ).message()
        view = await active(bot, club.general)
        await ended(bot, view.id)
        await drained(bot)
    lines = [m.content for m in sorted(club.focus.history(), key=lambda m: m.id)]
    assert [line.split(" ", 1)[0] for line in lines] == ["🍅", "🏁"]
    assert all(m.mention_ids == [] for m in club.focus.history())
    assert problems(club.server, error_log) == []


# -- joining and leaving --------------------------------------------------------------------------


async def test_join_and_leave_by_command_button_and_voice(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        sprints = bot.services.sprints
        start = await driver.slash(
            club.alice, club.general, "sprint start", voice_channel=club.focus
        )
        await start.message()
        view = await active(bot, club.general)
        card = await card_of(club, view.id)

        joined = await (await driver.slash(club.bob, club.general, "sprint join")).message()
        assert joined.ephemeral and "You're in" in joined.content
        clicked = await (await driver.click(club.cat, card, "Join")).message()
        assert clicked.ephemeral and "You're in" in clicked.content
        driver.voice_join(club.dan, club.focus)

        async def everyone_in() -> bool:
            return set((await sprints.get(view.id)).active_ids) == {
                club.alice.id,
                club.bob.id,
                club.cat.id,
                club.dan.id,
            }

        await until(everyone_in, 10)

        left = await (await driver.click(club.bob, card, "Leave")).message()
        assert left.ephemeral and "You left" in left.content
        cmd_left = await (await driver.slash(club.cat, club.general, "sprint leave")).message()
        assert "You left" in cmd_left.content
        driver.voice_leave(club.dan)

        async def only_alice() -> bool:
            return (await sprints.get(view.id)).active_ids == (club.alice.id,)

        await until(only_alice, 10)
        again = await (await driver.slash(club.cat, club.general, "sprint leave")).message()
        assert again.ephemeral and "not in this sprint" in again.content
        await drained(bot)
    card = club.server.world.messages[card.id]
    people = card.embeds[0]["fields"][-1]["value"]
    assert people == f"<@{club.alice.id}>"
    assert problems(club.server, error_log) == []


async def test_a_late_joiner_gets_the_add_my_goal_button(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start", intro=0)).message()
        view = await active(bot, club.general)
        reply = await (await driver.slash(club.bob, club.general, "sprint join")).message()
    assert "work round 1/4" in reply.content
    assert [b["custom_id"] for b in reply.buttons] == [f"goal:add:{view.id}"]
    assert reply.buttons[0]["label"] == "Add my goal"
    assert problems(club.server, error_log) == []


# -- controls -------------------------------------------------------------------------------------


async def test_two_members_pressing_pause_at_once_pause_once(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start", intro=0)).message()
        view = await active(bot, club.general)
        card = await card_of(club, view.id)
        first, second = await asyncio.gather(
            driver.click(club.alice, card, "Pause"), driver.click(club.mod, card, "Pause")
        )
        replies = [await first.message(), await second.message()]
        after = await bot.services.sprints.get(view.id)
    public = [r for r in replies if not r.ephemeral]
    refused = [r for r in replies if r.ephemeral]
    assert len(public) == 1 and "paused" in public[0].content
    assert len(refused) == 1 and "already paused" in refused[0].content
    assert after.state.paused_remaining is not None
    assert problems(club.server, error_log) == []


async def test_a_double_click_on_skip_skips_one_phase(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start", intro=0)).message()
        view = await active(bot, club.general)
        card = await card_of(club, view.id)
        first, second = await asyncio.gather(
            driver.click(club.alice, card, "Skip"), driver.click(club.alice, card, "Skip")
        )
        replies = sorted([(await first.message()).content, (await second.message()).content])
        after = await bot.services.sprints.get(view.id)
        await drained(bot)
    assert (after.phase.kind.value, after.phase.round) == ("break", 1)
    assert replies[0].startswith("Already moved on") and "break after round 1/4" in replies[0]
    assert replies[1].startswith("Skipped ahead: we're now in the break after round 1/4")
    assert phase_names(announcements(club.general)) == ["break 1"]
    # The card was edited after the skip: its buttons name the new state.
    fresh = club.server.world.messages[card.id]
    assert fresh.button("Skip")["custom_id"] == f"sprint:{view.id}:skip:{after.control_seq}"
    assert problems(club.server, error_log) == []


async def test_two_managers_skipping_by_command_at_once_skip_one_phase(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start", intro=0)).message()
        view = await active(bot, club.general)
        first, second = await asyncio.gather(
            driver.slash(club.alice, club.general, "sprint skip"),
            driver.slash(club.mod, club.general, "sprint skip"),
        )
        replies = [await first.message(), await second.message()]
        after = await bot.services.sprints.get(view.id)
    # Both commands were parsed before either skipped, so the second one is stale.
    assert (after.phase.kind.value, after.phase.round) == ("break", 1)
    assert sum(r.content.startswith("Already moved on") for r in replies) == 1
    assert all(r.ephemeral for r in replies)
    assert problems(club.server, error_log) == []


async def test_skip_while_paused_says_the_sprint_is_running_again(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start", intro=0)).message()
        view = await active(bot, club.general)
        await (await driver.slash(club.alice, club.general, "sprint pause")).message()
        skipped = await (await driver.slash(club.alice, club.general, "sprint skip")).message()
        after = await bot.services.sprints.get(view.id)
    assert after.state.status.value == "running"
    assert "break after round 1/4" in skipped.content
    assert "was paused" in skipped.content and "running again" in skipped.content
    assert problems(club.server, error_log) == []


async def test_extend_refuses_past_the_longest_phase_and_says_what_is_allowed(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start", intro=5)).message()
        view = await active(bot, club.general)
        ok = await driver.slash(club.alice, club.general, "sprint extend", minutes=8)
        added = await ok.message()
        refused = await (
            await driver.slash(club.alice, club.general, "sprint extend", minutes=60)
        ).message()
        after = await bot.services.sprints.get(view.id)
    assert "added 8 min to the intro" in added.content
    assert refused.ephemeral
    assert "An intro can last at most 15 min" in refused.content
    assert "you can add at most 2 minutes" in refused.content
    assert after.phase_extended_min == 8
    assert problems(club.server, error_log) == []


async def test_members_without_rights_are_told_who_may_pause(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start", intro=0)).message()
        view = await active(bot, club.general)
        card = await card_of(club, view.id)
        refused = await (await driver.click(club.bob, card, "Pause")).message()
        cmd = await (await driver.slash(club.bob, club.general, "sprint stop")).message()
        still = await bot.services.sprints.get(view.id)
    for reply in (refused, cmd):
        assert reply.ephemeral and f"<@{club.alice.id}>" in reply.content
        assert "Manage Server" in reply.content
    assert not still.is_over and still.state.status.value == "running"
    assert problems(club.server, error_log) == []


async def test_a_button_on_an_ended_sprint_says_it_has_ended(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start", intro=0)).message()
        view = await active(bot, club.general)
        card = await card_of(club, view.id)
        await drained(bot)
        await bot.delivery.stop()  # hold the final card edit so the old buttons stay clickable
        stopped = await (await driver.slash(club.alice, club.general, "sprint stop")).message()
        assert "Stopped" in stopped.content
        clicked = await driver.click(club.bob, card, "Join")
        # The answer to the click redraws the card as ended (no request of the bot's budget),
        # then tells the member why nothing happened.
        assert await clicked.response() == 7  # UPDATE_MESSAGE
        [late_id] = await until(lambda: _now(clicked.state.followup_ids), 5)
        late = club.server.world.messages[late_id]
        redrawn = club.server.world.messages[card.id]
    assert late.ephemeral and "This sprint has ended" in late.content
    assert list(redrawn.walk_components()) == []
    assert "this sprint has ended" in redrawn.embeds[0]["footer"]["text"]
    assert problems(club.server, error_log) == []


async def test_start_where_the_bot_cannot_post_names_the_missing_permission(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    club.server.revoke_bot_permission(club.general, int(Perm.EMBED_LINKS))
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        reply = await (await driver.slash(club.alice, club.general, "sprint start")).message()
        assert await bot.services.sprints.active_in_channel(club.general.id) is None
    assert reply.ephemeral and "Embed Links" in reply.content
    assert problems(club.server, error_log) == []


async def test_a_second_start_points_at_the_running_sprint(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (
            await driver.slash(club.alice, club.general, "sprint start", title="Morning")
        ).message()
        view = await active(bot, club.general)
        card = await card_of(club, view.id)
        await drained(bot)
        second = await (await driver.slash(club.bob, club.general, "sprint start")).message()
    assert second.ephemeral and "already a sprint running" in second.content
    assert f"/{club.general.id}/{card.id}" in second.content
    assert problems(club.server, error_log) == []


async def test_deleting_the_channel_ends_its_sprint(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database) as bot:
        await (await driver.slash(club.alice, club.general, "sprint start")).message()
        view = await active(bot, club.general)
        await drained(bot)
        club.server.delete_channel(club.general)
        final = await ended(bot, view.id, timeout=10)
        assert final.end_reason == "channel"
        assert len(bot.timers) == 0 or bot.timers.when(timer_key(view.id)) is None
    assert problems(club.server, error_log) == []


# -- restart --------------------------------------------------------------------------------------


async def test_a_restart_mid_work_keeps_time_buttons_and_announcements(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=60) as first:
        start = await driver.slash(
            club.alice, club.general, "sprint start", work=4, rounds=2, intro=0, **{"break": 1}
        )
        await start.message()
        view = await active(first, club.general)
        card = await card_of(club, view.id)
        await drained(first)
        ends_at = view.state.phase_ends_at
        assert ends_at is not None
    # The first process is gone; a new one starts on the same database, mid-work.
    async with sprintbot(club.server, database, speed=60) as second:
        ahead = second.services.sprints.prepare_ahead(view.speed)
        assert second.timers.when(timer_key(view.id)) == ends_at - ahead
        same = await second.services.sprints.get(view.id)
        assert same.state.phase_ends_at == ends_at and same.phase.kind.value == "work"
        joined = await (await driver.click(club.bob, card, "Join")).message()
        assert joined.ephemeral and "You're in" in joined.content
        await ended(second, view.id)
        await drained(second)
        final = await second.services.sprints.get(view.id)
    assert phase_names(announcements(club.general)) == ["break 1", "work 2", "finished"]
    assert final.state.ended_at is not None
    assert final.state.ended_at - ends_at == timedelta(seconds=(1 + 4) * 60 / 60)
    assert problems(club.server, error_log) == []


async def test_phases_missed_while_the_bot_was_down_are_caught_up_in_one_line(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=600) as first:
        # At speed 600: work 2 s, break 0.5 s; work 2 runs from 2.5 s to 4.5 s.
        await (
            await driver.slash(
                club.alice, club.general, "sprint start", work=20, rounds=3, intro=0, **{"break": 5}
            )
        ).message()
        view = await active(first, club.general)
        await drained(first)
    await asyncio.sleep(2.6)  # down while work 1 and break 1 end
    async with sprintbot(club.server, database, speed=600) as second:
        await ended(second, view.id)
        await drained(second)
    assert phase_names(announcements(club.general)) == ["catch-up", "break 2", "work 3", "finished"]
    assert "Catching up: we're now in work round 2/3" in announcements(club.general)[0]
    assert problems(club.server, error_log) == []

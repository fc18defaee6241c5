"""Goals, break check-ins and the debrief end to end: the real bot over loopback, real discord.py.

Members act through the local server's driver (slash commands, autocomplete, buttons, selects,
modals). The host pauses the sprint at each break so the members' clicks never race the timer;
phases otherwise run on the real clock with ``timing.speed`` raised (1 plan minute = 1 s).
Runs on SQLite and, when SPRINTBOT_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import AnyBot
from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Message, Perm, Role
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from db.models import CheckIn, Goal, Sprint
from tests.e2e.support import drained, sprintbot, until

SPEED = 60.0  # one plan minute lasts one real second


@dataclass
class Club:
    server: LocalDiscord
    guild: Guild
    general: Channel
    lounge: Channel
    alice: Member  # hosts
    bob: Member
    cat: Member
    dan: Member
    mod: Member  # Manage Server
    mods: Role


@pytest.fixture
def club(server: LocalDiscord) -> Club:
    guild = server.add_guild("Goal Club")
    mods = guild.add_role("mods", int(Perm.MANAGE_GUILD))
    return Club(
        server=server,
        guild=guild,
        general=guild.add_text_channel("general"),
        lounge=guild.add_text_channel("lounge"),
        alice=guild.add_member("alice", global_name="Alice"),
        bob=guild.add_member("bob", global_name="Bob"),
        cat=guild.add_member("cat", global_name="Cat"),
        dan=guild.add_member("dan", global_name="Dan"),
        mod=guild.add_member("mo", global_name="Mo", roles=[mods]),
        mods=mods,
    )


async def ok(result: Any) -> Message:
    """The bot's reply to an interaction."""
    return await result.message()


async def sprint_id_in(bot: AnyBot, channel: Channel) -> int:
    view = await bot.services.sprints.active_in_channel(channel.id)
    assert view is not None, "no active sprint"
    return view.id


async def rows(bot: AnyBot, model: Any, *where: Any) -> list[Any]:
    async with bot.db.transaction() as session:
        return list(
            (await session.execute(select(model).where(*where).order_by(model.id))).scalars()
        )


async def goal_ids(bot: AnyBot, member: Member) -> dict[str, int]:
    return {g.text: g.id for g in await rows(bot, Goal, Goal.user_id == member.id)}


def thread_named(club: Club, name: str) -> Channel | None:
    for thread in club.guild.threads(club.general):
        if thread.name == name:
            return thread
    return None


async def checkin_message(club: Club, sprint_id: int, round_: int) -> Message:
    custom_id = f"checkin:{sprint_id}:{round_}:done"
    return await club.server.driver.wait_for_message(
        club.general, lambda m: m.button(custom_id) is not None, timeout=20
    )


async def debrief_message(club: Club, channel: Channel, sprint_id: int) -> Message:
    custom_id = f"debrief:{sprint_id}:note"
    return await club.server.driver.wait_for_message(
        channel, lambda m: m.button(custom_id) is not None, timeout=20
    )


def field_of(message: Message, name_starts: str) -> tuple[str, str]:
    for f in message.embeds[0]["fields"]:
        if f["name"].startswith(name_starts):
            return f["name"], f["value"]
    raise AssertionError(f"no field {name_starts!r} in {message.embeds[0]['fields']}")


async def pause(club: Club) -> None:
    reply = await ok(await club.server.driver.slash(club.alice, club.general, "sprint pause"))
    assert "paus" in reply.content.lower(), reply.content


async def end_break(club: Club) -> None:
    """The host ends the (paused) break: the next work round starts now."""
    await ok(await club.server.driver.slash(club.alice, club.general, "sprint skip"))


async def done_by_name(club: Club, member: Member, typed: str) -> Message:
    driver = club.server.driver
    choices = await driver.autocomplete(member, club.general, "done", "goal", typed)
    assert choices, f"no autocomplete choice for {typed!r}"
    return await ok(await driver.slash(member, club.general, "done", goal=choices[0]["value"]))


# -- the whole ritual -----------------------------------------------------------------------------


async def test_three_members_goals_check_ins_huddle_and_a_debrief_whose_numbers_match(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    alice, bob, cat, dan = club.alice, club.bob, club.cat, club.dan
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        start = await driver.slash(
            alice, club.general, "sprint start", work=1, rounds=3, intro=15, **{"break": 5}
        )
        await ok(start)
        sprint_id = await sprint_id_in(bot, club.general)

        # Intro: everyone posts goals. Alice uses the form (several goals, one per line).
        opened = await driver.slash(alice, club.general, "goal")
        modal = await opened.modal()
        assert modal["title"].startswith("Goals for")
        posted = await ok(
            await driver.submit_modal(
                alice, opened, {"goals": "- Outline the talk\n- Draft slides"}
            )
        )
        assert not posted.ephemeral and "set 2 goals for this sprint" in posted.content
        for text in ("Fix login bug", "Review PR #42", "Write tests"):
            await ok(await driver.slash(bob, club.general, "goal", text=text))
        joined = await ok(await driver.slash(cat, club.general, "goal", text="Read the paper"))
        assert "joined it" in joined.content
        await ok(await driver.slash(alice, club.general, "sprint skip"))  # intro over

        # Break 1 (paused so the clicks never race the timer).
        first = await checkin_message(club, sprint_id, 1)
        await pause(club)
        # The check-in rides on the break announcement: it pings only the sprint's members
        # (their phase ping, on by default), never anyone else.
        assert first.content.startswith("☕ **Break**") and "✋ Check-in · round 1" in first.content
        members = {str(u.id) for u in (alice, bob, cat)}
        assert set(first.allowed_mentions.get("users", [])) <= members
        assert first.allowed_mentions["parse"] == [] and set(map(str, first.mention_ids)) <= members
        a1 = await ok(await driver.click(alice, first, "Done"))
        b1 = await ok(await driver.click(bob, first, "Progress"))
        c1 = await ok(await driver.click(cat, first, "Stuck"))
        assert a1.ephemeral and "Checked in for round 1" in a1.content
        assert b1.ephemeral and c1.ephemeral and c1.button("Open a huddle") is not None
        huddle = await ok(await driver.click(cat, c1, "Open a huddle"))
        assert huddle.ephemeral and "Cat's huddle" in huddle.content

        async def huddle_thread() -> Channel | None:
            return thread_named(club, "🆘 Cat's huddle")

        thread = await until(huddle_thread)
        assert thread.id == first.id  # started from the break announcement
        intro = await driver.wait_for_message(thread, "is stuck after round 1")
        assert intro.mention_ids == [cat.id]
        await driver.send_message(bob, thread, "Try clearing the cache?")
        await done_by_name(club, alice, "outline")

        # Dan joins late: the join reply offers "Add my goal", which opens the goal form.
        late = await ok(await driver.slash(dan, club.general, "sprint join"))
        assert late.button("Add my goal") is not None
        form = await driver.click(dan, late, "Add my goal")
        assert (await form.modal())["title"].startswith("Goals for")
        dan_goals = await ok(await driver.submit_modal(dan, form, {"goals": "Plan sprint 2"}))
        assert "set 1 goal" in dan_goals.content
        await end_break(club)

        # Break 2.
        second = await checkin_message(club, sprint_id, 2)
        await pause(club)
        await ok(await driver.click(alice, second, "Done"))
        await ok(await driver.click(bob, second, "Done"))
        c2 = await ok(await driver.click(cat, second, "Progress"))
        await ok(await driver.click(dan, second, "Progress"))
        note_form = await driver.click(cat, c2, "Add a note")
        assert (await note_form.modal())["title"] == "Check-in note"
        noted = await ok(
            await driver.submit_modal(cat, note_form, {"note": "Got unstuck, thanks Bob"})
        )
        assert noted.ephemeral and "Saved your note for round 2" in noted.content
        # /done without a goal: Bob has three open, so he picks from a menu.
        ask = await ok(await driver.slash(bob, club.general, "done"))
        assert ask.ephemeral and "3 open goals" in ask.content
        ids = await goal_ids(bot, bob)
        picked = await driver.select(
            bob, ask, "Pick the goal you finished", [str(ids["Fix login bug"])]
        )
        assert "Done" in (await ok(picked)).content
        await done_by_name(club, alice, "slides")
        await end_break(club)

        debrief = await debrief_message(club, club.general, sprint_id)
        await drained(bot)
        [sprint] = await rows(bot, Sprint, Sprint.id == sprint_id)
        checkins = await rows(bot, CheckIn, CheckIn.sprint_id == sprint_id)

        # Carry-over: twice never duplicates. A debrief note edits the debrief.
        carry = await ok(await driver.click(cat, debrief, "Carry my open goals over"))
        assert "1 open goal" in carry.content
        carried = await ok(await driver.click(cat, carry, "To my week"))
        assert "Carried 1 open goal" in carried.content
        again = await ok(await driver.click(cat, debrief, "Carry my open goals over"))
        assert "already carried" in again.content
        again_week = await ok(await driver.click(cat, carry, "To my week"))
        assert "Already carried over earlier (1)" in again_week.content
        note = await driver.click(bob, debrief, "Add a debrief note")
        assert (await note.modal())["components"]
        thanks = await ok(
            await driver.submit_modal(
                bob, note, {"How did it go? What's next?": "Solid. Next: the tests."}
            )
        )
        assert "in the debrief" in thanks.content
        await drained(bot)
        cat_goals = await rows(bot, Goal, Goal.user_id == cat.id)

    assert sprint.end_reason == "finished"
    assert sprint.summary == {
        "members": [
            {
                "user_id": alice.id,
                "name": "Alice",
                "goals_done": 2,
                "goals_total": 2,
                "focus_minutes": 3,
            },
            {
                "user_id": bob.id,
                "name": "Bob",
                "goals_done": 1,
                "goals_total": 3,
                "focus_minutes": 3,
            },
            {
                "user_id": cat.id,
                "name": "Cat",
                "goals_done": 0,
                "goals_total": 1,
                "focus_minutes": 3,
            },
            {
                "user_id": dan.id,
                "name": "Dan",
                "goals_done": 0,
                "goals_total": 1,
                "focus_minutes": 2,
            },
        ]
    }
    assert sorted((c.user_id, c.round, c.status) for c in checkins) == sorted(
        [
            (alice.id, 1, "done"),
            (bob.id, 1, "progress"),
            (cat.id, 1, "stuck"),
            (alice.id, 2, "done"),
            (bob.id, 2, "done"),
            (cat.id, 2, "progress"),
            (dan.id, 2, "progress"),
        ]
    )
    [cat_stuck] = [c for c in checkins if c.user_id == cat.id and c.round == 1]
    assert cat_stuck.huddle_thread_id == thread.id
    debrief = club.server.world.messages[debrief.id]  # after the note's edit
    embed = debrief.embeds[0]
    assert "4 members, ✅ 3/7 goals done, ⏱ 11 focus minutes together" in embed["description"]
    name, alice_field = field_of(debrief, "Alice")
    assert name == "Alice — ✅ 2/2 · ⏱ 3 min focus"
    assert "✅ Outline the talk" in alice_field and "Check-ins: 1 ✅ · 2 ✅" in alice_field
    name, bob_field = field_of(debrief, "Bob")
    assert name == "Bob — ✅ 1/3 · ⏱ 3 min focus"
    assert "✅ Fix login bug" in bob_field and "⬜ Review PR \\#42" in bob_field  # escaped
    assert "📝 Solid. Next: the tests." in bob_field
    name, cat_field = field_of(debrief, "Cat")
    assert "Check-ins: 1 🆘 · 2 🔜" in cat_field and "Got unstuck, thanks Bob" in cat_field
    assert f"<#{thread.id}>" in cat_field
    name, dan_field = field_of(debrief, "Dan")
    assert name == "Dan — ✅ 0/1 · ⏱ 2 min focus" and "Check-ins: 1 ▫️ · 2 🔜" in dan_field
    assert [(g.scope, g.carried_from_id is not None) for g in cat_goals] == [
        ("sprint", False),
        ("week", True),
    ]
    celebrations = [m for m in club.general.history() if m.content.startswith("🎉")]
    assert len(celebrations) == 3 and all(m.mention_ids == [] for m in celebrations)
    checkin_posts = [
        m
        for m in club.general.history()
        if any(str(b.get("custom_id", "")).startswith("checkin:") for b in m.buttons)
        and not m.ephemeral
    ]
    assert len(checkin_posts) == 2  # one per break, never one per member
    assert problems(club.server, error_log) == []


# -- the late joiner's form, and forms sent after the sprint ended ---------------------------------


async def test_a_goal_form_sent_after_the_sprint_ended_is_saved_to_the_week(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        await ok(await driver.slash(club.alice, club.general, "sprint start", intro=0, work=30))
        late = await ok(await driver.slash(club.dan, club.general, "sprint join"))
        form = await driver.click(club.dan, late, "Add my goal")
        await form.modal()
        await ok(await driver.slash(club.alice, club.general, "sprint stop"))
        saved = await ok(
            await driver.submit_modal(club.dan, form, {"goals": "Plan sprint 2\nBook the room"})
        )
        goals = await rows(bot, Goal, Goal.user_id == club.dan.id)
        # The button of an ended sprint says so up front: its form saves to the week.
        reopened = await driver.click(club.dan, late, "Add my goal")
        modal = await reopened.modal()
    assert saved.ephemeral and "That sprint has ended" in saved.content
    assert "saved these to your week goals" in saved.content
    assert [(g.text, g.scope) for g in goals] == [
        ("Plan sprint 2", "week"),
        ("Book the room", "week"),
    ]
    assert modal["title"] == "Sprint over · goals for your week"
    assert problems(club.server, error_log) == []


async def test_a_form_with_bad_lines_saves_the_rest_and_gives_them_back(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    too_long = "L" * 230
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        opened = await driver.slash(club.bob, club.lounge, "goal")
        assert (await opened.modal())["title"] == "Goals for this week"
        result = await driver.submit_modal(
            club.bob, opened, {"goals": f"Ship the release\n{too_long}\nCall the bank"}
        )
        saved = await ok(result)
        warning = await driver.wait_for_message(club.lounge, "Not saved", user=club.bob)
        goals = await rows(bot, Goal, Goal.user_id == club.bob.id)
    assert saved.ephemeral and "Added 2 goals" in saved.content
    assert warning.ephemeral and "Line 2" in warning.content and too_long in warning.content
    assert [g.text for g in goals] == ["Ship the release", "Call the bank"]
    assert problems(club.server, error_log) == []


# -- autocomplete ---------------------------------------------------------------------------------


async def test_done_autocomplete_lists_sprint_goals_first_then_week_goals_newest_first(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=1.0):
        await ok(await driver.slash(club.bob, club.general, "goal", text="week one"))
        await ok(await driver.slash(club.alice, club.general, "sprint start"))
        await ok(await driver.slash(club.bob, club.general, "goal", text="sprint one"))
        await ok(await driver.slash(club.bob, club.general, "goal", text="week two", scope="week"))
        await ok(await driver.slash(club.bob, club.general, "goal", text="sprint two"))
        await ok(await driver.slash(club.alice, club.general, "goal", text="alice's"))
        everything = await driver.autocomplete(club.bob, club.general, "done", "goal", "")
        typed = await driver.autocomplete(club.bob, club.general, "done", "goal", "TWO")
        others = await driver.autocomplete(
            club.bob, club.general, "done", "goal", "", member=club.alice
        )
        as_mod = await driver.autocomplete(
            club.mod, club.general, "done", "goal", "", member=club.alice
        )
    assert [c["name"] for c in everything] == [
        "🏃 sprint two",
        "🏃 sprint one",
        "📅 week two",
        "📅 week one",
    ]
    assert [c["name"] for c in typed] == ["🏃 sprint two", "📅 week two"]
    assert [c["name"] for c in others] == [
        "🏃 sprint two",
        "🏃 sprint one",
        "📅 week two",
        "📅 week one",
    ]  # not a manager: still only yours
    assert [c["name"] for c in as_mod] == ["🏃 alice's"]
    assert problems(club.server, error_log) == []


# -- limits and refusals --------------------------------------------------------------------------


async def test_bad_goal_text_and_full_lists_are_refused_with_the_text_given_back(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    too_long = "T" * 201
    async with sprintbot(club.server, database, speed=1.0) as bot:
        empty = await ok(await driver.slash(club.bob, club.general, "goal", text="   "))
        long = await ok(await driver.slash(club.bob, club.general, "goal", text=too_long))
        nowhere = await ok(
            await driver.slash(club.bob, club.lounge, "goal", text="x", scope="sprint")
        )
        await ok(await driver.slash(club.alice, club.general, "sprint start"))
        for i in range(10):
            await ok(await driver.slash(club.bob, club.general, "goal", text=f"goal {i}"))
        full = await ok(await driver.slash(club.bob, club.general, "goal", text="eleventh"))
        count = len(await rows(bot, Goal, Goal.user_id == club.bob.id))
    assert empty.ephemeral and "can't be empty" in empty.content
    assert long.ephemeral and "at most 200 characters; yours is 201" in long.content
    assert too_long in long.content
    assert nowhere.ephemeral and "no sprint running in this channel" in nowhere.content
    assert full.ephemeral and "10 open goals" in full.content and "eleventh" in full.content
    assert count == 10
    assert problems(club.server, error_log) == []


async def test_done_refusals_and_managers(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=1.0) as bot:
        nothing = await ok(await driver.slash(club.dan, club.general, "done"))
        await ok(await driver.slash(club.alice, club.general, "goal", text="Alice's goal"))
        [goal_id] = (await goal_ids(bot, club.alice)).values()
        theirs = await ok(await driver.slash(club.bob, club.general, "done", goal=str(goal_id)))
        unknown = await ok(await driver.slash(club.bob, club.general, "done", goal="no such"))
        by_mod = await ok(
            await driver.slash(club.mod, club.general, "done", goal=str(goal_id), member=club.alice)
        )
        twice = await ok(await driver.slash(club.alice, club.general, "done", goal=str(goal_id)))
        undone = await ok(
            await driver.slash(club.alice, club.general, "goals undo", goal=str(goal_id))
        )
        await drained(bot)
    assert nothing.ephemeral and "no open goals" in nothing.content
    assert theirs.ephemeral and "someone else's goal" in theirs.content
    assert unknown.ephemeral and "couldn't find a goal" in unknown.content
    assert by_mod.ephemeral and "Done" in by_mod.content
    assert twice.ephemeral and "already done" in twice.content
    assert undone.ephemeral and "Reopened" in undone.content
    lines = [
        m for m in club.lounge.history() + club.general.history() if m.content.startswith("🎉")
    ]
    assert len(lines) == 1 and f"<@{club.alice.id}>" in lines[0].content
    assert lines[0].mention_ids == []  # shows the name, pings nobody
    assert problems(club.server, error_log) == []


async def test_quiet_setting_is_for_managers_and_silences_the_celebration(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=1.0) as bot:
        refused = await ok(await driver.slash(club.bob, club.general, "goals settings", quiet=True))
        quiet = await ok(await driver.slash(club.mod, club.general, "goals settings", quiet=True))
        await ok(await driver.slash(club.bob, club.general, "goal", text="quietly"))
        done = await ok(await driver.slash(club.bob, club.general, "done"))
        await drained(bot)
    assert refused.ephemeral and "Only server managers" in refused.content
    assert quiet.ephemeral and "quiet" in quiet.content
    assert "celebrations turned off" in done.content
    assert not [m for m in club.general.history() if m.content.startswith("🎉")]
    assert problems(club.server, error_log) == []


async def test_list_edit_and_drop(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=1.0) as bot:
        await ok(await driver.slash(club.bob, club.general, "goal", text="Fix teh typo"))
        await ok(await driver.slash(club.bob, club.general, "goal", text="Drop me"))
        ids = await goal_ids(bot, club.bob)
        edited = await ok(
            await driver.slash(
                club.bob,
                club.general,
                "goals edit",
                goal=str(ids["Fix teh typo"]),
                text="Fix the typo",
            )
        )
        dropped = await ok(await driver.slash(club.bob, club.general, "goals drop", goal="Drop me"))
        listed = await ok(
            await driver.slash(club.alice, club.general, "goals list", member=club.bob)
        )
    assert edited.ephemeral and "Fix the typo" in edited.content
    assert dropped.ephemeral and "Dropped" in dropped.content
    embed = listed.embeds[0]
    assert listed.ephemeral and embed["title"] == "Goals of Bob"
    assert "⬜ Fix the typo" in str(embed) and "Drop me" not in str(embed)
    assert problems(club.server, error_log) == []


async def test_check_in_refusals_and_two_clicks_at_once(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=SPEED) as bot:
        await ok(
            await driver.slash(
                club.alice, club.general, "sprint start", work=1, intro=0, rounds=2, **{"break": 30}
            )
        )
        sprint_id = await sprint_id_in(bot, club.general)
        await ok(await driver.slash(club.bob, club.general, "sprint join"))
        message = await checkin_message(club, sprint_id, 1)
        stranger = await ok(await driver.click(club.dan, message, "Done"))
        first, second = await asyncio.gather(
            driver.click(club.bob, message, "Done"), driver.click(club.bob, message, "Stuck")
        )
        replies = [await ok(first), await ok(second)]
        stored = await rows(bot, CheckIn, CheckIn.sprint_id == sprint_id)
        await ok(await driver.slash(club.alice, club.general, "sprint stop"))
        closed = await ok(await driver.click(club.bob, message, "Progress"))
        stored_after = await rows(bot, CheckIn, CheckIn.sprint_id == sprint_id)
    assert stranger.ephemeral and "Only members of this sprint" in stranger.content
    assert all(r.ephemeral for r in replies)
    assert sorted("Checked in for round 1" in r.content for r in replies) == [False, True]
    assert any("Changed your round 1 check-in" in r.content for r in replies)
    assert len(stored) == 1 and stored[0].user_id == club.bob.id
    assert closed.ephemeral and "check-ins are closed" in closed.content
    assert [(c.status, c.round) for c in stored_after] == [(stored[0].status, 1)]
    assert problems(club.server, error_log) == []


# -- restart ---------------------------------------------------------------------------------------


async def test_forms_and_buttons_opened_before_a_restart_still_work_after_it(
    club: Club, database: Database, error_log: DiscordErrorLog
) -> None:
    driver = club.server.driver
    async with sprintbot(club.server, database, speed=SPEED) as first:
        await ok(
            await driver.slash(
                club.alice, club.general, "sprint start", work=1, intro=0, rounds=2, **{"break": 60}
            )
        )
        sprint_id = await sprint_id_in(first, club.general)
        await ok(await driver.slash(club.bob, club.general, "sprint join"))
        message = await checkin_message(club, sprint_id, 1)
        goal_form = await driver.slash(club.bob, club.general, "goal")
        await goal_form.modal()
        note_form = await driver.click(club.bob, message, "Add a note")
        await note_form.modal()
        await drained(first)
    # A new process on the same database: the forms Bob had open are still saved.
    async with sprintbot(club.server, database, speed=SPEED) as second:
        goals = await ok(
            await driver.submit_modal(club.bob, goal_form, {"goals": "Typed before the restart"})
        )
        note = await ok(await driver.submit_modal(club.bob, note_form, {"note": "still here"}))
        stuck = await ok(await driver.click(club.bob, message, "Stuck"))
        huddle = await ok(await driver.click(club.bob, stuck, "Open a huddle"))
        stored_goals = await rows(second, Goal, Goal.user_id == club.bob.id)
        [checkin] = await rows(second, CheckIn, CheckIn.sprint_id == sprint_id)
        await drained(second)
    assert "set 1 goal for this sprint" in goals.content
    assert [(g.text, g.sprint_id) for g in stored_goals] == [
        ("Typed before the restart", sprint_id)
    ]
    assert "Saved your note" in note.content
    assert (checkin.user_id, checkin.status, checkin.note) == (club.bob.id, "stuck", "still here")
    assert "Bob's huddle" in huddle.content
    assert thread_named(club, "🆘 Bob's huddle") is not None
    assert problems(club.server, error_log) == []

"""Break check-ins, huddles and the end-of-sprint debrief on the real database.

Sprints are driven by the real SprintService (FakeClock; ``advance`` is called directly), so the
check-in prompt (carried by the sprint's break announcement) and the debrief come from the same
code paths as in the bot.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import update

from bot.delivery.outbox import Priority
from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.domain.focus import focus_seconds
from bot.domain.sprint import Span
from bot.render import goals as render
from bot.services.goals import Scope
from bot.services.sprints import Actor as SprintActor
from bot.services.sprints import StartRequest
from bot.settings import Settings, TimingSettings
from db.models import (
    AccountabilityWeek,
    CheckIn,
    DebriefNote,
    Goal,
    OutboxMessage,
    PresenceSpan,
    Sprint,
    WorkSpan,
)
from tests.services.test_goals import ANN, BOB, CAT, CHANNEL, GUILD, HOST, T0, Env, env, mins

__all__ = ["env"]  # the fixture, shared with test_goals

VOICE = 600


def _custom_ids(row: OutboxMessage) -> list[str]:
    return [
        str(c.get("custom_id", ""))
        for action_row in row.payload.get("components", [])
        for c in action_row.get("components", [])
    ]


async def checkin_posts(env: Env, sprint_id: int) -> list[OutboxMessage]:
    """The messages carrying check-in buttons (the sprint's break announcements)."""
    rows = await env.outbox(OutboxMessage.kind == "send", OutboxMessage.sprint_id == sprint_id)
    return [r for r in rows if any(i.startswith("checkin:") for i in _custom_ids(r))]


async def debrief_posts(env: Env, sprint_id: int) -> list[OutboxMessage]:
    rows = await env.outbox(OutboxMessage.kind == "send", OutboxMessage.sprint_id == sprint_id)
    return [r for r in rows if r.ref and r.ref.startswith("debrief:")]


async def summary(env: Env, sprint_id: int) -> dict[str, object]:
    [row] = await env.rows(Sprint, Sprint.id == sprint_id)
    assert row.summary is not None
    return row.summary


async def to_break(env: Env, **plan: object) -> int:
    """A sprint with Ann and Bob in it, advanced to its first break (after round 1)."""
    sprint_id = await env.start(**plan)
    await env.sprints.join(sprint_id, ANN, "Ann")
    await env.sprints.join(sprint_id, BOB, "Bob")
    await env.next_phase(sprint_id)
    return sprint_id


# -- the check-in message ------------------------------------------------------------------------


async def test_each_break_announcement_carries_the_check_in_and_adds_no_pings(env: Env) -> None:
    sprint_id = await env.start(rounds=3)
    await env.finish(sprint_id)
    posts = await checkin_posts(env, sprint_id)
    # intro 0: work 1 (index 0), break 1 (index 1), work 2, break 2 (index 3), work 3
    assert [p.ref for p in posts] == [f"sprint_phase:{sprint_id}:1", f"sprint_phase:{sprint_id}:3"]
    first = posts[0]
    assert first.channel_id == CHANNEL and first.priority == Priority.ANNOUNCE
    assert "☕ **Break**" in first.payload["content"]
    assert "✋ Check-in · round 1 of 3 — How did it go?" in first.payload["content"]
    assert _custom_ids(first) == [
        f"checkin:{sprint_id}:1:done",
        f"checkin:{sprint_id}:1:progress",
        f"checkin:{sprint_id}:1:stuck",
        f"checkin:{sprint_id}:1:note",
    ]
    # Only the phase ping the host opted into (the default); the check-in adds none.
    assert first.payload["allowed_mentions"] == {"parse": [], "users": [str(HOST)]}
    prompt = render.checkin_prompt_text(1, 3)
    assert "<@" not in prompt and prompt in first.payload["content"]


async def test_no_separate_check_in_message_is_posted(env: Env) -> None:
    sprint_id = await env.start(rounds=3)
    await env.finish(sprint_id)
    rows = await env.outbox(OutboxMessage.kind == "send", OutboxMessage.sprint_id == sprint_id)
    assert not [r for r in rows if r.ref and r.ref.startswith("checkin:")]


async def test_a_long_break_gets_a_check_in_too(env: Env) -> None:
    sprint_id = await env.start(rounds=3, long_break=15, long_break_every=1)
    await env.next_phase(sprint_id)
    [post] = await checkin_posts(env, sprint_id)
    assert "🌴 **Long break**" in post.payload["content"]
    assert "✋ Check-in · round 1 of 3" in post.payload["content"]


async def test_no_check_in_while_working_or_after_the_intro(env: Env) -> None:
    sprint_id = await env.start(intro=2, rounds=2)
    await env.next_phase(sprint_id)  # intro -> work
    assert await checkin_posts(env, sprint_id) == []


async def test_phases_missed_during_downtime_post_one_check_in_for_the_current_break(
    env: Env,
) -> None:
    sprint_id = await env.start(rounds=3)
    env.clock.set(T0 + mins(25 + 5 + 25 + 1))  # round 1, break 1 and round 2 passed: in break 2
    await env.sprints.advance(sprint_id)
    [post] = await checkin_posts(env, sprint_id)
    assert post.ref == f"sprint_phase:{sprint_id}:3"  # the catch-up announcement of break 2
    assert f"checkin:{sprint_id}:2:done" in _custom_ids(post)


async def deliver_all(env: Env) -> None:
    """What the sender does between steps: every pending row goes out (so later edits can no
    longer supersede it)."""
    async with env.db.transaction() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.status == "pending").values(status="sent")
        )


async def test_a_pomodoro_with_three_members_costs_at_most_9_requests(env: Env) -> None:
    # 25/5 × 4 with a 2 min intro (1.95 h); Ann and Bob are in the linked voice channel, so all
    # three are in from the start and nobody joins or leaves mid-sprint.
    view = await env.sprints.start(
        StartRequest(
            guild_id=GUILD,
            channel_id=CHANNEL,
            host_id=HOST,
            host_name="Hana",
            preset="pomodoro",
            voice_channel_id=VOICE,
            voice_members=((ANN, "Ann"), (BOB, "Bob")),
        )
    )
    assert set(view.active_ids) == {HOST, ANN, BOB}
    await deliver_all(env)
    while not (await env.sprints.get(view.id)).is_over:
        await env.next_phase(view.id)
        await deliver_all(env)
    rows = [
        r
        for r in await env.outbox(OutboxMessage.sprint_id == view.id)
        if r.status != "superseded" and r.channel_id == CHANNEL
    ]
    sends = [r.ref for r in rows if r.kind == "send"]
    edits = [r.target_ref for r in rows if r.kind == "edit"]
    # card, 7 phase announcements (3 of them breaks carrying the check-in), the finish carrying
    # the debrief; no edit (the card of a sprint that finished on schedule stays as it was).
    # 9 requests / 1.95 h = 4.6 per sprint-hour (issue #18: was 11, 5.6), the floor: one
    # message per phase change plus the card.
    assert sorted(sends) == sorted(
        [
            f"sprint_card:{view.id}",
            *(f"sprint_phase:{view.id}:{i}" for i in range(1, 8)),
            f"debrief:{view.id}",
        ]
    )
    assert edits == []
    assert len(rows) <= 9 and len(rows) / 1.95 <= 5


# -- recording check-ins -------------------------------------------------------------------------


async def test_a_click_records_the_members_check_in_for_the_round(env: Env) -> None:
    sprint_id = await to_break(env)
    result = await env.checkins.record(GUILD, sprint_id, 1, ANN, "progress")
    assert (result.status, result.previous) == ("progress", None)
    [row] = await env.rows(CheckIn)
    assert (row.sprint_id, row.user_id, row.round, row.status) == (sprint_id, ANN, 1, "progress")


async def test_a_second_click_updates_the_same_check_in(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.checkins.record(GUILD, sprint_id, 1, ANN, "progress")
    result = await env.checkins.record(GUILD, sprint_id, 1, ANN, "done")
    assert (result.status, result.previous) == ("done", "progress")
    assert [r.status for r in await env.rows(CheckIn)] == ["done"]


async def test_two_clicks_at_once_store_one_check_in(env: Env) -> None:
    sprint_id = await to_break(env)
    results = await asyncio.gather(
        env.checkins.record(GUILD, sprint_id, 1, ANN, "done"),
        env.checkins.record(GUILD, sprint_id, 1, ANN, "stuck"),
    )
    rows = await env.rows(CheckIn)
    assert len(rows) == 1
    assert rows[0].status in ("done", "stuck")
    assert sorted(r.previous is None for r in results) == [False, True]
    assert {r.status for r in results} == {"done", "stuck"}


async def test_many_members_clicking_at_once_each_get_one_check_in(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.sprints.join(sprint_id, CAT, "Cat")
    await asyncio.gather(
        *(
            env.checkins.record(GUILD, sprint_id, 1, uid, "progress")
            for uid in (ANN, BOB, CAT, ANN, BOB, CAT)
        )
    )
    rows = await env.rows(CheckIn)
    assert sorted(r.user_id for r in rows) == [ANN, BOB, CAT]


async def test_a_check_in_refreshes_the_sprint_card_with_the_latest_emoji(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.checkins.record(GUILD, sprint_id, 1, ANN, "stuck")
    [edit] = await env.outbox(
        OutboxMessage.kind == "edit",
        OutboxMessage.status == "pending",
        OutboxMessage.target_ref == f"sprint_card:{sprint_id}",
    )
    assert "🆘" in str(edit.payload)


async def test_card_lines_show_the_latest_round(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.checkins.record(GUILD, sprint_id, 1, ANN, "stuck")
    await env.next_phase(sprint_id)
    await env.next_phase(sprint_id)  # break 2
    await env.checkins.record(GUILD, sprint_id, 2, ANN, "done")
    await env.checkins.record(GUILD, sprint_id, 1, BOB, "progress")
    async with env.db.transaction() as session:
        assert await env.checkins.card_lines(session, sprint_id) == {
            ANN: "check-in ✅",
            BOB: "check-in 🔜",
        }
    await env.goals.add(env.actor(ANN), "a goal")
    async with env.db.transaction() as session:
        joined = await env.sprints.observers.lines_for(session, sprint_id)
    assert joined[ANN] == "✅ 0/1 · check-in ✅"


async def test_only_members_can_check_in(env: Env) -> None:
    sprint_id = await to_break(env)
    with pytest.raises(PermissionDenied, match="Only members"):
        await env.checkins.record(GUILD, sprint_id, 1, CAT, "done")
    assert await env.rows(CheckIn) == []


async def test_a_member_who_left_can_still_check_in(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.sprints.leave(sprint_id, BOB)
    await env.checkins.record(GUILD, sprint_id, 1, BOB, "done")
    assert len(await env.rows(CheckIn)) == 1


async def test_check_ins_close_when_the_sprint_ends(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.stop(sprint_id)
    with pytest.raises(Conflict, match="check-ins are closed"):
        await env.checkins.record(GUILD, sprint_id, 1, ANN, "done")


async def test_a_round_without_a_break_is_refused(env: Env) -> None:
    sprint_id = await to_break(env, rounds=3)
    with pytest.raises(ValidationError):
        await env.checkins.record(GUILD, sprint_id, 3, ANN, "done")
    with pytest.raises(NotFound):
        await env.checkins.record(GUILD + 1, sprint_id, 1, ANN, "done")


async def test_a_note_is_saved_on_the_check_in(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.checkins.record(GUILD, sprint_id, 1, ANN, "progress")
    result = await env.checkins.set_note(GUILD, sprint_id, 1, ANN, "  halfway   there \n\n\n ok")
    assert result.note == "halfway there\n\nok" and result.sprint_active
    assert await env.checkins.note_target(GUILD, sprint_id, 1, ANN) == "halfway there\n\nok"


async def test_a_note_without_a_click_creates_a_progress_check_in(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.checkins.set_note(GUILD, sprint_id, 1, ANN, "just a note")
    [row] = await env.rows(CheckIn)
    assert (row.status, row.note) == ("progress", "just a note")


async def test_a_note_sent_after_the_sprint_ended_is_kept_and_updates_the_debrief(
    env: Env,
) -> None:
    sprint_id = await to_break(env)
    await env.checkins.record(GUILD, sprint_id, 1, ANN, "progress")
    await env.finish(sprint_id)
    result = await env.checkins.set_note(GUILD, sprint_id, 1, ANN, "written late")
    assert not result.sprint_active
    [edit] = await env.outbox(
        OutboxMessage.kind == "edit", OutboxMessage.target_ref == f"debrief:{sprint_id}"
    )
    assert "written late" in str(edit.payload)


async def test_empty_or_too_long_notes_are_refused(env: Env) -> None:
    sprint_id = await to_break(env)
    with pytest.raises(ValidationError, match="can't be empty"):
        await env.checkins.set_note(GUILD, sprint_id, 1, ANN, "  ")
    with pytest.raises(ValidationError, match="at most 500"):
        await env.checkins.set_note(GUILD, sprint_id, 1, ANN, "n" * 501)


# -- huddles ---------------------------------------------------------------------------------------


async def test_stuck_huddle_starts_a_thread_from_the_break_announcement(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.checkins.record(GUILD, sprint_id, 1, ANN, "stuck")
    await env.checkins.set_note(GUILD, sprint_id, 1, ANN, "CSS **grid** won't behave")
    result = await env.checkins.huddle(GUILD, sprint_id, 1, ANN, "Ann")
    assert result.created and result.name == "🆘 Ann's huddle"
    [thread] = await env.outbox(OutboxMessage.kind == "thread")
    assert thread.target_ref == f"sprint_phase:{sprint_id}:1" and thread.channel_id == CHANNEL
    assert thread.ref == f"huddle:{sprint_id}:1:{ANN}"
    assert thread.payload["name"] == "🆘 Ann's huddle"
    [intro] = await env.outbox(OutboxMessage.channel_ref == thread.ref)
    assert intro.payload["allowed_mentions"] == {"parse": [], "users": [str(ANN)]}
    assert "CSS \\*\\*grid\\*\\*" in intro.payload["content"]


async def test_a_second_huddle_in_the_same_break_is_a_thread_in_the_channel(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.checkins.huddle(GUILD, sprint_id, 1, ANN, "Ann")
    await env.checkins.huddle(GUILD, sprint_id, 1, BOB, "Bob")
    threads = await env.outbox(OutboxMessage.kind == "thread")
    assert [t.target_ref for t in threads] == [f"sprint_phase:{sprint_id}:1", None]
    assert threads[1].payload["type"] == 11 and threads[1].payload["name"] == "🆘 Bob's huddle"


async def test_asking_for_a_huddle_twice_opens_one_thread(env: Env) -> None:
    sprint_id = await to_break(env)
    first = await env.checkins.huddle(GUILD, sprint_id, 1, ANN, "Ann")
    second = await env.checkins.huddle(GUILD, sprint_id, 1, ANN, "Ann")
    assert first.created and not second.created
    assert len(await env.outbox(OutboxMessage.kind == "thread")) == 1


async def test_the_huddle_thread_id_is_recorded_once_the_thread_exists(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.checkins.huddle(GUILD, sprint_id, 1, ANN, "Ann")
    async with env.db.transaction() as session:  # what the sender does after creating it
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == "thread")
            .values(status="sent", result_id=987654321)
        )
    again = await env.checkins.huddle(GUILD, sprint_id, 1, ANN, "Ann")
    assert again.thread_id == 987654321 and not again.created
    [row] = await env.rows(CheckIn)
    assert (row.status, row.huddle_thread_id) == ("stuck", 987654321)


async def test_a_huddle_marks_the_member_stuck(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.checkins.record(GUILD, sprint_id, 1, ANN, "progress")
    await env.checkins.huddle(GUILD, sprint_id, 1, ANN, "Ann")
    [row] = await env.rows(CheckIn)
    assert row.status == "stuck"


async def test_a_long_display_name_makes_a_valid_thread_name(env: Env) -> None:
    assert len(render.huddle_name("x" * 150)) <= 100
    assert render.huddle_name("x" * 150).endswith("'s huddle")


# -- focus minutes from stored spans ---------------------------------------------------------------


async def focus(env: Env, sprint_id: int) -> dict[int, int]:
    async with env.db.transaction() as session:
        sprint = await session.get(Sprint, sprint_id)
        assert sprint is not None
        return await env.checkins.focus_minutes(session, sprint, env.clock.now())


async def test_focus_counts_only_work_phases(env: Env) -> None:
    sprint_id = await env.start(work=25, brk=5, rounds=3, intro=2)
    await env.finish(sprint_id)
    assert await focus(env, sprint_id) == {HOST: 75}


async def test_focus_stops_while_paused(env: Env) -> None:
    sprint_id = await env.start(work=25, brk=5, rounds=1)
    env.clock.set(T0 + mins(10))
    await env.sprints.pause(sprint_id, SprintActor(HOST))
    env.clock.set(T0 + mins(40))  # 30 paused minutes
    await env.sprints.resume(sprint_id, SprintActor(HOST))
    await env.finish(sprint_id)
    assert await focus(env, sprint_id) == {HOST: 25}


async def test_focus_counts_from_a_late_join_and_until_leaving(env: Env) -> None:
    sprint_id = await env.start(work=25, brk=5, rounds=2)
    env.clock.set(T0 + mins(10))
    await env.sprints.join(sprint_id, ANN, "Ann")  # 15 min of round 1
    env.clock.set(T0 + mins(28))  # in the break
    await env.sprints.leave(sprint_id, ANN)
    env.clock.set(T0 + mins(40))  # 10 min into round 2
    await env.sprints.join(sprint_id, ANN, "Ann")  # 15 more
    await env.finish(sprint_id)
    assert await focus(env, sprint_id) == {HOST: 50, ANN: 30}


async def test_focus_matches_the_pure_function_on_the_stored_spans(env: Env) -> None:
    sprint_id = await env.start(work=25, brk=5, rounds=3)
    env.clock.set(T0 + mins(7))
    await env.goals.add(env.actor(BOB), "joins via a goal")
    env.clock.set(T0 + mins(12))
    await env.sprints.pause(sprint_id, SprintActor(HOST))
    env.clock.set(T0 + mins(19))
    await env.sprints.resume(sprint_id, SprintActor(HOST))
    await env.next_phase(sprint_id)
    await env.next_phase(sprint_id)
    env.clock.advance(mins(4))
    await env.sprints.leave(sprint_id, BOB)
    await env.finish(sprint_id)
    works = [Span(w.started_at, w.ended_at) for w in await env.rows(WorkSpan)]
    bob = [
        Span(p.started_at, p.ended_at)
        for p in await env.rows(PresenceSpan, PresenceSpan.user_id == BOB)
    ]
    expected = round(focus_seconds(works, bob, env.clock.now()) / 60)
    # Bob: joined at 7, paused 12-19, round 1 ran on to 32, break to 37, left at 41.
    assert (await focus(env, sprint_id))[BOB] == expected == 5 + 13 + 4


async def test_focus_minutes_are_sprint_minutes_at_test_speeds(env: Env) -> None:
    fast = Env(db=env.db, clock=env.clock, settings=Settings(timing=TimingSettings(speed=60.0)))
    sprint_id = await fast.start(work=25, brk=5, rounds=2)
    await fast.finish(sprint_id)
    assert await focus(fast, sprint_id) == {HOST: 50}


# -- the debrief -----------------------------------------------------------------------------------


async def test_a_finished_sprint_gets_a_debrief_whose_numbers_match(env: Env) -> None:
    sprint_id = await env.start(work=25, brk=5, rounds=3)
    await env.goals.add_many(env.actor(HOST), "host goal")
    env.clock.set(T0 + mins(5))
    await env.goals.add_many(env.actor(ANN), "ann one\nann two\nann three")
    await env.goals.add(env.actor(BOB), "bob only")
    ann = {g.text: g.id for g in await env.rows(Goal, Goal.user_id == ANN)}
    await env.goals.done(env.actor(ANN), ann["ann one"])
    await env.next_phase(sprint_id)  # break 1
    await env.checkins.record(GUILD, sprint_id, 1, ANN, "done")
    await env.checkins.record(GUILD, sprint_id, 1, BOB, "stuck")
    await env.checkins.set_note(GUILD, sprint_id, 1, BOB, "need a second pair of eyes")
    await env.next_phase(sprint_id)  # round 2
    await env.goals.done(env.actor(ANN), ann["ann two"])
    await env.next_phase(sprint_id)  # break 2
    await env.checkins.record(GUILD, sprint_id, 2, ANN, "progress")
    await env.finish(sprint_id)

    data = await summary(env, sprint_id)
    assert data == {
        "members": [
            {
                "user_id": HOST,
                "name": "Hana",
                "goals_done": 0,
                "goals_total": 1,
                "focus_minutes": 75,
            },
            {"user_id": ANN, "name": "Ann", "goals_done": 2, "goals_total": 3, "focus_minutes": 70},
            {"user_id": BOB, "name": "Bob", "goals_done": 0, "goals_total": 1, "focus_minutes": 70},
        ]
    }
    # The debrief rides on the message that says the sprint is complete (issue #18): one
    # message, pinging only the members who asked for phase pings (as the finish line did).
    [post] = await debrief_posts(env, sprint_id)
    assert post.ref == f"debrief:{sprint_id}" and post.channel_id == CHANNEL
    assert "is complete" in post.payload["content"]
    assert post.payload["allowed_mentions"]["parse"] == []
    pinged = {int(u) for u in post.payload["allowed_mentions"]["users"]}
    assert pinged <= {HOST, ANN, BOB}
    assert [r.ref for r in await env.outbox(OutboxMessage.ref == f"sprint_end:{sprint_id}")] == []
    embed = post.payload["embeds"][0]
    assert "3 members, ✅ 2/5 goals done, ⏱ 215 focus minutes" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    ann_field = fields["Ann — ✅ 2/3 · ⏱ 70 min focus"]
    assert "✅ ann one" in ann_field and "✅ ann two" in ann_field and "⬜ ann three" in ann_field
    assert "Check-ins: 1 ✅ · 2 🔜" in ann_field
    bob_field = fields["Bob — ✅ 0/1 · ⏱ 70 min focus"]
    assert "Check-ins: 1 🆘 · 2 ▫️" in bob_field and "need a second pair of eyes" in bob_field
    buttons = [c["custom_id"] for c in post.payload["components"][0]["components"]]
    assert buttons == [f"debrief:{sprint_id}:note", f"debrief:{sprint_id}:carry"]
    assert render.embed_size(embed) <= render.EMBED_TOTAL


async def test_a_stopped_sprint_gets_a_debrief_saying_it_ended_early(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.stop(sprint_id)
    [post] = await debrief_posts(env, sprint_id)
    assert post.payload["embeds"][0]["description"].startswith("Ended early.")
    assert len((await summary(env, sprint_id))["members"]) == 3  # type: ignore[arg-type]


async def test_an_emptied_sprint_writes_the_summary_without_posting(env: Env) -> None:
    sprint_id = await env.start()
    await env.goals.add(env.actor(HOST), "alone")
    await env.sprints.leave(sprint_id, HOST)
    assert await debrief_posts(env, sprint_id) == []
    data = await summary(env, sprint_id)
    assert data["members"] == [  # type: ignore[comparison-overlap]
        {"user_id": HOST, "name": "Hana", "goals_done": 0, "goals_total": 1, "focus_minutes": 0}
    ]


async def test_a_deleted_channel_writes_the_summary_without_posting(env: Env) -> None:
    sprint_id = await env.start()
    await env.sprints.channel_deleted(CHANNEL)
    assert await debrief_posts(env, sprint_id) == []
    assert (await summary(env, sprint_id))["members"]


async def test_the_debrief_is_also_posted_in_the_weeks_thread(env: Env) -> None:
    async with env.db.transaction() as session:
        session.add(
            AccountabilityWeek(guild_id=GUILD, week_start=T0.date(), channel_id=777, thread_id=778)
        )
    sprint_id = await to_break(env)
    await env.finish(sprint_id)
    posts = await debrief_posts(env, sprint_id)
    assert sorted((p.ref, p.channel_id) for p in posts) == [
        (f"debrief:{sprint_id}", CHANNEL),
        (f"debrief:{sprint_id}:week", 778),
    ]


async def test_the_debrief_waits_for_a_week_thread_that_is_being_created(env: Env) -> None:
    async with env.db.transaction() as session:
        week = AccountabilityWeek(guild_id=GUILD, week_start=T0.date(), channel_id=777)
        session.add(week)
        await session.flush()
        session.add(
            OutboxMessage(
                kind="thread",
                channel_id=777,
                ref=f"acc_thread:{week.id}",
                payload={"name": "Week"},
                nonce="n1",
                status="pending",
            )
        )
    sprint_id = await to_break(env)
    await env.finish(sprint_id)
    [week_copy] = [p for p in await debrief_posts(env, sprint_id) if p.ref.endswith(":week")]
    assert week_copy.channel_ref == f"acc_thread:{week.id}" and week_copy.channel_id is None


async def test_a_debrief_note_is_stored_and_shown(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.finish(sprint_id)
    await env.checkins.debrief_note_allowed(GUILD, sprint_id, ANN)
    await env.checkins.add_debrief_note(GUILD, sprint_id, ANN, "Good focus. Next: tests.")
    [note] = await env.rows(DebriefNote)
    assert (note.user_id, note.text) == (ANN, "Good focus. Next: tests.")
    [edit] = await env.outbox(
        OutboxMessage.kind == "edit", OutboxMessage.target_ref == f"debrief:{sprint_id}"
    )
    assert "Good focus. Next: tests." in str(edit.payload)


async def test_only_members_can_add_a_debrief_note(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.finish(sprint_id)
    with pytest.raises(PermissionDenied):
        await env.checkins.debrief_note_allowed(GUILD, sprint_id, CAT)
    with pytest.raises(PermissionDenied):
        await env.checkins.add_debrief_note(GUILD, sprint_id, CAT, "hi")
    assert await env.rows(DebriefNote) == []


async def test_debrief_notes_are_capped_per_member(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.finish(sprint_id)
    for i in range(5):
        await env.checkins.add_debrief_note(GUILD, sprint_id, ANN, f"note {i}")
    with pytest.raises(Conflict, match="5 notes"):
        await env.checkins.debrief_note_allowed(GUILD, sprint_id, ANN)


async def test_the_debrief_shows_goals_carried_nowhere_twice(env: Env) -> None:
    sprint_id = await to_break(env)
    await env.goals.add(env.actor(ANN), "open at the end")
    await env.finish(sprint_id)
    first = await env.goals.carry_over(env.actor(ANN), sprint_id, Scope.WEEK)
    second = await env.goals.carry_over(env.actor(ANN), sprint_id, Scope.WEEK)
    assert len(first.carried) == 1 and second.carried == ()


async def test_a_huge_debrief_stays_within_discords_embed_limits(env: Env) -> None:
    members = tuple(
        render.DebriefMember(
            user_id=1000 + i,
            name="N" * 100,
            goals=tuple(render.DebriefGoal("g*" * 100, i % 2 == 0) for _ in range(10)),
            focus_minutes=50,
            trail=((1, "done"), (2, "stuck"), (3, None)),
            checkin_notes=((1, "n" * 500),),
            debrief_notes=("d" * 1000,),
        )
        for i in range(40)
    )
    payload = render.debrief_payload(
        render.Debrief(1, "T" * 100, "finished", datetime(2031, 1, 1, tzinfo=T0.tzinfo), members)
    )
    embed = payload["embeds"][0]
    assert len(embed["fields"]) <= render.EMBED_FIELDS
    assert all(len(f["value"]) <= render.FIELD_VALUE for f in embed["fields"])
    assert all(len(f["name"]) <= render.FIELD_NAME for f in embed["fields"])
    assert render.embed_size(embed) <= render.EMBED_TOTAL
    assert embed["fields"][-1]["name"] == "…and 16 more"

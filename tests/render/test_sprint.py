"""The sprint renderers: pure functions from sprint data to Discord JSON within Discord's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain import sprint as domain
from bot.domain.sprint import PRESETS
from bot.ids import SprintAction
from bot.render import sprint as render
from bot.views.sprint import HistoryEntry, JoinResult, ParticipantView, SprintView

T0 = datetime(2031, 1, 6, 9, 0, tzinfo=UTC)


def make_view(
    *,
    people: int = 1,
    title: str = "Deep work",
    paused: bool = False,
    voice: int | None = None,
    plan: domain.SprintPlan | None = None,
) -> SprintView:
    plan = plan or PRESETS["pomodoro"]
    state = domain.start(plan, T0, 1.0)
    if paused:
        state = domain.pause(state, T0 + timedelta(seconds=30))
    return SprintView(
        id=7,
        guild_id=1,
        channel_id=2,
        voice_channel_id=voice,
        host_id=10,
        title=title,
        plan=plan,
        speed=1.0,
        state=state,
        participants=tuple(
            ParticipantView(10 + i, f"member {i}", True, True, T0) for i in range(people)
        ),
        card_message_id=None,
        created_at=T0,
        end_reason=None,
        summary=None,
        version=0,
    )


def test_card_shows_the_phase_end_as_discord_timestamps() -> None:
    embed = render.card_embed(make_view(), {}, T0)
    end = int((T0 + timedelta(minutes=2)).timestamp())
    assert f"<t:{end}:t>" in embed["description"] and f"<t:{end}:R>" in embed["description"]
    assert "/goal" in embed["description"]  # the intro says what to do


def test_card_shows_the_whole_schedule_as_timestamps() -> None:
    description = render.card_embed(make_view(), {}, T0)["description"]
    lines = description.splitlines()
    end = int((T0 + timedelta(minutes=117)).timestamp())
    assert lines[0] == f"🏁 **Ends <t:{end}:t>** (<t:{end}:R>)"
    w1_start, w1_end = (int((T0 + timedelta(minutes=m)).timestamp()) for m in (2, 27))
    assert f"🍅 Work 1/4 · <t:{w1_start}:t>–<t:{w1_end}:t> · ends <t:{w1_end}:R>" in lines
    assert sum(line.startswith(("👋", "🍅", "☕", "🌴")) for line in lines) == 8
    assert "▰" not in description and "▱" not in description  # no stale progress bar


def test_a_twelve_round_card_stays_within_discord_limits() -> None:
    plan = domain.SprintPlan(
        work_min=180, break_min=60, rounds=12, long_break_min=60, long_break_every=4, intro_min=15
    )
    embed = render.card_embed(make_view(people=300, plan=plan, title="t" * 300), {10: "✅ 2/3"}, T0)
    assert len(embed["description"]) <= 4096 and not embed["description"].endswith("…")
    assert embed["description"].count(" · ends <t:") == 24
    size = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
    size += sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert size <= 6000 and len(embed["title"]) <= 256


def test_card_lists_hundreds_of_members_within_the_field_limit() -> None:
    embed = render.card_embed(make_view(people=300), {10: "✅ 2/3"}, T0)
    people = embed["fields"][-1]["value"]
    assert len(people) <= 1024
    assert people.startswith("<@10> ✅ 2/3") and "more" in people.splitlines()[-1]


def test_a_paused_card_shows_the_frozen_time_left_and_a_resume_button() -> None:
    payload = render.card_payload(make_view(paused=True), {}, T0 + timedelta(minutes=5))
    assert "Paused with 2 min left" in payload["embeds"][0]["description"]
    labels = [c["label"] for c in payload["components"][0]["components"]]
    assert labels == ["Join", "Leave", "Resume", "Skip"]


def test_a_shared_sprint_card_carries_a_link_button_to_its_live_page() -> None:
    url = "https://sprints.example.org/s/abc123"
    row = render.card_payload(make_view(), {}, T0, link=url)["components"][0]["components"]
    assert [c["label"] for c in row] == ["Join", "Leave", "Pause", "Skip", "Live page"]
    live = row[-1]
    assert live["style"] == 5 and live["url"] == url and "custom_id" not in live
    # Not shared: no link button.
    plain = render.card_payload(make_view(), {}, T0)["components"][0]["components"]
    assert [c["label"] for c in plain] == ["Join", "Leave", "Pause", "Skip"]


def test_an_ended_card_keeps_only_the_live_page_link() -> None:
    view = make_view()
    over = replace(view, state=domain.stop(view.state, T0), end_reason="stopped")
    assert render.card_payload(over, {}, T0)["components"] == []
    [row] = render.card_payload(over, {}, T0, link="https://x.example/s/t")["components"]
    assert [(c["label"], c["url"]) for c in row["components"]] == [
        ("Live page", "https://x.example/s/t")
    ]


def test_voice_status_uses_the_server_time_zone() -> None:
    text = render.voice_status_text(make_view(voice=5), "Europe/Berlin")
    assert text == "👋 Intro · until 10:02 CET"


def test_voice_status_falls_back_to_utc_for_an_unknown_zone() -> None:
    assert render.voice_status_text(make_view(voice=5), "Mars/Olympus").endswith("09:02 UTC")


def test_history_stays_under_the_embed_size_limit() -> None:
    summary = {
        "members": [
            {"user_id": i, "name": "n" * 90, "goals_done": 1, "goals_total": 3, "focus_minutes": 50}
            for i in range(40)
        ]
    }
    entries = [
        HistoryEntry(
            id=i,
            title="t" * 100,
            channel_id=2,
            host_id=10,
            status="finished",
            end_reason="finished",
            created_at=T0,
            ended_at=T0,
            rounds=4,
            participant_ids=tuple(range(40)),
            summary=summary,
        )
        for i in range(25)
    ]
    embed = render.history_embed(entries, T0)
    size = len(embed["title"]) + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    size += len(embed.get("footer", {}).get("text", ""))
    assert size <= 6000 and all(len(f["value"]) <= 1024 for f in embed["fields"])
    assert "1/3 goals · 50 min focus" in embed["fields"][0]["value"]


def test_history_without_a_summary_lists_who_took_part() -> None:
    entry = HistoryEntry(
        id=1,
        title="Evening",
        channel_id=2,
        host_id=10,
        status="cancelled",
        end_reason="stopped",
        created_at=T0,
        ended_at=T0,
        rounds=4,
        participant_ids=(10, 11),
        summary=None,
    )
    field = render.history_embed([entry], T0)["fields"][0]
    assert f"<t:{int(T0.timestamp())}:f>" in field["value"]
    assert "<@10> <@11>" in field["value"] and "stopped early" in field["value"]


def test_late_join_reply_says_where_the_sprint_is() -> None:
    view = make_view()
    view = SprintView(**{**view.__dict__, "state": domain.skip(view.plan, view.state, T0, 1.0)[0]})
    text = render.join_reply(JoinResult(view, already=False, late=True), T0)
    assert "work round 1/4" in text and "Add your goal" in text


def test_durations_read_naturally() -> None:
    assert [render.fmt_duration(timedelta(seconds=s)) for s in (5, 89, 600, 3900, 7200)] == [
        "5 s",
        "1 min",
        "10 min",
        "1 h 5 min",
        "2 h",
    ]


def test_phase_lines_never_ping_through_the_title() -> None:
    line = render.finished_line("@everyone <@&1>", PRESETS["pomodoro"], T0)
    assert "@everyone" not in line and "<@&1>" not in line


# -- wording (issue #12, item 7) ------------------------------------------------------------------


def one_round(**kw: int) -> domain.SprintPlan:
    values = {
        "work_min": 25,
        "break_min": 5,
        "rounds": 1,
        "long_break_min": 15,
        "long_break_every": 4,
        "intro_min": 0,
    }
    values.update(kw)
    return domain.SprintPlan(**values)


def test_a_one_round_plan_names_no_breaks() -> None:
    assert render.plan_summary(one_round()) == "1 round of 25 min work"
    assert render.plan_summary(one_round(intro_min=2)) == "1 round of 25 min work, 2 min intro"
    card = render.card_embed(make_view(plan=one_round()), {}, T0)
    assert "break" not in card["fields"][1]["value"]


def test_plans_name_only_the_breaks_they_have() -> None:
    assert render.plan_summary(PRESETS["pomodoro"]).startswith("4 × 25 min work, 5 min breaks")
    every = one_round(rounds=3, long_break_every=1)
    assert render.plan_summary(every) == "3 × 25 min work, 15 min long breaks"


def test_one_round_is_one_round_not_one_rounds() -> None:
    plan = one_round()
    assert "1 round, 25 min of focus" in render.finished_line("Solo", plan, T0)
    assert "1 round done" in render.finished_line("Solo", plan, T0, catching_up=True)
    state = domain.stop(domain.start(plan, T0, 1.0), T0 + timedelta(minutes=30))
    over = replace(make_view(plan=plan), state=state, end_reason="stopped")
    assert "1/1 round\n" in render.card_embed(over, {}, T0)["description"]
    assert "rounds" not in render.card_embed(over, {}, T0)["description"]


def test_skip_while_paused_says_the_sprint_runs_again() -> None:
    view = make_view()
    assert "running again" in render.skip_reply(view, resumed=True)
    assert "running again" not in render.skip_reply(view)


def test_a_stale_control_says_already_moved_on_and_where_the_sprint_is() -> None:
    paused = make_view(paused=True)
    text = render.already_moved_on(paused, SprintAction.PAUSE)
    assert text.startswith("Already moved on:") and "already paused in the intro" in text
    skip = render.already_moved_on(make_view(), SprintAction.SKIP)
    assert "is now in the intro, ending <t:" in skip


def test_the_card_buttons_carry_the_control_seq_but_join_and_leave_do_not() -> None:
    view = replace(make_view(), control_seq=3)
    ids = [c["custom_id"] for c in render.card_components(view)[0]["components"]]
    assert ids == ["sprint:7:join", "sprint:7:leave", "sprint:7:pause:3", "sprint:7:skip:3"]

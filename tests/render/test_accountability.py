"""bot/render/accountability.py: the weekly thread's kickoff, summary, check-in and review.

Pure functions from view data to Discord JSON: who is pinged (exactly the role at kickoff and the
present members with open goals at a check-in), how member text is shown, and that big weeks stay
within Discord's limits.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot.domain.weeks import WeekSchedule
from bot.ids import WeekAction, week_component_id
from bot.render import accountability as render
from bot.render.accountability import GoalLine, MemberRef, MemberWeek, ReviewLine, WeekTimes

WEEK = date(2027, 3, 8)
AT = datetime(2027, 3, 8, 14, tzinfo=UTC)


def member(uid: int, *goals: tuple[str, bool], left: bool = False, name: str = "") -> MemberWeek:
    return MemberWeek(
        MemberRef(uid, name, left),
        tuple(GoalLine(i, text, done) for i, (text, done) in enumerate(goals, start=uid * 100)),
    )


def test_refs_and_custom_ids_name_the_week() -> None:
    assert render.thread_ref(4) == "acc_thread:4"
    assert render.week_of_thread_ref("acc_thread:4") == 4
    assert render.week_of_thread_ref("acc_summary:4") is None
    assert render.is_week_ref(render.summary_ref(4)) and render.is_week_ref(render.review_ref(4))
    assert not render.is_week_ref("sprint_card:4")
    assert week_component_id(WeekAction.DONE, 4) == "acc:done:4"


def test_ts_is_a_discord_timestamp() -> None:
    assert render.ts(AT) == f"<t:{int(AT.timestamp())}:F>"
    assert render.ts(AT, "R") == f"<t:{int(AT.timestamp())}:R>"


def test_kickoff_pings_exactly_the_configured_role() -> None:
    times = WeekTimes(checkins=(AT,), review=AT)
    payload = render.kickoff_payload(4, WEEK, times, role_id=55)
    assert payload["content"].startswith("<@&55> 📅 **Week of 8 Mar**")
    assert payload["allowed_mentions"] == {"parse": [], "roles": ["55"]}
    steps = payload["embeds"][0]["description"].splitlines()
    assert len(steps) == 4 and steps[2].startswith("3. Check-in <t:")
    [button] = payload["components"][0]["components"]
    assert (button["label"], button["custom_id"]) == ("Add my goals", "acc:goals:4")


def test_kickoff_without_a_role_pings_nobody() -> None:
    payload = render.kickoff_payload(4, WEEK, WeekTimes(), role_id=None)
    assert payload["allowed_mentions"] == {"parse": []}
    assert "<@&" not in payload["content"]


def test_summary_lists_open_goals_first_and_escapes_member_text() -> None:
    members = [member(1, ("done *it*", True), ("open one", False))]
    payload = render.summary_payload(4, WEEK, members, updated_at=AT)
    [embed] = payload["embeds"]
    assert embed["title"] == "🎯 Goals · Week of 8 Mar"
    lines = embed["description"].splitlines()
    assert lines[0] == "✅ 1/2 goals done by 1 member"
    assert lines[2:5] == ["<@1> — ✅ 1/2", "⬜ open one", r"✅ done \*it\*"]
    assert payload["allowed_mentions"] == {"parse": []}
    labels = [b["label"] for b in payload["components"][0]["components"]]
    assert labels == ["Add my goals", "Mark done"]


def test_final_summary_has_no_buttons() -> None:
    payload = render.summary_payload(4, WEEK, [], updated_at=AT, final=True)
    assert payload["components"] == []
    assert "Final" in payload["embeds"][0]["description"]


def test_checkin_pings_only_present_members_with_open_goals() -> None:
    members = [
        member(1, ("a", False)),
        member(2, ("b", False), left=True, name="Cara *Jones*"),
    ]
    payload = render.checkin_payload(4, WEEK, members, review_at=AT)
    assert payload["allowed_mentions"] == {"parse": [], "users": ["1"]}
    assert "<@2>" not in payload["content"]
    assert r"Cara \*Jones\* (left the server)" in payload["embeds"][0]["description"]


def test_checkin_pings_at_most_100_members() -> None:
    members = [member(i, ("g", False)) for i in range(1, 151)]
    payload = render.checkin_payload(4, WEEK, members, review_at=None)
    assert len(payload["allowed_mentions"]["users"]) == 100
    assert len(payload["content"]) <= render.CONTENT_LIMIT
    assert len(payload["embeds"][0]["description"]) <= render.EMBED_DESCRIPTION


def test_checkin_with_nothing_open_says_so() -> None:
    payload = render.checkin_payload(4, WEEK, [], review_at=None)
    assert "no open goals" in payload["content"]
    assert payload["allowed_mentions"] == {"parse": [], "users": []}


def test_review_shows_figures_streak_and_note_and_offers_carry_over() -> None:
    line = ReviewLine(
        member=MemberRef(1),
        done=("shipped",),
        open=("docs",),
        sprints=1,
        focus_minutes=75,
        streak=3,
        note="good *week*",
    )
    payload = render.review_payload(4, WEEK, [line], archived=True)
    description = payload["embeds"][0]["description"]
    assert description.startswith("✅ 1/2 goals done · ⏱ 75 focus minutes together")
    assert "<@1> — ✅ 1/2 done · 🏃 1 sprint · ⏱ 75 min focus · 🔥 3-week streak" in description
    assert r"💬 good \*week\*" in description
    assert "archived now" in description
    [button] = payload["components"][0]["components"]
    assert button["custom_id"] == "acc:carry:4"
    assert payload["allowed_mentions"] == {"parse": []}


def test_review_without_open_goals_has_no_carry_button() -> None:
    line = ReviewLine(MemberRef(1), ("x",), (), sprints=2, focus_minutes=0, streak=1)
    payload = render.review_payload(4, WEEK, [line], archived=False)
    assert payload["components"] == []
    assert "🔥" not in payload["embeds"][0]["description"]


def test_review_of_a_big_week_stays_within_the_description_limit() -> None:
    lines = [
        ReviewLine(MemberRef(i), ("d" * 120,) * 10, ("o" * 120,) * 10, 3, 60, 2, "n" * 200)
        for i in range(80)
    ]
    description = render.review_payload(4, WEEK, lines, archived=False)["embeds"][0]["description"]
    assert len(description) <= render.EMBED_DESCRIPTION
    assert "more member" in description


def test_schedule_lines_read_in_server_time() -> None:
    schedule = WeekSchedule(
        kickoff_day=0,
        kickoff_time=time(9),
        checkin_days=(2,),
        checkin_time=time(12),
        review_day=4,
        review_time=time(17),
    )
    lines = render.schedule_lines(schedule, "Europe/Berlin")
    assert lines[-1] == "(server time, Europe/Berlin)"
    assert lines[0].startswith("Kickoff: Monday")

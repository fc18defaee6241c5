"""bot/render/goals.py: goal lines, the /goals list embed, check-in buttons and the debrief.

Pure functions from view data to Discord JSON: every test checks what a member sees and that
user text never pings or breaks the markup.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render import goals as render
from bot.render.goals import Debrief, DebriefGoal, DebriefMember, ListedGoal


def test_celebration_names_the_owner_without_pinging_and_escapes_the_goal() -> None:
    payload = render.celebration_payload(42, "ship **v2** @everyone", 2, 3)
    assert payload["content"] == ("🎉 <@42> finished **ship \\*\\*v2\\*\\* @\u200beveryone** (2/3)")
    assert payload["allowed_mentions"] == {"parse": []}


def test_celebration_of_a_single_goal_shows_no_tally() -> None:
    assert not render.celebration_payload(1, "one", 1, 1)["content"].endswith("(1/1)")


def test_goal_line_marks_done_and_open_goals() -> None:
    assert render.goal_line("a", "done") == "✅ a"
    assert render.goal_line("b", "open") == "⬜ b"
    assert render.goal_line("x" * 50, "open", limit=10).startswith("⬜ ")
    assert len(render.goal_line("x" * 50, "open", limit=10)) <= len("⬜ ") + 10


def test_progress_line_is_the_card_suffix() -> None:
    assert render.progress_line(2, 3) == "✅ 2/3"


def test_autocomplete_choice_is_plain_one_line_text_within_100_characters() -> None:
    name = render.goal_choice_name("line one\nline   two " + "y" * 200, "sprint")
    assert name.startswith("🏃 line one line two")
    assert "\n" not in name and len(name) <= render.CHOICE_NAME
    assert render.goal_choice_name("w", "week").startswith("📅 ")


def test_goals_list_groups_goals_by_where_they_belong() -> None:
    goals = [
        ListedGoal(1, "draft", "done", "sprint", "Sprint: Deep work"),
        ListedGoal(2, "review", "open", "sprint", "Sprint: Deep work"),
        ListedGoal(3, "gym", "open", "week", "Week of 3 Mar"),
    ]
    embed = render.goals_list_embed(7, "Ann", goals)
    assert embed["title"] == "Goals of Ann"
    assert embed["description"] == "✅ 1/3 done"
    assert [f["name"] for f in embed["fields"]] == ["Sprint: Deep work", "Week of 3 Mar"]
    assert embed["fields"][0]["value"] == "✅ draft\n⬜ review"


def test_goals_list_without_goals_says_how_to_add_one() -> None:
    embed = render.goals_list_embed(7, "Ann", [])
    assert "/goal" in embed["description"] and "fields" not in embed


def test_goals_list_of_many_long_goals_stays_within_embed_limits() -> None:
    goals = [ListedGoal(i, "g" * 200, "open", "week", f"Week {i % 30}") for i in range(600)]
    embed = render.goals_list_embed(7, "Ann", goals)
    assert len(embed["fields"]) <= render.EMBED_FIELDS
    assert all(len(f["value"]) <= render.FIELD_VALUE for f in embed["fields"])
    assert render.embed_size(embed) <= render.EMBED_TOTAL


def test_checkin_buttons_carry_sprint_round_and_action() -> None:
    [row] = render.checkin_components(12, 2)
    ids = [b["custom_id"] for b in row["components"]]
    assert ids == [
        "checkin:12:2:done",
        "checkin:12:2:progress",
        "checkin:12:2:stuck",
        "checkin:12:2:note",
    ]
    assert [b["label"] for b in row["components"]] == ["Done", "Progress", "Stuck", "Add a note"]


def test_checkin_card_line_shows_the_latest_status_and_nothing_for_unknown() -> None:
    assert render.checkin_card_line("stuck") == "check-in 🆘"
    assert render.checkin_card_line("bogus") == ""


def test_huddle_name_fits_a_thread_name() -> None:
    name = render.huddle_name("  a  very " + "long" * 40)
    assert name.startswith("🆘 a very long") and name.endswith("'s huddle")
    assert len(name) <= render.THREAD_NAME
    assert render.huddle_name("   ") == "🆘 someone's huddle"


def test_huddle_intro_pings_exactly_the_stuck_member() -> None:
    payload = render.huddle_intro_payload(5, 1, "CSS *grid*")
    assert payload["allowed_mentions"] == {"parse": [], "users": ["5"]}
    assert r"CSS \*grid\*" in payload["content"]


def _member(user_id: int, name: str, **kw: object) -> DebriefMember:
    base: dict[str, object] = {
        "goals": (DebriefGoal("write", True), DebriefGoal("test", False)),
        "focus_minutes": 50,
        "trail": ((1, "done"), (2, None)),
    }
    base.update(kw)
    return DebriefMember(user_id=user_id, name=name, **base)  # type: ignore[arg-type]


def test_debrief_sums_the_sprint_and_lists_each_member() -> None:
    data = Debrief(
        sprint_id=3,
        title="Deep *work*",
        reason="stopped",
        ended_at=datetime(2031, 3, 3, 10, tzinfo=UTC),
        members=(_member(1, "Ann", checkin_notes=((1, "ok"),)), _member(2, "Bob")),
    )
    payload = render.debrief_payload(data)
    [embed] = payload["embeds"]
    assert embed["title"] == r"🏁 Debrief · Deep \*work\*"
    assert embed["description"].startswith("Ended early. Sprint over <t:")
    assert "2 members, ✅ 2/4 goals done, ⏱ 100 focus minutes together" in embed["description"]
    ann = embed["fields"][0]
    assert ann["name"] == "Ann — ✅ 1/2 · ⏱ 50 min focus"
    assert ann["value"].splitlines()[:3] == ["<@1>", "✅ write", "⬜ test"]
    assert "Check-ins: 1 ✅ · 2 ▫️" in ann["value"] and "💬 R1: ok" in ann["value"]
    buttons = payload["components"][0]["components"]
    assert [b["custom_id"] for b in buttons] == ["debrief:3:note", "debrief:3:carry"]
    assert payload["allowed_mentions"] == {"parse": []}


def test_debrief_of_a_crowd_stays_within_embed_limits() -> None:
    members = tuple(_member(i, "n" * 90, debrief_notes=("x" * 300,) * 5) for i in range(60))
    data = Debrief(sprint_id=1, title="t" * 300, reason="finished", ended_at=None, members=members)
    [embed] = render.debrief_payload(data)["embeds"]
    assert len(embed["fields"]) <= render.EMBED_FIELDS
    assert embed["fields"][-1]["name"] == f"…and {60 - render.EMBED_FIELDS + 1} more"
    assert len(embed["title"]) <= render.EMBED_TITLE
    assert render.embed_size(embed) <= render.EMBED_TOTAL


def test_debrief_with_nobody_left_says_so() -> None:
    data = Debrief(sprint_id=1, title="t", reason="finished", ended_at=None)
    assert "Nobody stayed" in render.debrief_payload(data)["embeds"][0]["description"]


def test_debrief_summary_is_what_the_sprint_row_stores() -> None:
    data = Debrief(
        sprint_id=1, title="t", reason="finished", ended_at=None, members=(_member(1, "Ann"),)
    )
    assert data.summary() == {
        "members": [
            {"user_id": 1, "name": "Ann", "goals_done": 1, "goals_total": 2, "focus_minutes": 50}
        ]
    }


def test_goals_list_escapes_markup_of_a_sprint_title_in_the_field_name() -> None:
    # issue #12, item 7: the field name showed a sprint title's raw markup.
    goals = [ListedGoal(1, "draft", "open", "sprint", "Sprint: **Launch** __day__ @everyone")]
    embed = render.goals_list_embed(7, "Ann *the* 1st", goals)
    [field] = embed["fields"]
    assert field["name"] == "Sprint: \\*\\*Launch\\*\\* \\_\\_day\\_\\_ @\u200beveryone"
    assert embed["title"] == "Goals of Ann \\*the\\* 1st"

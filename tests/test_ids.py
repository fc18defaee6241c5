"""Custom ids: what a builder writes, its parser reads back."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from bot import ids
from bot.ids import (
    SprintAction,
    SprintButtonId,
    goal_add_id,
    parse_goal_add_id,
    parse_sprint_button_id,
    sprint_button_id,
)
from bot.render import limits


def test_a_sprint_button_id_reads_back_with_and_without_a_mark() -> None:
    for action in (SprintAction.JOIN, SprintAction.SKIP, SprintAction.RESUME):
        assert parse_sprint_button_id(sprint_button_id(12, action)) == SprintButtonId(12, action)
        marked = sprint_button_id(12, action, 7)
        assert parse_sprint_button_id(marked) == SprintButtonId(12, action, 7)
        assert len(marked) <= limits.CUSTOM_ID


def test_a_foreign_or_broken_id_is_not_a_sprint_button() -> None:
    for custom_id in ("sprint:x:join", "sprint:1:stop", "sprint:1:skip:", "acc:done:1", ""):
        assert parse_sprint_button_id(custom_id) is None


def test_the_add_my_goal_id_reads_back() -> None:
    assert parse_goal_add_id(goal_add_id(99)) == 99
    assert parse_goal_add_id("goal:add:") is None


def test_every_custom_id_reads_back_with_its_parser_and_its_template() -> None:
    """Each builder's id is read back by its parser and matched by the DynamicItem template."""
    big = 2**63 - 1  # the largest snowflake: ids stay within Discord's 100 characters
    cases: list[tuple[str, Callable[[str], object], object, str]] = [
        (
            ids.checkin_id(3, 2, "stuck"),
            ids.parse_checkin_id,
            ids.CheckInId(3, 2, "stuck"),
            ids.CHECKIN_TEMPLATE,
        ),
        (ids.huddle_id(3, 2), ids.parse_huddle_id, (3, 2), ids.HUDDLE_TEMPLATE),
        (ids.debrief_id(3, "carry"), ids.parse_debrief_id, (3, "carry"), ids.DEBRIEF_TEMPLATE),
        (ids.carry_id(3, "week"), ids.parse_carry_id, (3, "week"), ids.CARRY_TEMPLATE),
        (
            ids.goal_pick_id("done", big),
            ids.parse_goal_pick_id,
            ("done", big),
            ids.GOAL_PICK_TEMPLATE,
        ),
        (
            ids.goal_form_id(None, "week"),
            ids.parse_goal_form_id,
            (0, "week"),
            ids.GOAL_FORM_TEMPLATE,
        ),
        (ids.goal_form_id(7, "auto"), ids.parse_goal_form_id, (7, "auto"), ids.GOAL_FORM_TEMPLATE),
        (
            ids.checkin_note_form_id(3, 4),
            ids.parse_checkin_note_form_id,
            (3, 4),
            ids.CHECKIN_NOTE_FORM_TEMPLATE,
        ),
        (
            ids.debrief_note_form_id(3),
            ids.parse_debrief_note_form_id,
            3,
            ids.DEBRIEF_NOTE_FORM_TEMPLATE,
        ),
        (ids.week_goals_form_id(9), ids.parse_week_goals_form_id, 9, ids.WEEK_GOALS_FORM_TEMPLATE),
        (ids.week_note_form_id(9), ids.parse_week_note_form_id, 9, ids.WEEK_NOTE_FORM_TEMPLATE),
        (
            ids.pod_button_id("rotate", 5),
            ids.parse_pod_button_id,
            ("rotate", 5),
            ids.POD_BUTTON_TEMPLATE,
        ),
        (
            ids.pod_pause_id("stay", 5, big),
            ids.parse_pod_pause_id,
            ("stay", 5, big),
            ids.POD_PAUSE_TEMPLATE,
        ),
        (
            ids.pod_weekly_id(5, datetime(2027, 1, 4, 17, tzinfo=UTC)),
            ids.parse_pod_weekly_id,
            (5, datetime(2027, 1, 4, 17, tzinfo=UTC)),
            ids.POD_WEEKLY_TEMPLATE,
        ),
        (ids.forget_id(big, "yes"), ids.parse_forget_id, (big, "yes"), ids.FORGET_TEMPLATE),
        (
            ids.delete_server_id(big, "no"),
            ids.parse_delete_server_id,
            (big, "no"),
            ids.DELETE_SERVER_TEMPLATE,
        ),
        (ids.offer_take_id(big, 5), ids.parse_offer_take_id, (big, 5), ids.OFFER_TAKE_TEMPLATE),
        (ids.offer_withdraw_id(big), ids.parse_offer_withdraw_id, big, ids.OFFER_WITHDRAW_TEMPLATE),
        (ids.offer_draft_id(big), ids.parse_offer_draft_id, big, ids.OFFER_DRAFT_TEMPLATE),
    ]
    for custom_id, parse, expected, template in cases:
        assert parse(custom_id) == expected, custom_id
        assert re.fullmatch(template, custom_id), custom_id
        assert len(custom_id) <= limits.CUSTOM_ID


def test_each_weekly_thread_component_reads_back_and_matches_only_its_own_template() -> None:
    for action in ids.WeekAction:
        custom_id = ids.week_component_id(action, 41)
        assert custom_id == f"acc:{action.value}:41"
        assert ids.parse_week_component_id(custom_id) == (action, 41)
        matching = [
            a for a in ids.WeekAction if re.fullmatch(ids.week_component_template(a), custom_id)
        ]
        assert matching == [action]


def test_ids_of_one_kind_are_not_read_as_another() -> None:
    assert ids.parse_checkin_id("checkin:1:1:maybe") is None
    assert ids.parse_checkin_id(ids.huddle_id(1, 1)) is None
    assert ids.parse_debrief_id("debrief:1") is None  # the debrief's outbox ref, not a button
    assert ids.parse_week_component_id("acc:drop:1") is None
    assert ids.parse_week_goals_form_id(ids.week_note_form_id(1)) is None
    assert ids.parse_pod_button_id(ids.pod_pause_id("pause", 1, 2)) is None
    assert ids.parse_pod_pause_id(ids.pod_button_id("met", 1)) is None
    assert ids.parse_goal_form_id("goalmodal:1:someday") is None
    assert ids.parse_forget_id(ids.delete_server_id(1, "yes")) is None


def test_offer_ids_take_only_slots_one_to_five_and_are_not_read_as_each_other() -> None:
    assert ids.parse_offer_take_id("offer:take:1:6") is None
    assert ids.parse_offer_take_id("offer:take:1:0") is None
    assert ids.parse_offer_take_id(ids.offer_withdraw_id(1)) is None
    assert ids.parse_offer_withdraw_id(ids.offer_draft_id(1)) is None
    assert ids.parse_offer_draft_id(ids.offer_take_id(1, 1)) is None
    for bad in (0, 6):
        try:
            ids.offer_take_id(1, bad)
        except ValueError:
            continue
        raise AssertionError(f"slot {bad} was accepted")

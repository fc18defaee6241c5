"""Custom ids: what a builder writes, its parser reads back."""

from __future__ import annotations

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

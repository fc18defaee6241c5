"""What the goal, check-in and debrief views share (private to cogs/goals.py and its views)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.text import truncate
from bot.render import goals as render
from bot.services.goals import GoalInfo
from bot.ui import bot_of

if TYPE_CHECKING:
    from bot.services.checkins import CheckInService
    from bot.services.goals import GoalService

NO_PINGS = discord.AllowedMentions.none()
MESSAGE_LIMIT = 2000
MODAL_TIMEOUT = 3600.0  # seconds the Modal object is kept; submissions are handled by custom_id


def goal_service(interaction: discord.Interaction[Any]) -> GoalService:
    return bot_of(interaction).services.goals


def checkin_service(interaction: discord.Interaction[Any]) -> CheckInService:
    return bot_of(interaction).services.checkins


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return truncate(text, limit)


def bullets(goals: Sequence[GoalInfo], limit: int = 120) -> str:
    return "\n".join(render.goal_line(g.text, g.status, limit=limit) for g in goals)


def codeblock(text: str) -> str:
    """Member text given back so nothing is lost (a ``` inside cannot close the block)."""
    return "```\n" + text.replace("```", "`\u200b``") + "\n```"


def modal(title: str, custom_id: str, field: discord.ui.TextInput[Any]) -> discord.ui.Modal:
    form = discord.ui.Modal(title=truncate(title, 45), custom_id=custom_id, timeout=MODAL_TIMEOUT)
    form.add_item(field)
    return form

"""Buttons, selects and modals for goals, check-ins and the debrief (private to cogs/goals.py).

Every button a message keeps is a ``DynamicItem`` (custom_id carries its state), so it works after
a restart. Modals are handled by custom_id in :func:`handle_modal` (called from the cog's
``on_interaction`` listener) rather than by the in-memory Modal object, so a form submitted after a
restart is still saved. Replies to clicks and forms are interaction responses, not outbox rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.domain.errors import UserError
from bot.domain.text import truncate
from bot.ids import (
    CARRY_TEMPLATE,
    CHECKIN_NOTE_FORM_TEMPLATE,
    CHECKIN_TEMPLATE,
    DEBRIEF_NOTE_FORM_TEMPLATE,
    DEBRIEF_TEMPLATE,
    GOAL_ADD_TEMPLATE,
    GOAL_FORM_TEMPLATE,
    GOAL_PICK_TEMPLATE,
    HUDDLE_TEMPLATE,
    carry_id,
    checkin_id,
    checkin_note_form_id,
    debrief_id,
    debrief_note_form_id,
    goal_add_id,
    goal_form_id,
    goal_pick_id,
    huddle_id,
)
from bot.render import goals as render
from bot.services.goals import (
    Actor,
    AddResult,
    CarryResult,
    ChooseGoal,
    DoneResult,
    GoalInfo,
    Rejected,
    Scope,
)
from bot.ui import bot_of, guarded, modal_values, send_ephemeral
from cogs._actor import actor_of

if TYPE_CHECKING:
    from bot.services.checkins import CheckInService
    from bot.services.goals import GoalService

NO_PINGS = discord.AllowedMentions.none()
MESSAGE_LIMIT = 2000
MODAL_TIMEOUT = 3600.0  # seconds the Modal object is kept; submissions are handled by custom_id


# -- helpers --------------------------------------------------------------------------------------


def goal_service(interaction: discord.Interaction[Any]) -> GoalService:
    return bot_of(interaction).services.goals


def checkin_service(interaction: discord.Interaction[Any]) -> CheckInService:
    return bot_of(interaction).services.checkins


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return truncate(text, limit)


def _bullets(goals: Sequence[GoalInfo], limit: int = 120) -> str:
    return "\n".join(render.goal_line(g.text, g.status, limit=limit) for g in goals)


def _codeblock(text: str) -> str:
    return "```\n" + text.replace("```", "`\u200b``") + "\n```"


def rejected_text(rejected: Sequence[Rejected]) -> str:
    """Lines that were not saved, each with why and what was written (so it can be copied)."""
    if not rejected:
        return ""
    parts = [f"**Not saved ({len(rejected)}):**"]
    for r in rejected[:10]:
        parts.append(f"Line {r.line}: {r.reason}")
    copy = "\n".join(r.text for r in rejected)
    parts.append("Here they are to copy:\n" + _codeblock(copy[:1200]))
    return "\n".join(parts)


def add_reply(actor: Actor, result: AddResult) -> tuple[str, bool]:
    """(content, ephemeral): sprint goals are posted for the group; week goals only to you."""
    n = len(result.added)
    if not n:
        return "Nothing was saved.\n" + rejected_text(result.rejected), True
    noun = "goal" if n == 1 else "goals"
    if result.scope is Scope.SPRINT:
        head = f"🎯 {render.mention(actor.user_id)} set {n} {noun} for this sprint"
        if result.joined:
            head += " and joined it"
        text = head + ":\n" + _bullets(result.added)
        return clip(text), False
    head = ""
    if result.moved_to_week:
        head = (
            "That sprint has ended, so I saved these to your week goals instead "
            "(nothing is lost).\n"
        )
    head += f"📅 Added {n} {noun} to {result.where} ({result.open_count} of {result.limit}):\n"
    return clip(head + _bullets(result.added)), True


def done_reply(result: DoneResult) -> str:
    g = result.goal
    tally = f" ({result.done}/{result.total} done)" if result.total > 1 else ""
    also = "" if result.celebrated else " (quietly: this server has celebrations turned off)"
    return clip(f"🎉 Done: **{render.user_text(g.text, 300)}**{tally}{also}")


def carry_reply(result: CarryResult) -> str:
    lines: list[str] = []
    if result.carried:
        n = len(result.carried)
        lines.append(
            f"➡️ Carried {n} open {'goal' if n == 1 else 'goals'} over to {result.where}:\n"
            + _bullets(result.carried)
        )
    if result.already:
        n = len(result.already)
        lines.append(
            f"Already carried over earlier ({n}), so not copied again:\n"
            + _bullets(result.already, 80)
        )
    if result.left_over:
        lines.append(
            "These didn't fit (the open-goal limit was reached); drop or finish some and "
            "press again:\n" + _bullets(result.left_over, 80)
        )
    return clip("\n".join(lines) or "Nothing to carry over.")


def _modal(title: str, custom_id: str, field: discord.ui.TextInput[Any]) -> discord.ui.Modal:
    modal = discord.ui.Modal(title=truncate(title, 45), custom_id=custom_id, timeout=MODAL_TIMEOUT)
    modal.add_item(field)
    return modal


# -- modals ---------------------------------------------------------------------------------------

GOAL_MODAL = re.compile(GOAL_FORM_TEMPLATE)
NOTE_MODAL = re.compile(CHECKIN_NOTE_FORM_TEMPLATE)
DEBRIEF_MODAL = re.compile(DEBRIEF_NOTE_FORM_TEMPLATE)


def goal_modal(sprint_id: int | None, scope: Scope | None, title: str) -> discord.ui.Modal:
    """The several-goals form; ``sprint_id`` is the sprint it was opened for (0/None: none)."""
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="One goal per line (up to 10)",
        style=discord.TextStyle.paragraph,
        custom_id="goals",
        placeholder="Draft the intro\nReply to Sam's review\nFix the login bug",
        max_length=4000,
        required=True,
    )
    scope_key = scope.value if scope is not None else "auto"
    return _modal(title, goal_form_id(sprint_id, scope_key), field)


def note_modal(sprint_id: int, round_: int, current: str | None) -> discord.ui.Modal:
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label=f"A short note for round {round_}",
        style=discord.TextStyle.paragraph,
        custom_id="note",
        placeholder="What did you get done? What's in the way?",
        default=current,
        max_length=500,
        required=True,
    )
    return _modal("Check-in note", checkin_note_form_id(sprint_id, round_), field)


def debrief_modal(sprint_id: int) -> discord.ui.Modal:
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="How did it go? What's next?",
        style=discord.TextStyle.paragraph,
        custom_id="note",
        placeholder="Finished the draft; next: tidy the references.",
        max_length=1000,
        required=True,
    )
    return _modal("Debrief note", debrief_note_form_id(sprint_id), field)


async def handle_modal(interaction: discord.Interaction[Any]) -> bool:
    """Handle one of our modal submissions; False when the custom_id isn't ours."""
    data = cast("dict[str, Any]", interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    values = modal_values(data)
    if m := GOAL_MODAL.fullmatch(custom_id):
        sid, scope = int(m["sid"]), m["scope"]
        goals = values.get("goals", "")
        await guarded(
            interaction, "goal form", lambda: _submit_goals(interaction, sid, scope, goals)
        )
        return True
    if m := NOTE_MODAL.fullmatch(custom_id):
        sid, round_ = int(m["sid"]), int(m["round"])
        note = values.get("note", "")
        await guarded(
            interaction, "check-in note", lambda: _submit_note(interaction, sid, round_, note)
        )
        return True
    if m := DEBRIEF_MODAL.fullmatch(custom_id):
        sid = int(m["sid"])
        note = values.get("note", "")
        await guarded(interaction, "debrief note", lambda: _submit_debrief(interaction, sid, note))
        return True
    return False


async def _submit_goals(
    interaction: discord.Interaction[Any], sprint_id: int, scope_key: str, text: str
) -> None:
    actor = actor_of(interaction)
    scope = None if scope_key == "auto" else Scope(scope_key)
    result = await goal_service(interaction).add_many(
        actor, text, scope=scope, sprint_id=sprint_id or None
    )
    content, ephemeral = add_reply(actor, result)
    await interaction.response.send_message(content, ephemeral=ephemeral, allowed_mentions=NO_PINGS)
    if result.added and result.rejected:
        await interaction.followup.send(
            clip(rejected_text(result.rejected)), ephemeral=True, allowed_mentions=NO_PINGS
        )


async def _submit_note(
    interaction: discord.Interaction[Any], sprint_id: int, round_: int, text: str
) -> None:
    assert interaction.guild_id is not None
    try:
        result = await checkin_service(interaction).set_note(
            interaction.guild_id, sprint_id, round_, interaction.user.id, text
        )
    except UserError as err:
        raise UserError(f"{err}\nWhat you wrote:\n{_codeblock(text[:1500])}") from None
    where = "" if result.sprint_active else " The sprint has ended, so I added it to the debrief."
    emoji = render.CHECKIN_EMOJI.get(result.status, "")
    await send_ephemeral(interaction, f"📝 Saved your note for round {round_} {emoji}.{where}")


async def _submit_debrief(interaction: discord.Interaction[Any], sprint_id: int, text: str) -> None:
    assert interaction.guild_id is not None
    try:
        await checkin_service(interaction).add_debrief_note(
            interaction.guild_id, sprint_id, interaction.user.id, text
        )
    except UserError as err:
        raise UserError(f"{err}\nWhat you wrote:\n{_codeblock(text[:1500])}") from None
    await send_ephemeral(interaction, "📝 Thanks! Your note is in the debrief.")


# -- persistent buttons ---------------------------------------------------------------------------


class AddGoalButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=GOAL_ADD_TEMPLATE):
    """ "Add my goal" on the sprint's late-join reply: opens the goal form for that sprint."""

    def __init__(self, sprint_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Add my goal",
                emoji="🎯",
                style=discord.ButtonStyle.primary,
                custom_id=goal_add_id(sprint_id),
            )
        )
        self.sprint_id = sprint_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AddGoalButton:
        return cls(int(match["sid"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            title = await goal_service(interaction).sprint_title(self.sprint_id)
            if title is None:  # the sprint ended: say so up front, the form saves to the week
                modal = goal_modal(None, Scope.WEEK, "Sprint over · goals for your week")
            else:
                modal = goal_modal(self.sprint_id, None, f"Goals for {title}")
            await interaction.response.send_modal(modal)

        await guarded(interaction, "Add my goal", work)


class CheckInButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=CHECKIN_TEMPLATE,
):
    def __init__(self, sprint_id: int, round_: int, action: str) -> None:
        label = render.CHECKIN_LABEL.get(action, "Add a note")
        emoji = render.CHECKIN_EMOJI.get(action, "📝")
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                custom_id=checkin_id(sprint_id, round_, action),
                style=(
                    discord.ButtonStyle.success
                    if action == "done"
                    else discord.ButtonStyle.secondary
                ),
            )
        )
        self.sprint_id, self.round, self.action = sprint_id, round_, action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CheckInButton:
        return cls(int(match["sid"]), int(match["round"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, f"check-in {self.action}", lambda: self._run(interaction))

    async def _run(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        service = checkin_service(interaction)
        if self.action == "note":
            current = await service.note_target(
                interaction.guild_id, self.sprint_id, self.round, interaction.user.id
            )
            await interaction.response.send_modal(note_modal(self.sprint_id, self.round, current))
            return
        result = await service.record(
            interaction.guild_id, self.sprint_id, self.round, interaction.user.id, self.action
        )
        emoji = render.CHECKIN_EMOJI[result.status]
        label = render.CHECKIN_LABEL[result.status]
        if result.previous is None:
            text = f"{emoji} Checked in for round {self.round}: **{label}**."
        elif result.previous == result.status:
            text = f"{emoji} You're already checked in as **{label}** for round {self.round}."
        else:
            was = render.CHECKIN_LABEL.get(result.previous, result.previous)
            text = f"{emoji} Changed your round {self.round} check-in from {was} to **{label}**."
        view = discord.ui.View(timeout=None)
        view.add_item(CheckInButton(self.sprint_id, self.round, "note"))
        if result.status == "stuck":
            if result.huddle_thread_id:
                text += f" Your huddle: <#{result.huddle_thread_id}>."
            else:
                text += " Want help? Open a huddle thread others can join during the break."
                view.add_item(HuddleButton(self.sprint_id, self.round))
        await interaction.response.send_message(text, ephemeral=True, view=view)


class HuddleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=HUDDLE_TEMPLATE,
):
    def __init__(self, sprint_id: int, round_: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Open a huddle",
                emoji="🆘",
                style=discord.ButtonStyle.danger,
                custom_id=huddle_id(sprint_id, round_),
            )
        )
        self.sprint_id, self.round = sprint_id, round_

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> HuddleButton:
        return cls(int(match["sid"]), int(match["round"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            actor = actor_of(interaction)
            result = await checkin_service(interaction).huddle(
                actor.guild_id, self.sprint_id, self.round, actor.user_id, actor.display_name
            )
            if result.thread_id is not None:
                text = f"🆘 Your huddle is here: <#{result.thread_id}>."
            elif result.created:
                text = (
                    f"🆘 Opening **{render.user_text(result.name)}** in this channel; you'll be "
                    "added to it in a moment. Others can join to help during the break."
                )
            else:
                text = "🆘 Your huddle thread is on its way; it will appear in a moment."
            await send_ephemeral(interaction, text)

        await guarded(interaction, "huddle", work)


class DebriefButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=DEBRIEF_TEMPLATE,
):
    def __init__(self, sprint_id: int, action: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Add a debrief note" if action == "note" else "Carry my open goals over",
                emoji="📝" if action == "note" else "➡️",
                custom_id=debrief_id(sprint_id, action),
            )
        )
        self.sprint_id, self.action = sprint_id, action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DebriefButton:
        return cls(int(match["sid"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, f"debrief {self.action}", lambda: self._run(interaction))

    async def _run(self, interaction: discord.Interaction[Any]) -> None:
        actor = actor_of(interaction)
        if self.action == "note":
            await checkin_service(interaction).debrief_note_allowed(
                actor.guild_id, self.sprint_id, actor.user_id
            )
            await interaction.response.send_modal(debrief_modal(self.sprint_id))
            return
        pending, target = await goal_service(interaction).carry_options(actor, self.sprint_id)
        view = discord.ui.View(timeout=None)
        noun = "goal" if pending == 1 else "goals"
        if target is not None:
            view.add_item(CarryButton(self.sprint_id, Scope.SPRINT))
            text = (
                f"You have {pending} open {noun} from this sprint. Carry them to the sprint "
                f"running in <#{target.channel_id}> now, or to your week?"
            )
        else:
            text = (
                f"You have {pending} open {noun} from this sprint. No sprint is running in this "
                "channel right now: carry them to your week, or start a sprint and press "
                "**Carry** again."
            )
        view.add_item(CarryButton(self.sprint_id, Scope.WEEK))
        await interaction.response.send_message(text, ephemeral=True, view=view)


class CarryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=CARRY_TEMPLATE,
):
    def __init__(self, sprint_id: int, to: Scope) -> None:
        super().__init__(
            discord.ui.Button(
                label="To the sprint here" if to is Scope.SPRINT else "To my week",
                emoji="🏃" if to is Scope.SPRINT else "📅",
                style=discord.ButtonStyle.primary,
                custom_id=carry_id(sprint_id, to.value),
            )
        )
        self.sprint_id, self.to = sprint_id, to

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CarryButton:
        return cls(int(match["sid"]), Scope(match["to"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            result = await goal_service(interaction).carry_over(
                actor_of(interaction), self.sprint_id, self.to
            )
            await send_ephemeral(interaction, carry_reply(result))

        await guarded(interaction, "carry over", work)


class GoalPick(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=GOAL_PICK_TEMPLATE,
):
    """The select menu /done shows when several goals are open."""

    def __init__(
        self, action: str, user_id: int, options: list[discord.SelectOption] | None = None
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=goal_pick_id(action, user_id),
                placeholder="Pick the goal you finished",
                options=options or [discord.SelectOption(label="(no goals)", value="0")],
                min_values=1,
                max_values=1,
            )
        )
        self.action, self.user_id = action, user_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> GoalPick:
        options = list(getattr(item, "options", []) or [])
        return cls(match["action"], int(match["uid"]), options)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return interaction.user.id == self.user_id

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            values = self.item.values
            if not values or not values[0].isdigit() or values[0] == "0":
                raise UserError("Pick one of your goals from the list.")
            result = await goal_service(interaction).done(actor_of(interaction), int(values[0]))
            await interaction.response.edit_message(content=done_reply(result), view=None)

        await guarded(interaction, "goal picker", work)


def pick_view(error: ChooseGoal, user_id: int) -> discord.ui.View:
    options = [
        discord.SelectOption(
            label=truncate(" ".join(g.text.split()), render.SELECT_LABEL),
            value=str(g.id),
            description=truncate(g.where or g.scope, render.SELECT_DESCRIPTION),
            emoji=render.SPRINT_MARK if g.scope == "sprint" else render.WEEK_MARK,
        )
        for g in error.goals[:25]
    ]
    view = discord.ui.View(timeout=None)
    view.add_item(GoalPick(error.action, user_id, options))
    return view


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AddGoalButton,
    CheckInButton,
    HuddleButton,
    DebriefButton,
    CarryButton,
    GoalPick,
)

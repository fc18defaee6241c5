"""The buttons of pod threads (private to cogs/pods.py).

Every button is a ``DynamicItem`` whose custom_id carries the pod (``pod:<action>:<pod_id>``) or
the channel's pods and the member asked (``pod:pause:<config_id>:<user_id>``), so it works after a
restart. Replies are ephemeral: answers and preferences are personal.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.errors import PermissionDenied, UserError
from bot.ids import (
    POD_BUTTON_TEMPLATE,
    POD_PAUSE_TEMPLATE,
    POD_WEEKLY_TEMPLATE,
    pod_button_id,
    pod_pause_id,
    pod_weekly_id,
)
from bot.render.wire import ts
from bot.services.pods import Answer, Preference
from bot.ui import bot_of, guarded, send_ephemeral

if TYPE_CHECKING:
    from bot.services.pods import PodService


def service_of(interaction: discord.Interaction[Any]) -> PodService:
    return bot_of(interaction).services.pods


def guild_of(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise UserError("This works in a server, not in direct messages.")
    return interaction.guild_id


class PodButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=POD_BUTTON_TEMPLATE,
):
    """We met / We didn't / Keep this pod / Rotate me next round."""

    def __init__(self, action: str, pod_id: int) -> None:
        super().__init__(discord.ui.Button(custom_id=pod_button_id(action, pod_id), label=action))
        self.action, self.pod_id = action, pod_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PodButton:
        return cls(match["action"], int(match["pod"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, f"pod {self.action} button", lambda: self.run(interaction))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        service, guild, user = service_of(interaction), guild_of(interaction), interaction.user.id
        if self.action in ("met", "miss"):
            answer = Answer.MET if self.action == "met" else Answer.MISSED
            result = await service.answer(guild, self.pod_id, user, answer)
            if answer is Answer.MET:
                text = f"✅ Noted: Pod {result.pod_number} met. Nice work!"
            else:
                text = (
                    "Noted: you didn't meet this round. Thanks for saying so — it helps the "
                    "next matching."
                )
        else:
            pref = Preference.KEEP if self.action == "keep" else Preference.ROTATE
            number = await service.pod_preference(guild, self.pod_id, user, pref)
            if pref is Preference.KEEP:
                text = (
                    f"🔒 You'd like to keep Pod {number}. If everyone in it chooses keep, you "
                    "stay together next round."
                )
            else:
                text = "🔀 You'll get new pod mates next round."
        await send_ephemeral(interaction, text)


class PauseButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=POD_PAUSE_TEMPLATE,
):
    """Asked after two rounds without showing up: pause me / keep me in."""

    def __init__(self, action: str, config_id: int, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(custom_id=pod_pause_id(action, config_id, user_id), label=action)
        )
        self.action, self.config_id, self.user_id = action, config_id, user_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PauseButton:
        return cls(match["action"], int(match["cfg"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, "pod pause button", lambda: self.run(interaction))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.user_id:
            raise PermissionDenied(f"Only <@{self.user_id}> can answer this one.")
        pause = self.action == "pause"
        channel = await service_of(interaction).pause_answer(
            guild_of(interaction), self.config_id, self.user_id, pause
        )
        if pause:
            text = (
                f"⏸️ Paused: you're out of the pods in <#{channel}>. `/pods join` when you're back."
            )
        else:
            text = "▶️ Great, you're in the next round."
        await send_ephemeral(interaction, text)


class WeeklyButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=POD_WEEKLY_TEMPLATE,
):
    """On a pod's intro: the first shared free time becomes the pod's weekly standing session."""

    def __init__(self, pod_id: int, at: datetime) -> None:
        super().__init__(discord.ui.Button(custom_id=pod_weekly_id(pod_id, at), label="weekly"))
        self.pod_id, self.at = pod_id, at

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> WeeklyButton:
        return cls(int(match["pod"]), datetime.fromtimestamp(int(match["at"]), UTC))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, "pod weekly button", lambda: self.run(interaction))

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        view = await service_of(interaction).meet_weekly(
            guild_of(interaction),
            self.pod_id,
            interaction.user.id,
            interaction.user.display_name,
            self.at,
        )
        first = view.next.starts_at if view.next is not None else None
        when = f" from {ts(first)}" if first is not None else ""
        await send_ephemeral(
            interaction,
            f"📅 **{view.title}** meets {view.repeat_text}{when}. Its card is in this thread: "
            "your pod mates answer Going or Maybe there, get a reminder, and the sprint starts "
            "by itself.",
        )


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    PodButton,
    PauseButton,
    WeeklyButton,
)

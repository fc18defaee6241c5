"""/findtime: the next times when a set of members are free together, from the weekly hours
each set with /availability (issue #14, finding a time), for members named, a role or a pod.

When it finds times the reply carries an "Offer these" button: the top suggestions are stored as
a draft offer (to the members named, or open to all for a role or pod) that only the member who
ran /findtime can post as an offer card (``cogs/_offer_views.OfferDraftButton``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import ValidationError
from bot.render.findtime import findtime_text
from bot.services.availability.find import find_time, members_with_hours
from bot.services.privacy.gate import Untracked
from bot.views.findtime import FindTimeView
from cogs._offer_views import draft_view, name_of

if TYPE_CHECKING:
    from bot.core import AnyBot

OFFERED = 5  # an offer holds at most five slots


async def pod_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[int]]:
    """The pods of each pods channel's latest round, the member's own first."""
    if interaction.guild_id is None:
        return []
    found = await interaction.client.services.pods.current_pods(interaction.guild_id)
    me = interaction.user.id
    typed = current.strip().lower().removeprefix("pod").strip()
    out: list[app_commands.Choice[int]] = []
    for pod in sorted(found, key=lambda p: (me not in p.members, p.channel_id, p.number)):
        where = interaction.guild.get_channel(pod.channel_id) if interaction.guild else None
        place = f" in #{where.name}" if where is not None else ""
        mine = " (yours)" if me in pod.members else ""
        count = len(pod.members)
        label = (
            f"Pod {pod.number}{place}, round {pod.round_number}: {count} "
            f"member{'s' if count != 1 else ''}{mine}"
        )
        if typed and typed not in label.lower():
            continue
        out.append(app_commands.Choice(name=label[:100], value=pod.pod_id))
    return out[:25]


class FindTimeCog(commands.Cog, name="Find a time"):
    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @app_commands.command(name="findtime")
    @app_commands.guild_only()
    @app_commands.autocomplete(pod=pod_autocomplete)
    async def findtime(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member | None = None,
        member2: discord.Member | None = None,
        member3: discord.Member | None = None,
        member4: discord.Member | None = None,
        member5: discord.Member | None = None,
        member6: discord.Member | None = None,
        member7: discord.Member | None = None,
        member8: discord.Member | None = None,
        member9: discord.Member | None = None,
        role: discord.Role | None = None,
        pod: int | None = None,
        length: int = 60,
        days: int = 14,
        include_me: bool = True,
    ) -> None:
        """Suggest the next times when these members are free together (from /availability).

        Parameters
        ----------
        member
            A member to find a time with.
        member2
            Another member.
        member3
            Another member.
        member4
            Another member.
        member5
            Another member.
        member6
            Another member.
        member7
            Another member.
        member8
            Another member.
        member9
            Another member.
        role
            Or everyone with this role who has set their hours.
        pod
            Or the members of a pod (start typing its number).
        length
            How long the session is, in minutes (15 to 480). Default: 60.
        days
            How many days ahead to look (1 to 28). Default: 14.
        include_me
            Count yourself in too. Default: yes.
        """
        assert interaction.guild_id is not None
        named = [
            m
            for m in (
                member,
                member2,
                member3,
                member4,
                member5,
                member6,
                member7,
                member8,
                member9,
            )
            if m is not None
        ]
        bots = [m for m in named if m.bot]
        if bots:
            names = ", ".join(m.mention for m in bots)
            raise ValidationError(
                f"{names} {'is a bot' if len(bots) == 1 else 'are bots'}: I find times for "
                "people (who set their hours with `/availability set`). Name members instead."
            )
        if not named and role is None and pod is None:
            raise ValidationError(
                "Name at least one member (`member:`, up to 9), a `role:` or a `pod:` to find a "
                "time for."
            )
        ctx = self.bot.services.ctx
        ids = ([interaction.user.id] if include_me else []) + [m.id for m in named]
        if role is not None:
            assert interaction.guild is not None
            holders = await self._holders(interaction.guild, role)
            if not holders:
                raise ValidationError(
                    f"Nobody with {role.mention} has set their hours here yet, so I can't find "
                    "a time. Each of them can run `/availability set` (e.g. “weekdays "
                    "08:00–12:00”) once."
                )
            ids += holders
        if pod is not None:
            found = await self.bot.services.pods.pod_members(interaction.guild_id, pod)
            if not found.members:
                raise ValidationError(
                    f"Pod {found.number} has nobody in it any more: pick a pod of the current "
                    "round."
                )
            ids += found.members
        view = await find_time(
            ctx,
            interaction.guild_id,
            ids,
            length_minutes=length,
            days=days,
            role_id=role.id if role is not None else None,
        )
        # The members named are the offer's targets; a role or a pod makes an open offer.
        targets = [] if role is not None or pod is not None else [m.id for m in named]
        draft = await self._draft(interaction, view, targets)
        text = findtime_text(view)
        if draft is None:
            await interaction.response.send_message(text)
        else:
            await interaction.response.send_message(text, view=draft_view(draft))

    async def _draft(
        self, interaction: discord.Interaction[Any], view: FindTimeView, targets: list[int]
    ) -> int | None:
        """Store the top suggestions as a draft offer for the "Offer these" button. A member who
        turned tracking off still gets the times (stored for nobody), just no button."""
        if not view.slots or interaction.guild_id is None:
            return None
        me = interaction.user.id
        try:
            return await self.bot.services.offers.draft(
                interaction.guild_id,
                interaction.channel_id or 0,
                me,
                name_of(interaction.user),
                [slot.start for slot in view.slots[:OFFERED]],
                [uid for uid in dict.fromkeys(targets) if uid != me],
                view.length_minutes,
            )
        except Untracked:
            return None

    async def _holders(self, guild: discord.Guild, role: discord.Role) -> list[int]:
        """Members with ``role`` among those who set their hours here. Without the privileged
        members intent a role's full list can't be read, so the stored members are looked up
        (by id, 100 at a time, which needs no intent)."""
        known = await members_with_hours(self.bot.services.ctx, guild.id)
        if role.is_default():
            return known
        wanted = set(known)
        found: list[int] = []
        for at in range(0, len(known), 100):
            chunk = known[at : at + 100]
            for m in await guild.query_members(user_ids=chunk, limit=len(chunk), cache=False):
                if m.id in wanted and m.get_role(role.id) is not None and not m.bot:
                    found.append(m.id)
        return sorted(set(found))


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(FindTimeCog(bot))

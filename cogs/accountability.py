"""/accountability: where and when the weekly thread is posted (managers), and its buttons.

- ``/accountability setup channel [day] [time] [checkin_days] [checkin_time] [review_day]
  [review_time] [role] [archive]``: a text channel (a message with a thread from it) or a forum
  (a post per week). Times are the server's wall clock (``/timezone server``).
- ``/accountability show``, ``/accountability disable``, ``/accountability post-now``.

The thread's buttons and forms live in ``_accountability_views``; the posts themselves are made by
the service on its timer.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import ValidationError
from bot.domain.weeks import DAY_NAMES, format_time, parse_time, week_label
from bot.render.accountability import schedule_lines, ts
from bot.services.accountability import (
    FORUM_PERMISSIONS,
    TEXT_PERMISSIONS,
    AccountabilityService,
    ConfigView,
)
from cogs._accountability_views import DYNAMIC_ITEMS, handle_modal

if TYPE_CHECKING:
    from bot.core import AnyBot

COLOUR_ON = 0x2ECC71
COLOUR_OFF = 0x95A5A6

_TIMES = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)]
_COMMON_TIMES = ["09:00", "12:00", "17:00", "08:00", "10:00", "13:00", "16:00", "18:00", "20:00"]
_DAY_SETS = [
    "Wednesday",
    "Tuesday, Thursday",
    "Monday, Wednesday, Friday",
    "Tuesday, Wednesday, Thursday",
    "none",
]


def _choices(values: list[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=v, value=v) for v in values[:25]]


async def day_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    word = current.strip().lower()
    return _choices([d for d in DAY_NAMES if d.lower().startswith(word)] or list(DAY_NAMES))


async def days_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    word = current.strip().lower()
    found = [s for s in [*_DAY_SETS, *DAY_NAMES] if word in s.lower()]
    if current.strip() and current.strip() not in found:
        found.insert(0, current.strip()[:100])  # what they typed, e.g. "Tue Thu"
    return _choices(list(dict.fromkeys(found)) or _DAY_SETS)


async def time_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    text = current.strip()
    if not text:
        return _choices(_COMMON_TIMES)
    out: list[str] = []
    with contextlib.suppress(ValidationError):
        out.append(format_time(parse_time(text)))  # "5pm" → "17:00"
    digits = text.replace(".", ":").replace("h", ":")
    out += [t for t in _TIMES if t.startswith(digits) or t.startswith("0" + digits)]
    return _choices(list(dict.fromkeys(out)))


def _granted(permissions: discord.Permissions) -> set[str]:
    """The needed permissions the bot has, by attribute (``view_channel`` is an alias that
    iterating Permissions would name ``read_messages``)."""
    names = {attr for attr, _ in (*TEXT_PERMISSIONS, *FORUM_PERMISSIONS)}
    return {name for name in names if getattr(permissions, name)}


def bot_permissions_in(
    interaction: discord.Interaction[Any], channel: discord.abc.GuildChannel
) -> set[str] | None:
    """The bot's permissions in ``channel``: the interaction's own when it is that channel,
    else computed from the cached channel and the bot's member. None when unknown."""
    if interaction.channel_id == channel.id:
        return _granted(interaction.app_permissions)
    me = channel.guild.me if channel.guild is not None else None
    if me is None:
        return None
    return _granted(channel.permissions_for(me))


def config_embed(view: ConfigView, title: str) -> discord.Embed:
    embed = discord.Embed(title=title, colour=COLOUR_ON if view.enabled else COLOUR_OFF)
    kind = "forum (a post per week)" if view.is_forum else "channel (a thread per week)"
    lines = [f"**Where:** <#{view.channel_id}> — {kind}"]
    if view.pods_channel_ids:
        pods = ", ".join(f"<#{c}>" for c in view.pods_channel_ids)
        lines = [
            f"**Where:** in each pod's thread of {pods}, from the next kickoff (this channel, "
            f"<#{view.channel_id}>, is used again if pods there turn it off)"
        ]
    lines.append("**When:** " + " · ".join(schedule_lines(view.schedule, view.zone)))
    lines.append(
        f"**Pings:** <@&{view.role_id}> at kickoff"
        if view.role_id
        else "**Pings:** no role at kickoff; check-ins ping members with open goals"
    )
    lines.append(
        "**After the review:** the thread is archived"
        if view.archive_after_review
        else "**After the review:** the thread stays open"
    )
    if view.enabled:
        upcoming = "\n".join(
            f"• {p.kind.value.capitalize()} {ts(p.at)} ({ts(p.at, 'R')})" for p in view.next_posts
        )
        lines.append("**Next posts:**\n" + (upcoming or "none scheduled"))
    else:
        lines.append(f"**Status:** off — {view.disabled_reason or 'turned off'}")
    if view.this_week_started:
        where = f" <#{view.this_week_thread_id}>" if view.this_week_thread_id else ""
        lines.append(f"**This week:** {week_label(view.this_week)}{where}")
    elif view.kickoff_missed:
        lines.append(
            "**This week:** its kickoff time has passed; `/accountability post-now` starts "
            "this week's thread now."
        )
    if view.problems:
        lines.append("**Problems:**\n" + "\n".join(f"⚠️ {p}" for p in view.problems))
    embed.description = "\n".join(lines)[:4000]
    embed.set_footer(text="Times are shown in your own time zone.")
    return embed


class Accountability(commands.Cog):
    group = app_commands.Group(
        name="accountability",
        description="Weekly accountability threads: kickoff, check-ins and a review.",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> AccountabilityService:
        return self.bot.services.accountability

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # -- listeners ------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            await handle_modal(interaction)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.service.channel_deleted(channel.guild.id, channel.id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.service.channel_deleted(payload.guild_id, payload.thread_id)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        # Only sent with the members intent; without it, left members are simply not known and
        # an ID mention still renders (and a ping to someone not in the server reaches no one).
        user = payload.user
        await self.service.member_left(
            payload.guild_id, user.id, getattr(user, "display_name", "") or user.name
        )

    # -- commands -------------------------------------------------------------------------------

    @group.command(name="setup")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.autocomplete(
        day=day_choices,
        time=time_choices,
        checkin_days=days_choices,
        checkin_time=time_choices,
        review_day=day_choices,
        review_time=time_choices,
    )
    async def setup(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | discord.ForumChannel,
        day: str | None = None,
        time: str | None = None,
        checkin_days: str | None = None,
        review_day: str | None = None,
        review_time: str | None = None,
        role: discord.Role | None = None,
        checkin_time: str | None = None,
        archive: bool | None = None,
    ) -> None:
        """Post a weekly accountability thread in a channel, on a schedule in server time.

        Parameters
        ----------
        channel
            A text channel (a thread per week) or a forum (a post per week).
        day
            Kickoff day. Default: Monday.
        time
            Kickoff time, 24-hour HH:MM in server time. Default: 09:00.
        checkin_days
            Check-in days, e.g. "Wed" or "Tue, Thu", or "none". Default: Wednesday.
        review_day
            Review day. Default: Friday.
        review_time
            Review time, HH:MM. Default: 17:00.
        role
            The role to ping at kickoff (only that role). Default: no ping.
        checkin_time
            Check-in time, HH:MM. Default: 12:00.
        archive
            Archive the thread after the review. Default: yes.
        """
        assert interaction.guild is not None
        is_forum = isinstance(channel, discord.ForumChannel)
        if isinstance(channel, discord.ForumChannel) and channel.flags.require_tag:
            raise ValidationError(
                f"<#{channel.id}> requires a tag on every post, and I don't pick tags. Turn off "
                "“Require people to select tags” in the forum's settings, or pick another channel."
            )
        if role is not None and role.is_default():
            raise ValidationError("Pick a specific role to ping; I don't ping @everyone.")
        view = await self.service.setup(
            interaction.guild.id,
            channel.id,
            channel_is_forum=is_forum,
            bot_permissions=bot_permissions_in(interaction, channel),
            day=day,
            time_=time,
            checkin_days=checkin_days,
            checkin_time=checkin_time,
            review_day=review_day,
            review_time=review_time,
            role_id=role.id if role is not None else None,
            archive_after_review=archive,
        )
        embed = config_embed(view, "📅 Weekly accountability is on")
        notes: list[str] = []
        if role is not None and not role.mentionable:
            me = interaction.guild.me
            if me is None or not channel.permissions_for(me).mention_everyone:
                notes.append(
                    f"⚠️ {role.mention} isn't mentionable and I can't mention all roles in that "
                    "channel, so the kickoff won't notify it. Make the role mentionable, or "
                    "grant me “Mention @everyone, @here and All Roles” there."
                )
        await interaction.response.send_message(
            "\n".join(notes) or None,
            embed=embed,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @group.command(name="show")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Show where and when the weekly thread is posted, and the next posts."""
        assert interaction.guild_id is not None
        view = await self.service.show(interaction.guild_id)
        title = "📅 Weekly accountability" + ("" if view.enabled else " (off)")
        await interaction.response.send_message(embed=config_embed(view, title), ephemeral=True)

    @group.command(name="disable")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def disable(self, interaction: discord.Interaction[Any]) -> None:
        """Stop posting weekly threads. Goals and past threads are kept."""
        assert interaction.guild_id is not None
        await self.service.disable(interaction.guild_id)
        await interaction.response.send_message(
            "Weekly posts are off. Everyone's goals and past threads are kept; "
            "`/accountability setup` turns them back on.",
            ephemeral=True,
        )

    @group.command(name="post-now")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def post_now(self, interaction: discord.Interaction[Any]) -> None:
        """Start this week's thread now, if there isn't one yet."""
        assert interaction.guild_id is not None
        started = await self.service.post_now(interaction.guild_id)
        await interaction.response.send_message(
            f"📅 Starting the **{started.label}** thread now; it will appear in a moment.",
            ephemeral=True,
        )


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Accountability(bot))

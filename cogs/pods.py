"""/pods: opt-in matching into small standing groups (pairs, trios, fours) that meet each round.

Managers: ``/pods setup channel [cadence] [day] [time] [size] [mode] [accountability]``,
``/pods show``, ``/pods disable``, ``/pods round-now``. Members: ``/pods join``, ``/pods leave``,
``/pods snooze``, ``/pods prefer``, ``/pods not-again``, ``/pods me``. Each command works in the
pods channel or a pod thread (or anywhere when the server has one pods channel). The thread
buttons live in ``_pod_views``; the rounds themselves run on the service's timer.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import ValidationError
from bot.domain.pod_schedule import schedule_label
from bot.domain.weeks import DAY_NAMES, format_time, parse_time
from bot.render.pods import ts
from bot.services.pods import ConfigView, MemberStatus, PodService
from cogs._pod_views import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from bot.core import AnyBot

COLOUR = 0x57F287
_PERMS = (
    "view_channel",
    "send_messages",
    "send_messages_in_threads",
    "create_public_threads",
    "create_private_threads",
)
_TIMES = ["09:00", "10:00", "12:00", "13:00", "17:00", "18:00", "08:00", "20:00"]


async def day_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    word = current.strip().lower()
    days = [d for d in DAY_NAMES if d.lower().startswith(word)] or list(DAY_NAMES)
    return [app_commands.Choice(name=d, value=d) for d in days]


async def time_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    out: list[str] = []
    with contextlib.suppress(ValidationError):
        out.append(format_time(parse_time(current)))
    out += [t for t in _TIMES if t.startswith(current.strip())] or _TIMES
    return [app_commands.Choice(name=t, value=t) for t in dict.fromkeys(out)][:25]


def granted_in(
    interaction: discord.Interaction[Any], channel: discord.abc.GuildChannel
) -> set[str] | None:
    """The bot's thread-related permissions in ``channel`` (None when unknown)."""
    if interaction.channel_id == channel.id:
        perms = interaction.app_permissions
    else:
        me = channel.guild.me if channel.guild is not None else None
        if me is None:
            return None
        perms = channel.permissions_for(me)
    return {name for name in _PERMS if getattr(perms, name)}


def config_embed(view: ConfigView, title: str) -> discord.Embed:
    embed = discord.Embed(title=title, colour=COLOUR if view.enabled else 0x95A5A6)
    size = {2: "pairs", 3: "trios", 4: "pods of four"}.get(view.size, f"pods of {view.size}")
    lines = [
        f"**Where:** <#{view.channel_id}> — a "
        f"{'private' if view.private_threads else 'public'} thread per pod",
        f"**When:** {schedule_label(view.cadence_weeks, view.day, view.time_of_day)} ({view.zone})",
        f"**Pods:** {size}; "
        + (
            "they stay together until someone asks to rotate"
            if view.keep_default
            else "new pod mates each round (unless everyone in a pod chooses keep)"
        ),
        f"**Members in:** {view.members_in}",
        "**Accountability:** "
        + (
            "each pod's weekly goals, check-ins and review in its own thread"
            if view.accountability_per_pod
            else "the server-wide weekly thread (if `/accountability setup` was run)"
        ),
    ]
    if view.current is not None:
        c = view.current
        lines.append(
            f"**Round {c.number}:** {c.pods} pods, {c.met} met so far; ends {ts(c.ends_at, 'f')}"
        )
    if view.enabled and view.next_round_at is not None:
        lines.append(f"**Next round:** {ts(view.next_round_at)} ({ts(view.next_round_at, 'R')})")
    if not view.enabled:
        lines.append(f"**Status:** off — {view.disabled_reason or 'turned off'}")
    if view.problems:
        lines.append(
            "**Problems** (`/pods setup` again once fixed):\n"
            + "\n".join(f"⚠️ {p}" for p in view.problems)
        )
    embed.description = "\n".join(lines)
    return embed


def status_text(status: MemberStatus) -> str:
    if not status.opted_in:
        lines = [f"You're not in the pods of <#{status.channel_id}>. `/pods join` to take part."]
    else:
        lines = [f"🫛 You're in the pods of <#{status.channel_id}>."]
        if status.pause_asked:
            lines.append("⏸️ Waiting for your answer: pause or stay? (see your pod thread)")
        if status.snooze_rounds:
            lines.append(f"😴 Snoozed for the next {status.snooze_rounds} round(s).")
    if status.pod is not None:
        pod = status.pod
        where = f"<#{pod.thread_id}>" if pod.thread_id else f"Pod {pod.number}"
        mates = " ".join(f"<@{m}>" for m in pod.mates) or "nobody else right now"
        met = " · ✅ met" if pod.met else ""
        lines.append(f"**This round:** {where} with {mates}{met}; ends {ts(pod.ends_at, 'f')}.")
    default = " (the server's default)" if status.preference_is_default else ""
    lines.append(
        "**Next round:** "
        + ("keep my pod" if status.preference.value == "keep" else "rotate")
        + default
        + (f", {ts(status.next_round_at, 'f')}" if status.next_round_at else "")
    )
    lines.append(
        f"**Your hours:** {status.availability}"
        if status.availability
        else "**Your hours:** not set — `/availability set` helps me match you across zones."
    )
    return "\n".join(lines)


class Pods(commands.Cog):
    group = app_commands.Group(
        name="pods",
        description="Small standing groups that meet each round: opt in, get matched, meet.",
        guild_only=True,
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> PodService:
        return self.bot.services.pods

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @staticmethod
    def _where(
        interaction: discord.Interaction[Any], channel: discord.abc.GuildChannel | None
    ) -> int | None:
        return channel.id if channel is not None else interaction.channel_id

    # -- listeners ------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.service.thread_deleted(payload.guild_id, payload.thread_id)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.service.channel_deleted(channel.guild.id, channel.id)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self.service.member_left(payload.guild_id, payload.user.id)

    # -- managers -------------------------------------------------------------------------------

    @group.command(name="setup")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.autocomplete(day=day_choices, time=time_choices)
    @app_commands.choices(
        cadence=[
            app_commands.Choice(name="weekly", value=1),
            app_commands.Choice(name="every 2 weeks", value=2),
            app_commands.Choice(name="every 4 weeks", value=4),
        ],
    )
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="rotate: new pod mates each round", value="rotate"),
            app_commands.Choice(name="keep: pods stay until someone asks", value="keep"),
        ],
    )
    @app_commands.choices(
        accountability=[
            app_commands.Choice(
                name="per_pod: the weekly cycle in each pod's thread", value="per_pod"
            ),
            app_commands.Choice(name="server: one weekly thread for the server", value="server"),
        ],
    )
    async def setup(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        cadence: int | None = None,
        day: str | None = None,
        time: str | None = None,
        size: int | None = None,
        mode: str | None = None,
        accountability: str | None = None,
    ) -> None:
        """Turn pods on in a channel, or change them. Times are in the server's zone.

        Parameters
        ----------
        channel
            Where pods live: each pod gets a thread here.
        cadence
            How often pods are matched. Default: weekly.
        day
            The day a round starts. Default: Monday.
        time
            The time a round starts, HH:MM in server time. Default: 09:00.
        size
            Members a pod: 2, 3 or 4 (one pod is one bigger when it doesn't divide). Default: 2.
        mode
            Rotate pods each round, or keep them together. Default: rotate.
        accountability
            The weekly accountability cycle in each pod's thread, or server-wide (default).
        """
        assert interaction.guild_id is not None
        if mode is not None and mode not in ("rotate", "keep"):
            raise ValidationError("Mode is rotate or keep.")
        view = await self.service.setup(
            interaction.guild_id,
            channel.id,
            cadence=cadence,
            day=day,
            time_=time,
            size=size,
            keep=None if mode is None else mode == "keep",
            accountability=accountability,
            bot_permissions=granted_in(interaction, channel),
        )
        await interaction.response.send_message(
            embed=config_embed(view, "🫛 Pods are on"), ephemeral=True
        )

    @group.command(name="show")
    async def show(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        """Show how pods run here: schedule, size, the current round.

        Parameters
        ----------
        channel
            The pods channel (default: this one, or the server's only one).
        """
        assert interaction.guild_id is not None
        view = await self.service.show(interaction.guild_id, self._where(interaction, channel))
        await interaction.response.send_message(
            embed=config_embed(view, "🫛 Pods" + ("" if view.enabled else " (off)")),
            ephemeral=True,
        )

    @group.command(name="disable")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def disable(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        """Stop matching pods. Pods, threads and history are kept.

        Parameters
        ----------
        channel
            The pods channel (default: this one, or the server's only one).
        """
        assert interaction.guild_id is not None
        view = await self.service.disable(interaction.guild_id, self._where(interaction, channel))
        await interaction.response.send_message(
            f"Pods in <#{view.channel_id}> are off. Everything is kept; `/pods setup` turns "
            "them back on.",
            ephemeral=True,
        )

    @group.command(name="round-now")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def round_now(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        """End the current round and match new pods now.

        Parameters
        ----------
        channel
            The pods channel (default: this one, or the server's only one).
        """
        assert interaction.guild_id is not None
        result = await self.service.round_now(
            interaction.guild_id, self._where(interaction, channel)
        )
        left = f"; {len(result.unmatched)} couldn't be placed" if result.unmatched else ""
        await interaction.response.send_message(
            f"🫛 Round {result.round_number}: {result.members} members in {result.pods} pods"
            f"{left}. Their threads are on their way; the round ends {ts(result.ends_at, 'f')}.",
            ephemeral=True,
        )

    # -- members --------------------------------------------------------------------------------

    @group.command(name="join")
    async def join(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        """Take part in pods: you'll be matched with a few others each round.

        Parameters
        ----------
        channel
            The pods channel (default: this one, or the server's only one).
        """
        assert interaction.guild_id is not None
        user = interaction.user
        result = await self.service.join(
            interaction.guild_id,
            self._where(interaction, channel),
            user.id,
            getattr(user, "display_name", None) or user.name,
        )
        lines = [f"🫛 You're in the pods of <#{result.channel_id}>."]
        if result.pod is not None:
            where = (
                f"<#{result.pod.thread_id}>" if result.pod.thread_id else f"Pod {result.pod.number}"
            )
            lines.append(f"A round is on, so I've put you in {where} right away.")
        elif result.next_round_at is not None:
            lines.append(f"You'll be matched {ts(result.next_round_at, 'F')}.")
        if not result.has_availability:
            lines.append(
                "Tip: `/availability set` (e.g. “weekdays 18:00-21:00”) lets me match you "
                "with people free when you are."
            )
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @group.command(name="leave")
    async def leave(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        """Stop taking part in pods (your pod carries on without you).

        Parameters
        ----------
        channel
            The pods channel (default: this one, or the server's only one).
        """
        assert interaction.guild_id is not None
        where = await self.service.leave(
            interaction.guild_id, self._where(interaction, channel), interaction.user.id
        )
        await interaction.response.send_message(
            f"You've left the pods of <#{where}>. `/pods join` any time to come back.",
            ephemeral=True,
        )

    @group.command(name="snooze")
    async def snooze(
        self,
        interaction: discord.Interaction[Any],
        rounds: int,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Skip the next few rounds (you stay in).

        Parameters
        ----------
        rounds
            How many rounds to skip: 1 to 12 (0 ends a snooze).
        channel
            The pods channel (default: this one, or the server's only one).
        """
        assert interaction.guild_id is not None
        status = await self.service.snooze(
            interaction.guild_id, self._where(interaction, channel), interaction.user.id, rounds
        )
        head = (
            f"😴 Snoozed: you'll skip the next {rounds} round{'s' if rounds != 1 else ''}."
            if rounds
            else "⏰ Snooze ended: you're in the next round."
        )
        await interaction.response.send_message(head + "\n" + status_text(status), ephemeral=True)

    @group.command(name="prefer")
    @app_commands.choices(
        choice=[
            app_commands.Choice(name="keep my pod", value="keep"),
            app_commands.Choice(name="rotate: new pod mates", value="rotate"),
        ]
    )
    async def prefer(
        self,
        interaction: discord.Interaction[Any],
        choice: str,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Keep your pod next round, or rotate to new pod mates.

        Parameters
        ----------
        choice
            keep (a pod stays when everyone in it chooses keep) or rotate.
        channel
            The pods channel (default: this one, or the server's only one).
        """
        assert interaction.guild_id is not None
        status = await self.service.prefer(
            interaction.guild_id, self._where(interaction, channel), interaction.user.id, choice
        )
        await interaction.response.send_message(status_text(status), ephemeral=True)

    @group.command(name="not-again")
    async def not_again(
        self, interaction: discord.Interaction[Any], member: discord.Member, undo: bool = False
    ) -> None:
        """Privately: never put me in a pod with this member again. Nobody is told.

        Parameters
        ----------
        member
            Who you'd rather not be matched with.
        undo
            True to take it back.
        """
        assert interaction.guild_id is not None
        if member.bot:
            raise ValidationError("Bots are never in pods.")
        changed = await self.service.not_again(
            interaction.guild_id, interaction.user.id, member.id, undo=undo
        )
        if undo:
            text = (
                f"Taken back: you can be matched with {member.mention} again."
                if changed
                else f"You hadn't asked not to be matched with {member.mention}."
            )
        else:
            text = (
                f"Noted, privately: you won't be in a pod with {member.mention} again (from the "
                "next round). Nobody else is told."
                if changed
                else f"Already noted: you won't be matched with {member.mention}."
            )
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @group.command(name="me")
    async def me(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        """Your pod this round, your settings and your hours.

        Parameters
        ----------
        channel
            The pods channel (default: this one, or the server's only one).
        """
        assert interaction.guild_id is not None
        status = await self.service.me(
            interaction.guild_id, self._where(interaction, channel), interaction.user.id
        )
        await interaction.response.send_message(
            status_text(status), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Pods(bot))

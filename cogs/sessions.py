"""/session: standing coworking sessions — schedule once, get reminded, the sprint starts itself.

``/session schedule`` (title, when, repeat, until, count, plan, channel, voice, capacity, role,
norms, reminders), ``/session list``, ``/session show``, ``/session edit`` (this one, or this and
all future ones), ``/session skip``, ``/session cancel``, ``/session leave``,
``/session reminders on|off``. The card's buttons live in ``_session_views``; reminders and
starts run on the service's timer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.schedule import repeat_choices
from bot.domain.sprint import PRESETS
from bot.render.sessions import series_line, series_text, ts
from bot.services.sessions import EditRequest, ScheduleRequest, SessionService
from cogs._actor import actor_of
from cogs._session_views import DYNAMIC_ITEMS, name_of

if TYPE_CHECKING:
    from bot.core import AnyBot

COLOUR = 0x5865F2
PRESET_CHOICES = [app_commands.Choice(name=key, value=key) for key in PRESETS]
Work = app_commands.Range[int, 1, 180]
Break = app_commands.Range[int, 1, 60]
Rounds = app_commands.Range[int, 1, 12]
Intro = app_commands.Range[int, 0, 15]
_WHEN_EXAMPLES = ["tomorrow 09:00", "Mon 9:00", "9am", "today 18:00", "in 30 min"]


def can_post(channel: discord.abc.GuildChannel) -> bool:
    me = channel.guild.me
    if me is None:
        return True  # unknown: delivery will say so
    perms = channel.permissions_for(me)
    return bool(perms.view_channel and perms.send_messages and perms.embed_links)


def can_mention(channel: discord.abc.GuildChannel, role: discord.Role) -> bool:
    me = channel.guild.me
    return bool(
        role.mentionable or (me is not None and channel.permissions_for(me).mention_everyone)
    )


async def repeat_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    options = [(label, value) for label, value in repeat_choices()]
    typed = current.strip()
    if typed and typed.lower() not in {v for _, v in options}:
        options.insert(0, (typed, typed))
    return [app_commands.Choice(name=label[:100], value=value[:100]) for label, value in options][
        :25
    ]


async def when_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    typed = current.strip()
    out = ([typed] if typed else []) + [w for w in _WHEN_EXAMPLES if w != typed]
    return [app_commands.Choice(name=w[:100], value=w[:100]) for w in out][:25]


async def series_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[int]]:
    if interaction.guild_id is None:
        return []
    service: SessionService = interaction.client.services.sessions
    found = await service.choices(interaction.guild_id, current)
    return [app_commands.Choice(name=label, value=series_id) for label, series_id in found]


class Sessions(commands.Cog):
    group = app_commands.Group(
        name="session",
        description="Standing coworking sessions: schedule once, RSVP, get reminded, auto-start.",
        guild_only=True,
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot

    @property
    def service(self) -> SessionService:
        return self.bot.services.sessions

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.service.channel_deleted(channel.guild.id, channel.id)

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if after.channel is not None and (
            before.channel is None or before.channel != after.channel
        ):
            await self.service.voice_seen(member.guild.id, after.channel.id, member.id)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self.service.member_left(payload.guild_id, payload.user.id)

    # -- schedule -------------------------------------------------------------------------------

    @group.command(name="schedule")
    @app_commands.rename(brk="break")
    @app_commands.choices(preset=PRESET_CHOICES)
    @app_commands.autocomplete(repeat=repeat_autocomplete, when=when_autocomplete)
    async def schedule(
        self,
        interaction: discord.Interaction[Any],
        title: str,
        when: str,
        repeat: str | None = None,
        until: str | None = None,
        count: int | None = None,
        preset: app_commands.Choice[str] | None = None,
        work: Work | None = None,
        brk: Break | None = None,
        rounds: Rounds | None = None,
        intro: Intro | None = None,
        channel: discord.TextChannel | None = None,
        voice: discord.VoiceChannel | None = None,
        capacity: int | None = None,
        role: discord.Role | None = None,
        norms: str | None = None,
        reminders: str | None = None,
        zone: str | None = None,
    ) -> None:
        """Schedule a coworking session or a series: reminders, RSVPs, and the sprint starts itself.

        Parameters
        ----------
        title
            What the session is called, e.g. "Monday writing".
        when
            The first start in your time zone: 2026-12-01 09:00, Mon 9:00, tomorrow 14:30, 9am.
        repeat
            none (default), daily, weekdays, weekly, "weekly on mon,wed", "every 2 weeks".
        until
            The last date it repeats to, e.g. 2027-06-30.
        count
            How many sessions in all.
        preset
            A sprint plan preset (otherwise the server's default plan).
        work
            Minutes of work per round.
        brk
            Minutes of break between rounds.
        rounds
            How many work rounds.
        intro
            Minutes of intro before the first round (0 for none).
        channel
            Where the card, reminders and the sprint go (default: here).
        voice
            A voice channel to link to the sprint.
        capacity
            Places (1–99); the next ones go on a waitlist.
        role
            A role to invite with the card (pinged once when the session is scheduled).
        norms
            A few lines shown at the start, e.g. "cameras optional, mute during work".
        reminders
            Minutes before, up to three: "15" (default), "1d, 15m", or "none".
        zone
            The time zone "when" is in (default: yours, else the server's).
        """
        assert interaction.guild_id is not None
        target = channel or interaction.channel
        channel_id = target.id if target is not None else interaction.channel_id or 0
        postable = can_post(target) if isinstance(target, discord.abc.GuildChannel) else True
        mentionable = (
            can_mention(target, role)
            if role is not None and isinstance(target, discord.abc.GuildChannel)
            else True
        )
        view = await self.service.schedule(
            ScheduleRequest(
                guild_id=interaction.guild_id,
                channel_id=channel_id,
                creator_id=interaction.user.id,
                creator_name=name_of(interaction.user),
                title=title,
                when=when,
                repeat=repeat,
                until=until,
                count=count,
                zone=zone,
                preset=preset.value if preset is not None else None,
                work=work,
                brk=brk,
                rounds=rounds,
                intro=intro,
                voice_channel_id=voice.id if voice is not None else None,
                capacity=capacity,
                role_id=role.id if role is not None else None,
                norms=norms,
                reminders=reminders,
                can_post=postable,
                role_mentionable=mentionable,
            )
        )
        nxt = view.next
        when_text = f"{ts(nxt.starts_at)} ({ts(nxt.starts_at, 'R')})" if nxt else "—"
        await interaction.response.send_message(
            f"📅 Scheduled **{discord.utils.escape_markdown(view.title)}** ({view.repeat_text}). "
            f"Next: {when_text}. The card with the RSVP buttons is in <#{view.channel_id}>; "
            "you're down as going.",
            ephemeral=True,
        )

    # -- reading --------------------------------------------------------------------------------

    @group.command(name="list")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """Upcoming sessions in this server (times in your own zone)."""
        assert interaction.guild_id is not None
        views = await self.service.upcoming(interaction.guild_id)
        if not views:
            await interaction.response.send_message(
                "No sessions are scheduled here yet. `/session schedule` sets one up.",
                ephemeral=True,
            )
            return
        lines = [series_line(v) for v in views[:20]]
        more = f"\n…and {len(views) - 20} more." if len(views) > 20 else ""
        embed = discord.Embed(
            title="📅 Upcoming sessions", description="\n".join(lines) + more, colour=COLOUR
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @group.command(name="show")
    @app_commands.autocomplete(session=series_autocomplete)
    async def show(self, interaction: discord.Interaction[Any], session: int) -> None:
        """One session series: next time, plan, who's going.

        Parameters
        ----------
        session
            The session series (start typing its title).
        """
        assert interaction.guild_id is not None
        view = await self.service.show(interaction.guild_id, session)
        embed = discord.Embed(
            title=f"📅 {view.title}"[:256], description=series_text(view)[:4096], colour=COLOUR
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # -- managing -------------------------------------------------------------------------------

    @group.command(name="edit")
    @app_commands.rename(brk="break")
    @app_commands.autocomplete(session=series_autocomplete)
    @app_commands.autocomplete(when=when_autocomplete)
    @app_commands.choices(
        scope=[
            app_commands.Choice(name="this one only", value="one"),
            app_commands.Choice(name="this and all future ones", value="future"),
        ],
        preset=PRESET_CHOICES,
    )
    async def edit(
        self,
        interaction: discord.Interaction[Any],
        session: int,
        scope: app_commands.Choice[str],
        title: str | None = None,
        when: str | None = None,
        preset: app_commands.Choice[str] | None = None,
        work: Work | None = None,
        brk: Break | None = None,
        rounds: Rounds | None = None,
        intro: Intro | None = None,
        voice: discord.VoiceChannel | None = None,
        no_voice: bool = False,
        capacity: int | None = None,
        norms: str | None = None,
        reminders: str | None = None,
    ) -> None:
        """Change the next session, or the series from the next one on (creator or managers).

        Parameters
        ----------
        session
            The session series (start typing its title).
        scope
            Just the next session, or this and all future ones.
        title
            A new title.
        when
            A new start, in the series' zone. All future: all days take its time, only this one's
            day moves.
        preset
            A new sprint plan preset.
        work
            Minutes of work per round.
        brk
            Minutes of break between rounds.
        rounds
            How many work rounds.
        intro
            Minutes of intro (0 for none).
        voice
            A voice channel to link.
        no_voice
            Run without a voice channel.
        capacity
            Places (1–99) — this and all future ones only.
        norms
            The lines shown at the start (empty to clear with a space).
        reminders
            Minutes before, up to three ("15", "1d, 15m", "none") — this and all future only.
        """
        view = await self.service.edit(
            actor_of(interaction),
            session,
            EditRequest(
                future=scope.value == "future",
                title=title,
                when=when,
                preset=preset.value if preset is not None else None,
                work=work,
                brk=brk,
                rounds=rounds,
                intro=intro,
                voice_channel_id=voice.id if voice is not None else None,
                clear_voice=no_voice,
                capacity=capacity,
                norms=norms,
                reminders=reminders,
            ),
        )
        which = "this and all future sessions" if scope.value == "future" else "the next session"
        nxt = f" Next: {ts(view.next.starts_at)}." if view.next else ""
        if scope.value == "future" and when is not None and view.rrule is not None:
            nxt += f" It repeats {view.repeat_text}."  # the days a move left (Tue/Wed/Fri)
        await interaction.response.send_message(
            f"✏️ Updated {which} of **{discord.utils.escape_markdown(view.title)}**.{nxt} "
            "The card follows.",
            ephemeral=True,
        )

    @group.command(name="skip")
    @app_commands.autocomplete(session=series_autocomplete)
    async def skip(self, interaction: discord.Interaction[Any], session: int) -> None:
        """Skip the next session of a series; the series carries on (creator or managers).

        Parameters
        ----------
        session
            The session series (start typing its title).
        """
        skipped, view = await self.service.skip(actor_of(interaction), session)
        nxt = f" Next: {ts(view.next.starts_at)}." if view.next else " There are no more."
        await interaction.response.send_message(
            f"⏭️ Skipped {ts(skipped)} of **{discord.utils.escape_markdown(view.title)}**: no "
            f"reminders, no sprint.{nxt}",
            ephemeral=True,
        )

    @group.command(name="cancel")
    @app_commands.autocomplete(session=series_autocomplete)
    async def cancel(self, interaction: discord.Interaction[Any], session: int) -> None:
        """Cancel a whole series (creator or managers). Its history is kept.

        Parameters
        ----------
        session
            The session series (start typing its title).
        """
        view = await self.service.cancel(actor_of(interaction), session)
        await interaction.response.send_message(
            f"❌ Cancelled **{discord.utils.escape_markdown(view.title)}**. Nobody will be "
            "reminded; its card says so.",
            ephemeral=True,
        )

    @group.command(name="leave")
    @app_commands.autocomplete(session=series_autocomplete)
    async def leave(self, interaction: discord.Interaction[Any], session: int) -> None:
        """Leave a series: no more answers or pings for you.

        Parameters
        ----------
        session
            The session series (start typing its title).
        """
        assert interaction.guild_id is not None
        view = await self.service.leave(interaction.guild_id, session, interaction.user.id)
        await interaction.response.send_message(
            f"👋 You've left **{discord.utils.escape_markdown(view.title)}**: no more reminders. "
            "Press Going on its card to come back.",
            ephemeral=True,
        )

    @group.command(name="reminders")
    @app_commands.choices(
        setting=[
            app_commands.Choice(name="on", value="on"),
            app_commands.Choice(name="off", value="off"),
        ]
    )
    async def reminders(
        self, interaction: discord.Interaction[Any], setting: app_commands.Choice[str]
    ) -> None:
        """Turn your own session reminders in this server on or off.

        Parameters
        ----------
        setting
            on or off.
        """
        assert interaction.guild_id is not None
        on = setting.value == "on"
        changed = await self.service.set_reminders(interaction.guild_id, interaction.user.id, on)
        state = "on" if on else "off"
        already = "" if changed else " (they already were)"
        await interaction.response.send_message(
            f"🔔 Session reminders are {state} for you in this server{already}.", ephemeral=True
        )


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Sessions(bot))

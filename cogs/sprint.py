"""/sprint: group work/break cycles with one live status card per sprint.

Commands parse options, call :class:`bot.services.sprints.SprintService` and render its answer.
Bot-initiated messages (card, announcements, voice status) go through the outbox from the
service; replies to commands and clicks are answered here directly.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import UserError
from bot.domain.sprint import PRESET_LABELS, PRESETS
from bot.ids import SprintAction
from bot.render import sprint as render
from bot.services.sprints import SprintService, SprintView, StartRequest
from cogs._actor import actor_of
from cogs._sprint_views import (
    DYNAMIC_ITEMS,
    Chime,
    display_name,
    do_control,
    do_join,
    do_leave,
    reply,
    start_notes,
)

if TYPE_CHECKING:
    from bot.core import AnyBot

log = logging.getLogger(__name__)

PRESET_CHOICES = [
    app_commands.Choice(name=PRESET_LABELS.get(key, key)[:100], value=key) for key in PRESETS
]

Work = app_commands.Range[int, 1, 180]
Break = app_commands.Range[int, 1, 60]
Rounds = app_commands.Range[int, 1, 12]
Every = app_commands.Range[int, 1, 12]
Intro = app_commands.Range[int, 0, 15]
Extra = app_commands.Range[int, 1, 60]

_PERMISSION_NAMES = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
}


def missing_post_permissions(interaction: discord.Interaction[Any]) -> list[str]:
    """The permissions the bot lacks to post the card and announcements in this channel."""
    perms = interaction.app_permissions
    needed = ["view_channel", "embed_links"]
    needed.append(
        "send_messages_in_threads"
        if isinstance(interaction.channel, discord.Thread)
        else "send_messages"
    )
    return [_PERMISSION_NAMES[name] for name in needed if not getattr(perms, name)]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Sprints(commands.Cog):
    sprint = app_commands.Group(
        name="sprint",
        description="Group work/break sprints: start one, join, pause, skip and more.",
        guild_only=True,
    )

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot
        self.chime = Chime(bot)

    @property
    def service(self) -> SprintService:
        return self.bot.services.sprints

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.service.add_phase_listener(self.chime.on_phase)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        self.service.remove_phase_listener(self.chime.on_phase)
        await self.chime.close()

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:  # type: ignore[override]
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return True

    async def _active(self, interaction: discord.Interaction[Any]) -> SprintView:
        assert interaction.channel_id is not None
        view = await self.service.require_active(interaction.channel_id)
        if view.guild_id != interaction.guild_id:
            raise UserError("There's no sprint running in this channel.")
        return view

    async def _active_id(self, interaction: discord.Interaction[Any]) -> int:
        return (await self._active(interaction)).id

    async def _control(
        self, interaction: discord.Interaction[Any], action: SprintAction, minutes: int = 0
    ) -> None:
        """A host control meant for the sprint as it was when the member sent the command (and
        no older than when it is parsed): if another control changed it since, this one is
        answered "already moved on"."""
        view = await self._active(interaction)
        await do_control(
            interaction, view.id, action, minutes, expected=view.control_seq, sent=True
        )

    # -- start --------------------------------------------------------------------------------

    @sprint.command(name="start")
    @app_commands.rename(brk="break")
    @app_commands.choices(preset=PRESET_CHOICES)
    async def start(
        self,
        interaction: discord.Interaction[Any],
        preset: app_commands.Choice[str] | None = None,
        work: Work | None = None,
        brk: Break | None = None,
        rounds: Rounds | None = None,
        long_break: Break | None = None,
        long_break_every: Every | None = None,
        intro: Intro | None = None,
        voice_channel: discord.VoiceChannel | None = None,
        title: str | None = None,
    ) -> None:
        """Start a sprint in this channel: work/break rounds with a live card.

        Parameters
        ----------
        preset
            A ready-made plan; options you set yourself override it.
        work
            Minutes of work per round (1–180).
        brk
            Minutes of each short break (1–60).
        rounds
            How many work rounds (1–12).
        long_break
            Minutes of the long break (1–60).
        long_break_every
            A long break after every this many rounds (1–12).
        intro
            Minutes to say hi and post goals before the first round (0–15).
        voice_channel
            A voice channel to link: announcements in its chat, its status shows the phase.
        title
            A name for the sprint (up to 100 characters).
        """
        missing = missing_post_permissions(interaction)
        if missing:
            raise UserError(
                f"I can't run a sprint here: I'm missing the {_and(missing)} permission"
                f"{'s' if len(missing) > 1 else ''} in this channel. Ask a server admin to "
                "grant it, or start the sprint in another channel."
            )
        assert interaction.guild_id is not None and interaction.channel_id is not None
        voice_members: tuple[tuple[int, str], ...] = ()
        if voice_channel is not None:
            voice_members = tuple(
                (m.id, display_name(m)) for m in voice_channel.members if not m.bot
            )
        view = await self.service.start(
            StartRequest(
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                host_id=interaction.user.id,
                host_name=display_name(interaction.user),
                preset=preset.value if preset is not None else None,
                work=work,
                brk=brk,
                rounds=rounds,
                long_break=long_break,
                long_break_every=long_break_every,
                intro=intro,
                voice_channel_id=voice_channel.id if voice_channel is not None else None,
                title=title,
                voice_members=voice_members,
            )
        )
        text = render.start_reply(view)
        if voice_channel is not None:
            defaults = await self.service.guild_defaults(interaction.guild_id)
            notes = start_notes(interaction, voice_channel, defaults.chime, self.chime)
            if notes:
                text += "\n" + "\n".join(f"Note: {n}" for n in notes)
        await reply(interaction, render.clip_content(text))

    # -- join, leave, status ------------------------------------------------------------------

    @sprint.command(name="join")
    async def join(self, interaction: discord.Interaction[Any], ping: bool | None = None) -> None:
        """Join the sprint running in this channel.

        Parameters
        ----------
        ping
            Mention me when a phase starts (default: yes, unless you turned pings off).
        """
        await do_join(interaction, await self._active_id(interaction), ping=ping)

    @sprint.command(name="leave")
    async def leave(self, interaction: discord.Interaction[Any]) -> None:
        """Leave the sprint running in this channel."""
        await do_leave(interaction, await self._active_id(interaction))

    @sprint.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Where this channel's sprint is: phase, round, time left and who is in."""
        assert interaction.channel_id is not None
        view = await self.service.require_active(interaction.channel_id)
        await reply(interaction, render.status_text(view, self.service.ctx.clock.now()))

    # -- host controls ------------------------------------------------------------------------

    @sprint.command(name="pause")
    async def pause(self, interaction: discord.Interaction[Any]) -> None:
        """Pause the sprint (host, managers and Manage Server)."""
        await self._control(interaction, SprintAction.PAUSE)

    @sprint.command(name="resume")
    async def resume(self, interaction: discord.Interaction[Any]) -> None:
        """Resume a paused sprint (host, managers and Manage Server)."""
        await self._control(interaction, SprintAction.RESUME)

    @sprint.command(name="skip")
    async def skip(self, interaction: discord.Interaction[Any]) -> None:
        """End the current phase now (host, managers and Manage Server)."""
        await self._control(interaction, SprintAction.SKIP)

    @sprint.command(name="extend")
    async def extend(self, interaction: discord.Interaction[Any], minutes: Extra) -> None:
        """Add minutes to the current phase (host, managers and Manage Server).

        Parameters
        ----------
        minutes
            How many minutes to add (1–60).
        """
        await self._control(interaction, SprintAction.EXTEND, minutes)

    @sprint.command(name="stop")
    async def stop(self, interaction: discord.Interaction[Any]) -> None:
        """Stop the sprint now (host, managers and Manage Server)."""
        await do_control(interaction, await self._active_id(interaction), SprintAction.STOP)

    # -- history and settings -----------------------------------------------------------------

    @sprint.command(name="history")
    async def history(self, interaction: discord.Interaction[Any]) -> None:
        """This server's recent sprints with who took part and how it went."""
        assert interaction.guild_id is not None
        entries = await self.service.history(interaction.guild_id)
        embed = discord.Embed.from_dict(render.history_embed(entries, self.service.ctx.clock.now()))
        await reply(interaction, "", embed=embed)

    @sprint.command(name="settings")
    @app_commands.rename(brk="break")
    async def settings(
        self,
        interaction: discord.Interaction[Any],
        work: Work | None = None,
        brk: Break | None = None,
        rounds: Rounds | None = None,
        long_break: Break | None = None,
        long_break_every: Every | None = None,
        intro: Intro | None = None,
        manager_role: discord.Role | None = None,
        clear_manager_role: bool | None = None,
        ping_on_phase: bool | None = None,
        auto_join_voice: bool | None = None,
        chime: bool | None = None,
        voice_chat: bool | None = None,
        reset_defaults: bool | None = None,
    ) -> None:
        """Server defaults and options for sprints; with no options, shows them.

        Parameters
        ----------
        work
            Default minutes of work per round (1–180).
        brk
            Default minutes of each short break (1–60).
        rounds
            Default number of rounds (1–12).
        long_break
            Default minutes of the long break (1–60).
        long_break_every
            Default: a long break after every this many rounds (1–12).
        intro
            Default intro minutes (0–15).
        manager_role
            Members with this role may pause, skip, extend and stop any sprint, and change these.
        clear_manager_role
            Remove the manager role (only Manage Server then).
        ping_on_phase
            Mention participants when a phase starts.
        auto_join_voice
            Join members to a sprint when they enter its linked voice channel.
        chime
            Play a short chime in the linked voice channel at phase changes.
        voice_chat
            Also post phase announcements in the voice channel's chat (its status shows them).
        reset_defaults
            Go back to the bot's default plan (25/5 × 4).
        """
        assert interaction.guild_id is not None
        changes: dict[str, Any] = {
            "work": work,
            "brk": brk,
            "rounds": rounds,
            "long_break": long_break,
            "long_break_every": long_break_every,
            "intro": intro,
            "manager_role_id": manager_role.id if manager_role is not None else None,
            "ping_on_phase": ping_on_phase,
            "auto_join_voice": auto_join_voice,
            "chime": chime,
            "voice_chat": voice_chat,
        }
        given = {k: v for k, v in changes.items() if v is not None}
        if not given and not clear_manager_role and not reset_defaults:
            defaults = await self.service.guild_defaults(interaction.guild_id)
            embed = discord.Embed.from_dict(render.settings_embed(defaults))
            await reply(interaction, "", embed=embed)
            return
        defaults = await self.service.update_settings(
            interaction.guild_id,
            actor_of(interaction),
            clear_manager_role=bool(clear_manager_role),
            reset_defaults=bool(reset_defaults),
            **given,
        )
        embed = discord.Embed.from_dict(render.settings_embed(defaults))
        await reply(
            interaction,
            "Saved. The new settings apply to sprints started from now on.",
            embed=embed,
        )

    # -- gateway events -----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.bot or not self.service.ctx.handles_guild(member.guild.id):
            return
        old = before.channel.id if before.channel is not None else None
        new = after.channel.id if after.channel is not None else None
        if old == new:
            return  # mute, deafen, stream changes
        try:
            if old is not None:
                await self.service.voice_left(old, member.id)
            if new is not None:
                await self.service.voice_joined(new, member.id, display_name(member))
        except Exception:
            log.exception("voice auto-join failed for member %s", member.id)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self._channel_gone(channel.id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self._channel_gone(payload.thread_id)

    async def _channel_gone(self, channel_id: int) -> None:
        try:
            ended = await self.service.channel_deleted(channel_id)
        except Exception:
            log.exception("ending sprints of deleted channel %s failed", channel_id)
            return
        if ended:
            log.info("channel %s was deleted; ended sprint(s) %s", channel_id, ended)


async def setup(bot: AnyBot) -> None:
    await bot.add_cog(Sprints(bot))

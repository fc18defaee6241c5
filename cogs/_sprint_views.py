"""Sprint card buttons (persistent DynamicItems), shared replies, and the optional voice chime.

The card's buttons carry the sprint id in their custom_id (``sprint:{id}:join`` …), so a click
works after a restart without any view being re-registered per message.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import re
import struct
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.errors import Conflict
from bot.ids import (
    SPRINT_BUTTON_TEMPLATE,
    SprintAction,
    goal_add_id,
    parse_sprint_button_id,
    sprint_button_id,
)
from bot.render import sprint as render
from bot.services.sprints import PhaseNotice, SprintService
from bot.ui import bot_of, handle_interaction_error
from cogs._actor import actor_of

if TYPE_CHECKING:
    from bot.core import AnyBot

log = logging.getLogger(__name__)


def sprint_service(interaction: discord.Interaction[Any]) -> SprintService:
    return bot_of(interaction).services.sprints


def display_name(user: discord.abc.User) -> str:
    return getattr(user, "display_name", None) or user.name


def goal_button_view(sprint_id: int) -> discord.ui.View:
    """The late joiner's "Add my goal" button (the goals cog handles ``goal:add:{id}``)."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label="Add my goal",
            emoji="🎯",
            style=discord.ButtonStyle.primary,
            custom_id=goal_add_id(sprint_id),
        )
    )
    return view


async def reply(
    interaction: discord.Interaction[Any],
    text: str,
    *,
    ephemeral: bool = True,
    view: discord.ui.View | None = None,
    embed: discord.Embed | None = None,
) -> None:
    kwargs: dict[str, Any] = {
        "ephemeral": ephemeral,
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if view is not None:
        kwargs["view"] = view
    if embed is not None:
        kwargs["embed"] = embed
    if interaction.response.is_done():
        await interaction.followup.send(text, **kwargs)
    else:
        await interaction.response.send_message(text, **kwargs)
    if view is not None:
        # The button is handled by a DynamicItem; keep no per-message view around.
        view.stop()


# -- actions shared by commands and buttons -------------------------------------------------------


async def do_join(
    interaction: discord.Interaction[Any], sprint_id: int, *, ping: bool | None = None
) -> None:
    service = sprint_service(interaction)
    result = await service.join(
        sprint_id,
        interaction.user.id,
        display_name(interaction.user),
        ping=ping,
        guild_id=interaction.guild_id,
    )
    text = render.join_reply(result, service.ctx.clock.now())
    view = goal_button_view(sprint_id) if result.late and not result.already else None
    await reply(interaction, text, view=view)


async def do_leave(interaction: discord.Interaction[Any], sprint_id: int) -> None:
    result = await sprint_service(interaction).leave(
        sprint_id, interaction.user.id, guild_id=interaction.guild_id
    )
    await reply(interaction, render.leave_reply(result.sprint, result.ended))


async def do_control(
    interaction: discord.Interaction[Any],
    sprint_id: int,
    action: SprintAction,
    minutes: int = 0,
    *,
    expected: int | None = None,
    sent: bool = False,
) -> None:
    """Run a host control meant for the state ``expected`` (a button's control_seq) or, for a
    command (``sent``), the state when the member sent it (see :meth:`SprintService.control`)."""
    service = sprint_service(interaction)
    actor = actor_of(interaction)
    result = await service.control(
        sprint_id,
        actor,
        action,
        minutes=minutes,
        guild_id=interaction.guild_id,
        expected=expected,
        sent_at=interaction.created_at if sent else None,
    )
    view = result.sprint
    who = f"<@{actor.user_id}>"
    if action is SprintAction.PAUSE:
        left = view.state.paused_remaining
        text = (
            f"⏸️ {who} paused **{render.escape_title(view)}** with "
            f"{render.fmt_duration(left) if left else 'no time'} left in "
            f"{render.phase_phrase(view.phase, view.plan)}. Resume with the button or "
            "`/sprint resume`."
        )
        await reply(interaction, text, ephemeral=False)
    elif action is SprintAction.RESUME:
        ends = view.state.phase_ends_at
        until = f", ending {render.ts(ends, 'R')}" if ends else ""
        text = (
            f"▶️ {who} resumed **{render.escape_title(view)}**: "
            f"{render.phase_phrase(view.phase, view.plan)}{until}."
        )
        await reply(interaction, text, ephemeral=False)
    elif action is SprintAction.EXTEND:
        ends = view.state.phase_ends_at
        when = (
            f"now ends {render.ts(ends, 't')} ({render.ts(ends, 'R')})"
            if ends
            else f"has {render.fmt_duration(view.state.paused_remaining or timedelta())} left"
        )
        text = (
            f"➕ {who} added {minutes} min to {render.phase_phrase(view.phase, view.plan)}; "
            f"it {when}."
        )
        await reply(interaction, text, ephemeral=False)
    elif action is SprintAction.SKIP:
        await reply(interaction, render.skip_reply(view, resumed=result.resumed))
    elif action is SprintAction.STOP:
        await reply(interaction, f"Stopped **{render.escape_title(view)}**.")
    else:  # pragma: no cover - programming error
        raise ValueError(action)


# -- the card's buttons ---------------------------------------------------------------------------


class SprintButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=SPRINT_BUTTON_TEMPLATE,
):
    """Join / Leave / Pause / Resume / Skip on a sprint card; works after restarts."""

    def __init__(self, sprint_id: int, action: SprintAction, mark: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=action.value.title(), custom_id=sprint_button_id(sprint_id, action, mark)
            )
        )
        self.sprint_id = sprint_id
        self.action = action
        self.mark = mark  # the control_seq the card showed (None on cards from before)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SprintButton:
        parsed = parse_sprint_button_id(match.string)
        if parsed is None:  # pragma: no cover - the template matched
            raise ValueError(match.string)
        return cls(parsed.sprint_id, parsed.action, parsed.mark)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            if interaction.guild_id is None:
                await reply(interaction, "Sprint buttons work in a server channel.")
            elif self.action is SprintAction.JOIN:
                await do_join(interaction, self.sprint_id)
            elif self.action is SprintAction.LEAVE:
                await do_leave(interaction, self.sprint_id)
            else:
                await do_control(interaction, self.sprint_id, self.action, expected=self.mark)
        except Conflict as exc:
            try:
                await redraw_ended_card(interaction, self.sprint_id)
            except Exception:
                log.exception("redrawing the ended card of sprint %s failed", self.sprint_id)
            await handle_interaction_error(interaction, exc, f"sprint button {self.action}")
        except Exception as exc:
            await handle_interaction_error(interaction, exc, f"sprint button {self.action}")


async def redraw_ended_card(interaction: discord.Interaction[Any], sprint_id: int) -> None:
    """A click on the card of a sprint that has ended: the card shows its end, as the answer to
    the click (an interaction response, so no request of the bot's budget), before the member is
    told why nothing happened. A sprint that finished on schedule leaves its card as it was."""
    if interaction.response.is_done():
        return
    payload = await sprint_service(interaction).ended_card(sprint_id)
    if payload is None:
        return
    links = discord.ui.View(timeout=None)
    for row in payload["components"]:
        for c in row["components"]:
            if "url" in c:
                links.add_item(
                    discord.ui.Button(
                        label=c["label"], url=c["url"], emoji=c.get("emoji", {}).get("name")
                    )
                )
    await interaction.response.edit_message(
        content=payload["content"] or None,
        embeds=[discord.Embed.from_dict(e) for e in payload["embeds"]],
        view=links if links.children else None,
        allowed_mentions=discord.AllowedMentions.none(),
    )
    links.stop()


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (SprintButton,)


# -- the chime ------------------------------------------------------------------------------------


def voice_support() -> str | None:
    """None when this process can play audio in voice, else why not (PyNaCl or opus missing)."""
    try:
        import nacl.secret  # noqa: F401
    except ImportError:
        return "PyNaCl is not installed (pip install 'sprintbot[voice]')"
    if not discord.opus.is_loaded():
        try:
            discord.opus._load_default()
        except Exception:
            return "the opus library could not be loaded"
        if not discord.opus.is_loaded():
            return "the opus library could not be loaded"
    return None


def chime_pcm(seconds: float = 0.9, rate: int = 48_000) -> bytes:
    """Two soft rising tones as 16-bit stereo PCM (what discord.PCMAudio plays)."""
    frames = bytearray()
    total = int(seconds * rate)
    for i in range(total):
        t = i / rate
        freq = 660.0 if t < seconds / 2 else 880.0
        local = t % (seconds / 2)
        envelope = min(1.0, local * 40) * max(0.0, 1 - local / (seconds / 2))
        sample = int(9000 * envelope * math.sin(2 * math.pi * freq * t))
        frames += struct.pack("<hh", sample, sample)
    return bytes(frames)


class Chime:
    """Plays a short chime in the sprint's voice channel at phase changes when possible.

    Everything here is best effort: any failure is logged and the sprint carries on (the text
    announcement is always posted anyway).
    """

    def __init__(self, bot: AnyBot) -> None:
        self.bot = bot
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._pcm: bytes | None = None

    async def on_phase(self, notice: PhaseNotice) -> None:
        if not notice.chime or notice.voice_channel_id is None:
            return
        task = asyncio.create_task(self._play(notice))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def usable_in(self, channel: discord.abc.GuildChannel | None) -> str | None:
        """None when the chime can play in ``channel``, else why it can't."""
        if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return "the voice channel is gone"
        missing = voice_support()
        if missing is not None:
            return missing
        me = channel.guild.me
        perms = channel.permissions_for(me)
        if not (perms.connect and perms.speak):
            return "I'm missing Connect or Speak in the voice channel"
        if (
            channel.user_limit
            and len(channel.members) >= channel.user_limit
            and not (perms.move_members)
        ):
            return "the voice channel is full"
        return None

    async def _play(self, notice: PhaseNotice) -> None:
        try:
            guild = self.bot.get_guild(notice.guild_id)
            channel = guild.get_channel(notice.voice_channel_id) if guild else None  # type: ignore[arg-type]
            why = self.usable_in(channel)  # type: ignore[arg-type]
            if why is not None:
                log.debug("no chime for sprint %s: %s", notice.sprint_id, why)
                return
            assert isinstance(channel, discord.VoiceChannel | discord.StageChannel)
            lock = self._locks.setdefault(notice.guild_id, asyncio.Lock())
            if lock.locked() or channel.guild.voice_client is not None:
                return  # already chiming (or connected for something else) in this server
            async with lock:
                await asyncio.wait_for(self._connect_and_play(channel, notice), timeout=20)
        except Exception:
            log.warning("chime failed for sprint %s", notice.sprint_id, exc_info=True)

    async def _connect_and_play(
        self, channel: discord.VoiceChannel | discord.StageChannel, notice: PhaseNotice
    ) -> None:
        voice = await channel.connect(timeout=10, reconnect=False, self_deaf=True)
        try:
            if self._pcm is None:
                self._pcm = chime_pcm()
            # The change may have been prepared ahead: chime when it happens.
            ahead = (notice.at - discord.utils.utcnow()).total_seconds()
            await asyncio.sleep(min(max(ahead, 0.0), 1.0))
            done = asyncio.Event()
            loop = asyncio.get_running_loop()
            voice.play(
                discord.PCMAudio(io.BytesIO(self._pcm)),
                after=lambda _err: loop.call_soon_threadsafe(done.set),
            )
            await asyncio.wait_for(done.wait(), timeout=5)
        finally:
            await voice.disconnect(force=True)

    async def close(self) -> None:
        """Stop chiming: cancel what is playing and wait until it has let go of voice."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def start_notes(
    interaction: discord.Interaction[Any],
    voice: discord.VoiceChannel | None,
    chime: bool,
    chime_check: Chime,
) -> list[str]:
    """Warnings worth telling the host at start (never a refusal)."""
    notes: list[str] = []
    if voice is None or interaction.guild is None:
        return notes
    perms = voice.permissions_for(interaction.guild.me)
    if not (perms.view_channel and perms.send_messages):
        notes.append(
            f"I can't post in {voice.mention}'s chat (missing View Channel or Send Messages), "
            "so phase changes are announced here only."
        )
    if chime:
        why = chime_check.usable_in(voice)
        if why is not None:
            notes.append(f"No chime in voice ({why}); the announcements here are the signal.")
    return notes

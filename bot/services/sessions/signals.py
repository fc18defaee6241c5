"""What happens around a series: channels deleted, members leaving the server, signs of life
during an occurrence's sprint ("I'm here", Join, voice), and attendance when that sprint ends.
``SessionService`` inherits them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict, NotFound
from bot.domain.sprint import EndReason
from bot.render import sessions as render
from bot.services.context import ServiceContext
from bot.services.events import EndingAddOn, SprintEnded
from bot.services.privacy.gate import refuse_untracked
from bot.services.sessions import queries
from bot.services.sessions.lookups import series_in_guild
from bot.services.sessions.runner import Runner
from bot.services.sprints import SprintService
from db.models import SessionAttendance, SessionSeries

__all__ = ["SignalUseCases"]


class SignalUseCases:
    """Mixed into ``SessionService`` (which provides ``ctx``, ``sprints`` and ``runner``)."""

    ctx: ServiceContext
    sprints: SprintService
    runner: Runner

    # -- Discord events ------------------------------------------------------------------------

    async def channel_deleted(self, guild_id: int, channel_id: int) -> list[int]:
        """A deleted text channel cancels its series; a deleted voice channel is dropped (the
        next start runs without it and says so). Returns the series changed."""
        now = self.ctx.clock.now()
        changed: list[int] = []
        cancelled: list[int] = []
        async with self.ctx.db.transaction() as session:
            for series in await queries.series_of_guild(session, guild_id):
                if series.channel_id == channel_id:
                    cancelled.append(series.id)
                    series.cancelled_at = now
                    for occ in await queries.occurrences_of(session, series.id):
                        if occ.status == "upcoming":
                            occ.status = "cancelled"
                    changed.append(series.id)
                else:
                    nxt = await queries.next_occurrence(session, series.id)
                    hit = series.voice_channel_id == channel_id
                    if nxt is not None and nxt.voice_channel_id == channel_id:
                        nxt.voice_channel_id, hit = None, True
                    if not hit:
                        continue
                    if series.voice_channel_id == channel_id:
                        series.voice_channel_id = None
                    if nxt is not None and nxt.note is None:
                        nxt.note = f"voice_gone:{channel_id}"
                    await session.flush()
                    await self.runner.enqueue_card(session, series, now, coalesce=False)
                    changed.append(series.id)
        for series_id in cancelled:
            self.runner.arm(series_id, None)
        return changed

    async def here(
        self, guild_id: int, series_id: int, occurrence_id: int, user_id: int, name: str
    ) -> int:
        """ "I'm here" on the start line: counts the member as having shown up (and joins them to
        the sprint when they are not in it). Returns the sprint's id."""
        async with self.ctx.db.transaction() as session:
            series = await series_in_guild(session, guild_id, series_id)
            occ = await queries.locked_occurrence(session, occurrence_id)
            if occ is None or occ.series_id != series.id:
                raise NotFound("I can't find that session any more.")
            if occ.status != "started" or occ.sprint_id is None or occ.ended_at is not None:
                raise Conflict(
                    "That session is over, so it takes no more check-ins. See you at the next one!"
                )
            await refuse_untracked(session, user_id)
            sprint_id = occ.sprint_id
            if user_id not in await queries.sprint_members(session, sprint_id):
                await self.sprints.add_participant(session, sprint_id, user_id, name)
                await self.sprints.refresh_card(session, sprint_id)
            row = await queries.attendance(session, occ.id, user_id)
            if row is None:
                row = SessionAttendance(
                    occurrence_id=occ.id, user_id=user_id, recorded_at=self.ctx.clock.now()
                )
                session.add(row)
            row.showed_up = True
        self.ctx.delivery.wake()
        return sprint_id

    async def voice_seen(self, guild_id: int, voice_channel_id: int, user_id: int) -> bool:
        """A member came into the voice channel of a running session's sprint: they showed up."""
        if not self.ctx.handles_guild(guild_id):
            return False
        async with self.ctx.db.transaction() as session:
            found = await queries.running_occurrences_in_voice(session, voice_channel_id)
            for occ in found:
                row = await queries.attendance(session, occ.id, user_id)
                if row is None:
                    row = SessionAttendance(
                        occurrence_id=occ.id, user_id=user_id, recorded_at=self.ctx.clock.now()
                    )
                    session.add(row)
                row.showed_up = True
            return bool(found)

    async def member_present(self, session: AsyncSession, sprint_id: int, user_id: int) -> None:
        """PresenceListener: Join pressed, /sprint join or voice while the occurrence's sprint
        runs — the member showed up (in the sprint's transaction)."""
        occ = await queries.occurrence_of_sprint(session, sprint_id)
        if occ is None or occ.ended_at is not None or user_id < 0:
            return
        row = await queries.attendance(session, occ.id, user_id)
        if row is None:
            row = SessionAttendance(
                occurrence_id=occ.id, user_id=user_id, recorded_at=self.ctx.clock.now()
            )
            session.add(row)
        row.showed_up = True

    async def member_left(self, guild_id: int, user_id: int) -> list[int]:
        """Left the server: out of every series there (a place they held is offered on).
        Returns the series they were in."""
        now = self.ctx.clock.now()
        left: list[int] = []
        wakes: dict[int, datetime | None] = {}
        async with self.ctx.db.transaction() as session:
            for found in await queries.series_of_guild(session, guild_id):
                series = await queries.locked_series(session, found.id)
                assert series is not None
                if not await queries.forget_member(session, series.id, user_id):
                    continue
                left.append(series.id)
                occ = await queries.next_occurrence(session, series.id)
                if occ is not None:
                    await self.runner.offer_places(session, series, occ, now)
                    await self.runner.enqueue_card(session, series, now, coalesce=True)
                wakes[series.id] = await self.runner.wake_at(session, series, occ)
        self.ctx.delivery.wake()
        for series_id, wake in wakes.items():
            self.runner.arm(series_id, wake)
        return left

    # -- the sprint ended (SprintEndListener) ---------------------------------------------------

    async def sprint_ended(self, session: AsyncSession, event: SprintEnded) -> EndingAddOn | None:
        """Record who showed up, and put the series (its name, who came, the next session) on
        the message that says the sprint ended, under the debrief."""
        occ = await queries.occurrence_of_sprint(session, event.sprint_id)
        if occ is None or occ.ended_at is not None:
            return None
        series = await session.get(SessionSeries, occ.series_id)
        if series is None:
            return None
        occ.ended_at = event.at
        showed, missing = await self.runner.record_attendance(session, occ, event.at)
        await self.runner.changed(session, occ.id, "ended")
        # The card shows the last session's attendance ("Last time"): bring it up to date now,
        # not at the next click (the sprint's end wakes the sender after the commit). Not when
        # the card's channel is the one deleted (that cancels the series, card and all).
        gone = event.reason == EndReason.CHANNEL and event.channel_id == series.channel_id
        if not gone:
            await self.runner.enqueue_card(session, series, self.ctx.clock.now(), coalesce=False)
        nxt = await queries.next_occurrence(session, series.id)
        view = await self.runner.view(session, series, nxt)
        return EndingAddOn(
            embeds=(
                render.attendance_embed(
                    occ.title or series.title,
                    showed,
                    missing,
                    nxt.starts_at if nxt is not None else None,
                    view.card_url(),
                ),
            )
        )

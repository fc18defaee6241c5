"""Slot offers (issue #14): offer 1–5 times, take or tick them, confirm one as a standing
session, withdraw, expire (drafts from /findtime's "Offer these" are in ``drafts.py``).

Every change is one transaction with the offer row locked (``with_for_update``; SQLite
serialises writers with ``BEGIN IMMEDIATE``), so two members pressing the same slot at once get
exactly one confirmation: the second reads the confirmed row and is told who was first.
Confirming schedules the session in the same transaction (``SessionService.schedule_in``), so an
offer is never confirmed without its session, nor a session made for an offer still open.

The expiry is a timer (key ``offer:{id}``, the urgent lane: a member waits for the answer) at
``expires_at``; the database is the truth, so :meth:`OfferService.restore` re-arms open offers
and decides, at once, those whose expiry passed while the bot was down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.domain.errors import Conflict, PermissionDenied, UserError
from bot.domain.offers import (
    OfferMode,
    OfferStatus,
    SlotCount,
    check_expiry,
    check_slot_count,
    check_slots,
    check_targets,
    confirms,
    is_full,
    people_rule,
    winner_at_expiry,
)
from bot.domain.text import clean_title
from bot.render import offers as render
from bot.render.wire import ts
from bot.services.actor import Actor
from bot.services.context import ServiceContext
from bot.services.offers import messages, queries
from bot.services.offers.booking import SessionBooking
from bot.services.offers.drafts import DEFAULT_TITLE, DRAFT_LIFETIME, DraftUseCases
from bot.services.offers.inputs import checked_repeat, typed_expiry, typed_slots
from bot.services.offers.types import OfferRequest, OfferView, TakeResult
from bot.services.offers.views import cant_post, rule_of
from bot.services.privacy.gate import refuse_untracked
from bot.services.sessions import Scheduled, ScheduleRequest
from db.models import SlotOffer, SlotOfferSlot, SlotOfferTaker

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_TITLE", "DRAFT_LIFETIME", "OfferService", "timer_key"]

RETRY = timedelta(seconds=15)


def timer_key(offer_id: int) -> str:
    return f"offer:{offer_id}"


@dataclass
class _After:
    """What to do once the transaction committed."""

    scheduled: Scheduled | None = None
    arm: datetime | None = None
    disarm: bool = False
    refusal: UserError | None = None  # raised after commit (a late expiry was still stored)


class OfferService(DraftUseCases):
    def __init__(self, ctx: ServiceContext, sessions: SessionBooking) -> None:
        self.ctx = ctx
        self.sessions = sessions

    # -- offering ------------------------------------------------------------------------------

    async def offer(self, req: OfferRequest) -> OfferView:
        """Post an offer's card (via the outbox) and arm its expiry."""
        title = clean_title(req.title or DEFAULT_TITLE)
        if not req.can_post:
            raise cant_post(req.channel_id)
        check_slot_count(len(req.slots))
        rule = people_rule(req.min_people, req.max_people)
        targets = check_targets(req.offerer_id, req.targets, req.bots, req.strangers)
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, req.offerer_id)  # issue 16: don't track me
            zone = await self.sessions.zone_of(session, req.guild_id, req.offerer_id, req.zone)
            speed = self.ctx.speed
            starts = check_slots(typed_slots(req.slots, zone, now, speed), now)
            expires = check_expiry(typed_expiry(req.expires, zone, now, speed), starts, now)
            repeat = checked_repeat(req.repeat, starts, zone)
            plan = await self.sessions.plan_of(
                session,
                req.guild_id,
                preset=req.preset,
                work=req.work,
                brk=req.brk,
                rounds=req.rounds,
            )
            row = SlotOffer(
                guild_id=req.guild_id,
                channel_id=req.channel_id,
                offerer_id=req.offerer_id,
                offerer_name=req.offerer_name[:100],
                title=title,
                plan=plan,
                repeat=repeat,
                zone=zone.key,
                mode=rule.mode.value,
                min_people=rule.min_people,
                max_people=rule.max_people,
                targets=list(targets),
                status=OfferStatus.OPEN.value,
                expires_at=expires,
                created_at=now,
            )
            view = await self._store(session, row, starts, now)
        self.ctx.delivery.wake()
        self._arm(view.id, view.expires_at)
        return view

    async def _store(
        self, session: AsyncSession, row: SlotOffer, starts: Sequence[datetime], now: datetime
    ) -> OfferView:
        session.add(row)
        await session.flush()
        for position, start in enumerate(starts, 1):
            session.add(SlotOfferSlot(offer_id=row.id, position=position, starts_at=start))
        await session.flush()
        view = await self.view(session, row)
        if row.status == OfferStatus.OPEN:
            payload = render.card_payload(view, now)
            await enqueue(
                session, messages.card_send(row.guild_id, row.channel_id, row.id, payload)
            )
        return view

    # -- taking --------------------------------------------------------------------------------

    async def take(
        self, guild_id: int, offer_id: int, position: int, user_id: int, name: str
    ) -> TakeResult:
        """Take a slot (first taker confirms) or tick / un-tick it (enough people confirm)."""
        now = self.ctx.clock.now()
        after = _After()
        result: TakeResult | None = None
        async with self.ctx.db.transaction() as session:
            row = self.in_guild(await queries.locked_offer(session, offer_id), guild_id)
            if row.status == OfferStatus.OPEN and row.expires_at <= now:
                # The expiry's timer hasn't run yet (it is due): decide now, then say so.
                await self._close_at_expiry(session, row, now, after)
                after.refusal = Conflict(await self.closed_sentence(session, row, now, user_id))
            else:
                await self.refuse_closed(session, row, now, user_id)
                self.refuse_outsider(row, user_id)
                result = await self._take(session, row, position, user_id, name, now, after)
        self._after(offer_id, after)
        if after.refusal is not None:
            raise after.refusal
        assert result is not None
        return result

    async def _take(
        self,
        session: AsyncSession,
        row: SlotOffer,
        position: int,
        user_id: int,
        name: str,
        now: datetime,
        after: _After,
    ) -> TakeResult:
        slot = next(
            (s for s in await queries.slots_of(session, row.id) if s.position == position), None
        )
        if slot is None:
            raise Conflict(f"This offer has no slot {position}: pick one of the card's buttons.")
        if slot.starts_at <= now:
            raise Conflict(f"Slot {position} started {ts(slot.starts_at, 'R')}; pick a later one.")
        await refuse_untracked(session, user_id)
        rule = rule_of(row)
        takers = [t for t in await queries.takers_of(session, row.id) if t.position == position]
        mine = next((t for t in takers if t.user_id == user_id), None)
        if mine is not None and rule.mode is OfferMode.ENOUGH:
            await session.delete(mine)  # a tick is a toggle
            await session.flush()
            await self._edit_card(session, row, now)
            return TakeResult(await self.view(session, row), position, False, False, None)
        if is_full(rule, len(takers)):
            raise Conflict(
                f"Slot {position} is full ({rule.max_people} people counting "
                f"<@{row.offerer_id}>); pick another slot."
            )
        session.add(
            SlotOfferTaker(
                offer_id=row.id,
                position=position,
                user_id=user_id,
                display_name=name[:100],
                taken_at=now,
            )
        )
        await session.flush()
        if confirms(rule, len(takers) + 1):
            await self._confirm(session, row, position, now, after)
            view = await self.view(session, row)
            return TakeResult(view, position, True, True, row.series_id)
        await self._edit_card(session, row, now)
        return TakeResult(await self.view(session, row), position, True, False, None)

    async def _confirm(
        self, session: AsyncSession, row: SlotOffer, position: int, now: datetime, after: _After
    ) -> None:
        """Close the offer on ``position`` and schedule its session with everyone Going."""
        slot = next(s for s in await queries.slots_of(session, row.id) if s.position == position)
        going = tuple(
            (t.user_id, t.display_name)
            for t in await queries.takers_of(session, row.id)
            if t.position == position
        )
        req = ScheduleRequest(
            guild_id=row.guild_id,
            channel_id=row.channel_id,
            creator_id=row.offerer_id,
            creator_name=row.offerer_name,
            title=row.title,
            when="",
            repeat=row.repeat,
            zone=row.zone,
            capacity=row.max_people,  # None: no limit
            at=slot.starts_at,
            plan=dict(row.plan),
            going=going,
        )
        after.scheduled = await self.sessions.schedule_in(session, req, now)
        row.status = OfferStatus.CONFIRMED.value
        row.confirmed_position = position
        row.series_id = after.scheduled.view.id
        row.closed_at = now
        after.disarm = True
        await session.flush()
        view = await self.view(session, row)
        await self._edit_card(session, row, now, view)
        await enqueue(
            session,
            messages.line(row.guild_id, row.channel_id, row.id, render.confirmed_payload(view)),
        )

    async def _edit_card(
        self, session: AsyncSession, row: SlotOffer, now: datetime, view: OfferView | None = None
    ) -> None:
        view = view if view is not None else await self.view(session, row)
        await enqueue(
            session,
            messages.card_edit(
                row.guild_id,
                row.channel_id,
                row.id,
                row.card_message_id,
                render.card_payload(view, now),
            ),
        )

    def _after(self, offer_id: int, after: _After) -> None:
        self.ctx.delivery.wake()
        if after.scheduled is not None:
            self.sessions.after_schedule(after.scheduled)
        if after.disarm:
            self.ctx.timers.cancel(timer_key(offer_id))
        elif after.arm is not None:
            self._arm(offer_id, after.arm)

    # -- withdrawing and expiring --------------------------------------------------------------

    async def withdraw(self, actor: Actor, offer_id: int) -> OfferView:
        """Close an open offer: its offerer, or a member with Manage Server."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            row = self.in_guild(await queries.locked_offer(session, offer_id), actor.guild_id)
            if actor.user_id != row.offerer_id and not actor.manage_guild:
                raise PermissionDenied(
                    f"Only <@{row.offerer_id}>, who made this offer, or members with the Manage "
                    "Server permission can withdraw it."
                )
            await self.refuse_closed(session, row, now)
            row.status, row.closed_at = OfferStatus.WITHDRAWN.value, now
            await session.flush()
            view = await self.view(session, row)
            await self._edit_card(session, row, now, view)
        self._after(offer_id, _After(disarm=True))
        return view

    async def expire(self, offer_id: int) -> OfferView | None:
        """The expiry's timer: pick the winner (enough people, no minimum) or close as expired.
        None when there was nothing to do (closed already, or not due yet: re-armed)."""
        now = self.ctx.clock.now()
        after = _After()
        async with self.ctx.db.transaction() as session:
            row = await queries.locked_offer(session, offer_id)
            if row is None or row.status != OfferStatus.OPEN:
                return None
            if row.expires_at > now:
                after.arm = row.expires_at
                view = None
            else:
                await self._close_at_expiry(session, row, now, after)
                view = await self.view(session, row)
        self._after(offer_id, after)
        return view

    async def _close_at_expiry(
        self, session: AsyncSession, row: SlotOffer, now: datetime, after: _After
    ) -> None:
        takers = await queries.takers_of(session, row.id)
        counts = [
            SlotCount(s.position, s.starts_at, sum(t.position == s.position for t in takers))
            for s in await queries.slots_of(session, row.id)
        ]
        winner = winner_at_expiry(rule_of(row), counts, now)
        if winner is not None:
            await self._confirm(session, row, winner, now, after)
            return
        row.status, row.closed_at = OfferStatus.EXPIRED.value, now
        after.disarm = True
        await session.flush()
        await self._edit_card(session, row, now)

    def _arm(self, offer_id: int, when: datetime) -> None:
        self.ctx.timers.arm(timer_key(offer_id), when, self._on_timer, offer_id)

    async def _on_timer(self, offer_id: int) -> None:
        try:
            await self.expire(offer_id)
        except Exception:
            log.exception("offer %s: closing at its expiry failed; retrying", offer_id)
            self._arm(offer_id, self.ctx.clock.now() + RETRY)

    async def restore(self) -> None:
        """Re-arm every open offer of this process's guilds; decide at once those whose expiry
        passed while the bot was down; delete the drafts that can no longer be offered."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            pruned = await queries.delete_dead_drafts(session, now, now - DRAFT_LIFETIME)
            due = await queries.open_offers_due(session)
        armed = decided = 0
        for offer_id, guild_id, expires_at in due:
            if not self.ctx.handles_guild(guild_id):
                continue
            if expires_at <= now:
                try:
                    await self.expire(offer_id)
                    decided += 1
                except Exception:
                    log.exception("offer %s: deciding at restore failed; retrying", offer_id)
                    self._arm(offer_id, now + RETRY)
            else:
                self._arm(offer_id, expires_at)
                armed += 1
        log.info(
            "restored %d slot offer timer(s), decided %d expired while down, deleted %d old "
            "draft(s)",
            armed,
            decided,
            pruned,
        )

    # -- a member who turns tracking off -------------------------------------------------------

    async def member_untracked(
        self, session: AsyncSession, user_id: int, now: datetime
    ) -> Callable[[], None]:
        """``/privacy stop-tracking``, in its transaction: a later confirmation must not record
        the member Going. Their open offers are withdrawn (the card says so, as after
        ``/offer withdraw``), their drafts deleted, and their ticks on others' open offers taken
        back (the card redrawn). Returns what to run once it committed: disarm the expiries."""
        withdrawn: list[int] = []
        for row in await queries.involving(session, user_id):
            if row.offerer_id == user_id and row.status == OfferStatus.DRAFT:
                await session.delete(row)  # nobody saw it; its slots go by cascade
                continue
            if row.offerer_id == user_id:
                row.status, row.closed_at = OfferStatus.WITHDRAWN.value, now
                withdrawn.append(row.id)
            else:
                await queries.delete_takes(session, row.id, user_id)
            await session.flush()
            await self._edit_card(session, row, now)
        await session.flush()

        def after() -> None:
            for offer_id in withdrawn:
                self.ctx.timers.cancel(timer_key(offer_id))

        return after

    # -- reading -------------------------------------------------------------------------------

    async def open_offers(self, guild_id: int) -> list[OfferView]:
        """``/offer list``: the server's open offers, closing soonest first."""
        async with self.ctx.db.transaction() as session:
            return [await self.view(session, r) for r in await queries.offers_of(session, guild_id)]

    async def show(self, guild_id: int, offer_id: int) -> OfferView:
        async with self.ctx.db.transaction() as session:
            row = self.in_guild(await session.get(SlotOffer, offer_id), guild_id)
            return await self.view(session, row)

    async def choices(self, guild_id: int, user_id: int, current: str) -> list[tuple[str, int]]:
        """Autocomplete: (label, offer id) of the member's own open offers matching ``current``."""
        word = current.strip().lower()
        async with self.ctx.db.transaction() as session:
            rows = await queries.offers_of(session, guild_id, offerer_id=user_id)
        found = [
            (f"{r.title} (#{r.id})"[:100], r.id)
            for r in rows
            if word in r.title.lower() or word.lstrip("#") == str(r.id)
        ]
        return found[:25]

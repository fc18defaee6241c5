"""Drafts from /findtime's "Offer these": storing one, offering it, and deleting those that can
no longer be offered; mixed into ``OfferService``.

A draft is an offer in status ``draft`` that nobody sees until the member who ran /findtime
presses "Offer these". One that can no longer be offered (more than :data:`DRAFT_LIFETIME` old,
or its first time started) is deleted with its slots whenever a new draft is stored and at
start-up, so /findtime answers don't pile up rows; a press on its button then hears the times
are gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.domain.errors import Conflict, NotFound, PermissionDenied
from bot.domain.offers import MAX_PEOPLE, MAX_SLOTS, OfferStatus, check_slots, people_rule
from bot.render import offers as render
from bot.services.offers import messages, queries
from bot.services.offers.booking import SessionBooking
from bot.services.offers.types import OfferView
from bot.services.offers.views import OfferViews, cant_post
from bot.services.privacy.gate import refuse_untracked
from db.models import SlotOffer

__all__ = ["DEFAULT_TITLE", "DRAFT_GONE", "DRAFT_LIFETIME", "DraftUseCases"]

DEFAULT_TITLE = "Coworking"
DRAFT_LIFETIME = timedelta(hours=24)
MAX_DRAFT_TARGETS = 50  # /findtime's largest group
DRAFT_GONE = (
    "These times are no longer on offer: a `/findtime` answer's times can be offered for a day, "
    "until the first of them starts. Run `/findtime` again for times still ahead."
)


class DraftUseCases(OfferViews):
    """Mixed into ``OfferService`` (which provides ``ctx``, ``sessions``, ``_store`` and
    ``_arm``)."""

    sessions: SessionBooking

    if TYPE_CHECKING:  # OfferService's, declared here for the type checker only

        async def _store(
            self, session: AsyncSession, row: SlotOffer, starts: Sequence[datetime], now: datetime
        ) -> OfferView: ...

        def _arm(self, offer_id: int, when: datetime) -> None: ...

    async def draft(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        slots: Sequence[datetime],
        targets: Sequence[int],
        length_minutes: int,
    ) -> int:
        """Store /findtime's slots (the first five, best first as found) as a draft that only
        ``user_id`` can offer, with the server's default plan. With one other member it is a
        pair (first taker confirms); with more, it needs everyone searched for. Raises a
        ``UserError`` when no slot is still ahead or the member asked not to be tracked.
        Deletes the drafts that can no longer be offered on the way."""
        now = self.ctx.clock.now()
        # A suggestion that starts this very minute is dropped, not refused: /findtime answers.
        starts = check_slots([s for s in slots if s > now][:MAX_SLOTS], now)
        others = tuple(dict.fromkeys(t for t in targets if t != user_id))[:MAX_DRAFT_TARGETS]
        if len(others) <= 1:
            rule = people_rule(None, None)
        else:
            rule = people_rule(min(1 + len(others), MAX_PEOPLE), None)
        async with self.ctx.db.transaction() as session:
            await refuse_untracked(session, user_id)
            await queries.delete_dead_drafts(session, now, now - DRAFT_LIFETIME)
            zone = await self.sessions.zone_of(session, guild_id, user_id, None)
            row = SlotOffer(
                guild_id=guild_id,
                channel_id=channel_id,
                offerer_id=user_id,
                offerer_name=name[:100],
                title=DEFAULT_TITLE,
                plan=await self.sessions.plan_of(session, guild_id),
                repeat=None,
                zone=zone.key,
                mode=rule.mode.value,
                min_people=rule.min_people,
                max_people=rule.max_people,
                targets=list(others),
                status=OfferStatus.DRAFT.value,
                expires_at=starts[0],
                length_minutes=length_minutes,
                created_at=now,
            )
            view = await self._store(session, row, starts, now)
        return view.id

    async def offer_draft(
        self, guild_id: int, draft_id: int, user_id: int, name: str, *, can_post: bool = True
    ) -> OfferView:
        """ "Offer these": the draft becomes an open offer in its channel. ``can_post``: the
        bot may post there (refused with the sentence ``/offer slots`` gives)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            # Turned tracking off (or forgot me) since /findtime: that, not "no longer on offer".
            await refuse_untracked(session, user_id)
            found = await queries.locked_offer(session, draft_id)
            if found is None:  # deleted as no longer offerable (a button is all that has its id)
                raise NotFound(DRAFT_GONE)
            row = self.in_guild(found, guild_id)
            if row.offerer_id != user_id:
                raise PermissionDenied(
                    f"Only <@{row.offerer_id}>, who ran `/findtime`, can offer these times. Run "
                    "`/findtime` yourself to offer times of your own."
                )
            if row.status != OfferStatus.DRAFT:
                view = await self.view(session, row)
                where = view.card_url() or "`/offer list`"
                raise Conflict(f"Already offered: {where}")
            if now - row.created_at > DRAFT_LIFETIME:
                raise Conflict(
                    "These times are from a `/findtime` more than a day old: run `/findtime` "
                    "again for times that still fit everyone."
                )
            slots = await queries.slots_of(session, row.id)
            if not slots or slots[0].starts_at <= now:
                raise Conflict(
                    "The first of these times has already started: run `/findtime` again for "
                    "times still ahead."
                )
            if not can_post:
                raise cant_post(row.channel_id)
            row.status, row.offerer_name = OfferStatus.OPEN.value, name[:100]
            row.expires_at = slots[0].starts_at
            await session.flush()
            view = await self.view(session, row)
            await enqueue(
                session,
                messages.card_send(
                    row.guild_id, row.channel_id, row.id, render.card_payload(view, now)
                ),
            )
        self.ctx.delivery.wake()
        self._arm(view.id, view.expires_at)
        return view

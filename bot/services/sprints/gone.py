"""When Discord says something a sprint posts in is gone: a deleted channel, a deleted card.

The outbox sender reports it (``DeliveryListener``, wired in ``bot/core.py``); the bot's own
gateway events report a deleted channel too. A part of :class:`SprintService`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.delivery.outbox import enqueue
from bot.domain.sprint import EndReason
from bot.services.context import ServiceContext
from bot.services.sprints import queries
from bot.services.sprints.phases import AfterCommit, PhaseMachine

log = logging.getLogger(__name__)

__all__ = ["CARD_REPOST_COOLDOWN", "GoneUseCases"]

# A deleted card is posted again at most once per this long per sprint (see message_gone).
CARD_REPOST_COOLDOWN = timedelta(seconds=60)


class GoneUseCases:
    """Channels and cards going away (a part of :class:`SprintService`)."""

    ctx: ServiceContext
    phases: PhaseMachine
    _reposted: dict[int, datetime]  # sprint -> when its card was last posted again

    async def channel_deleted(self, channel_id: int) -> list[int]:
        """A channel was deleted (or delivery found it gone): end sprints posting there cleanly.

        A deleted text channel ends its sprint (reason "channel"); a deleted voice channel is
        unlinked and the sprint carries on. Returns the ids of the sprints ended.
        """
        after = AfterCommit()
        ended: list[int] = []
        async with self.ctx.db.transaction() as session:
            rows = await queries.active_sprints_of_channel(session, channel_id)
            now = self.ctx.clock.now()
            for row in rows:
                if row.channel_id == channel_id:
                    await self.phases.end(session, row, EndReason.CHANNEL, now, after)
                    ended.append(row.id)
                else:
                    row.voice_channel_id = None
                    row.version += 1
                    await session.flush()
                    await self.phases.enqueue_card(session, row, now)
        self.phases.after(after)
        return ended

    # Delivery may call this when Discord says a channel no longer exists.
    channel_gone = channel_deleted

    async def message_gone(self, channel_id: int, message_id: int) -> bool:
        """Delivery found a message gone when it edited it: a deleted card is posted again.

        Only the current card of the active sprint in that channel (issue #12 item 4): a new
        card row (same ref) becomes the sprint's card, and later edits wait for it and go to it.
        Once per deleted card (more failed edits of the old one find a newer card), and at most
        once per ``CARD_REPOST_COOLDOWN`` per sprint, so a card deleted again and again within
        seconds is not posted in a loop: it stays gone until an edit after the cooldown finds
        it gone. Returns whether it posted.
        """
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            row = await queries.active_sprint_in_channel(session, channel_id, for_update=True)
            if row is None:
                return False
            view = await self.phases.view(session, row)
            if view.card_message_id != message_id:
                return False  # an older card, or the new one is not delivered yet
            last = self._reposted.get(row.id)
            if last is not None and now - last < CARD_REPOST_COOLDOWN:
                log.info("sprint %s: card deleted again within a minute; not posted", row.id)
                return False
            row.card_message_id = None  # the new card's, once delivered (fill_card_message_id)
            await enqueue(session, await self.phases.card_send(session, row, now, view=view))
        self._reposted = {k: t for k, t in self._reposted.items() if now - t < CARD_REPOST_COOLDOWN}
        self._reposted[row.id] = now
        self.ctx.delivery.wake()
        return True

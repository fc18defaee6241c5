"""Delivery failures as reports an area can read without knowing the outbox's columns.

An area asks for its guild's unacknowledged failures (``open_failures``) and decides which are its
own from the refs of the post that failed (it owns those ref formats); it acknowledges them by id
(``acknowledge``). No area matches outbox refs in SQL.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DeliveryFailure, OutboxMessage

__all__ = ["FailedPost", "FailureReport", "acknowledge", "open_failures"]


@dataclass(frozen=True)
class FailedPost:
    """The outbox row whose delivery failed: where it went and the refs it carried."""

    channel_id: int | None
    ref: str | None
    channel_ref: str | None
    target_ref: str | None

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(r for r in (self.ref, self.channel_ref, self.target_ref) if r is not None)


@dataclass(frozen=True)
class FailureReport:
    id: int
    reason: str
    created_at: datetime
    channel_id: int | None  # the channel the failure names
    outbox_id: int | None  # None: a failure not tied to a post (e.g. a channel deleted)
    post: FailedPost | None  # the failed post, while its outbox row is kept


async def open_failures(
    session: AsyncSession, guild_id: int, *, since: datetime | None = None
) -> list[FailureReport]:
    """The guild's unacknowledged failures (recorded at or after ``since``), newest first."""
    stmt = (
        select(
            DeliveryFailure,
            OutboxMessage.id,
            OutboxMessage.channel_id,
            OutboxMessage.ref,
            OutboxMessage.channel_ref,
            OutboxMessage.target_ref,
        )
        .outerjoin(OutboxMessage, OutboxMessage.id == DeliveryFailure.outbox_id)
        .where(DeliveryFailure.guild_id == guild_id, DeliveryFailure.acknowledged.is_(False))
        .order_by(DeliveryFailure.id.desc())
    )
    if since is not None:
        stmt = stmt.where(DeliveryFailure.created_at >= since)
    reports: list[FailureReport] = []
    for failure, outbox_id, channel_id, ref, channel_ref, target_ref in (
        await session.execute(stmt)
    ).tuples():
        post = (
            FailedPost(channel_id, ref, channel_ref, target_ref) if outbox_id is not None else None
        )
        reports.append(
            FailureReport(
                id=failure.id,
                reason=failure.reason,
                created_at=failure.created_at,
                channel_id=failure.channel_id,
                outbox_id=failure.outbox_id,
                post=post,
            )
        )
    return reports


async def acknowledge(session: AsyncSession, failure_ids: Collection[int]) -> None:
    """Mark these failures as seen (a manager fixed what they report)."""
    if failure_ids:
        await session.execute(
            update(DeliveryFailure)
            .where(DeliveryFailure.id.in_(list(failure_ids)))
            .values(acknowledged=True)
        )

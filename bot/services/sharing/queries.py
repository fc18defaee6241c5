"""Named queries of the sharing area (links, and what the page and the feeds read)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.sharing.types import ShareKind
from db.models import (
    AccountabilityConfig,
    AccountabilityMember,
    Goal,
    GuildSettings,
    Participant,
    Sprint,
    WebShare,
    WorkSpan,
)


async def share_by_hash(session: AsyncSession, token_hash: str) -> WebShare | None:
    """The live (not revoked) link with this token hash."""
    return (
        await session.execute(
            select(WebShare).where(WebShare.token_hash == token_hash, WebShare.revoked_at.is_(None))
        )
    ).scalar_one_or_none()


async def live_sprint_share(session: AsyncSession, sprint_id: int) -> WebShare | None:
    """The sprint's current live-page link, if it has one."""
    return (
        await session.execute(
            select(WebShare)
            .where(
                WebShare.sprint_id == sprint_id,
                WebShare.kind == ShareKind.SPRINT.value,
                WebShare.revoked_at.is_(None),
            )
            .order_by(WebShare.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def live_feed(
    session: AsyncSession, kind: ShareKind, guild_id: int, user_id: int | None
) -> WebShare | None:
    stmt = select(WebShare).where(
        WebShare.kind == kind.value,
        WebShare.guild_id == guild_id,
        WebShare.revoked_at.is_(None),
    )
    if user_id is not None:
        stmt = stmt.where(WebShare.user_id == user_id)
    return (await session.execute(stmt.order_by(WebShare.id.desc()).limit(1))).scalar_one_or_none()


async def revoke_sprint_links(
    session: AsyncSession, sprint_id: int, by: int, now: datetime
) -> list[int]:
    """Revoke every live link of the sprint; the ids of the links revoked."""
    ids = list(
        (
            await session.execute(
                select(WebShare.id).where(
                    WebShare.sprint_id == sprint_id, WebShare.revoked_at.is_(None)
                )
            )
        ).scalars()
    )
    if ids:
        await session.execute(
            update(WebShare).where(WebShare.id.in_(ids)).values(revoked_at=now, revoked_by=by)
        )
    return ids


async def sprint_row(session: AsyncSession, sprint_id: int) -> Sprint | None:
    return await session.get(Sprint, sprint_id)


async def manager_role(session: AsyncSession, guild_id: int) -> int | None:
    return (
        await session.execute(
            select(GuildSettings.manager_role_id).where(GuildSettings.guild_id == guild_id)
        )
    ).scalar_one_or_none()


async def guild_timezone(session: AsyncSession, guild_id: int) -> str:
    zone = (
        await session.execute(
            select(GuildSettings.timezone).where(GuildSettings.guild_id == guild_id)
        )
    ).scalar_one_or_none()
    return zone or "UTC"


async def sprint_rows(session: AsyncSession, sprint_ids: Sequence[int]) -> dict[int, Sprint]:
    rows = await session.execute(select(Sprint).where(Sprint.id.in_(sprint_ids)))
    return {row.id: row for row in rows.scalars()}


async def participants_of(
    session: AsyncSession, sprint_ids: Sequence[int]
) -> dict[int, list[Participant]]:
    """Each sprint's participants (active or not) in the order they joined."""
    out: dict[int, list[Participant]] = defaultdict(list)
    rows = await session.execute(
        select(Participant)
        .where(Participant.sprint_id.in_(sprint_ids))
        .order_by(Participant.joined_at, Participant.id)
    )
    for part in rows.scalars():
        out[part.sprint_id].append(part)
    return out


async def goals_of(
    session: AsyncSession, sprint_ids: Sequence[int]
) -> dict[int, list[tuple[int, str, str]]]:
    """Each sprint's goals as (user, text, status), oldest first; dropped goals left out."""
    out: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    rows = await session.execute(
        select(Goal.sprint_id, Goal.user_id, Goal.text, Goal.status)
        .where(Goal.sprint_id.in_(sprint_ids), Goal.status != "dropped")
        .order_by(Goal.created_at, Goal.id)
    )
    for sprint_id, user_id, text, status in rows:
        if sprint_id is not None:
            out[sprint_id].append((user_id, text, status))
    return out


async def work_seconds_of(
    session: AsyncSession, sprint_ids: Sequence[int], now: datetime
) -> dict[int, float]:
    """Each sprint's real seconds of work (an open span counts until ``now``)."""
    out: dict[int, float] = defaultdict(float)
    rows = await session.execute(
        select(WorkSpan.sprint_id, WorkSpan.started_at, WorkSpan.ended_at).where(
            WorkSpan.sprint_id.in_(sprint_ids)
        )
    )
    for sprint_id, start, end in rows:
        out[sprint_id] += max(0.0, ((end or now) - start).total_seconds())
    return out


async def accountability_config(
    session: AsyncSession, guild_id: int
) -> AccountabilityConfig | None:
    return await session.get(AccountabilityConfig, guild_id)


async def is_accountability_member(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    member = await session.get(AccountabilityMember, (guild_id, user_id))
    return member is not None and member.left_at is None

"""Sharing: secret links to a sprint's live page and to calendar feeds, and what they show.

A link is a random token (``secrets.token_urlsafe(24)``, 192 bits). The host of a sprint or a
manager may revoke it; a revoked or unknown token finds nothing through the same single query
(by the token's SHA-256), so both cost the same. Views handed to the web adapter carry names,
text and times only, never a Discord id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Set
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import NotFound, PermissionDenied
from bot.domain.weeks import DAY_NAMES, WeekSchedule, format_time
from bot.services.context import ServiceContext
from bot.services.events import SprintMembership
from bot.services.sharing import queries
from bot.services.sharing.live import LiveHub
from bot.services.sharing.pages import read_pages
from bot.services.sharing.types import (
    Feed,
    FeedEntry,
    LivePage,
    Share,
    ShareKind,
    ShareLink,
)
from bot.services.sprints import Actor
from db.models import Sprint, WebShare

TOKEN_BYTES = 24  # 192 bits: well above the 128 a guess would have to beat
MAX_TOKEN_LENGTH = 64  # longer path parts are hashed only up to here (still one query)

NOT_SHARED = "This sprint has no live page link right now."


def token_hash(token: str) -> str:
    return hashlib.sha256(token[:MAX_TOKEN_LENGTH].encode("utf-8", "replace")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class SharingService:
    def __init__(self, ctx: ServiceContext, cards: SprintMembership | None = None) -> None:
        self.ctx = ctx
        # The sprint area, to redraw a card when its live-page link button comes or goes.
        self.cards = cards
        web = ctx.settings.web
        # Where links point: the public URL behind a proxy, else this machine's address (the web
        # server corrects the port once it has bound, e.g. for port 0).
        self.base_url = web.public_base_url or web.local_base_url
        self.live = LiveHub(ctx, self)

    @property
    def has_public_url(self) -> bool:
        return self.ctx.settings.web.public_base_url is not None

    def page_url(self, token: str) -> str:
        return f"{self.base_url}/s/{token}"

    def feed_url(self, token: str) -> str:
        return f"{self.base_url}/calendar/{token}.ics"

    # ---- links ----------------------------------------------------------------------------------

    async def share_sprint(
        self, sprint_id: int, actor: Actor, *, show_people: bool | None = None
    ) -> ShareLink:
        """The sprint's live-page link, made if it has none. Anyone in the server may get it;
        choosing whether names and goals show is for the host and managers."""
        async with self.ctx.db.transaction() as session:
            sprint = await self._sprint(session, sprint_id)
            if show_people is not None and not await self._may_manage(session, sprint, actor):
                raise PermissionDenied(
                    "Only the sprint's host or a manager can choose whether the live page shows "
                    "names and goals. Leave that option out to get the link as it is."
                )
            row = await queries.live_sprint_share(session, sprint.id)
            created = row is None
            if row is None:
                row = self._new_row(
                    ShareKind.SPRINT,
                    sprint.guild_id,
                    actor.user_id,
                    sprint_id=sprint.id,
                    show_people=bool(show_people),
                )
                session.add(row)
            elif show_people is not None and row.show_people != show_people:
                row.show_people = show_people
            await session.flush()
            link = self._link(row, created)
            if created:
                await self._redraw_card(session, sprint.id)
        if created:
            self.ctx.delivery.wake()
        return link

    async def link_for_card(self, session: AsyncSession, sprint_id: int) -> str | None:
        """Inside the card's transaction: the live page URL when the bot has a public URL (a
        link on this machine's own address would not open for other members)."""
        if not self.has_public_url:
            return None
        row = await queries.live_sprint_share(session, sprint_id)
        return None if row is None else self.page_url(row.token)

    async def unshare_sprint(self, sprint_id: int, actor: Actor) -> list[int]:
        """Revoke the sprint's live links (host and managers). The ids of the links revoked."""
        async with self.ctx.db.transaction() as session:
            sprint = await self._sprint(session, sprint_id)
            if not await self._may_manage(session, sprint, actor):
                raise PermissionDenied(
                    "Only the sprint's host, a manager or a member with Manage Server can turn "
                    "its live page off."
                )
            revoked = await queries.revoke_sprint_links(
                session, sprint.id, actor.user_id, self.ctx.clock.now()
            )
            if not revoked:
                raise NotFound(NOT_SHARED)
            await self._redraw_card(session, sprint.id)
        self.ctx.delivery.wake()
        self.live.close_shares(revoked)
        return revoked

    async def _redraw_card(self, session: AsyncSession, sprint_id: int) -> None:
        """The card's link button follows the link (only drawn with a public URL)."""
        if self.cards is not None and self.has_public_url:
            await self.cards.refresh_card(session, sprint_id)

    async def member_feed(self, guild_id: int, user_id: int, *, reset: bool = False) -> ShareLink:
        """The member's private calendar feed of this server (a new token when ``reset``)."""
        return await self._feed_link(ShareKind.MEMBER_FEED, guild_id, user_id, user_id, reset)

    async def guild_feed(self, guild_id: int, actor: Actor, *, reset: bool = False) -> ShareLink:
        """The server's public calendar feed (managers only)."""
        async with self.ctx.db.transaction() as session:
            if not await self._is_manager(session, guild_id, actor):
                raise PermissionDenied(
                    "Only a manager or a member with Manage Server can publish the server's "
                    "calendar."
                )
        return await self._feed_link(ShareKind.GUILD_FEED, guild_id, None, actor.user_id, reset)

    async def revoke_guild_feed(self, guild_id: int, actor: Actor) -> bool:
        async with self.ctx.db.transaction() as session:
            if not await self._is_manager(session, guild_id, actor):
                raise PermissionDenied(
                    "Only a manager or a member with Manage Server can unpublish the server's "
                    "calendar."
                )
            row = await queries.live_feed(session, ShareKind.GUILD_FEED, guild_id, None)
            if row is None:
                return False
            row.revoked_at = self.ctx.clock.now()
            row.revoked_by = actor.user_id
        return True

    async def _feed_link(
        self, kind: ShareKind, guild_id: int, user_id: int | None, by: int, reset: bool
    ) -> ShareLink:
        async with self.ctx.db.transaction() as session:
            row = await queries.live_feed(session, kind, guild_id, user_id)
            if row is not None and reset:
                row.revoked_at = self.ctx.clock.now()
                row.revoked_by = by
                row = None
            created = row is None
            if row is None:
                row = self._new_row(kind, guild_id, by, user_id=user_id)
                session.add(row)
                await session.flush()
            return self._link(row, created)

    # ---- what a request sees --------------------------------------------------------------------

    async def lookup(self, token: str, kind: ShareKind) -> Share | None:
        """The live link for ``token``, or None (unknown, revoked or another kind of link).

        Every token, well-formed or not, costs one indexed query by its hash and one
        constant-time comparison, so the answer's timing says nothing about the token.
        """
        async with self.ctx.db.read() as session:
            return await self._lookup(session, token, kind)

    async def _lookup(self, session: AsyncSession, token: str, kind: ShareKind) -> Share | None:
        digest = token_hash(token)
        row = await queries.share_by_hash(session, digest)
        found = row is not None and hmac.compare_digest(row.token_hash, digest)
        if row is None or not found or row.kind != kind.value:
            return None
        return Share(
            id=row.id,
            kind=ShareKind(row.kind),
            guild_id=row.guild_id,
            sprint_id=row.sprint_id,
            user_id=row.user_id,
            show_people=row.show_people,
        )

    async def page(self, share: Share) -> LivePage | None:
        """The live page of a sprint link (None when the sprint is gone)."""
        if share.sprint_id is None:
            return None
        found = await self.pages({share.sprint_id: {share.show_people}})
        return found.get(share.sprint_id, {}).get(share.show_people)

    async def open_page(self, token: str) -> tuple[Share, LivePage] | None:
        """A sprint link and its page, read in one transaction (a page load)."""
        async with self.ctx.db.read() as session:
            share = await self._lookup(session, token, ShareKind.SPRINT)
            if share is None or share.sprint_id is None:
                return None
            found = await read_pages(
                session, {share.sprint_id: {share.show_people}}, self.ctx.clock.now()
            )
        page = found.get(share.sprint_id, {}).get(share.show_people)
        return None if page is None else (share, page)

    async def pages(self, wanted: Mapping[int, Set[bool]]) -> dict[int, dict[bool, LivePage]]:
        """Several sprints' pages (with and/or without names), read in one transaction."""
        async with self.ctx.db.read() as session:
            return await read_pages(session, wanted, self.ctx.clock.now())

    async def feed(self, share: Share) -> Feed | None:
        async with self.ctx.db.read() as session:
            zone_name = await queries.guild_timezone(session, share.guild_id)
            cfg = await queries.accountability_config(session, share.guild_id)
            entries: list[FeedEntry] = []
            include = cfg is not None and cfg.enabled
            if share.kind is ShareKind.MEMBER_FEED and share.user_id is not None and include:
                include = await queries.is_accountability_member(
                    session, share.guild_id, share.user_id
                )
            if cfg is not None and include:
                schedule = WeekSchedule(
                    kickoff_day=cfg.kickoff_day,
                    kickoff_time=cfg.kickoff_time,
                    checkin_days=tuple(int(d) for d in cfg.checkin_days),
                    checkin_time=cfg.checkin_time,
                    review_day=cfg.review_day,
                    review_time=cfg.review_time,
                )
                entries = _accountability_entries(
                    schedule,
                    zone_name,
                    self.ctx.clock.now(),
                    cfg.updated_at,
                    anchor=hashlib.sha256(f"guild:{share.guild_id}".encode()).hexdigest()[:16],
                )
        if share.kind is ShareKind.MEMBER_FEED:
            return Feed(
                name="My Sprintbot calendar",
                description="Your weekly accountability posts (kickoff, check-ins, review).",
                entries=tuple(entries),
            )
        return Feed(
            name="Sprintbot: weekly accountability",
            description="This server's weekly accountability posts (kickoff, check-ins, review).",
            entries=tuple(entries),
        )

    # ---- internals ------------------------------------------------------------------------------

    def _new_row(
        self,
        kind: ShareKind,
        guild_id: int,
        by: int,
        *,
        sprint_id: int | None = None,
        user_id: int | None = None,
        show_people: bool = False,
    ) -> WebShare:
        token = new_token()
        return WebShare(
            kind=kind.value,
            token=token,
            token_hash=token_hash(token),
            guild_id=guild_id,
            sprint_id=sprint_id,
            user_id=user_id,
            show_people=show_people,
            created_by=by,
            created_at=self.ctx.clock.now(),
        )

    def _link(self, row: WebShare, created: bool) -> ShareLink:
        kind = ShareKind(row.kind)
        url = self.page_url(row.token) if kind is ShareKind.SPRINT else self.feed_url(row.token)
        return ShareLink(
            id=row.id,
            kind=kind,
            token=row.token,
            url=url,
            show_people=row.show_people,
            created=created,
        )

    async def _sprint(self, session: AsyncSession, sprint_id: int) -> Sprint:
        sprint = await queries.sprint_row(session, sprint_id)
        if sprint is None:
            raise NotFound("I can't find that sprint any more.")
        return sprint

    async def _may_manage(self, session: AsyncSession, sprint: Sprint, actor: Actor) -> bool:
        return actor.user_id == sprint.host_id or await self._is_manager(
            session, sprint.guild_id, actor
        )

    async def _is_manager(self, session: AsyncSession, guild_id: int, actor: Actor) -> bool:
        if actor.manage_guild:
            return True
        role = await queries.manager_role(session, guild_id)
        return role is not None and role in actor.role_ids


def _accountability_entries(
    schedule: WeekSchedule, zone_name: str, now: datetime, updated: datetime, *, anchor: str
) -> list[FeedEntry]:
    """The weekly posts as recurring events in the server's zone, starting this week."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone, zone_name = ZoneInfo("UTC"), "UTC"
    local_today = now.astimezone(zone).date()
    monday = local_today - timedelta(days=local_today.weekday())
    moments = [
        (
            "kickoff",
            "Weekly kickoff",
            schedule.kickoff_day,
            schedule.kickoff_time,
            "Post your goals for the week in the accountability thread.",
        )
    ]
    moments += [
        (
            f"checkin-{day}",
            "Mid-week check-in",
            day,
            schedule.checkin_time,
            "How are your week's goals going? Tick off what's done.",
        )
        for day in schedule.checkin_days
    ]
    moments.append(
        (
            "review",
            "Weekly review",
            schedule.review_day,
            schedule.review_time,
            "Review the week: what got done, what carries over.",
        )
    )
    out: list[FeedEntry] = []
    for key, title, day, at, text in moments:
        start = datetime.combine(monday + timedelta(days=day), at, tzinfo=zone)
        out.append(
            FeedEntry(
                uid=f"accountability-{key}-{anchor}@sprintbot",
                title=title,
                description=f"{text} ({DAY_NAMES[day]}s at {format_time(at)}, {zone_name})",
                start=start,
                minutes=30,
                zone=zone_name,
                weekly=True,
                updated=updated,
            )
        )
    return out

"""Use cases for /privacy: show, export, forget me, don't track me, and server data removal.

Export format (``sprintbot-export``, version 1), one JSON object::

    {"format": "sprintbot-export", "version": 1,
     "exported_at": "2026-11-29T14:00:00+00:00", "user_id": "123...",
     "privacy": {"tracking": true, "untracked_since": null},
     "tables": {"goals": [{column: value, ...}], "checkins": [...], "debrief_notes": [...],
                "accountability_notes": [...], "accountability_members": [...],
                "user_settings": [...], "leaderboard_members": [...],
                "sprint_participants": [...], "sprint_presence_spans": [...],
                "sprints_hosted": [...], "sprint_summaries": [...]}}

Every row is the member's own (or the member's line of a shared record); ids are strings,
times ISO 8601 in UTC. A server's data is deleted ``privacy.guild_grace_days`` after the bot is
removed (a DB-truth timer, re-armed at start-up), or at once by a manager.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime, timedelta

from bot.domain.errors import Conflict, PermissionDenied
from bot.services.context import ServiceContext
from bot.services.privacy import queries
from bot.services.privacy.gate import UntrackListener
from bot.services.privacy.types import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    ExportFile,
    ForgetResult,
    StoredSummary,
)
from db.models import GuildRemoval, LeaderboardMember, UserSettings

__all__ = ["EXPORT_INTERVAL", "PrivacyService", "purge_timer_key"]

log = logging.getLogger(__name__)

EXPORT_INTERVAL = timedelta(hours=1)


def purge_timer_key(guild_id: int) -> str:
    return f"guild_purge:{guild_id}"


class PrivacyService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        # Servers with a pending purge (loaded at start-up), so the bot seeing its servers at
        # start-up costs no database round trip per server.
        self._pending: set[int] = set()
        # Told when a member turns tracking off (slot offers: withdraw theirs); wired by Services.
        self.untrack_listeners: list[UntrackListener] = []

    # -- a member's data -----------------------------------------------------------------------

    async def show(self, user_id: int) -> StoredSummary:
        async with self.ctx.db.transaction() as session:
            counts = await queries.count_stored(session, user_id)
            settings = await session.get(UserSettings, user_id)
            mark = await queries.privacy_mark(session, user_id, create=False)
        return StoredSummary(
            user_id=user_id,
            counts=counts,
            timezone=settings.timezone if settings is not None else None,
            leaderboards=counts.get("leaderboard opt-ins", 0),
            untracked_since=mark.untracked_since if mark is not None else None,
            last_export_at=mark.last_export_at if mark is not None else None,
        )

    async def export(self, user_id: int) -> ExportFile:
        """Everything stored about the member as JSON; at most once per hour."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            mark = await queries.privacy_mark(session, user_id, create=True)
            assert mark is not None
            if mark.last_export_at is not None and now - mark.last_export_at < EXPORT_INTERVAL:
                again = mark.last_export_at + EXPORT_INTERVAL
                raise Conflict(
                    "You can export your data once an hour; your last export was "
                    f"<t:{int(mark.last_export_at.timestamp())}:R>. Try again "
                    f"<t:{int(again.timestamp())}:R>."
                )
            tables = await queries.export_tables(session, user_id)
            mark.last_export_at = now
            untracked = mark.untracked_since
        document = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": now.isoformat(),
            "user_id": str(user_id),
            "privacy": {
                "tracking": untracked is None,
                "untracked_since": untracked.isoformat() if untracked else None,
            },
            "tables": tables,
        }
        data = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False).encode()
        return ExportFile(
            filename=f"sprintbot-data-{now:%Y%m%d}.json",
            data=data,
            rows=sum(len(rows) for rows in tables.values()),
        )

    async def forget(self, user_id: int) -> ForgetResult:
        """Delete the member's data in one transaction and stop storing anything new."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            mark = await queries.privacy_mark(session, user_id, create=True)
            assert mark is not None
            counts = await queries.count_stored(session, user_id)
            if sum(counts.values()) == 0 and mark.untracked_since is not None:
                raise Conflict(
                    "I have already forgotten you: nothing about you is stored, and I keep "
                    "nothing new until you run `/privacy track`."
                )
            placeholder = -(secrets.randbelow(2**62) + 1)
            touched = await queries.forget_member(session, user_id, placeholder, now)
            mark.untracked_since = mark.untracked_since or now
        self.ctx.delivery.wake()
        return ForgetResult(touched={k: v for k, v in touched.items() if v})

    async def set_tracking(self, user_id: int, track: bool) -> bool:
        """Turn the don't-track-me flag off (``track``) or on; False when nothing changed.
        Turning it on also closes what would store more about the member later (the
        ``untrack_listeners``: their open slot offers are withdrawn, their ticks taken back)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            mark = await queries.privacy_mark(session, user_id, create=not track)
            if mark is None:
                return False
            if track:
                if mark.untracked_since is None:
                    return False
                mark.untracked_since = None
                return True
            if mark.untracked_since is not None:
                return False
            mark.untracked_since = now
            # Leaderboards show only tracked members: opting out of tracking leaves them all.
            await session.execute(
                LeaderboardMember.__table__.delete().where(  # type: ignore[attr-defined]
                    LeaderboardMember.user_id == user_id
                )
            )
            afters = [
                await listener.member_untracked(session, user_id, now)
                for listener in self.untrack_listeners
            ]
        for after in afters:
            after()
        self.ctx.delivery.wake()
        return True

    # -- a server's data -----------------------------------------------------------------------

    @property
    def grace(self) -> timedelta:
        return timedelta(days=self.ctx.settings.privacy.guild_grace_days)

    async def restore(self) -> None:
        """Re-arm the purge timer of every server that removed the bot (start-up)."""
        async with self.ctx.db.transaction() as session:
            removals = await queries.guild_removals(session)
        for removal in removals:
            if self.ctx.handles_guild(removal.guild_id):
                self._pending.add(removal.guild_id)
                self._arm(removal.guild_id, removal.removed_at)

    def _arm(self, guild_id: int, removed_at: datetime) -> None:
        when = removed_at + self.grace / max(self.ctx.speed, 1e-9)
        self.ctx.timers.arm(purge_timer_key(guild_id), when, self._purge_due, guild_id)

    async def guild_removed(self, guild_id: int) -> datetime:
        """The bot left or was removed: schedule the purge; returns when it will happen."""
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction() as session:
            row = await session.get(GuildRemoval, guild_id)
            if row is None:
                row = GuildRemoval(guild_id=guild_id, removed_at=now)
                session.add(row)
            removed_at = row.removed_at
        self._pending.add(guild_id)
        self._arm(guild_id, removed_at)
        return removed_at + self.grace

    async def guild_present(self, guild_id: int) -> bool:
        """The bot is (back) in the server: cancel a pending purge. True when one was pending."""
        if guild_id not in self._pending:
            return False
        self._pending.discard(guild_id)
        async with self.ctx.db.transaction() as session:
            row = await session.get(GuildRemoval, guild_id)
            if row is None:
                return False
            await session.delete(row)
        self.ctx.timers.cancel(purge_timer_key(guild_id))
        return True

    async def _purge_due(self, guild_id: int) -> None:
        async with self.ctx.db.transaction() as session:
            row = await session.get(GuildRemoval, guild_id, with_for_update=True)
            if row is None:  # came back in the meantime
                return
            count = await queries.delete_guild_rows(session, guild_id)
        self._pending.discard(guild_id)
        log.info("deleted %d rows of server %s after its grace period", count, guild_id)

    async def delete_server_now(self, guild_id: int, *, manage_guild: bool) -> int:
        """A manager deletes every stored row of the server at once (after confirming)."""
        if not manage_guild:
            raise PermissionDenied(
                "Only members with the Manage Server permission can delete the server's data."
            )
        async with self.ctx.db.transaction() as session:
            count = await queries.delete_guild_rows(session, guild_id)
        self.ctx.timers.cancel(purge_timer_key(guild_id))
        return count

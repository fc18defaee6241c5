"""Named queries for privacy: what names a member, exporting it, forgetting it, purging a server.

Every table of ``db.models`` that can hold a member's id is listed here, once, in one of two
registries, and the forget-me test scans every table of the metadata for the id afterwards, so a
table added later without a line here fails that test:

- ``OWNED``: rows that belong to the member alone (goals, notes, check-ins, settings...):
  exported whole and deleted by forget-me.
- shared records others rely on (sprint participants, presence spans, a sprint's host and
  summary, pod seats, others' pod blocks naming the member, queued messages): exported as far
  as they are the member's, and kept with the member replaced by a placeholder: a random
  negative id and the name "a former member".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import BigInteger, String, and_, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.domain.privacy import FORMER_MEMBER, phrase_pattern, redact, user_hash
from bot.domain.text import escape_markdown
from db.models import (
    AccountabilityMember,
    AccountabilityNote,
    Base,
    CheckIn,
    DebriefNote,
    Goal,
    GuildRemoval,
    LeaderboardMember,
    MemberAvailability,
    OutboxMessage,
    Participant,
    PodBlock,
    PodMember,
    PodSeat,
    PresenceSpan,
    PrivacyMark,
    SessionAttendance,
    SessionReminderOptOut,
    SessionRsvp,
    SessionSeries,
    SlotOffer,
    SlotOfferTaker,
    Sprint,
    UserSettings,
    WebShare,
)

__all__ = [
    "OWNED",
    "count_stored",
    "delete_guild_rows",
    "export_tables",
    "forget_member",
    "guild_removals",
    "privacy_mark",
]


@dataclass(frozen=True)
class Owned:
    label: str  # what /privacy show calls these rows
    model: type[Base]
    column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None]


OWNED: tuple[Owned, ...] = (
    Owned("goals", Goal, Goal.user_id),
    Owned("sprint check-ins", CheckIn, CheckIn.user_id),
    Owned("debrief notes", DebriefNote, DebriefNote.user_id),
    Owned("weekly check-in notes", AccountabilityNote, AccountabilityNote.user_id),
    Owned("names kept for weekly threads", AccountabilityMember, AccountabilityMember.user_id),
    Owned("personal settings", UserSettings, UserSettings.user_id),
    Owned("leaderboard opt-ins", LeaderboardMember, LeaderboardMember.user_id),
    Owned("available hours", MemberAvailability, MemberAvailability.user_id),
    Owned("pod preferences", PodMember, PodMember.user_id),
    Owned("pod blocks you set", PodBlock, PodBlock.user_id),
    Owned("calendar feed links", WebShare, WebShare.user_id),
    Owned("session answers (going, maybe, can't)", SessionRsvp, SessionRsvp.user_id),
    Owned("session attendance", SessionAttendance, SessionAttendance.user_id),
    Owned("session reminder opt-outs", SessionReminderOptOut, SessionReminderOptOut.user_id),
    Owned("slot offers you took or ticked", SlotOfferTaker, SlotOfferTaker.user_id),
)


def _plain(value: Any, column_type: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(column_type, BigInteger) and isinstance(value, int):
        return str(value)  # snowflakes exceed JavaScript's safe integers
    return value


def _row_dict(row: Base, skip: Sequence[str] = ()) -> dict[str, Any]:
    table = row.__table__
    return {
        c.name: _plain(getattr(row, c.key), c.type) for c in table.columns if c.name not in skip
    }


async def privacy_mark(session: AsyncSession, user_id: int, *, create: bool) -> PrivacyMark | None:
    key = user_hash(user_id)
    row = await session.get(PrivacyMark, key, with_for_update=create)
    if row is None and create:
        row = PrivacyMark(user_hash=key)
        session.add(row)
    return row


async def count_stored(session: AsyncSession, user_id: int) -> dict[str, int]:
    """How many rows of each kind name the member."""
    out: dict[str, int] = {}
    for owned in OWNED:
        stmt = select(func.count()).select_from(owned.model).where(owned.column == user_id)
        out[owned.label] = int(await session.scalar(stmt) or 0)
    out["sprints joined"] = int(
        await session.scalar(
            select(func.count(Participant.id)).where(Participant.user_id == user_id)
        )
        or 0
    )
    out["sprints hosted"] = int(
        await session.scalar(select(func.count(Sprint.id)).where(Sprint.host_id == user_id)) or 0
    )
    out["pod places"] = int(
        await session.scalar(select(func.count(PodSeat.id)).where(PodSeat.user_id == user_id)) or 0
    )
    out["sessions scheduled"] = int(
        await session.scalar(
            select(func.count(SessionSeries.id)).where(SessionSeries.creator_id == user_id)
        )
        or 0
    )
    out["slot offers made"] = int(
        await session.scalar(
            select(func.count(SlotOffer.id)).where(SlotOffer.offerer_id == user_id)
        )
        or 0
    )
    out["presence records"] = int(
        await session.scalar(
            select(func.count(PresenceSpan.id)).where(PresenceSpan.user_id == user_id)
        )
        or 0
    )
    return out


async def export_tables(session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every stored row about the member, table by table (others' data left out)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for owned in OWNED:
        rows = await session.scalars(select(owned.model).where(owned.column == user_id))
        tables[owned.model.__tablename__] = [_row_dict(r) for r in rows]
    participants = list(
        await session.scalars(select(Participant).where(Participant.user_id == user_id))
    )
    tables[Participant.__tablename__] = [_row_dict(p) for p in participants]
    tables[PresenceSpan.__tablename__] = [
        _row_dict(p)
        for p in await session.scalars(select(PresenceSpan).where(PresenceSpan.user_id == user_id))
    ]
    tables["session_series_scheduled"] = [
        _row_dict(s)
        for s in await session.scalars(
            select(SessionSeries).where(SessionSeries.creator_id == user_id)
        )
    ]
    tables["slot_offers_made"] = [
        _row_dict(o)
        for o in await session.scalars(select(SlotOffer).where(SlotOffer.offerer_id == user_id))
    ]
    tables[PodSeat.__tablename__] = [
        _row_dict(p)
        for p in await session.scalars(select(PodSeat).where(PodSeat.user_id == user_id))
    ]
    # Sprints I hosted, without their summary (it holds the other members' figures).
    tables["sprints_hosted"] = [
        _row_dict(s, skip=("summary",))
        for s in await session.scalars(select(Sprint).where(Sprint.host_id == user_id))
    ]
    # My own line of each sprint summary (the figures shown in the debrief).
    mine: list[dict[str, Any]] = []
    sprint_ids = [p.sprint_id for p in participants]
    for start in range(0, len(sprint_ids), 500):
        chunk = sprint_ids[start : start + 500]
        stmt = select(Sprint.id, Sprint.summary).where(Sprint.id.in_(chunk))
        for sprint_id, summary in (await session.execute(stmt)).tuples():
            for line in (summary or {}).get("members", []):
                if isinstance(line, dict) and line.get("user_id") == user_id:
                    mine.append({"sprint_id": sprint_id, **line, "user_id": str(user_id)})
    tables["sprint_summaries"] = mine
    return tables


async def forget_member(
    session: AsyncSession, user_id: int, placeholder: int, now: datetime
) -> dict[str, int]:
    """Delete the member's own rows and turn them into "a former member" in shared ones.

    ``placeholder`` (a negative number drawn at random) replaces the id in shared records, so a
    sprint's head count, a server's weekly figures and the other members' totals stay as they
    were, while nothing leads back to the member. Returns how many rows of each kind changed.
    """
    if placeholder >= 0:
        raise ValueError("a former member's placeholder id is negative")
    touched: dict[str, int] = {}
    names, texts = await _names_and_texts(session, user_id)
    pattern = phrase_pattern(names, texts)
    sprint_ids = sorted(
        set(
            await session.scalars(
                select(Participant.sprint_id).where(Participant.user_id == user_id)
            )
        )
    )
    guild_ids = await _guilds_of(session, user_id)
    if pattern is not None:
        hosted = await session.scalars(select(Sprint).where(Sprint.host_id == user_id))
        for sprint in hosted:
            sprint.title = redact(sprint.title, user_id, names, pattern)  # type: ignore[assignment]
    result = await session.execute(
        update(PresenceSpan)
        .where(PresenceSpan.user_id == user_id)
        .values(user_id=placeholder, ended_at=func.coalesce(PresenceSpan.ended_at, now))
        .execution_options(synchronize_session=False)
    )
    touched["presence records"] = result.rowcount  # type: ignore[attr-defined]
    result = await session.execute(
        update(Sprint)
        .where(Sprint.host_id == user_id)
        .values(host_id=placeholder)
        .execution_options(synchronize_session=False)
    )
    touched["sprints hosted"] = result.rowcount  # type: ignore[attr-defined]
    # Summaries: my line keeps its figures (others' totals stay right) under the placeholder.
    for start in range(0, len(sprint_ids), 500):
        chunk = sprint_ids[start : start + 500]
        for sprint in await session.scalars(
            select(Sprint).where(Sprint.id.in_(chunk), Sprint.summary.is_not(None))
        ):
            summary = dict(sprint.summary or {})
            lines = summary.get("members")
            if not isinstance(lines, list):
                continue
            summary["members"] = [
                {**line, "user_id": placeholder, "name": FORMER_MEMBER}
                if isinstance(line, dict) and line.get("user_id") == user_id
                else line
                for line in lines
            ]
            sprint.summary = summary
    result = await session.execute(
        update(PodSeat)
        .where(PodSeat.user_id == user_id)
        .values(user_id=placeholder)
        .execution_options(synchronize_session=False)
    )
    touched["pod places"] = result.rowcount  # type: ignore[attr-defined]
    # Links I created or revoked stay (others may use them), made by "a former member".
    for column in (WebShare.created_by, WebShare.revoked_by):
        await session.execute(
            update(WebShare)
            .where(column == user_id)
            .values({column.key: placeholder})
            .execution_options(synchronize_session=False)
        )
    # Sessions I scheduled stay (others RSVP to them), scheduled by "a former member".
    result = await session.execute(
        update(SessionSeries)
        .where(SessionSeries.creator_id == user_id)
        .values(creator_id=placeholder)
        .execution_options(synchronize_session=False)
    )
    touched["sessions scheduled"] = result.rowcount  # type: ignore[attr-defined]
    touched["slot offers made"] = await _forget_offers(
        session, user_id, placeholder, now, names, pattern
    )
    # Someone else's private "not again" naming me stays theirs, pointing at the placeholder.
    await session.execute(
        update(PodBlock)
        .where(PodBlock.other_id == user_id)
        .values(other_id=placeholder)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(Participant)
        .where(Participant.user_id == user_id)
        .values(
            user_id=placeholder,
            display_name=FORMER_MEMBER,
            active=False,
            ping=False,
            left_at=func.coalesce(Participant.left_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    touched["sprints joined"] = result.rowcount  # type: ignore[attr-defined]
    for owned in OWNED:
        result = await session.execute(
            delete(owned.model)
            .where(owned.column == user_id)
            .execution_options(synchronize_session=False)
        )
        touched[owned.label] = result.rowcount  # type: ignore[attr-defined]
    touched["queued or sent messages"] = await _redact_messages(
        session, user_id, names, pattern, sprint_ids, guild_ids
    )
    return touched


async def _forget_offers(
    session: AsyncSession,
    user_id: int,
    placeholder: int,
    now: datetime,
    names: frozenset[str],
    pattern: re.Pattern[str] | None,
) -> int:
    """Offers I made stay (a confirmed one tells its session's story), made by "a former
    member"; one still open is withdrawn (a press on its card says so). My /findtime drafts,
    which nobody else saw, are deleted. Offers made to me or that I took keep the placeholder
    among their targets and my name out of their title ("Pairing with Ana")."""
    drafts = await session.execute(
        delete(SlotOffer)
        .where(SlotOffer.offerer_id == user_id, SlotOffer.status == "draft")
        .execution_options(synchronize_session=False)
    )
    changed = int(drafts.rowcount or 0)  # type: ignore[attr-defined]
    for offer in await session.scalars(select(SlotOffer).where(SlotOffer.offerer_id == user_id)):
        offer.offerer_id, offer.offerer_name = placeholder, FORMER_MEMBER
        if offer.status == "open":
            offer.status, offer.closed_at = "withdrawn", now
        if pattern is not None:
            offer.title = str(redact(offer.title, user_id, names, pattern))[:100]
        changed += 1
    took = select(SlotOfferTaker.offer_id).where(SlotOfferTaker.user_id == user_id)
    named = cast(SlotOffer.targets, String).contains(str(int(user_id)))
    for offer in await session.scalars(select(SlotOffer).where(or_(named, SlotOffer.id.in_(took)))):
        if isinstance(offer.targets, list) and user_id in offer.targets:
            offer.targets = [placeholder if t == user_id else t for t in offer.targets]
        if pattern is not None:
            offer.title = str(redact(offer.title, user_id, names, pattern))[:100]
    return changed


async def _names_and_texts(session: AsyncSession, user_id: int) -> tuple[frozenset[str], set[str]]:
    """The member's display names, and the texts they wrote (goals and notes)."""
    names: set[str] = set()
    names.update(
        await session.scalars(
            select(Participant.display_name).where(Participant.user_id == user_id)
        )
    )
    names.update(
        await session.scalars(
            select(AccountabilityMember.display_name).where(AccountabilityMember.user_id == user_id)
        )
    )
    names.update(
        await session.scalars(select(PodMember.display_name).where(PodMember.user_id == user_id))
    )
    names.update(
        await session.scalars(
            select(SlotOfferTaker.display_name).where(SlotOfferTaker.user_id == user_id)
        )
    )
    names.update(
        await session.scalars(select(SlotOffer.offerer_name).where(SlotOffer.offerer_id == user_id))
    )
    texts: set[str] = set()
    for column, owner in (
        (Goal.text, Goal.user_id),
        (CheckIn.note, CheckIn.user_id),
        (DebriefNote.text, DebriefNote.user_id),
        (AccountabilityNote.text, AccountabilityNote.user_id),
    ):
        texts.update(t for t in await session.scalars(select(column).where(owner == user_id)) if t)
    # Messages show member text escaped (bot.domain.text.escape_markdown): match both forms.
    names = {n for n in names if n and n != FORMER_MEMBER}
    names |= {escape_markdown(n) for n in names}
    texts |= {escape_markdown(t) for t in texts}
    return frozenset(names), texts


async def _guilds_of(session: AsyncSession, user_id: int) -> list[int]:
    guilds: set[int] = set(
        await session.scalars(select(Goal.guild_id).where(Goal.user_id == user_id).distinct())
    )
    guilds.update(
        await session.scalars(
            select(Sprint.guild_id)
            .join(Participant, Participant.sprint_id == Sprint.id)
            .where(Participant.user_id == user_id)
            .distinct()
        )
    )
    guilds.update(
        await session.scalars(
            select(AccountabilityMember.guild_id).where(AccountabilityMember.user_id == user_id)
        )
    )
    return sorted(guilds)


async def _redact_messages(
    session: AsyncSession,
    user_id: int,
    names: frozenset[str],
    pattern: re.Pattern[str] | None,
    sprint_ids: Sequence[int],
    guild_ids: Sequence[int],
) -> int:
    """Queued and sent messages: the member's id, mentions, names and texts cut out.

    Candidates are messages naming the id, every message of the member's sprints, and the
    sprint-less messages (weekly threads) of the member's servers.
    """
    conditions: list[Any] = [cast(OutboxMessage.payload, String).contains(str(int(user_id)))]
    if pattern is not None:
        for start in range(0, len(sprint_ids), 500):
            conditions.append(OutboxMessage.sprint_id.in_(sprint_ids[start : start + 500]))
        if guild_ids:
            conditions.append(
                and_(OutboxMessage.sprint_id.is_(None), OutboxMessage.guild_id.in_(guild_ids))
            )
    changed = 0
    for row in await session.scalars(select(OutboxMessage).where(or_(*conditions))):
        cleaned = redact(row.payload, user_id, names, pattern)
        if cleaned != row.payload:
            row.payload = cleaned  # type: ignore[assignment]
            changed += 1
    return changed


async def guild_removals(session: AsyncSession) -> list[GuildRemoval]:
    return list(await session.scalars(select(GuildRemoval)))


async def delete_guild_rows(session: AsyncSession, guild_id: int) -> int:
    """Delete every row of the server: each table with a ``guild_id`` column, and by cascade the
    rows that hang off them (participants, spans, check-ins, notes, posts)."""
    total = 0
    # Children first where a foreign key only sets NULL (goals and outbox rows of sprints).
    tables = sorted(Base.metadata.tables.values(), key=lambda t: t.name != "goals")
    for table in tables:
        column = table.columns.get("guild_id")
        if column is None:
            continue
        result = await session.execute(delete(table).where(column == guild_id))
        total += result.rowcount or 0  # type: ignore[attr-defined]
    return total

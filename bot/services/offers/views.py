"""Building an offer's view from its rows, and the sentences for presses on an offer that can't
take them (closed, not posted yet, someone else's); mixed into ``OfferService``."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import Conflict, NotFound, PermissionDenied
from bot.domain.offers import OfferMode, OfferStatus, PeopleRule
from bot.domain.schedule import Repeat, ScheduleError, describe_repeat, parse_repeat, rrule_text
from bot.domain.text import escape_markdown
from bot.render import sessions as session_render
from bot.render.wire import ts
from bot.services.context import ServiceContext
from bot.services.offers import messages, queries
from bot.services.offers.types import OfferView, SlotView, Taker
from db.models import SlotOffer

__all__ = ["OfferViews", "cant_post", "repeat_text", "rule_of"]

MOMENT = timedelta(minutes=1)  # "a moment ago": a press this soon after the confirmation


def cant_post(channel_id: int) -> PermissionDenied:
    """The refusal of an offer (typed, or "Offer these") in a channel the bot can't post in."""
    return PermissionDenied(
        f"I can't post in <#{channel_id}>: I need View Channel, Send Messages and Embed Links "
        "there. Grant them to my role, or pick another channel."
    )


def rule_of(row: SlotOffer) -> PeopleRule:
    return PeopleRule(OfferMode(row.mode), row.min_people, row.max_people)


def repeat_text(repeat: Repeat, first_local: datetime) -> str | None:
    """The repeat in words, before anyone knows which slot wins: "every week" rather than
    "every Tuesday" when the day comes from the slot (``first_local``: any slot, to check the
    rule)."""
    rule = rrule_text(first_local, repeat)
    if rule is None:
        return None
    if repeat.freq != "daily" and not repeat.weekdays:
        rule = ";".join(p for p in rule.split(";") if not p.startswith(("BYDAY=", "WKST=")))
    return describe_repeat(rule)


def _repeat_of(row: SlotOffer, slots: tuple[SlotView, ...]) -> str | None:
    if not row.repeat or not slots:
        return None
    try:
        local = slots[0].starts_at.astimezone(ZoneInfo(row.zone)).replace(tzinfo=None)
        return repeat_text(parse_repeat(row.repeat), local)
    except ScheduleError:  # checked when offered; a rule that no longer reads shows as typed
        return row.repeat


class OfferViews:
    """Mixed into ``OfferService`` (which provides ``ctx``)."""

    ctx: ServiceContext

    async def view(self, session: AsyncSession, row: SlotOffer) -> OfferView:
        now = self.ctx.clock.now()
        takers = await queries.takers_of(session, row.id)
        slots = tuple(
            SlotView(
                position=s.position,
                starts_at=s.starts_at,
                takers=tuple(
                    Taker(t.user_id, t.display_name) for t in takers if t.position == s.position
                ),
                started=s.starts_at <= now,
            )
            for s in await queries.slots_of(session, row.id)
        )
        await queries.card_message_id(session, row, messages.card_ref(row.id))
        return OfferView(
            id=row.id,
            guild_id=row.guild_id,
            channel_id=row.channel_id,
            message_id=row.card_message_id,
            offerer_id=row.offerer_id,
            offerer_name=row.offerer_name,
            title=row.title,
            plan_text=session_render.plan_text(row.plan),
            repeat_text=_repeat_of(row, slots),
            mode=OfferMode(row.mode),
            min_people=row.min_people,
            max_people=row.max_people,
            expires_at=row.expires_at,
            status=OfferStatus(row.status),
            slots=slots,
            targets=tuple(int(t) for t in row.targets),
            confirmed_position=row.confirmed_position,
            series_id=row.series_id,
        )

    async def closed_sentence(
        self, session: AsyncSession, row: SlotOffer, now: datetime, user_id: int | None = None
    ) -> str:
        """What a press on an offer that no longer takes presses is told (``user_id``: who
        pressed; one of those going hears that rather than "too late")."""
        status = OfferStatus(row.status)
        when = row.closed_at or now
        ago = "a moment ago" if now - when <= MOMENT else ts(when, "R")
        if status is OfferStatus.DRAFT:
            return (
                "These times haven't been offered yet: the one who ran `/findtime` can press "
                "“Offer these”."
            )
        if status is OfferStatus.CONFIRMED:
            view = await self.view(session, row)
            slot = view.slot(row.confirmed_position or 0)
            takers = [t.user_id for t in slot.takers] if slot is not None else []
            if view.mode is OfferMode.FIRST and takers:
                who = f"<@{takers[0]}> took slot {row.confirmed_position}"
            else:
                who = f"slot {row.confirmed_position} was confirmed"
            series = f" (`/session show` #{row.series_id})" if row.series_id else ""
            if user_id is not None and user_id in (row.offerer_id, *takers):
                return (
                    f"This offer is confirmed: slot {row.confirmed_position}, and you're "
                    f"going{series}."
                )
            return f"Too late: {who} {ago}; the offer is closed{series}."
        if status is OfferStatus.EXPIRED:
            return (
                f"This offer expired {ago} without a confirmed slot. Ask <@{row.offerer_id}> "
                "for new times, or make your own offer with `/offer`."
            )
        return f"This offer was withdrawn {ago}; its slots are no longer on offer."

    async def refuse_closed(
        self, session: AsyncSession, row: SlotOffer, now: datetime, user_id: int | None = None
    ) -> None:
        if row.status != OfferStatus.OPEN:
            raise Conflict(await self.closed_sentence(session, row, now, user_id))

    @staticmethod
    def in_guild(row: SlotOffer | None, guild_id: int) -> SlotOffer:
        if row is None or row.guild_id != guild_id:
            raise NotFound(
                "I can't find that offer in this server any more. `/offer list` shows the open "
                "ones."
            )
        return row

    @staticmethod
    def refuse_outsider(row: SlotOffer, user_id: int) -> None:
        if user_id == row.offerer_id:
            raise Conflict(
                "This is your offer, so you're counted in already: wait for someone to take a "
                "slot (or withdraw it)."
            )
        targets = [int(t) for t in row.targets]
        if targets and user_id not in targets:
            names = [f"<@{t}>" for t in targets]
            who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            raise PermissionDenied(f"This offer is for {who} only.")

    @staticmethod
    def title_of(row: SlotOffer) -> str:
        return escape_markdown(row.title)

"""Slot offers drawn (issue #14): the offer card, the confirmation line and ``/offer list``.

Pure functions from :mod:`bot.views.offers` to Discord payloads. Every slot is a Discord
timestamp, so a reader in Scotland and one in Canada each see their own local time and nobody
converts by hand. The card's buttons carry the ids of :mod:`bot.ids`; a closed card has none and
says what happened (confirmed, expired, withdrawn), so an old card never invites a press.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.text import escape_markdown
from bot.ids import offer_take_id, offer_withdraw_id
from bot.render import limits
from bot.render.wire import ButtonStyle, action_row, button, ts
from bot.views.offers import OfferMode, OfferStatus, OfferView, SlotView

__all__ = [
    "card_payload",
    "card_text",
    "confirmed_payload",
    "confirmed_text",
    "going_ids",
    "offer_line",
    "offer_list_text",
    "slot_label",
]

COLOUR_OPEN = 0x57F287
COLOUR_CLOSED = 0x99AAB5
MAX_NAMES = 30  # per list on the card; the rest is a count
MAX_PINGS = 90  # a confirmation pings at most this many (allowed_mentions takes 100)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _mentions(users: Sequence[int]) -> str:
    shown = [f"<@{u}>" for u in users[:MAX_NAMES]]
    more = len(users) - len(shown)
    return " ".join(shown) + (f" and {more} more" if more > 0 else "")


def going_ids(view: OfferView) -> list[int]:
    """Who goes to the confirmed slot: the offerer, then its takers in the order they took it."""
    slot = view.slot(view.confirmed_position) if view.confirmed_position is not None else None
    takers = [t.user_id for t in slot.takers] if slot is not None else []
    return [view.offerer_id, *(u for u in takers if u != view.offerer_id)]


def _started(slot: SlotView, now: datetime) -> bool:
    return slot.started or slot.starts_at <= now


def _people(slot: SlotView) -> int:
    """People on a slot, counting the offerer (as min and max do)."""
    return 1 + len(slot.takers)


def slot_label(view: OfferView, slot: SlotView) -> str:
    """The slot's button: "Take slot 2" (first taker confirms) or "Slot 2 · 3/4" (a toggle)."""
    if view.mode is OfferMode.FIRST:
        return f"Take slot {slot.position}"
    of = f"/{view.max_people}" if view.max_people is not None else ""
    return f"Slot {slot.position} · {_people(slot)}{of}"


def _rule(view: OfferView) -> str:
    if view.mode is OfferMode.FIRST:
        return "The first to take a slot confirms it."
    count = f" (counting <@{view.offerer_id}>)"
    if view.min_people is not None:
        rule = (
            "Tick every slot you can make: the first slot with "
            f"{view.min_people} people{count} is "
            "confirmed at once."
        )
    else:
        rule = (
            "Tick every slot you can make: when the offer closes, the slot with the most people "
            "wins (a tie goes to the earlier slot)."
        )
    if view.max_people is not None:
        rule += f" Up to {view.max_people} people a slot{count}."
    return rule


def _slot_line(view: OfferView, slot: SlotView, now: datetime) -> str:
    when = f"{ts(slot.starts_at)} ({ts(slot.starts_at, 'R')})"
    names = [t.user_id for t in slot.takers]
    who = f" · {_mentions(names)}" if names else ""
    if view.status is OfferStatus.CONFIRMED and slot.position == view.confirmed_position:
        return f"✅ **{slot.position}.** {when}{who}"
    if view.is_open and _started(slot, now):
        return f"~~**{slot.position}.** {ts(slot.starts_at)}~~ started{who}"
    if view.mode is OfferMode.ENOUGH and view.is_open:
        full = view.max_people is not None and _people(slot) >= view.max_people
        count = f" · {_people(slot)}" + (f"/{view.max_people}" if view.max_people else "")
        return f"**{slot.position}.** {when}{count}{' (full)' if full else ''}{who}"
    return f"**{slot.position}.** {when}{who}"


def _closed_line(view: OfferView) -> str:
    if view.status is OfferStatus.CONFIRMED:
        slot = view.slot(view.confirmed_position) if view.confirmed_position else None
        when = f", {ts(slot.starts_at)} ({ts(slot.starts_at, 'R')})" if slot else ""
        series = (
            f" It's on the calendar: `/session show` #{view.series_id}."
            if view.series_id is not None
            else ""
        )
        return (
            f"✅ **Confirmed: slot {view.confirmed_position}**{when}. Going: "
            f"{_mentions(going_ids(view))}.{series}"
        )
    if view.status is OfferStatus.EXPIRED:
        if view.mode is OfferMode.FIRST:
            return "⌛ **This offer expired**: nobody took a slot in time."
        return "⌛ **This offer expired**: no slot got enough people in time."
    if view.status is OfferStatus.WITHDRAWN:
        return "🚫 **This offer was withdrawn**: these slots are no longer on offer."
    return "📝 A draft from `/findtime`, not offered yet."


def card_text(view: OfferView, now: datetime) -> str:
    """The card's description (also ``/offer show``)."""
    lines: list[str] = []
    if not view.is_open:
        lines.append(_closed_line(view))
    who = f"<@{view.offerer_id}> offers"
    if view.targets:
        who += f" to {_mentions(view.targets)} only"
    lines.append(f"{who}: **{escape_markdown(view.title)}**, {_count(len(view.slots), 'slot')}.")
    if view.is_open:
        lines.append(_rule(view))
    lines.append(f"**Plan:** {view.plan_text}")
    if view.repeat_text is not None:
        lines.append(f"**Repeats:** {view.repeat_text}, from the slot that's confirmed")
    lines.extend(_slot_line(view, s, now) for s in view.slots)
    if view.is_open:
        lines.append(f"Closes {ts(view.expires_at, 'R')} ({ts(view.expires_at, 'f')}).")
    return "\n".join(lines)


def _components(view: OfferView, now: datetime) -> list[dict[str, Any]]:
    if not view.is_open:
        return []
    style = ButtonStyle.SUCCESS if view.mode is OfferMode.FIRST else ButtonStyle.PRIMARY
    slots = [
        button(
            offer_take_id(view.id, s.position),
            slot_label(view, s)[: limits.BUTTON_LABEL],
            style=style,
        )
        for s in view.slots
        if not _started(s, now)
    ][: limits.ROW_BUTTONS]
    rows = [action_row(*slots)] if slots else []
    rows.append(
        action_row(button(offer_withdraw_id(view.id), "Withdraw", style=ButtonStyle.DANGER))
    )
    return rows


def card_payload(view: OfferView, now: datetime) -> dict[str, Any]:
    """The offer card (send or edit): a button per slot not yet started and Withdraw while open;
    no components once closed."""
    embed = {
        "title": f"🤝 {escape_markdown(view.title)}"[: limits.EMBED_TITLE],
        "description": card_text(view, now)[: limits.EMBED_DESCRIPTION],
        "color": COLOUR_OPEN if view.is_open else COLOUR_CLOSED,
        "footer": {"text": f"Offer #{view.id}"},
    }
    return {
        "content": "",
        "embeds": [embed],
        "components": _components(view, now),
        "allowed_mentions": {"parse": []},
    }


def _others(view: OfferView) -> list[int]:
    """Members who ticked other slots only: told which slot won."""
    going = set(going_ids(view))
    seen: list[int] = []
    for slot in view.slots:
        for t in slot.takers:
            if t.user_id not in going and t.user_id not in seen:
                seen.append(t.user_id)
    return seen


def confirmed_text(view: OfferView) -> str:
    """The channel message when an offer is confirmed: everyone going is mentioned, with the
    winning time as Discord timestamps; members who ticked other slots are told which won."""
    slot = view.slot(view.confirmed_position) if view.confirmed_position is not None else None
    going = going_ids(view)
    when = f"{ts(slot.starts_at)} ({ts(slot.starts_at, 'R')})" if slot is not None else "soon"
    lines = [
        f"✅ {_mentions(going)}: **{escape_markdown(view.title)}** is on, slot "
        f"{view.confirmed_position}: {when}."
    ]
    if view.repeat_text is not None:
        lines.append(f"Repeats {view.repeat_text} from then on.")
    others = _others(view)
    if others:
        lines.append(
            f"{_mentions(others)}: slot {view.confirmed_position} won; if you can make it too, "
            "press Going on the session card."
        )
    if view.series_id is not None:
        lines.append(
            f"You're all Going: the session card is below, with calendar links "
            f"(`/session show` #{view.series_id})."
        )
    return "\n".join(lines)[: limits.CONTENT]


def confirmed_payload(view: OfferView) -> dict[str, Any]:
    """:func:`confirmed_text` with exactly the people it names allowed to be pinged."""
    pings = [*going_ids(view), *_others(view)][:MAX_PINGS]
    return {
        "content": confirmed_text(view),
        "allowed_mentions": {"parse": [], "users": [str(u) for u in pings]},
    }


def offer_line(view: OfferView) -> str:
    """One offer in ``/offer list``."""
    first = min((s.starts_at for s in view.slots), default=view.expires_at)
    mode = "first taker confirms" if view.mode is OfferMode.FIRST else "enough people confirm"
    direct = f" · for {_mentions(view.targets)}" if view.targets else ""
    link = f" · [card]({view.card_url()})" if view.card_url() else ""
    return (
        f"**{escape_markdown(view.title)}** (#{view.id}) by <@{view.offerer_id}> — "
        f"{_count(len(view.slots), 'slot')} from {ts(first, 'f')} · {mode}{direct} · closes "
        f"{ts(view.expires_at, 'R')}{link}"
    )


def offer_list_text(views: Sequence[OfferView]) -> str:
    if not views:
        return "No open offers in this server. `/offer slots` offers up to five times."
    lines = ["**Open offers**"]
    for view in views:
        line = offer_line(view)
        if sum(len(x) + 1 for x in lines) + len(line) > limits.CONTENT - 40:
            lines.append(f"… and {len(views) - (len(lines) - 1)} more.")
            break
        lines.append(line)
    return "\n".join(lines)

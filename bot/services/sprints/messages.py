"""What a sprint change posts: outbox rows for the card, the announcements and the voice status.

Pure builders from a row and its view (plus the render functions that word them); the service
enqueues them in the transaction of the change, so they commit or roll back with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.delivery.outbox import Outgoing, Priority
from bot.render import limits
from bot.render import sprint as render
from bot.services.events import BreakAddOn, EndingAddOn, phase_message_ref
from bot.services.sprints.types import SprintView
from db.models import GuildSettings, Sprint

__all__ = [
    "MAX_PINGS",
    "announcement",
    "card_edit",
    "card_ref",
    "card_send",
    "end_notice",
    "end_ref",
    "phase_message_ref",
    "voice_line",
    "voice_status",
]

MAX_PINGS = limits.ALLOWED_MENTIONS_USERS - 10  # a margin below Discord's 100


def card_ref(sprint_id: int) -> str:
    """The outbox ref (and supersede key) of the sprint's card."""
    return f"sprint_card:{sprint_id}"


def end_ref(sprint_id: int) -> str:
    """The outbox ref of the line that says the sprint ended."""
    return f"sprint_end:{sprint_id}"


def card_send(
    row: Sprint,
    view: SprintView,
    lines: Mapping[int, str],
    now: datetime,
    *,
    link: str | None = None,
) -> Outgoing:
    """The card, posted when the sprint starts (and again if it was deleted)."""
    return Outgoing(
        kind="send",
        payload=render.card_payload(view, lines, now, link=link),
        channel_id=row.channel_id,
        ref=card_ref(row.id),
        priority=Priority.NOTICE,
        guild_id=row.guild_id,
        sprint_id=row.id,
    )


def card_edit(
    row: Sprint,
    view: SprintView,
    lines: Mapping[int, str],
    now: datetime,
    *,
    link: str | None = None,
) -> Outgoing:
    """The card brought up to date (a newer edit supersedes one not yet sent)."""
    return Outgoing(
        kind="edit",
        payload=render.card_payload(view, lines, now, link=link),
        channel_id=row.channel_id,
        target_message_id=row.card_message_id,
        target_ref=card_ref(row.id),
        supersede_key=card_ref(row.id),
        priority=Priority.CARD,
        guild_id=row.guild_id,
        sprint_id=row.id,
    )


def voice_line(row: Sprint, text: str) -> Outgoing:
    """A copy of an announcement in the linked voice channel's chat."""
    assert row.voice_channel_id is not None
    return Outgoing(
        kind="send",
        payload={"content": render.clip_content(text), "allowed_mentions": {"parse": []}},
        channel_id=row.voice_channel_id,
        priority=Priority.ANNOUNCE,
        guild_id=row.guild_id,
        sprint_id=row.id,
    )


def voice_status(view: SprintView, gs: GuildSettings) -> Outgoing:
    """The linked voice channel's status: the phase and when it ends."""
    assert view.voice_channel_id is not None
    return Outgoing(
        kind="voice_status",
        payload={"status": render.voice_status_text(view, gs.timezone or "UTC")},
        channel_id=view.voice_channel_id,
        supersede_key=f"voice_status:{view.voice_channel_id}",
        priority=Priority.CARD,
        guild_id=view.guild_id,
        sprint_id=view.id,
    )


def announcement(
    row: Sprint,
    gs: GuildSettings,
    text: str,
    *,
    ref: str,
    pings: Sequence[int] = (),
    add_ons: Sequence[BreakAddOn] = (),
    endings: Sequence[EndingAddOn] = (),
) -> list[Outgoing]:
    """The phase line in the text channel (pinging ``pings``), and in the voice chat when the
    server asked for copies there (``voice_chat``; the voice status shows it anyway).

    ``add_ons`` (e.g. the check-in prompt) and ``endings`` (the debrief) go on the text
    channel's copy only; the voice chat gets the plain line.
    """
    extra = [a.text for a in add_ons if a.text]
    mentions = [" ".join(f"<@{uid}>" for uid in pings)] if pings else []
    content = "\n".join([text, *extra, *mentions])
    payload: dict[str, Any] = {
        "content": render.clip_content(content),
        "allowed_mentions": {"parse": [], "users": [str(u) for u in pings]},
    }
    components = [c for a in add_ons for c in a.components]
    if components:
        payload["components"] = components[: limits.ACTION_ROWS]
    out = [
        Outgoing(
            kind="send",
            payload=payload,
            channel_id=row.channel_id,
            ref=_with_endings(payload, endings) or ref,
            priority=Priority.ANNOUNCE,
            guild_id=row.guild_id,
            sprint_id=row.id,
        )
    ]
    if row.voice_channel_id is not None and gs.voice_chat:
        out.append(voice_line(row, text))
    return out


def end_notice(
    row: Sprint, gs: GuildSettings, text: str, *, endings: Sequence[EndingAddOn] = ()
) -> list[Outgoing]:
    """The line that says a sprint ended early (no pings) with ``endings`` (the debrief), and
    its voice chat copy."""
    payload: dict[str, Any] = {"content": text, "allowed_mentions": {"parse": []}}
    out = [
        Outgoing(
            kind="send",
            payload=payload,
            channel_id=row.channel_id,
            ref=_with_endings(payload, endings) or end_ref(row.id),
            priority=Priority.ANNOUNCE,
            guild_id=row.guild_id,
            sprint_id=row.id,
        )
    ]
    if row.voice_channel_id is not None and gs.voice_chat:
        out.append(voice_line(row, text))
    return out


def _with_endings(payload: dict[str, Any], endings: Sequence[EndingAddOn]) -> str | None:
    """Put what other areas add to the ending message into ``payload``: the message's ref
    becomes theirs (the debrief's, so it can edit its part later; None: keep ours)."""
    embeds = [e for a in endings for e in a.embeds]
    if embeds:
        payload["embeds"] = embeds[: limits.EMBEDS_PER_MESSAGE]
    components = [*payload.get("components", ()), *(c for a in endings for c in a.components)]
    if components:
        payload["components"] = components[: limits.ACTION_ROWS]
    return next((a.ref for a in endings if a.ref), None)

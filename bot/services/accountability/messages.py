"""What the weekly thread posts: the outbox rows of a kickoff, a check-in, a review and a summary
edit. Pure builders; where a row goes (``Where``) is worked out by ``posts.py``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.delivery.outbox import Outgoing, Priority
from bot.render import accountability as render
from bot.render.accountability import MemberWeek, ReviewLine, WeekTimes
from db.models import AccountabilityConfig, AccountabilityPodWeek, AccountabilityWeek

__all__ = [
    "TOPIC",
    "Where",
    "checkin_post",
    "kickoff_posts",
    "pod_kickoff_posts",
    "review_posts",
    "summary_edit",
]

# The outbox topic of every post of the weekly thread: ``bot.delivery.failures`` reads the
# failures of our posts by it (``health.py``).
TOPIC = "accountability"

# Keyword arguments of ``Outgoing`` naming the week's thread: ``channel_id`` once it exists,
# else ``channel_ref`` (the kickoff's thread row fills it in); plus the summary's target.
Where = dict[str, Any]


def kickoff_posts(
    cfg: AccountabilityConfig,
    week: AccountabilityWeek,
    ws: date,
    times: WeekTimes,
    members: Sequence[MemberWeek],
    now: datetime,
) -> list[Outgoing]:
    """The kickoff message, the week's thread (a forum post, or a thread from the message in a
    text channel) and the summary inside it."""
    message = render.kickoff_payload(week.id, ws, times, cfg.role_id)
    thread_ref = render.thread_ref(week.id)
    name = render.thread_name(ws)
    rows: list[Outgoing] = []
    if cfg.channel_is_forum:
        rows.append(
            Outgoing(
                "thread",
                payload={
                    "name": name,
                    "auto_archive_duration": render.ARCHIVE_AFTER_MINUTES,
                    "message": message,
                },
                channel_id=cfg.channel_id,
                ref=thread_ref,
                guild_id=cfg.guild_id,
                topic=TOPIC,
                priority=Priority.ANNOUNCE,
            )
        )
    else:
        starter = render.kickoff_ref(week.id)
        rows.append(
            Outgoing(
                "send",
                payload=message,
                channel_id=cfg.channel_id,
                ref=starter,
                guild_id=cfg.guild_id,
                topic=TOPIC,
                priority=Priority.ANNOUNCE,
            )
        )
        rows.append(
            Outgoing(
                "thread",
                payload={"name": name, "auto_archive_duration": render.ARCHIVE_AFTER_MINUTES},
                channel_id=cfg.channel_id,
                target_ref=starter,
                ref=thread_ref,
                guild_id=cfg.guild_id,
                topic=TOPIC,
                priority=Priority.ANNOUNCE,
            )
        )
    rows.append(
        Outgoing(
            "send",
            payload=render.summary_payload(week.id, ws, members, updated_at=now),
            channel_ref=thread_ref,
            ref=render.summary_ref(week.id),
            guild_id=cfg.guild_id,
            topic=TOPIC,
            priority=Priority.NOTICE,
        )
    )
    return rows


def checkin_post(
    week: AccountabilityWeek,
    open_members: Sequence[MemberWeek],
    review_at: datetime,
    thread: Where,
) -> Outgoing:
    return Outgoing(
        "send",
        payload=render.checkin_payload(week.id, week.week_start, open_members, review_at),
        guild_id=week.guild_id,
        topic=TOPIC,
        priority=Priority.ANNOUNCE,
        **thread,
    )


def review_posts(
    week: AccountabilityWeek,
    lines: Sequence[ReviewLine],
    *,
    archive: bool,
    thread: Where,
    ref: str | None = None,
) -> tuple[Outgoing, Outgoing | None]:
    """The review, and the thread's archiving when the server wants it.

    The review goes with the thread's other member-facing posts (celebrations are NOTICE too), so
    it never overtakes one committed before it; the archiving waits until the review is
    delivered (its ``target_ref``), so no earlier post reopens the archived thread.
    """
    review_ref = ref or render.review_ref(week.id)
    review = Outgoing(
        "send",
        payload=render.review_payload(week.id, week.week_start, lines, archived=archive),
        ref=review_ref,
        guild_id=week.guild_id,
        topic=TOPIC,
        priority=Priority.NOTICE,
        **thread,
    )
    archived = (
        Outgoing(
            "channel_edit",
            payload=render.archive_payload(),
            target_ref=review_ref,
            guild_id=week.guild_id,
            topic=TOPIC,
            priority=Priority.COSMETIC,
            **thread,
        )
        if archive
        else None
    )
    return review, archived


def summary_edit(
    week: AccountabilityWeek,
    members: Sequence[MemberWeek],
    now: datetime,
    *,
    thread: Where,
    summary_id: int | None,
    final: bool = False,
    summary_ref: str | None = None,
    supersede_key: str | None = None,
) -> Outgoing:
    """An edit of the week's summary (superseding any pending one); ``summary_ref`` and
    ``supersede_key`` name another summary of the week (a pod's)."""
    target: Where = (
        {"target_message_id": summary_id}
        if summary_id
        else {"target_ref": summary_ref or render.summary_ref(week.id)}
    )
    return Outgoing(
        "edit",
        payload=render.summary_payload(
            week.id, week.week_start, members, updated_at=now, final=final
        ),
        supersede_key=supersede_key or render.summary_supersede_key(week.id),
        guild_id=week.guild_id,
        topic=TOPIC,
        priority=Priority.CARD,
        **thread,
        **target,
    )


def pod_kickoff_posts(
    week: AccountabilityWeek,
    pod_week: AccountabilityPodWeek,
    times: WeekTimes,
    members: Sequence[MemberWeek],
    now: datetime,
    *,
    thread: Where,
) -> list[Outgoing]:
    """The week's kickoff and summary in a pod's thread (no role ping: the pod is its audience)."""
    return [
        Outgoing(
            "send",
            payload=render.kickoff_payload(week.id, week.week_start, times, None),
            guild_id=week.guild_id,
            topic=TOPIC,
            priority=Priority.ANNOUNCE,
            **thread,
        ),
        Outgoing(
            "send",
            payload=render.summary_payload(week.id, week.week_start, members, updated_at=now),
            ref=render.pod_summary_ref(pod_week.id),
            guild_id=week.guild_id,
            topic=TOPIC,
            priority=Priority.NOTICE,
            **thread,
        ),
    ]

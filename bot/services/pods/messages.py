"""What a pods change posts: outbox rows for the channel and each pod's thread.

Rows into a pod's thread name it by its id once the sender created it, else by the ref its thread
row fills in (also after a restart). A pod whose thread was deleted gets its posts in the pods
channel instead, headed with the pod's number, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.delivery.outbox import Outgoing, Priority
from bot.render import pods as render
from bot.render.pods import PodIntro
from db.models import PodConfig, PodGroup


def topic(cfg: PodConfig) -> str:
    """The outbox topic of a pods channel's posts (its failures are read by it)."""
    return f"pods:{cfg.id}"


def where(cfg: PodConfig, pod: PodGroup) -> tuple[dict[str, Any], str]:
    """Where a post for ``pod`` goes, and a header naming the pod when it is the channel."""
    if pod.thread_gone:
        return {"channel_id": cfg.channel_id}, f"**Pod {pod.number}** (its thread is gone): "
    if pod.thread_id is not None:
        return {"channel_id": pod.thread_id}, ""
    return {"channel_ref": render.thread_ref(pod.id)}, ""


def new_pod(cfg: PodConfig, pod: PodGroup, intro: PodIntro, names: Sequence[str]) -> list[Outgoing]:
    """A pod's thread and its intro (the intro's mentions add members to a private thread)."""
    return [
        Outgoing(
            "thread",
            payload=render.thread_payload(pod.number, names, private=cfg.private_threads),
            channel_id=cfg.channel_id,
            ref=render.thread_ref(pod.id),
            guild_id=cfg.guild_id,
            topic=topic(cfg),
            priority=Priority.ANNOUNCE,
        ),
        Outgoing(
            "send",
            payload=render.intro_payload(intro),
            channel_ref=render.thread_ref(pod.id),
            ref=render.intro_ref(pod.id),
            guild_id=cfg.guild_id,
            topic=topic(cfg),
            priority=Priority.ANNOUNCE,
        ),
    ]


def announce(
    cfg: PodConfig,
    round_number: int,
    pods: int,
    members: int,
    kept: int,
    unmatched: Sequence[int],
    next_at: datetime,
) -> Outgoing:
    return Outgoing(
        "send",
        payload=render.announce_payload(round_number, pods, members, kept, unmatched, next_at),
        channel_id=cfg.channel_id,
        guild_id=cfg.guild_id,
        topic=topic(cfg),
        priority=Priority.ANNOUNCE,
    )


def nudge(
    cfg: PodConfig,
    pod: PodGroup,
    member_ids: Sequence[int],
    shared: Sequence[tuple[datetime, datetime]],
    shared_minutes: int,
    ends_at: datetime,
) -> Outgoing:
    target, header = where(cfg, pod)
    return Outgoing(
        "send",
        payload=render.nudge_payload(
            pod.id, member_ids, shared, shared_minutes, ends_at, header=header
        ),
        guild_id=cfg.guild_id,
        topic=topic(cfg),
        priority=Priority.NOTICE,
        **target,
    )


def ask(cfg: PodConfig, pod: PodGroup, member_ids: Sequence[int], ends_at: datetime) -> Outgoing:
    target, header = where(cfg, pod)
    return Outgoing(
        "send",
        payload=render.ask_payload(pod.id, member_ids, ends_at, header=header),
        guild_id=cfg.guild_id,
        topic=topic(cfg),
        priority=Priority.NOTICE,
        **target,
    )


def pause_question(cfg: PodConfig, pod: PodGroup, user_id: int) -> Outgoing:
    target, header = where(cfg, pod)
    return Outgoing(
        "send",
        payload=render.pause_payload(cfg.id, user_id, header=header),
        guild_id=cfg.guild_id,
        topic=topic(cfg),
        priority=Priority.NOTICE,
        **target,
    )


def moved_in(cfg: PodConfig, pod: PodGroup, user_id: int, mates: Sequence[int]) -> Outgoing:
    target, header = where(cfg, pod)
    return Outgoing(
        "send",
        payload=render.moved_payload(user_id, mates, header=header),
        guild_id=cfg.guild_id,
        topic=topic(cfg),
        priority=Priority.NOTICE,
        **target,
    )


def left(cfg: PodConfig, pod: PodGroup, user_id: int, alone: int | None) -> Outgoing:
    target, header = where(cfg, pod)
    return Outgoing(
        "send",
        payload=render.left_payload(user_id, alone, header=header),
        guild_id=cfg.guild_id,
        topic=topic(cfg),
        priority=Priority.NOTICE,
        **target,
    )

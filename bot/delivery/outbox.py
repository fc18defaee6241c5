"""The outbox: bot-initiated messages are rows written in the same transaction as their cause.

A service that changes state calls ``enqueue(session, Outgoing(...))`` inside its unit of work; the
rows commit or roll back with the change. After the commit the service (or the cog) calls
``Delivery.wake()`` and the sender drains the rows within Discord's limits (see ``sender.py``).

Kinds and what they do (``payload`` is Discord's JSON body):

- ``send``: create a message in ``channel_id`` (or the channel/thread named by ``channel_ref``).
  ``ref`` names the new message so later rows can target it before it exists.
- ``edit``: edit ``target_message_id`` / ``target_ref``; a pending edit with the same
  ``supersede_key`` is dropped when a newer one is enqueued.
- ``delete``: delete the target message.
- ``thread``: start a thread; from the target message when one is given (payload
  ``{"name", "auto_archive_duration"}``), else standalone or a forum post (Discord's body for
  ``POST /channels/{id}/threads``). ``ref`` names the thread, usable as ``channel_ref``.
- ``channel_edit``: ``PATCH /channels/{id}`` (e.g. archive a thread: ``{"archived": true}``).
- ``voice_status``: set a voice channel's status (``{"status": "..."}``); superseded like edits.
- ``event_create``: create a Guild Scheduled Event (payload ``{"guild_id": ..., "event": {...}}``,
  ``event`` being Discord's body); ``ref`` names the event for later ``event_edit`` rows.
  ``channel_id`` is the text channel the event is about (its failures are reported there).
- ``event_edit``: ``PATCH`` the event ``target_message_id`` / ``target_ref`` (same payload shape;
  e.g. ``{"status": 2}`` starts it). Event rows are not held in channel order: they must never
  hold back a channel's messages. Discord has no nonce for events, so a crash between Discord's
  answer and the commit can leave one duplicate event (the next edit targets the recorded one).

``topic`` names what a row is about, in the caller's words (``sprint:12``, ``accountability``):
``failures.failures_for(session, guild_id, topic=...)`` reads the failures of a topic's rows, and
``close_topic(session, topic, at)`` says the topic is over (a sprint ended): its edits and voice
statuses that are still being retried a grace after that are dropped, not retried forever.
A row that names a sprint (``sprint_id``) and no topic belongs to the topic ``sprint:<id>``.

Fast path: when the transaction that enqueued rows commits, the rows are also handed, in memory,
to the senders registered for that engine (``add_sink``), so a phase announcement does not wait
for the sender to find it in the database. The database stays the truth: rows of a transaction
that rolls back are never handed over, and the sender still scans for rows it was not handed.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any, Literal

from sqlalchemy import event, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from db.models import ClosedTopic, OutboxMessage

Kind = Literal[
    "send", "edit", "delete", "thread", "channel_edit", "voice_status", "event_create", "event_edit"
]

log = logging.getLogger(__name__)

Sink = Callable[[list[OutboxMessage]], None]
_SINKS: dict[int, list[Sink]] = {}  # id(sync engine) -> callbacks
_PENDING_KEY = "sprintbot_outbox_rows"
_HOLD_KEY = "sprintbot_outbox_hold"


class Priority(IntEnum):
    """Lower goes first: announcements before cosmetic edits."""

    ANNOUNCE = 0
    NOTICE = 5
    CARD = 10
    COSMETIC = 20


@dataclass(frozen=True)
class Outgoing:
    kind: Kind
    payload: dict[str, Any] = field(default_factory=dict)
    channel_id: int | None = None
    channel_ref: str | None = None
    target_message_id: int | None = None
    target_ref: str | None = None
    ref: str | None = None
    supersede_key: str | None = None
    priority: int = Priority.ANNOUNCE
    guild_id: int | None = None
    sprint_id: int | None = None
    topic: str | None = None

    def __post_init__(self) -> None:
        if self.topic is None and self.sprint_id is not None:
            object.__setattr__(self, "topic", sprint_topic(self.sprint_id))
        if self.channel_id is None and self.channel_ref is None:
            raise ValueError("an outgoing message needs channel_id or channel_ref")
        targeted = ("edit", "delete", "event_edit")
        if self.kind in targeted and not (self.target_message_id or self.target_ref):
            raise ValueError(f"a {self.kind} needs target_message_id or target_ref")


def sprint_topic(sprint_id: int) -> str:
    """The topic of a sprint's rows (what ``close_topic`` closes when the sprint ends)."""
    return f"sprint:{sprint_id}"


async def close_topic(session: AsyncSession, topic: str, at: datetime) -> None:
    """``topic`` is over as of ``at`` (in the caller's transaction; closing twice keeps the first).

    Its rows are still delivered, but an edit or voice status of it that is being retried more
    than the sender's grace (``finished_grace``) after ``at`` is dropped.
    """
    if await session.get(ClosedTopic, topic) is None:
        session.add(ClosedTopic(topic=topic, closed_at=at))
        await session.flush()


def hold_until(session: AsyncSession, when: datetime | None) -> None:
    """Rows this transaction enqueues from now on are not sent before ``when``.

    A phase change is prepared a little before it is due (see ``SprintService.advance``); its
    messages, and those that event subscribers add in the same transaction, wait for the moment.
    """
    session.sync_session.info[_HOLD_KEY] = when


async def sent_message_id(session: AsyncSession, ref: str) -> int | None:
    """The Discord id of the newest delivered ``send`` row with ``ref`` (a card's message id
    before the card's own row has learnt it); None while none is delivered."""
    found = await session.scalars(
        select(OutboxMessage.result_id)
        .where(
            OutboxMessage.ref == ref,
            OutboxMessage.kind == "send",
            OutboxMessage.result_id.is_not(None),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    return found.first()


def new_nonce() -> str:
    """A nonce for Discord's enforce_nonce (at most 25 characters)."""
    return "sb" + secrets.token_hex(11)


async def enqueue(session: AsyncSession, *messages: Outgoing) -> list[OutboxMessage]:
    """Add rows to the outbox in the caller's transaction; newer edits supersede older ones."""
    rows: list[OutboxMessage] = []
    hold = session.sync_session.info.get(_HOLD_KEY)
    for msg in messages:
        if msg.supersede_key is not None:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.supersede_key == msg.supersede_key,
                    OutboxMessage.status == "pending",
                )
                .values(status="superseded")
            )
        row = OutboxMessage(
            guild_id=msg.guild_id,
            kind=msg.kind,
            priority=int(msg.priority),
            channel_id=msg.channel_id,
            channel_ref=msg.channel_ref,
            target_message_id=msg.target_message_id,
            target_ref=msg.target_ref,
            ref=msg.ref,
            supersede_key=msg.supersede_key,
            sprint_id=msg.sprint_id,
            topic=msg.topic,
            payload=msg.payload,
            nonce=new_nonce(),
            status="pending",
            attempts=0,
            not_before=hold,
        )
        session.add(row)
        rows.append(row)
    await session.flush()
    if _SINKS:
        session.sync_session.info.setdefault(_PENDING_KEY, []).extend(rows)
    return rows


def add_sink(engine: Any, sink: Sink) -> None:
    """Call ``sink(rows)`` after each commit of rows enqueued on ``engine`` (an AsyncEngine)."""
    _SINKS.setdefault(id(engine.sync_engine), []).append(sink)


def remove_sink(engine: Any, sink: Sink) -> None:
    sinks = _SINKS.get(id(engine.sync_engine), [])
    if sink in sinks:
        sinks.remove(sink)
    if not sinks:
        _SINKS.pop(id(engine.sync_engine), None)


@event.listens_for(Session, "after_commit")
def _hand_over(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy fires after_commit when a savepoint is released too: the rows are not
        # committed until the outer transaction is, so they wait for that.
        return
    session.info.pop(_HOLD_KEY, None)
    rows = session.info.pop(_PENDING_KEY, None)
    if not rows:
        return
    bind = session.bind
    sinks = _SINKS.get(id(getattr(bind, "engine", bind)), ())
    # Rows added inside a savepoint that rolled back are no longer persistent: skip them.
    committed = [r for r in rows if inspect(r).persistent]
    for sink in list(sinks):
        try:
            sink(committed)
        except Exception:  # the database still has the rows; the sender's scan finds them
            log.exception("handing committed outbox rows to the sender failed")


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # A real rollback of the transaction (savepoint rollbacks do not fire this; rows added in a
    # rolled-back savepoint are filtered out above as no longer persistent).
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_HOLD_KEY, None)

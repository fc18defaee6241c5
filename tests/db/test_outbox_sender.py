"""The sender against the real database (SQLite and PostgreSQL) with a fake transport.

``FakeDiscord`` implements the sender's own seam (``Transport.deliver``): it keeps the messages it
"created", dedupes creates by nonce like Discord's ``enforce_nonce``, and fails on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock, SystemClock
from bot.delivery import Outgoing, Priority, enqueue, recent_failures
from bot.delivery.limits import Limits
from bot.delivery.outbox import close_topic, hold_until, sprint_topic
from bot.delivery.sender import Sender, ShardScope
from bot.delivery.transport import DeliveryRequest, Permanent, Transient
from bot.settings import DeliverySettings
from db.engine import Database
from db.models import DeliveryFailure, OutboxMessage, Sprint

GUILD = 1 << 22  # shard 1 of 2
GUILD0 = 2 << 22  # shard 0 of 2
CHANNEL = 500_000_001
OTHER_CHANNEL = 500_000_002


@dataclass
class FakeDiscord:
    requests: list[DeliveryRequest] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_nonce: dict[str, int] = field(default_factory=dict)
    script: list[BaseException | None] = field(default_factory=list)
    hold: asyncio.Event | None = None
    next_id: int = 900_000_000

    async def deliver(self, request: DeliveryRequest) -> int | None:
        self.requests.append(request)
        if self.hold is not None:
            await self.hold.wait()
        if self.script:
            outcome = self.script.pop(0)
            if outcome is not None:
                raise outcome
        if request.kind in ("send", "thread"):
            if request.nonce in self.by_nonce:
                return self.by_nonce[request.nonce]
            self.next_id += 1
            self.messages[self.next_id] = {"channel": request.channel_id, **request.payload}
            self.by_nonce[request.nonce] = self.next_id
            return self.next_id
        if request.kind == "edit":
            self.messages.setdefault(request.target_message_id or 0, {}).update(request.payload)
        return None

    def kinds(self) -> list[str]:
        return [r.kind for r in self.requests]


def make_sender(database: Database, fake: FakeDiscord, **kwargs: Any) -> Sender:
    settings = DeliverySettings(global_per_second=49, channel_burst=5, channel_per_seconds=5.0)
    kwargs.setdefault("clock", SystemClock())
    clock = kwargs.pop("clock")
    kwargs.setdefault("full_scan_seconds", 3600)
    return Sender(database, settings, clock, fake, **kwargs)


@contextlib.asynccontextmanager
async def running(sender: Sender) -> AsyncIterator[Sender]:
    await sender.start()
    try:
        yield sender
    finally:
        await sender.stop()


async def eventually(check: Callable[[], Any], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def settle(sender: Sender, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        await sender.wait_idle()


async def put(database: Database, *messages: Outgoing) -> list[int]:
    async with database.transaction() as session:
        rows = await enqueue(session, *messages)
        return [r.id for r in rows]


async def rows(database: Database) -> dict[int, OutboxMessage]:
    async with database.transaction() as session:
        result = await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return {r.id: r for r in result.scalars()}


def say(text: str, **kwargs: Any) -> Outgoing:
    kwargs.setdefault("channel_id", CHANNEL)
    kwargs.setdefault("guild_id", GUILD)
    return Outgoing("send", {"content": text, "allowed_mentions": {"parse": []}}, **kwargs)


def card_edit(text: str, target: int | None = 777, **kwargs: Any) -> Outgoing:
    kwargs.setdefault("channel_id", CHANNEL)
    kwargs.setdefault("guild_id", GUILD)
    kwargs.setdefault("supersede_key", "card:1")
    kwargs.setdefault("priority", Priority.CARD)
    return Outgoing("edit", {"content": text}, target_message_id=target, **kwargs)


# -- delivering ----------------------------------------------------------------------------------


async def test_pending_rows_are_sent_and_marked_sent_with_their_discord_id(
    database: Database,
) -> None:
    fake = FakeDiscord()
    (row_id,) = await put(database, say("Break time!"))
    async with running(make_sender(database, fake)) as sender:
        await settle(sender)
    row = (await rows(database))[row_id]
    assert row.status == "sent"
    assert row.result_id is not None and row.result_id in fake.messages
    assert row.sent_at is not None
    assert fake.requests[0].nonce == row.nonce
    assert sender.stats.sent == 1


async def test_rows_committed_while_running_are_sent_after_wake(database: Database) -> None:
    fake = FakeDiscord()
    async with running(make_sender(database, fake)) as sender:
        await settle(sender)
        await put(database, say("one"), say("two"))
        sender.wake()
        await settle(sender)
    assert [m["content"] for m in fake.messages.values()] == ["one", "two"]


async def test_committed_rows_are_handed_over_without_waiting_for_a_scan(
    database: Database,
) -> None:
    fake = FakeDiscord()
    async with running(make_sender(database, fake)) as sender:
        await settle(sender)
        sender._scan_wanted = False
        await put(database, say("fast path"))  # no wake(): the commit hands the row over
        await eventually(lambda: len(fake.requests) == 1, seconds=2.0)
        assert sender._last_scan < asyncio.get_running_loop().time()


async def test_rows_of_a_rolled_back_transaction_are_never_sent(database: Database) -> None:
    fake = FakeDiscord()
    async with running(make_sender(database, fake)) as sender:
        with contextlib.suppress(RuntimeError):
            async with database.transaction() as session:
                await enqueue(session, say("never"))
                raise RuntimeError("the state change failed")
        async with database.transaction() as session:
            with contextlib.suppress(RuntimeError):
                async with session.begin_nested():
                    await enqueue(session, say("rolled back savepoint"))
                    raise RuntimeError("inner step failed")
            await enqueue(session, say("kept"))
        sender.wake()
        await settle(sender)
    assert [r.payload["content"] for r in fake.requests] == ["kept"]


async def test_rows_enqueued_before_a_released_savepoint_wait_for_the_outer_commit(
    database: Database,
) -> None:
    """SQLAlchemy fires after_commit when a savepoint is released: rows enqueued before it must
    not be handed to the sender until the outer transaction commits (a sent message whose row
    is not committed yet cannot be recorded)."""
    fake = FakeDiscord()
    async with running(make_sender(database, fake)) as sender:
        await settle(sender)
        sender._scan_wanted = False
        async with database.transaction() as session:
            await enqueue(session, say("before the savepoint"))
            async with session.begin_nested():
                await enqueue(session, say("in the savepoint"))
            await asyncio.sleep(0.3)
            assert fake.requests == []  # not handed over at the savepoint's release
        await eventually(lambda: len(fake.requests) == 2, seconds=2.0)


async def test_announcements_go_before_cosmetic_edits(database: Database) -> None:
    fake = FakeDiscord()
    await put(database, card_edit("cosmetic", priority=Priority.COSMETIC, supersede_key=None))
    await put(database, card_edit("card", supersede_key=None))
    await put(database, say("announce", channel_id=OTHER_CHANNEL))
    async with running(make_sender(database, fake, concurrency=1)) as sender:
        await settle(sender)
    assert [r.payload["content"] for r in fake.requests] == ["announce", "card", "cosmetic"]


async def new_sprint(database: Database, clock: FakeClock, channel: int = CHANNEL) -> int:
    async with database.transaction() as session:
        sprint = Sprint(
            guild_id=GUILD,
            channel_id=channel,
            host_id=1,
            title="t",
            plan={},
            status="running",
            phase_started_at=clock.now(),
        )
        session.add(sprint)
        await session.flush()
        return sprint.id


async def test_a_held_phase_change_waits_for_its_moment_and_its_sprint_keeps_order(
    database: Database,
) -> None:
    clock = FakeClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    held = await new_sprint(database, clock)
    other = await new_sprint(database, clock, OTHER_CHANNEL)
    due = clock.now() + timedelta(milliseconds=150)
    async with database.transaction() as session:  # a phase change prepared ahead
        hold_until(session, due)
        await enqueue(session, say("☕ Break time", sprint_id=held))
    fake = FakeDiscord()
    async with running(make_sender(database, fake, clock=clock)) as sender:
        await eventually(lambda: sender.backlog == 1)  # found by the first scan, and held
        # Written after it, for the same sprint: must not overtake the held announcement.
        await put(database, say("⏸ Paused", sprint_id=held))
        await put(database, say("other sprint", sprint_id=other, channel_id=OTHER_CHANNEL))
        await eventually(lambda: len(fake.requests) == 1)
        await asyncio.sleep(0.3)
        assert [r.payload["content"] for r in fake.requests] == ["other sprint"]
        clock.set(due)
        sender.wake()
        await settle(sender)
    assert [r.payload["content"] for r in fake.requests] == [
        "other sprint",
        "☕ Break time",
        "⏸ Paused",
    ]
    stored = await rows(database)
    assert [r.not_before for r in stored.values()] == [due, None, None]


async def test_enqueue_marks_an_older_pending_edit_superseded(database: Database) -> None:
    fake = FakeDiscord()
    first, second = await put(database, card_edit("old")), await put(database, card_edit("new"))
    async with running(make_sender(database, fake)) as sender:
        await settle(sender)
    assert [r.payload["content"] for r in fake.requests] == ["new"]
    status = {i: r.status for i, r in (await rows(database)).items()}
    assert status[first[0]] == "superseded" and status[second[0]] == "sent"


async def test_edit_queued_in_memory_is_dropped_when_a_newer_one_arrives(
    database: Database,
) -> None:
    fake = FakeDiscord(hold=asyncio.Event())
    await put(database, say("blocker", channel_id=OTHER_CHANNEL))
    await put(database, card_edit("old"))
    async with running(make_sender(database, fake, concurrency=1)) as sender:
        await eventually(lambda: len(fake.requests) == 1)  # "old" is queued behind the blocker
        await put(database, card_edit("new"))
        sender.wake()
        await eventually(lambda: sender.stats.superseded == 1)
        fake.hold.set()
        await settle(sender)
    assert [r.payload["content"] for r in fake.requests] == ["blocker", "new"]


async def test_a_row_waits_until_the_message_it_targets_is_delivered(database: Database) -> None:
    fake = FakeDiscord(script=[Transient("502 Bad Gateway", status=502)])
    clock = FakeClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    await put(
        database,
        say("card", ref="sprint_card:1"),
        Outgoing(
            "edit",
            {"content": "card v2"},
            channel_id=CHANNEL,
            target_ref="sprint_card:1",
            guild_id=GUILD,
        ),
        Outgoing(
            "thread",
            {"name": "Huddle", "auto_archive_duration": 60},
            channel_id=CHANNEL,
            target_ref="sprint_card:1",
            ref="huddle:1",
            guild_id=GUILD,
        ),
        say("in the thread", channel_id=None, channel_ref="huddle:1"),
    )
    async with running(make_sender(database, fake, clock=clock)) as sender:
        await eventually(lambda: sender.stats.retried == 1)
        await asyncio.sleep(0.1)
        assert fake.kinds() == ["send"]  # the edit and thread wait for the card
        clock.advance(timedelta(seconds=10))
        sender.wake()
        await settle(sender)
    card_id = fake.by_nonce[fake.requests[0].nonce]
    assert fake.kinds() == ["send", "send", "edit", "thread", "send"]
    assert fake.requests[2].target_message_id == card_id
    assert fake.requests[3].target_message_id == card_id
    thread_id = fake.by_nonce[fake.requests[3].nonce]
    assert fake.requests[4].channel_id == thread_id


async def test_a_ref_that_can_never_be_delivered_drops_the_rows_waiting_for_it(
    database: Database,
) -> None:
    fake = FakeDiscord(script=[Permanent("Missing Permissions", status=403, code=50013)])
    ids = await put(
        database,
        say("card", ref="sprint_card:2"),
        Outgoing(
            "edit",
            {"content": "v2"},
            channel_id=CHANNEL,
            target_ref="sprint_card:2",
            guild_id=GUILD,
        ),
    )
    async with running(make_sender(database, fake)) as sender:
        await settle(sender)
    status = {i: r.status for i, r in (await rows(database)).items()}
    assert (status[ids[0]], status[ids[1]]) == ("failed", "dropped")
    assert fake.kinds() == ["send"]


# -- failures ------------------------------------------------------------------------------------


async def test_transient_failure_is_retried_after_a_backoff(database: Database) -> None:
    fake = FakeDiscord(script=[Transient("500 Internal Server Error", status=500)])
    clock = FakeClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    (row_id,) = await put(database, say("hello"))
    async with running(make_sender(database, fake, clock=clock)) as sender:
        await eventually(lambda: sender.stats.retried == 1)
        await asyncio.sleep(sender.flush_seconds + 0.1)  # results are recorded in batches
        row = (await rows(database))[row_id]
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.not_before is not None and row.not_before > clock.now()
        assert len(fake.requests) == 1  # not before the backoff is over
        clock.advance(timedelta(seconds=5))
        sender.wake()
        await settle(sender)
    row = (await rows(database))[row_id]
    assert row.status == "sent" and len(fake.requests) == 2


async def test_429_retry_after_sets_the_next_attempt(database: Database) -> None:
    fake = FakeDiscord(script=[Transient("429", status=429, retry_after=30.0)])
    clock = FakeClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    (row_id,) = await put(database, say("hello"))
    async with running(make_sender(database, fake, clock=clock)) as sender:
        await eventually(lambda: sender.stats.retried == 1)
        await asyncio.sleep(0.1)
    row = (await rows(database))[row_id]
    assert row.not_before is not None
    assert row.not_before - clock.now() >= timedelta(seconds=30)
    assert sender.stats.rate_limited == 1


async def test_permanent_error_stops_retrying_and_is_shown_to_managers(
    database: Database,
) -> None:
    fake = FakeDiscord(
        script=[Permanent(f"the bot lacks a permission in <#{CHANNEL}>", status=403, code=50013)]
    )
    (row_id,) = await put(database, say("hello"))
    async with running(make_sender(database, fake)) as sender:
        await settle(sender)
        sender.wake()
        await settle(sender)
    row = (await rows(database))[row_id]
    assert row.status == "failed" and "permission" in (row.last_error or "")
    assert len(fake.requests) == 1
    async with database.transaction() as session:
        failures = await recent_failures(session, GUILD)
        assert [(f.channel_id, f.outbox_id) for f in failures] == [(CHANNEL, row_id)]
        assert await recent_failures(session, GUILD0) == []


async def test_repeated_permission_errors_in_one_channel_are_recorded_once(
    database: Database,
) -> None:
    denied = Permanent("Missing Permissions", status=403, code=50013)
    fake = FakeDiscord(script=[denied, denied, denied])
    await put(database, say("a"), say("b"), say("c"))
    async with running(make_sender(database, fake)) as sender:
        await settle(sender)
    async with database.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(DeliveryFailure))
    assert count == 1
    assert sender.stats.failed == 3


async def test_deleted_channel_drops_everything_else_queued_for_it(database: Database) -> None:
    gone = Permanent("Unknown Channel", status=404, code=10003, channel_gone=True)
    fake = FakeDiscord(script=[gone])
    ids = await put(
        database, say("a"), say("b"), say("c"), say("elsewhere", channel_id=OTHER_CHANNEL)
    )
    async with running(make_sender(database, fake, concurrency=1)) as sender:
        await settle(sender)
    status = [r.status for r in (await rows(database)).values()]
    assert status == ["failed", "dropped", "dropped", "sent"]
    assert len(fake.requests) == 2
    assert ids


class Heard:
    """A delivery listener that records what the sender told it."""

    def __init__(self) -> None:
        self.channels: list[int] = []
        self.messages: list[tuple[int, int]] = []

    async def channel_gone(self, channel_id: int) -> None:
        self.channels.append(channel_id)

    async def message_gone(self, channel_id: int, message_id: int) -> None:
        self.messages.append((channel_id, message_id))


async def test_an_edit_of_a_deleted_message_tells_the_listener(database: Database) -> None:
    gone = Permanent("Unknown Message", status=404, code=10008, notify=False)
    fake = FakeDiscord(script=[gone, gone])
    heard = Heard()
    await put(database, card_edit("12 min left", target=777))
    await put(database, Outgoing("delete", channel_id=CHANNEL, target_message_id=778))
    async with running(make_sender(database, fake, listener=heard)) as sender:
        await settle(sender)
        await eventually(lambda: heard.messages)
    # Only the edit: a delete that finds its message gone is not news.
    assert heard.messages == [(CHANNEL, 777)]
    assert heard.channels == []


async def test_retrying_edit_of_an_ended_sprint_is_dropped(database: Database) -> None:
    clock = FakeClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    sprint_id = await new_sprint(database, clock)
    fake = FakeDiscord(script=[Transient("503", status=503)])
    (row_id,) = await put(database, card_edit("12 min left", sprint_id=sprint_id))
    async with running(make_sender(database, fake, clock=clock, finished_grace=0)) as sender:
        await eventually(lambda: sender.stats.retried == 1)
        async with database.transaction() as session:
            row = await session.get(Sprint, sprint_id)
            assert row is not None
            row.status, row.ended_at = "finished", clock.now()
            # what SprintService does when a sprint ends: the sprint's outbox topic is closed
            await close_topic(session, sprint_topic(sprint_id), clock.now())
        clock.advance(timedelta(seconds=10))
        sender.wake()
        await settle(sender)
    # Dropped at the next failure or when it is picked up again after a restart.
    status = (await rows(database))[row_id].status
    assert status in ("dropped", "sent")
    fake2 = FakeDiscord()
    async with database.transaction() as session:
        row2 = await session.get(OutboxMessage, row_id)
        assert row2 is not None
        row2.status, row2.attempts = "pending", 1
    async with running(make_sender(database, fake2, clock=clock, finished_grace=0)) as sender2:
        await settle(sender2)
    assert (await rows(database))[row_id].status == "dropped"
    assert fake2.requests == []


# -- crashes, restarts, shards -------------------------------------------------------------------


async def test_rows_left_by_a_killed_process_are_sent_once_after_restart(
    database: Database,
) -> None:
    fake = FakeDiscord()
    ids = await put(database, say("one"), say("two"), say("three"))
    first = make_sender(database, fake, flush_seconds=3600)
    await first.start()
    await eventually(lambda: len(fake.messages) == 3)
    tasks = [first._task, first._db_task]
    for task in tasks:  # killed: Discord has the messages, the database does not know yet
        assert task is not None
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert {r.status for r in (await rows(database)).values()} == {"pending"}

    async with running(make_sender(database, fake)) as second:
        await settle(second)
    assert len(fake.messages) == 3  # the resends carried the same nonces: no duplicates
    assert len(fake.requests) == 6
    stored = await rows(database)
    assert all(stored[i].status == "sent" for i in ids)
    assert {stored[i].result_id for i in ids} == set(fake.messages)


async def test_stop_lets_requests_in_flight_finish_and_records_them(database: Database) -> None:
    fake = FakeDiscord(hold=asyncio.Event())
    (row_id,) = await put(database, say("hello"))
    sender = make_sender(database, fake)
    await sender.start()
    await eventually(lambda: len(fake.requests) == 1)
    stopping = asyncio.create_task(sender.stop())
    await asyncio.sleep(0.05)
    fake.hold.set()
    await stopping
    assert (await rows(database))[row_id].status == "sent"


async def test_a_shard_process_delivers_only_its_own_guilds(database: Database) -> None:
    fake0, fake1 = FakeDiscord(), FakeDiscord()
    ids = await put(
        database, say("for shard 1", guild_id=GUILD), say("for shard 0", guild_id=GUILD0)
    )
    shard0 = make_sender(database, fake0, scope=ShardScope(2, (0,)))
    async with running(shard0):
        await settle(shard0)
    assert [r.payload["content"] for r in fake0.requests] == ["for shard 0"]
    assert (await rows(database))[ids[0]].status == "pending"
    shard1 = make_sender(database, fake1, scope=ShardScope(2, (1,)))
    async with running(shard1):
        await settle(shard1)
    assert [r.payload["content"] for r in fake1.requests] == ["for shard 1"]


def test_rows_without_a_guild_belong_to_shard_zero() -> None:
    assert ShardScope(4, (0, 1)).owns(None)
    assert not ShardScope(4, (2, 3)).owns(None)
    assert ShardScope().owns(123)


# -- budgets -------------------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


async def test_sixth_message_to_a_channel_waits_for_its_budget(database: Database) -> None:
    fake = FakeDiscord()
    mono = FakeTime()
    limits = Limits(1000, 5, 5.0, burst=100, time=mono)
    await put(database, *[say(f"m{i}") for i in range(6)], say("other", channel_id=OTHER_CHANNEL))
    async with running(make_sender(database, fake, limits=limits)) as sender:
        await eventually(lambda: len(fake.requests) == 6)
        await asyncio.sleep(0.1)
        # Within a channel one at a time, in order (issue #12): "other" may go in between.
        sent = [r.payload["content"] for r in fake.requests]
        assert [c for c in sent if c != "other"] == ["m0", "m1", "m2", "m3", "m4"]
        assert "other" in sent
        mono.now += 5.1
        sender.wake()
        await settle(sender)
    assert fake.requests[-1].payload["content"] == "m5"


async def test_global_bucket_paces_a_burst(database: Database) -> None:
    fake = FakeDiscord()
    mono = FakeTime()
    limits = Limits(45, 5, 5.0, burst=4, time=mono)
    await put(database, *[say(f"m{i}", channel_id=CHANNEL + i) for i in range(10)])
    async with running(make_sender(database, fake, limits=limits)) as sender:
        await eventually(lambda: len(fake.requests) == 4)
        await asyncio.sleep(0.1)
        assert len(fake.requests) == 4
        for _ in range(6):
            mono.now += 1 / 45
            sender.wake()
            await asyncio.sleep(0.05)
        await settle(sender)
    assert len(fake.requests) == 10


@pytest.mark.parametrize("count", [200])
async def test_a_large_backlog_is_drained_exactly_once(database: Database, count: int) -> None:
    fake = FakeDiscord()
    limits = Limits(1000, 1000, 1.0, burst=1000)
    await put(database, *[say(f"m{i}", channel_id=CHANNEL + i % 37) for i in range(count)])
    async with running(make_sender(database, fake, limits=limits)) as sender:
        await settle(sender, seconds=20)
    assert len(fake.requests) == count == len(fake.messages)
    assert {r.status for r in (await rows(database)).values()} == {"sent"}


async def test_a_ref_delivered_before_a_restart_is_looked_up_in_the_database(
    database: Database,
) -> None:
    fake = FakeDiscord()
    await put(database, say("card", ref="sprint_card:9"))
    async with running(make_sender(database, fake)) as first:
        await settle(first)
    card_id = next(iter(fake.messages))
    async with running(make_sender(database, fake)) as second:
        await settle(second)
        await put(database, card_edit("card v2", target=None, target_ref="sprint_card:9"))
        await eventually(lambda: len(fake.requests) == 2)
    assert fake.requests[1].target_message_id == card_id

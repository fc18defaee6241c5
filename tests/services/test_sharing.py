"""SharingService and its live hub on the real database (SQLite file, and PostgreSQL when set).

Time is a FakeClock; the whole service wiring (``Services``) is built so the sharing area hears
the sprints area's events exactly as in the bot.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.domain.errors import NotFound, PermissionDenied
from bot.scheduler import Timers
from bot.services import Services
from bot.services.context import NullWaker, ServiceContext
from bot.services.events import SprintChanged
from bot.services.sharing import ShareKind, token_hash
from bot.services.sprints import Actor, StartRequest
from bot.settings import Settings, WebSettings
from db.engine import Database
from db.models import (
    AccountabilityConfig,
    AccountabilityMember,
    Goal,
    GuildSettings,
    OutboxMessage,
    WebShare,
)

T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
GUILD = 4_000_000_000_000_001
CHANNEL = 500
HOST, BOB, MOD = 100, 202, 303
MOD_ROLE = 777


def services(database: Database, clock: FakeClock, **web: object) -> Services:
    settings = Settings(web=WebSettings(**web))  # type: ignore[arg-type]
    return Services(
        ServiceContext(
            settings=settings, db=database, clock=clock, timers=Timers(), delivery=NullWaker()
        )
    )


async def start(svc: Services, **plan: int) -> int:
    view = await svc.sprints.start(
        StartRequest(
            guild_id=GUILD,
            channel_id=CHANNEL,
            host_id=HOST,
            host_name="Ann",
            work=plan.get("work", 25),
            brk=5,
            rounds=plan.get("rounds", 2),
            intro=plan.get("intro", 0),
            title="Deep work",
        )
    )
    return view.id


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


# -- links ----------------------------------------------------------------------------------------


async def test_share_makes_a_long_random_token_and_hands_the_same_link_out_again(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    sprint_id = await start(svc)
    first = await svc.sharing.share_sprint(sprint_id, Actor(BOB))
    again = await svc.sharing.share_sprint(sprint_id, Actor(HOST))
    assert first.created and not again.created
    assert again.url == first.url == f"http://127.0.0.1:8080/s/{first.token}"
    assert len(first.token) >= 32  # token_urlsafe(24): 192 random bits
    async with database.transaction() as session:
        row = (await session.execute(select(WebShare))).scalar_one()
    assert row.token_hash == token_hash(first.token)
    assert not row.show_people  # names stay private unless the host says otherwise


async def test_public_base_url_makes_the_links(database: Database, clock: FakeClock) -> None:
    svc = services(database, clock, public_base_url="https://sprints.example.org")
    sprint_id = await start(svc)
    link = await svc.sharing.share_sprint(sprint_id, Actor(BOB))
    assert link.url.startswith("https://sprints.example.org/s/")
    feed = await svc.sharing.member_feed(GUILD, BOB)
    assert feed.url.startswith("https://sprints.example.org/calendar/")
    assert feed.url.endswith(".ics")


async def card_links(database: Database, sprint_id: int) -> list[list[str]]:
    """The live-page URLs on each card message queued for the sprint (its send, then edits)."""
    card = f"sprint_card:{sprint_id}"
    async with database.transaction() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage)
                .where(
                    ((OutboxMessage.kind == "send") & (OutboxMessage.ref == card))
                    | ((OutboxMessage.kind == "edit") & (OutboxMessage.target_ref == card))
                )
                .order_by(OutboxMessage.id)
            )
        ).all()
    return [
        [c["url"] for r in row.payload["components"] for c in r["components"] if "url" in c]
        for row in rows
    ]


async def test_sharing_a_sprint_puts_a_live_page_button_on_its_card_and_stop_removes_it(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock, public_base_url="https://sprints.example.org")
    sprint_id = await start(svc)
    assert await card_links(database, sprint_id) == [[]]  # the card as posted
    link = await svc.sharing.share_sprint(sprint_id, Actor(BOB))
    assert await card_links(database, sprint_id) == [[], [link.url]]  # redrawn with the button
    await svc.sharing.share_sprint(sprint_id, Actor(HOST))  # the same link: no redraw
    assert len(await card_links(database, sprint_id)) == 2
    await svc.sprints.join(sprint_id, BOB, "Bob")  # later edits keep the button
    assert (await card_links(database, sprint_id))[-1] == [link.url]
    await svc.sharing.unshare_sprint(sprint_id, Actor(HOST))
    assert (await card_links(database, sprint_id))[-1] == []  # /share stop: the button goes


async def test_without_a_public_url_the_card_gets_no_link_button(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)  # links point at this machine: no use to other members
    sprint_id = await start(svc)
    await svc.sharing.share_sprint(sprint_id, Actor(BOB))
    await svc.sprints.join(sprint_id, BOB, "Bob")
    assert await card_links(database, sprint_id) == [[], []]


async def test_only_host_or_manager_chooses_to_show_names(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    sprint_id = await start(svc)
    with pytest.raises(PermissionDenied, match="host or a manager"):
        await svc.sharing.share_sprint(sprint_id, Actor(BOB), show_people=True)
    async with database.transaction() as session:
        assert (await session.execute(select(WebShare))).first() is None  # nothing stored
        gs = await session.get(GuildSettings, GUILD)
        assert gs is not None  # made by the sprint's start
        gs.manager_role_id = MOD_ROLE
    link = await svc.sharing.share_sprint(
        sprint_id, Actor(MOD, role_ids=frozenset({MOD_ROLE})), show_people=True
    )
    assert link.show_people


async def test_revoked_unknown_and_malformed_tokens_all_find_nothing(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    sprint_id = await start(svc)
    link = await svc.sharing.share_sprint(sprint_id, Actor(HOST))
    assert await svc.sharing.lookup(link.token, ShareKind.SPRINT) is not None
    assert await svc.sharing.lookup(link.token, ShareKind.MEMBER_FEED) is None
    with pytest.raises(PermissionDenied):
        await svc.sharing.unshare_sprint(sprint_id, Actor(BOB))
    assert await svc.sharing.unshare_sprint(sprint_id, Actor(HOST)) == [link.id]
    for token in (link.token, link.token[:-1] + "A", "", "x" * 5000, "../../etc/passwd", "é"):
        assert await svc.sharing.lookup(token, ShareKind.SPRINT) is None
    with pytest.raises(NotFound, match="no live page"):
        await svc.sharing.unshare_sprint(sprint_id, Actor(HOST))
    again = await svc.sharing.share_sprint(sprint_id, Actor(HOST))
    assert again.created and again.token != link.token


async def test_feed_links_are_per_member_and_a_new_one_revokes_the_old(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    mine = await svc.sharing.member_feed(GUILD, BOB)
    assert (await svc.sharing.member_feed(GUILD, BOB)).token == mine.token
    assert (await svc.sharing.member_feed(GUILD, HOST)).token != mine.token
    fresh = await svc.sharing.member_feed(GUILD, BOB, reset=True)
    assert fresh.token != mine.token
    assert await svc.sharing.lookup(mine.token, ShareKind.MEMBER_FEED) is None
    assert await svc.sharing.lookup(fresh.token, ShareKind.MEMBER_FEED) is not None
    with pytest.raises(PermissionDenied):
        await svc.sharing.guild_feed(GUILD, Actor(BOB))
    public = await svc.sharing.guild_feed(GUILD, Actor(MOD, manage_guild=True))
    assert await svc.sharing.revoke_guild_feed(GUILD, Actor(MOD, manage_guild=True))
    assert await svc.sharing.lookup(public.token, ShareKind.GUILD_FEED) is None


# -- the page -------------------------------------------------------------------------------------


async def test_page_shows_phase_timeline_and_count_but_no_ids_or_names_by_default(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    sprint_id = await start(svc, intro=2)
    link = await svc.sharing.share_sprint(sprint_id, Actor(HOST))
    share = await svc.sharing.lookup(link.token, ShareKind.SPRINT)
    assert share is not None
    page = await svc.sharing.page(share)
    assert page is not None
    assert (page.title, page.status, page.phase_kind, page.round) == (
        "Deep work",
        "running",
        "intro",
        0,
    )
    assert page.phase_ends_at == T0 + timedelta(minutes=2)
    assert [(p.kind, p.state) for p in page.timeline] == [
        ("intro", "current"),
        ("work", "next"),
        ("break", "next"),
        ("work", "next"),
    ]
    assert page.participant_count == 1 and page.people is None
    text = json.dumps(page.to_json())
    for secret in (str(GUILD), str(CHANNEL), str(HOST), "Ann", link.token):
        assert secret not in text


async def test_page_lists_names_and_goals_when_allowed_and_sums_up_the_end(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    sprint_id = await start(svc)
    async with database.transaction() as session:
        session.add_all(
            [
                Goal(
                    guild_id=GUILD,
                    user_id=HOST,
                    text="<b>outline</b>",
                    scope="sprint",
                    sprint_id=sprint_id,
                    status="done",
                ),
                Goal(
                    guild_id=GUILD, user_id=HOST, text="draft", scope="sprint", sprint_id=sprint_id
                ),
            ]
        )
    link = await svc.sharing.share_sprint(sprint_id, Actor(HOST), show_people=True)
    share = await svc.sharing.lookup(link.token, ShareKind.SPRINT)
    assert share is not None
    page = await svc.sharing.page(share)
    assert page is not None and page.people is not None
    assert page.people[0].name == "Ann"
    assert [(g.text, g.done) for g in page.people[0].goals] == [
        ("<b>outline</b>", True),
        ("draft", False),
    ]
    clock.advance(timedelta(minutes=10))
    await svc.sprints.stop(sprint_id, Actor(HOST))
    page = await svc.sharing.page(share)
    assert page is not None and page.summary is not None
    assert page.is_over
    assert (page.summary.reason, page.summary.rounds_done, page.summary.took_part) == (
        "Stopped early",
        0,
        1,
    )
    assert page.summary.focus_minutes == 10
    assert [(m.name, m.goals_done, m.goals_total) for m in page.summary.members] == [("Ann", 1, 2)]


# -- live updates ---------------------------------------------------------------------------------


async def test_a_committed_pause_reaches_open_streams_once_read_for_all(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    sprint_id = await start(svc)
    link = await svc.sharing.share_sprint(sprint_id, Actor(HOST))
    streams = [svc.sharing.live.open(link.id, sprint_id, False) for _ in range(3)]
    await svc.sprints.pause(sprint_id, Actor(HOST))
    texts = [await s.next(2.0) for s in streams]
    assert all(t is not None and json.loads(t)["status"] == "paused" for t in texts)
    assert len({id(t) for t in texts}) == 1  # serialised once, shared by every stream
    for stream in streams:
        svc.sharing.live.close(stream)
    assert svc.sharing.live.open_streams == 0


async def test_events_of_a_rolled_back_transaction_push_nothing(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    sprint_id = await start(svc)
    link = await svc.sharing.share_sprint(sprint_id, Actor(HOST))
    stream = svc.sharing.live.open(link.id, sprint_id, False)
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            await svc.sharing.live.sprint_changed(session, SprintChanged(sprint_id, clock.now()))
            raise RuntimeError("rolled back")
    assert await stream.next(0.3) is None
    async with database.transaction() as session:
        await svc.sharing.live.sprint_changed(session, SprintChanged(sprint_id, clock.now()))
    assert await stream.next(2.0) is not None


async def test_a_phase_change_written_ahead_is_pushed_at_its_moment(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    sprint_id = await start(svc, work=1, rounds=2)
    link = await svc.sharing.share_sprint(sprint_id, Actor(HOST))
    stream = svc.sharing.live.open(link.id, sprint_id, False)
    clock.set(T0 + timedelta(minutes=1) - timedelta(milliseconds=200))  # prepared 0.2 s ahead
    await svc.sprints.advance(sprint_id)
    assert await stream.next(0.1) is None  # not before the phase really ends
    text = await stream.next(2.0)
    assert text is not None and json.loads(text)["phase"]["kind"] == "break"


async def test_revoking_ends_the_links_streams(database: Database, clock: FakeClock) -> None:
    svc = services(database, clock)
    sprint_id = await start(svc)
    link = await svc.sharing.share_sprint(sprint_id, Actor(HOST))
    stream = svc.sharing.live.open(link.id, sprint_id, False)
    await svc.sharing.unshare_sprint(sprint_id, Actor(HOST))
    assert await asyncio.wait_for(stream.next(5.0), 1.0) is None
    assert stream.closed and stream.revoked


# -- feeds ----------------------------------------------------------------------------------------


async def test_member_feed_lists_the_weekly_posts_in_the_server_zone_once_they_joined(
    database: Database, clock: FakeClock
) -> None:
    svc = services(database, clock)
    async with database.transaction() as session:
        session.add(GuildSettings(guild_id=GUILD, timezone="Europe/Berlin"))
        session.add(
            AccountabilityConfig(
                guild_id=GUILD,
                channel_id=CHANNEL,
                kickoff_day=0,
                kickoff_time=time(9, 0),
                checkin_days=[2],
                checkin_time=time(12, 30),
                review_day=4,
                review_time=time(17, 0),
                updated_at=T0,
            )
        )
    link = await svc.sharing.member_feed(GUILD, BOB)
    share = await svc.sharing.lookup(link.token, ShareKind.MEMBER_FEED)
    assert share is not None
    feed = await svc.sharing.feed(share)
    assert feed is not None and feed.entries == ()  # not in the weekly accountability yet
    async with database.transaction() as session:
        session.add(AccountabilityMember(guild_id=GUILD, user_id=BOB, display_name="Bob"))
    feed = await svc.sharing.feed(share)
    assert feed is not None
    assert [(e.title, e.start.weekday(), e.start.time(), e.zone) for e in feed.entries] == [
        ("Weekly kickoff", 0, time(9, 0), "Europe/Berlin"),
        ("Mid-week check-in", 2, time(12, 30), "Europe/Berlin"),
        ("Weekly review", 4, time(17, 0), "Europe/Berlin"),
    ]
    assert all(e.weekly for e in feed.entries)
    assert all(str(GUILD) not in e.uid for e in feed.entries)

"""/accountability setup refusals and what show/disable report (service level)."""

from __future__ import annotations

import pytest

from bot.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from bot.services.accountability import FORUM_PERMISSIONS, TEXT_PERMISSIONS, timer_key
from db.engine import Database
from tests.services.test_accountability import CHANNEL, GUILD, make_world, utc

ALL_TEXT = {attr for attr, _ in TEXT_PERMISSIONS}
ALL_FORUM = {attr for attr, _ in FORUM_PERMISSIONS}


async def test_unknown_day_is_refused_naming_the_option(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(ValidationError) as err:
        await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False, review_day="Funday")
    assert str(err.value).startswith("Review day: Unknown day 'Funday'")
    assert "Monday" in str(err.value)


async def test_time_out_of_range_is_refused(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(ValidationError) as err:
        await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False, time_="25:00")
    assert str(err.value).startswith("Kickoff time: '25:00' is not a time of day")
    assert "HH:MM" in str(err.value)


async def test_review_before_kickoff_is_refused(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(ValidationError, match="can't come before the kickoff"):
        await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False, day="Friday", review_day="Mon")


async def test_refused_setup_stores_nothing(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(ValidationError):
        await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False, checkin_days="Wed, Blursday")
    with pytest.raises(NotFound):
        await w.acc.show(GUILD)
    assert w.timers.jobs == {}


async def test_text_channel_without_thread_permission_is_refused_by_name(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(PermissionDenied) as err:
        await w.acc.setup(
            GUILD,
            CHANNEL,
            channel_is_forum=False,
            bot_permissions=ALL_TEXT - {"create_public_threads"},
        )
    assert "Create Public Threads permission" in str(err.value)
    assert f"<#{CHANNEL}>" in str(err.value)


async def test_text_channel_missing_several_permissions_names_each(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(PermissionDenied) as err:
        await w.acc.setup(
            GUILD, CHANNEL, channel_is_forum=False, bot_permissions={"view_channel", "embed_links"}
        )
    assert "Send Messages, Create Public Threads and Send Messages in Threads permissions" in str(
        err.value
    )


async def test_forum_needs_send_messages_but_not_create_threads(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(PermissionDenied, match="Send Messages permission in that forum"):
        await w.acc.setup(
            GUILD, CHANNEL, channel_is_forum=True, bot_permissions=ALL_FORUM - {"send_messages"}
        )
    view = await w.acc.setup(GUILD, CHANNEL, channel_is_forum=True, bot_permissions=ALL_FORUM)
    assert view.enabled and view.is_forum


async def test_setup_defaults_monday_kickoff_wednesday_checkin_friday_review(database: Database):
    w = make_world(database, utc(2027, 3, 7, 12))
    await w.tz.set_server_zone(GUILD, "Europe/London")
    view = await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    assert [(p.key, p.at) for p in view.next_posts] == [
        ("kickoff", utc(2027, 3, 8, 9)),
        ("checkin:2", utc(2027, 3, 10, 12)),
        ("review", utc(2027, 3, 12, 17)),
    ]
    assert view.zone == "Europe/London" and view.archive_after_review
    assert w.timers.when(timer_key(GUILD)) == utc(2027, 3, 8, 9)


async def test_disable_stops_the_timer_and_a_second_disable_says_so(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    await w.acc.setup(GUILD, CHANNEL, channel_is_forum=False)
    view = await w.acc.disable(GUILD)
    assert not view.enabled and view.next_posts == ()
    assert w.timers.when(timer_key(GUILD)) is None
    with pytest.raises(Conflict, match="already off"):
        await w.acc.disable(GUILD)
    with pytest.raises(Conflict, match="are off"):
        await w.acc.post_now(GUILD)


async def test_post_now_before_setup_points_to_setup(database: Database):
    w = make_world(database, utc(2027, 3, 1, 8))
    with pytest.raises(NotFound, match="/accountability setup"):
        await w.acc.post_now(GUILD)


async def test_restore_skips_guilds_of_other_shards(database: Database):
    from bot.settings import DiscordSettings

    other = (1 << 22) * 1  # shard 1 of 2
    w = make_world(
        database, utc(2027, 3, 1, 8), discord=DiscordSettings(shard_count=2, shard_ids=(0,))
    )
    await w.acc.setup(other, CHANNEL, channel_is_forum=False)
    w.timers.jobs.clear()
    await w.acc.restore()
    assert w.timers.jobs == {}

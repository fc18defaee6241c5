"""The demo guild every console session starts with, and the ``--demo`` script.

Engineers adding an area add a small block of steps to :data:`DEMO_SCRIPT` (each block opens
with an ``echo ── … ──`` line saying what it shows).
"""

from __future__ import annotations

from bot.localdiscord.models import Member
from bot.localdiscord.server import LocalDiscord
from bot.localdiscord.snowflake import DISCORD_EPOCH_MS
from bot.localdiscord.world import Guild

#: Time compression for ``--demo``: a plan minute lasts two seconds. Much faster and the bot's
#: announcements trail the timer: its delivery keeps Discord's per-channel budget (about one
#: message a second once the burst is spent), so phases must last longer than that.
DEMO_SPEED = 30.0
#: The fastest ``--demo`` keeps up with (measured: 60x plays every step on a busy 2-core machine,
#: 90x and faster lose the break to the timer). Faster speeds are refused with a sentence.
DEMO_MAX_SPEED = 60.0
GUILD_NAME = "Sprint Club"
COWORKERS = (("alice", "Alice"), ("bob", "Bob"), ("cat", "Cat"))

#: The built-in demo (``sprintbot console --demo``): the whole coworking ritual.
DEMO_SCRIPT = """\
# Sprintbot console demo: one coworking session, start to finish.
echo ── Getting started: what can the bot do? ──
/help
echo ── Set the server's time zone and the weekly accountability thread ──
/timezone server zone:Europe/London
/accountability setup channel:#accountability review_day:Sun review_time:23:59
/accountability post-now
wait for "Week of" within 20
echo ── Start a sprint linked to the Focus Room voice channel ──
/sprint start work:2 break:1 rounds:2 intro:1 voice_channel:"Focus Room" title:"Demo sprint"
expect "Started"
echo ── Alice joins with the button, Bob by hopping into voice ──
as alice click Join
expect "You're in"
voice bob join "Focus Room"
echo ── Everyone says what they'll get done (Cat joins by posting a goal) ──
/goal text:"draft chapter 3"
as alice /goal text:"reply to reviewers"
as bob /goal text:"fix the login bug"
as cat /goal text:"read the paper"
expect "joined"
echo ── The break: everyone checks in (the host pauses so nobody is rushed) ──
wait for "How did it go?"
/sprint pause
click Done
as alice click Progress
as bob click Done
as cat click Stuck
as cat click Open a huddle
wait for "is stuck after round 1" within 20
as bob in huddle say Try reading the abstract and conclusion first?
/done
as bob /done
/sprint resume
echo ── The sprint ends: the debrief ──
wait for "Debrief"
click Add a debrief note
modal "How did it go?"="Chapter 3 drafted. Next: edit it."
expect "in the debrief"
echo ── Looking back ──
/goals list
/sprint history
echo ── Pods: pairs matched on the hours they share across zones, a thread each ──
/pods setup channel:#coworking size:2
/availability set when:"weekdays 18:00-21:00" zone:Europe/London
as alice /availability set when:"weekdays 19:00-22:00" zone:Europe/Berlin
as bob /availability set when:"weekdays 19:00-22:00" zone:America/New_York
as cat /availability set when:"weekdays 09:00-12:00" zone:Asia/Tokyo
/pods join
as alice /pods join
as bob /pods join
as cat /pods join
/pods round-now
expect "4 members in 2 pods"
wait for "Free together" within 20
echo ── Each pod says when it has met (only its own members can answer its buttons) ──
as alice click We met
as cat click We met
/pods show
expect "met so far"
echo ── Standing sessions: schedule once; members RSVP, get reminded, the sprint starts itself ──
/session schedule title:Writing when:"in 20 min" repeat:weekly work:3 rounds:1
expect "Scheduled"
as alice click Going
as bob click Maybe
wait for "⏰" within 30
wait for "starts now" within 60
as alice click I'm here
/goal text:"outline the talk"
wait for "Showed up" within 60
/session list
expect "Writing"
echo ── Offering times: the first member to take a slot confirms it, both Going ──
/offer slots slot1:"tomorrow 10:00" slot2:"tomorrow 18:00" title:"Pair writing"
expect "Offered 2 slots"
as bob click Take slot 2
expect "Confirmed"
wait for "is on, slot 2" within 20
echo ── Your progress, only for you: figures and a chart attached as a PNG file ──
/stats me
expect "my-stats.png" within 30
"""


class _StableIds:
    """Snowflakes from a fixed moment, so the demo guild, its channels and members get the same
    ids every run and a ``--database`` kept from an earlier session still finds its data."""

    def __init__(self) -> None:
        self._next = (1_700_000_000_000 - DISCORD_EPOCH_MS) << 22

    def next(self) -> int:
        self._next += 1
        return self._next


def seed(server: LocalDiscord) -> tuple[Guild, Member]:
    """The demo guild: #coworking, #accountability, 🔊 Focus Room; you (the owner) + three."""
    world = server.world
    ids = world.ids
    world.ids = _StableIds()  # type: ignore[assignment]
    try:
        guild = server.add_guild(GUILD_NAME, owner="you")
        guild.add_text_channel("coworking", topic="Sprints happen here")
        guild.add_text_channel("accountability", topic="Weekly goals")
        guild.add_voice_channel("Focus Room")
        for username, display in COWORKERS:
            guild.add_member(username, global_name=display)
    finally:
        world.ids = ids
    return guild, guild.member("you")

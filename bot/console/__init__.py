"""``sprintbot console``: try the real bot on this machine, no Discord token needed.

Starts a :class:`~bot.localdiscord.LocalDiscord` server with a seeded demo guild (#coworking,
#accountability, a "Focus Room" voice channel; you, alice, bob and cat), the real bot against it
with a SQLite database (temporary unless ``--database`` names one), and a prompt. You type slash
commands as yourself, act as other members, click buttons, fill forms, move people in and out of
voice, and see every message the bot posts, rendered as text, as it happens (edits too).

The same lines make a script: ``--script FILE`` plays one line per step without a terminal
(``#`` starts a comment line) and exits non-zero when a step fails: a command the console or a
Discord client would refuse, an ``expect`` not seen in time, the bot answering nothing, the bot
logging an error, or the local server recording one. ``--demo`` plays
:data:`~bot.console.demo.DEMO_SCRIPT`.

Console lines (``help`` prints this list; ``help sprint start`` details one command)::

    /sprint start work:25 break:5 rounds:4     a slash command as the current member
    /goal text:"draft chapter 3"               quoted values; channels #name or "Focus Room"
    as alice /goal text:draft chapter 3        one line as someone else (``as alice`` alone:
                                               stay alice; ``as you`` to come back)
    in #accountability /accountability show    one line in another channel
    channel #accountability                    switch channel (threads by name too)
    click 12 Join / click Join                 a button on message #12 / on the newest one
    select 14 "Fix login bug"                  pick in the select menu on a message
    modal goals="one\\ntwo" / modal "text"      fill the open form (a script; the prompt asks)
    voice alice join "Focus Room" / voice alice leave
    say Try clearing the cache?                post a plain message as the current member
    /done goal:dra?                            the bot's suggestions for an option (autocomplete)
    wait 5 / wait for "Break" [within 60]      pause; wait until the bot shows text (a message
                                               or an edit after the previous `wait for` match)
    expect "You're in" [within 10]             fail the script unless the last command or
                                               click brings that text
    transcript [#channel] / members / channels / echo TEXT / help / quit

The package, bottom up: :mod:`.words` (splitting lines, the console verbs), :mod:`.display`
(session state, showing messages), :mod:`.schema` (the synced commands, ``help``),
:mod:`.forms` (modals), :mod:`.session` (:class:`Console`: running lines), :mod:`.terminal`
(reading input), :mod:`.demo` (the demo guild and script) and :mod:`.app` (``main``). It may
import both the bot and :mod:`bot.localdiscord`; the local server imports nothing from here.
"""

from __future__ import annotations

from .app import main, setup_logging
from .demo import DEMO_SCRIPT, DEMO_SPEED, seed
from .display import Problems
from .session import Console
from .words import ConsoleError, split_words

__all__ = [
    "DEMO_SCRIPT",
    "DEMO_SPEED",
    "Console",
    "ConsoleError",
    "Problems",
    "main",
    "seed",
    "setup_logging",
    "split_words",
]

"""``sprintbot console``: try the real bot on this machine, no Discord token needed.

Starts a :class:`LocalDiscord` server with a seeded demo guild (#coworking, #accountability, a
"Focus Room" voice channel; you, alice, bob and cat), the real bot against it with a SQLite
database (temporary unless ``--database`` names one), and a prompt. You type slash commands
as yourself, act as other members, click buttons, fill forms, move people in and out of voice,
and see every message the bot posts, rendered as text, as it happens (edits too).

The same lines make a script: ``--script FILE`` plays one line per step without a terminal
(``#`` starts a comment line) and exits non-zero when a step fails: a command the console or
a Discord client would refuse, an ``expect`` not seen in time, the bot answering nothing, the
bot logging an error, or the local server recording one. ``--demo`` plays :data:`DEMO_SCRIPT`.

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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import logging
import os
import queue
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from .commands import CommandRejected
from .driver import InteractionFailed, InteractionResult
from .models import Channel, ChannelType, Member, Message, walk_components
from .render import render_mentions, render_message, render_timestamps
from .server import LocalDiscord
from .snowflake import DISCORD_EPOCH_MS
from .world import Guild

log = logging.getLogger(__name__)

JSON = dict[str, Any]

#: Time compression for ``--demo``: a plan minute lasts two seconds. Much faster and the bot's
#: announcements trail the timer: its delivery keeps Discord's per-channel budget (about one
#: message a second once the burst is spent), so phases must last longer than that.
DEMO_SPEED = 30.0
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
"""


class ConsoleError(Exception):
    """A line the console cannot run; ``str(err)`` is the message for the person typing."""


# -- words ------------------------------------------------------------------------------------

_OPEN_QUOTES = {'"': '"', "'": "'", "“": "”", "„": "“", "‘": "’"}


@dataclass
class Word:
    """One whitespace-separated word; ``parts`` keeps which pieces were quoted."""

    parts: list[tuple[str, bool]]

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)

    @property
    def quoted(self) -> bool:
        return any(quoted for _, quoted in self.parts)

    def split(self, separators: str) -> tuple[str, str, bool] | None:
        """(key, value, value_quoted) at the first unquoted separator, or None."""
        key: list[str] = []
        for index, (text, quoted) in enumerate(self.parts):
            if not quoted:
                for at, char in enumerate(text):
                    if char in separators:
                        key.append(text[:at])
                        rest = [(text[at + 1 :], False), *self.parts[index + 1 :]]
                        value = "".join(t for t, _ in rest)
                        return "".join(key), value, any(q for _, q in rest)
            key.append(text)
        return None


def split_words(line: str) -> list[Word]:
    """Split a console line into words.

    Double quotes (and single quotes) group words when they open a word or a value (right
    after ``name:`` or ``key=``): ``text:"draft chapter 3"``. Elsewhere a quote is just a
    character, so ``text:Sam's notes`` works. Inside quotes, ``\\"`` is a quote.
    """
    words: list[Word] = []
    parts: list[tuple[str, bool]] = []
    buf: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char.isspace():
            if buf:
                parts.append(("".join(buf), False))
                buf = []
            if parts:
                words.append(Word(parts))
                parts = []
            i += 1
            continue
        opens = (not buf and not parts) or (bool(buf) and buf[-1] in ":=")
        if char in _OPEN_QUOTES and opens:
            close = _OPEN_QUOTES[char]
            if buf:
                parts.append(("".join(buf), False))
                buf = []
            j = i + 1
            quoted: list[str] = []
            while j < len(line) and line[j] != close:
                if line[j] == "\\" and j + 1 < len(line) and line[j + 1] in (close, "\\"):
                    j += 1
                quoted.append(line[j])
                j += 1
            if j >= len(line):
                raise ConsoleError(f"a quote ({char}) is not closed: {line[i:]!r}")
            parts.append(("".join(quoted), True))
            i = j + 1
            continue
        buf.append(char)
        i += 1
    if buf:
        parts.append(("".join(buf), False))
    if parts:
        words.append(Word(parts))
    return words


def _quote(value: str) -> str:
    return value if value and not re.search(r"\s|[\"']", value) else '"' + value.replace(
        '"', '\\"'
    ) + '"'


def _norm(text: str) -> str:
    """Case- and emoji-insensitive form for matching labels typed by hand."""
    return " ".join(re.sub(r"[^\w#/@'?.-]+", " ", text).split()).casefold()


def _unescape(value: str) -> str:
    return re.sub(r"\\(n|t|\\)", lambda m: {"n": "\n", "t": "\t", "\\": "\\"}[m[1]], value)


# -- the synced command schema ----------------------------------------------------------------

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
_TYPE_NAMES = {
    3: "text",
    4: "whole number",
    5: "true/false",
    6: "member (@name)",
    7: "channel (#name)",
    8: "role (@name)",
    9: "member or role",
    10: "number",
    11: "file",
}
_CHANNEL_TYPE_NAMES = {
    0: "text channel",
    2: "voice channel",
    4: "category",
    5: "announcement channel",
    10: "thread",
    11: "thread",
    12: "private thread",
    13: "stage",
    15: "forum",
}


@dataclass
class Leaf:
    """One runnable command path (``"sprint start"``) with its declared options."""

    path: str
    description: str
    options: list[JSON]


def _leaves(command: JSON) -> list[Leaf]:
    options = command.get("options") or []
    nested = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not nested:
        return [Leaf(command["name"], command.get("description", ""), options)]
    out: list[Leaf] = []
    for option in nested:
        for leaf in _leaves(option):
            out.append(Leaf(f"{command['name']} {leaf.path}", leaf.description, leaf.options))
    return out


def _value_hint(option: JSON) -> str:
    kind = option.get("type", 3)
    hint = _TYPE_NAMES.get(kind, f"type {kind}")
    if kind == 7 and option.get("channel_types"):
        names = sorted({_CHANNEL_TYPE_NAMES.get(t, str(t)) for t in option["channel_types"]})
        hint = " or ".join(names) + " (#name)"
    low, high = option.get("min_value"), option.get("max_value")
    if low is not None or high is not None:
        hint += f" {'' if low is None else _num(low)}–{'' if high is None else _num(high)}"
    if option.get("max_length") is not None:
        hint += f", up to {option['max_length']} characters"
    if option.get("autocomplete"):
        hint += ", suggestions as you type"
    return hint


def _num(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _choices_text(option: JSON) -> str:
    names = []
    for choice in option.get("choices") or []:
        value, name = str(choice["value"]), choice["name"]
        names.append(value if value == name else f"{value} ({name})")
    return ", ".join(names)


def _short_hint(option: JSON) -> str:
    """A compact value placeholder: ``1–180``, ``pomodoro|50/10``, ``#voice``, ``@member``."""
    kind = option.get("type", 3)
    if option.get("choices"):
        return "|".join(str(c["value"]) for c in option["choices"])
    if kind in (4, 10):
        low, high = option.get("min_value"), option.get("max_value")
        if low is not None and high is not None:
            return f"{_num(low)}–{_num(high)}"
        return "number"
    if kind == 7:
        types = set(option.get("channel_types") or [])
        return "#voice" if types and types <= {2, 13} else "#channel"
    hint = {5: "true|false", 6: "@member", 8: "@role", 9: "@member|@role", 11: "file"}
    return hint.get(kind, "text?" if option.get("autocomplete") else "text")


def _usage(leaf: Leaf) -> str:
    words = [f"/{leaf.path}"]
    for option in leaf.options:
        shown = f"{option['name']}:{_short_hint(option)}"
        words.append(shown if option.get("required") else f"[{shown}]")
    return " ".join(words)


# -- the console ------------------------------------------------------------------------------


@dataclass
class _Field:
    key: str  # custom_id
    label: str
    paragraph: bool
    required: bool
    min_length: int
    max_length: int
    placeholder: str | None
    value: str | None


@dataclass
class _Form:
    actor: Member
    opened: InteractionResult
    title: str
    fields: list[_Field]


@dataclass
class _Problems:
    """Errors the bot logged (any logger, ERROR and above); the server keeps its own list."""

    records: list[logging.LogRecord] = field(default_factory=list)


class _ErrorCollector(logging.Handler):
    def __init__(self, sink: _Problems) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.records.append(record)


ReadLine = Callable[[str], Awaitable[str | None]]

_VERBS = {
    "as": "as NAME LINE — run one line as another member; `as NAME` alone switches to them",
    "in": "in #CHANNEL LINE — run one line in another channel",
    "channel": "channel #NAME — switch to a channel or thread (no name: where am I?)",
    "click": "click [N] LABEL — press a button on message #N, or on the newest message with it",
    "select": "select [N] OPTION... — choose options in the select menu on message #N (or newest)",
    "modal": "modal KEY=VALUE ... — fill in and send the open form (\\n for a new line)",
    "?": "/COMMAND OPTION:TEXT? — end a value with ? to see the bot's suggestions for it",
    "voice": "voice [NAME] join \"VOICE CHANNEL\" | voice [NAME] leave — move someone in voice",
    "say": "say TEXT — post a plain message as the current member",
    "wait": "wait SECONDS | wait for \"TEXT\" [within SECONDS] — pause, or wait until the bot"
    " shows TEXT (after what the previous `wait for` matched)",
    "expect": "expect \"TEXT\" [within SECONDS] — the bot must show TEXT in answer to the last"
    " command or click (scripts fail if not)",
    "transcript": "transcript [#CHANNEL] — every message in a channel, as you see it",
    "members": "members — who is here, and who is in voice",
    "channels": "channels — the channels and threads",
    "echo": "echo TEXT — print a line (narration in scripts)",
    "help": "help [COMMAND] — this list, or one slash command in detail (help sprint start)",
    "quit": "quit (or Ctrl-D) — stop the bot and the local server",
}
_ALIASES = {"exit": "quit", "q": "quit", "?": "help"}
_DOUBLE_TIME = re.compile(r"(\d\d:\d\d) \(\1 \(([^()]*)\)\)")


class Console:
    """Runs console lines against a connected bot; prints what the members would see."""

    def __init__(
        self,
        server: LocalDiscord,
        guild: Guild,
        you: Member,
        *,
        out: TextIO,
        speed: float,
        bot: Any = None,
        problems: _Problems | None = None,
        interactive: bool = False,
        tty: bool = False,
    ) -> None:
        self.server = server
        self.world = server.world
        self.driver = server.driver
        self.guild = guild
        self.bot = bot
        self.you = you
        self.actor = you
        self.channel = guild.channel("coworking")
        self.out = out
        self.speed = speed
        self.interactive = interactive
        self.tty = tty
        self.problems = problems or _Problems()
        self.read_line: ReadLine | None = None
        self.quit = False
        self.viewers: set[int] = {you.id}
        self.numbers: dict[int, int] = {}  # message id -> number shown
        self.by_number: dict[int, int] = {}
        self.shown: dict[int, list[str]] = {}  # message id -> lines last shown
        self.events: list[str] = []  # everything shown from the bot, for wait/expect
        self.mark = 0  # `expect` looks at events from here: the last action's start
        self.wait_cursor = 0  # `wait for` looks from here: after the previous match
        self.form: _Form | None = None
        # How long `click LABEL` waits for a message with that button to arrive: scripts run
        # ahead of the bot's delivery; someone typing doesn't need to wait for a typo.
        self.find_timeout = 2.0 if interactive else 10.0
        self.prompt_active: str | None = None
        self._changed = asyncio.Event()
        self._seen_errors = 0
        self._seen_records = 0
        self._inner_dispatch: Callable[[str, JSON, int | None], None] | None = None

    # -- attaching to the server ------------------------------------------------------------

    def attach(self) -> None:
        self.world.observers.append(self._observe)
        self._inner_dispatch = self.world.dispatch
        self.world.dispatch = self._dispatch

    def detach(self) -> None:
        with contextlib.suppress(ValueError):
            self.world.observers.remove(self._observe)
        if self._inner_dispatch is not None:
            self.world.dispatch = self._inner_dispatch
            self._inner_dispatch = None

    def _dispatch(self, event: str, data: JSON, guild_id: int | None) -> None:
        assert self._inner_dispatch is not None
        self._inner_dispatch(event, data, guild_id)
        if guild_id != self.guild.id:
            return
        try:
            if event == "THREAD_CREATE" and data.get("newly_created"):
                self._thread_created(data)
            elif event == "VOICE_CHANNEL_STATUS_UPDATE":
                channel = self.world.channels.get(int(data["id"]))
                status = self._text(data.get("status") or "") or "(cleared)"
                if channel is not None:
                    self._event(f"🔊 {channel.name} status: {status}")
        except Exception:  # never let printing break the server
            log.debug("console could not show %s", event, exc_info=True)

    def _thread_created(self, data: JSON) -> None:
        thread = self.world.channels.get(int(data["id"]))
        if thread is None:
            return
        parent = self.world.channels.get(thread.parent_id or 0)
        where = f" in #{parent.name}" if parent else ""
        on = f" (on #{self.numbers[thread.id]})" if thread.id in self.numbers else ""
        self._event(f"🧵 New thread “{thread.name}”{where}{on}")

    def _observe(self, kind: str, message: Message) -> None:
        try:
            self._show(kind, message)
        except Exception:
            log.debug("console could not show message %s", message.id, exc_info=True)

    # -- showing messages ------------------------------------------------------------------

    def _text(self, value: str) -> str:
        return render_timestamps(render_mentions(value, self.world))

    def _visible(self, message: Message) -> bool:
        return message.guild_id == self.guild.id and (
            message.ephemeral_for is None or message.ephemeral_for in self.viewers
        )

    def _where(self, message: Message) -> str:
        channel = self.world.channels.get(message.channel_id)
        if channel is None:
            return "#?"
        if channel.is_thread:
            parent = self.world.channels.get(channel.parent_id or 0)
            return f"#{parent.name if parent else '?'} › {channel.name}"
        if channel.type in (ChannelType.VOICE, ChannelType.STAGE):
            return f"🔊 {channel.name}"
        return f"#{channel.name}"

    def _render(self, message: Message) -> list[str]:
        text = render_message(message, self.world)
        text = _DOUBLE_TIME.sub(r"\1 (\2)", text)  # "<t:X:t> (<t:X:R>)": show the time once
        lines = text.split("\n")
        if message.ephemeral_for == self.you.id:
            lines[0] = lines[0].replace(
                f"only visible to {self.you.user.display_name}", "only visible to you"
            )
        return lines

    def _number(self, message: Message) -> int:
        if message.id not in self.numbers:
            number = len(self.numbers) + 1
            self.numbers[message.id] = number
            self.by_number[number] = message.id
        return self.numbers[message.id]

    def _block(self, message: Message, lines: list[str]) -> str:
        head = f"#{self._number(message)} {self._where(message)}"
        used = message.interaction or {}
        if used.get("name"):
            user = self.world.users.get(int((used.get("user") or {}).get("id", 0)))
            who = "you" if user is self.you.user else (user.display_name if user else "someone")
            head += f" · {who} used /{used['name']}"
        return "\n".join([head, *("   " + line for line in lines)])

    def _show(self, kind: str, message: Message) -> None:
        if not self._visible(message):
            return
        if kind == "delete":
            if self.shown.pop(message.id, None) is not None:
                self._event(f"🗑 #{self.numbers[message.id]} deleted", record=False)
            return
        if message.loading:
            return
        lines = self._render(message)
        before = self.shown.get(message.id)
        self.shown[message.id] = lines
        full = self._block(message, lines)
        if before is None:
            self._event(full, match=full)
            return
        diff = _diff(before, lines)
        if diff is None:
            return
        self._event(f"✎ #{self.numbers[message.id]} edited" + "".join(
            f"\n   {line}" for line in diff
        ), match=full)

    def _event(self, text: str, *, match: str | None = None, record: bool = True) -> None:
        if record:
            self.events.append(match or text)
            self._changed.set()
            self._changed = asyncio.Event()
        self.write(text)

    def write(self, text: str) -> None:
        if self.prompt_active is not None and self.tty:
            buffer = _readline_buffer()
            self.out.write("\r\x1b[K" + text + "\n" + self.prompt_active + buffer)
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        """Console feedback (not bot output: ``expect`` never matches it)."""
        self.write(text)

    def error(self, text: str) -> None:
        self.write(f"✗ {text}")

    async def changed(self, timeout: float) -> None:  # noqa: ASYNC109
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    # -- prompt ------------------------------------------------------------------------------

    def prompt(self) -> str:
        who = "you" if self.actor is self.you else self.actor.name
        channel = self.channel.name if self.channel.is_thread else f"#{self.channel.name}"
        return f"{who} in {channel}> "

    # -- lookups -----------------------------------------------------------------------------

    def member(self, name: str) -> Member:
        key = name.strip().lstrip("@")
        if key.casefold() in ("you", "me", "myself"):
            return self.you
        members = [m for m in self.guild.members.values() if not m.user.bot]
        for exact in (True, False):
            for m in members:
                names = [m.user.username, m.nick, m.user.global_name]
                if any(n and (n == key if exact else n.casefold() == key.casefold())
                       for n in names):
                    return m
        known = ", ".join(self._member_names())
        raise ConsoleError(f"there is no member {name!r} here; members: {known}")

    def _member_names(self) -> list[str]:
        names = ["you"]
        names += [
            m.user.username for m in self.guild.members.values()
            if not m.user.bot and m is not self.you and m.user.id != self.guild.owner_id
        ]
        return names

    def channel_named(self, name: str, *, kinds: set[ChannelType] | None = None) -> Channel:
        key = name.strip()
        key = key[1:] if key.startswith("#") and len(key) > 1 else key
        channels = [
            c for c in self.guild.channels.values()
            if c.type != ChannelType.CATEGORY and (kinds is None or c.type in kinds)
        ]
        channels.sort(key=lambda c: (c.is_thread, -c.id if c.is_thread else c.id))
        tests: list[Callable[[Channel], bool]] = [
            lambda c: c.name == key,
            lambda c: c.name.casefold() == key.casefold(),
            lambda c: _norm(c.name) == _norm(key),
        ]
        for test in tests:
            found = [c for c in channels if test(c)]
            if found:
                return found[0]
        partial = [c for c in channels if _norm(key) and _norm(key) in _norm(c.name)]
        if len({c.id for c in partial}) >= 1 and (
            len(partial) == 1 or all(c.is_thread for c in partial)
        ):
            return partial[0]  # the newest thread whose name contains it
        known = ", ".join(
            f"#{c.name}" if c.type == ChannelType.TEXT else f"“{c.name}”" for c in channels
        )
        raise ConsoleError(f"there is no channel {name!r}; channels: {known}")

    def role_named(self, name: str) -> Any:
        key = name.strip().lstrip("@")
        for role in self.guild.roles.values():
            if role.name.lstrip("@").casefold() == key.casefold():
                return role
        roles = ", ".join("@" + r.name.lstrip("@") for r in self.guild.roles.values())
        raise ConsoleError(f"there is no role {name!r}; roles: {roles}")

    # -- the schema --------------------------------------------------------------------------

    def commands(self) -> dict[str, JSON]:
        synced = {**self.world.global_commands, **self.guild.commands}
        return {
            name: c for name, c in sorted(synced.items()) if c.get("type", 1) == 1
        }

    def leaves(self) -> list[Leaf]:
        return [leaf for command in self.commands().values() for leaf in _leaves(command)]

    def leaf(self, words: list[str]) -> tuple[Leaf, int]:
        """The command a line names, and how many words the path used."""
        commands = self.commands()
        if not words:
            raise ConsoleError("type a command after the slash, e.g. /sprint start")
        top = words[0].lstrip("/").casefold()
        command = commands.get(top)
        if command is None:
            raise ConsoleError(self._unknown(words[0].lstrip("/"), words[1:]))
        node, used = command, 1
        path = [command["name"]]
        while True:
            subs = [
                o for o in node.get("options") or []
                if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ]
            if not subs:
                break
            names = [s["name"] for s in subs]
            word = words[used].casefold() if used < len(words) else None
            if word is None or ":" in word:
                raise ConsoleError(
                    f"/{' '.join(path)} needs one of: {', '.join(names)}. "
                    f"Try `help {' '.join(path)}`."
                )
            sub = next((s for s in subs if s["name"] == word), None)
            if sub is None:
                close = difflib.get_close_matches(word, names, n=1, cutoff=0.5)
                hint = f" Did you mean /{' '.join([*path, close[0]])}?" if close else ""
                raise ConsoleError(
                    f"/{' '.join(path)} has no subcommand {words[used]!r}.{hint} "
                    f"It has: {', '.join(names)}."
                )
            node, used = sub, used + 1
            path.append(sub["name"])
        full = " ".join(path)
        leaf = next(x for x in self.leaves() if x.path == full)
        return leaf, used

    def _unknown(self, word: str, rest: list[str], *, slash: bool = True) -> str:
        names = list(self.commands())
        close = difflib.get_close_matches(word.casefold(), names, n=1, cutoff=0.5)
        if not close:
            paths = [leaf.path for leaf in self.leaves()]
            guess = " ".join([word, *rest[:1]]).casefold()
            close = difflib.get_close_matches(guess, paths, n=1, cutoff=0.5)
        hint = f" Did you mean /{close[0]}?" if close else ""
        verbs = difflib.get_close_matches(word.casefold(), list(_VERBS), n=1, cutoff=0.75)
        if verbs and (not close or not slash):
            hint = f" Did you mean `{verbs[0]}`?"
        what = f"command /{word}" if slash else f"command {word!r}"
        return f"unknown {what}.{hint} Type `help` to see every command."

    def _options(self, leaf: Leaf, words: list[Word]) -> dict[str, Any]:
        """``name:value`` words -> driver options (words without ``name:`` continue a text)."""
        declared = {o["name"]: o for o in leaf.options}
        given: dict[str, list[str]] = {}
        quoted: dict[str, bool] = {}
        last: str | None = None
        for word in words:
            split = word.split(":")
            name = split[0].casefold() if split is not None else ""
            if split is not None and name in declared:
                if name in given:
                    raise ConsoleError(f"option {name!r} is given twice")
                given[name] = [split[1]] if split[1] or split[2] else []
                quoted[name] = split[2]
                last = name
                continue
            if last is not None and declared[last].get("type") == 3 and not quoted[last]:
                given[last].append(word.text)
                continue
            if split is not None and split[0]:
                close = difflib.get_close_matches(split[0].casefold(), list(declared), n=1)
                hint = f" Did you mean {close[0]}?" if close else ""
                allowed = ", ".join(declared) or "none"
                raise ConsoleError(
                    f"/{leaf.path} has no option {split[0]!r}.{hint} Its options: {allowed}. "
                    f"Try `help {leaf.path}`."
                )
            expected = ", ".join(f"{n}:…" for n in declared) or "no options"
            raise ConsoleError(
                f"I don't know where {word.text!r} goes: write options as name:value "
                f"({expected}). Quote values with spaces: text:\"like this\"."
            )
        values: dict[str, Any] = {}
        for name, pieces in given.items():
            raw = " ".join(pieces)
            if raw == "" and not quoted[name]:
                raise ConsoleError(f"option {name!r} has no value: write {name}:VALUE")
            values[name] = self._value(declared[name], raw)
        return values

    def _value(self, option: JSON, raw: str) -> Any:
        kind = option.get("type")
        if kind == 6:
            return self.member(raw)
        if kind == 7:
            return self.channel_named(raw)
        if kind == 8:
            return self.role_named(raw)
        if kind == 9:
            try:
                return self.member(raw)
            except ConsoleError:
                return self.role_named(raw)
        if kind == 5:
            lowered = raw.casefold()
            if lowered in ("yes", "on", "y", "1", "true"):
                return True
            if lowered in ("no", "off", "n", "0", "false"):
                return False
            raise ConsoleError(f"option {option['name']!r} is true or false, not {raw!r}")
        if option.get("choices"):
            for choice in option["choices"]:
                if raw.casefold() in (str(choice["value"]).casefold(), choice["name"].casefold()):
                    return choice["value"]
            raise ConsoleError(
                f"option {option['name']!r} is one of: {_choices_text(option)} (not {raw!r})"
            )
        return raw

    # -- help --------------------------------------------------------------------------------

    def help(self, words: list[str]) -> None:
        if words:
            key = words[0].casefold()
            verb = key if key in _VERBS else _ALIASES.get(key, key)
            if len(words) == 1 and verb in _VERBS:
                self.note(_VERBS[verb])
                if verb not in self.commands():
                    return
            try:
                leaf, _ = self.leaf([w.lstrip("/") for w in words])
            except ConsoleError:
                prefix = " ".join(w.lstrip("/") for w in words).casefold()
                matches = [x for x in self.leaves() if x.path.startswith(prefix)]
                if not matches:
                    raise
                self.note("\n".join(f"{_usage(x)}\n    {x.description}" for x in matches))
                return
            self.note(self._leaf_help(leaf))
            return
        lines = [
            "Slash commands, as the bot synced them ([optional], text? = the bot suggests values;"
            " `help sprint start` explains each option):",
        ]
        for leaf in self.leaves():
            lines.append(f"  {_usage(leaf)}")
            lines.append(f"      {leaf.description}")
        lines.append("")
        lines.append("Console (you are `you`, the server owner; alice, bob and cat are here too):")
        lines.extend(f"  {text}" for text in _VERBS.values())
        lines.append(
            "  Options are name:value; quote values with spaces (text:\"draft chapter 3\"); "
            "channels as #name or \"Focus Room\", members as @alice."
        )
        self.note("\n".join(lines))

    def _leaf_help(self, leaf: Leaf) -> str:
        lines = [f"/{leaf.path} — {leaf.description}", f"  usage: {_usage(leaf)}"]
        if not leaf.options:
            lines.append("  (no options)")
        width = max((len(o["name"]) for o in leaf.options), default=0)
        for option in leaf.options:
            need = "required" if option.get("required") else "optional"
            lines.append(
                f"  {option['name']:<{width}}  {need}, {_value_hint(option)}"
                f" — {option.get('description', '')}"
            )
            if option.get("choices"):
                lines.append(f"  {'':<{width}}  one of: {_choices_text(option)}")
        return "\n".join(lines)

    # -- running lines -----------------------------------------------------------------------

    async def run_line(self, line: str) -> None:
        words = split_words(line)
        if not words:
            return
        actor, channel = self.actor, self.channel
        while len(words) >= 2 and not words[0].quoted and words[0].text.casefold() in ("as", "in"):
            if words[0].text.casefold() == "as":
                actor = self.member(words[1].text)
            else:
                channel = self.channel_named(words[1].text)
            words = words[2:]
        if not words:  # `as alice` / `in #x` on their own switch for the following lines
            if actor is not self.actor:
                self.actor = actor
                self.note(f"You are now acting as {actor.user.display_name}.")
            if channel is not self.channel:
                self._switch(channel)
            return
        head = words[0].text
        verb = _ALIASES.get(head.casefold(), head.casefold())
        interacts = head.startswith("/") or verb in ("click", "select", "say") or (
            verb not in _VERBS and head.casefold() in self.commands()
        )
        if self.form is not None and interacts:
            self.note("(the open form was closed without sending)")
            self.form = None
        if head.startswith("/"):
            await self.slash(actor, channel, words)
        elif verb in _VERBS and not words[0].quoted:
            await self._verb(verb, actor, channel, words[1:])
        elif head.casefold() in self.commands():
            await self.slash(actor, channel, words)
        else:
            raise ConsoleError(self._unknown(head, [w.text for w in words[1:]], slash=False))

    async def _verb(self, verb: str, actor: Member, channel: Channel, words: list[Word]) -> None:
        texts = [w.text for w in words]
        if verb == "help":
            self.help(texts)
        elif verb == "quit":
            self.quit = True
        elif verb == "channel":
            if not words:
                self.note(f"You are in {self._where_channel(self.channel)}.")
            else:
                self._switch(self.channel_named(" ".join(texts)))
        elif verb in ("as", "in"):
            raise ConsoleError(f"`{verb}` needs a name, e.g. {_VERBS[verb].split(' — ')[0]}")
        elif verb == "click":
            await self.click(actor, words)
        elif verb == "select":
            await self.select(actor, words)
        elif verb == "modal":
            await self.modal(actor, words)
        elif verb == "voice":
            self.voice(actor, texts)
        elif verb == "say":
            if not texts:
                raise ConsoleError("say what? e.g. say Anyone up for a sprint?")
            self.viewers.add(actor.id)
            await self.driver.send_message(actor, channel, " ".join(texts))
        elif verb == "wait":
            await self.wait(words)
        elif verb == "expect":
            await self.expect(words)
        elif verb == "transcript":
            target = self.channel_named(" ".join(texts)) if texts else channel
            self.transcript(target)
        elif verb == "members":
            self.members()
        elif verb == "channels":
            self.channels()
        elif verb == "echo":
            self.note(" ".join(texts))

    def _where_channel(self, channel: Channel) -> str:
        if channel.is_thread:
            parent = self.world.channels.get(channel.parent_id or 0)
            return f"the thread “{channel.name}” in #{parent.name if parent else '?'}"
        return f"#{channel.name}"

    def _switch(self, channel: Channel) -> None:
        self.channel = channel
        self.note(f"Now in {self._where_channel(channel)}.")

    # -- slash commands ----------------------------------------------------------------------

    async def slash(self, actor: Member, channel: Channel, words: list[Word]) -> None:
        path = [w.text for w in words]
        path[0] = path[0].lstrip("/")
        if not path[0]:
            path = path[1:]
        leaf, used = self.leaf(path)
        options = self._options(leaf, words[used:])
        declared = {o["name"]: o for o in leaf.options}
        asking = [
            name for name, value in options.items()
            if isinstance(value, str) and value.endswith("?") and declared[name].get("autocomplete")
        ]
        if asking:
            await self.suggest(actor, channel, leaf, asking[0], options)
            return
        self.viewers.add(actor.id)
        self.mark = len(self.events)
        try:
            result = await self.driver.slash(actor, channel, leaf.path, **options)
        except CommandRejected as exc:
            raise ConsoleError(f"{exc}. See `help {leaf.path}`.") from None
        await self._settle(actor, result, f"/{leaf.path}")

    async def suggest(
        self, actor: Member, channel: Channel, leaf: Leaf, name: str, options: dict[str, Any]
    ) -> None:
        """``/done goal:dra?``: what the bot suggests while that option is being typed."""
        typed = str(options[name])[:-1]
        others = {k: v for k, v in options.items() if k != name}
        try:
            choices = await self.driver.autocomplete(
                actor, channel, leaf.path, name, typed, **others
            )
        except (CommandRejected, InteractionFailed) as exc:
            raise ConsoleError(f"no suggestions for {name}: {exc}") from None
        if not choices:
            self.note(f"The bot suggests nothing for {name}:{typed!r}.")
            return
        lines = [f"The bot suggests for {name}:{typed!r} (use the value):"]
        for choice in choices:
            value, label = str(choice["value"]), choice["name"]
            lines.append(f"  {name}:{_quote(value)}" + (f"  — {label}" if label != value else ""))
        self.note("\n".join(lines))

    async def _settle(self, actor: Member, result: InteractionResult, what: str) -> None:
        """Wait for the bot's answer so it is shown before the next prompt."""
        try:
            kind = await result.response(timeout=5)
            if kind == 9:
                await self._opened(actor, result)
            elif kind in (4, 5):
                await result.message(timeout=20)
        except InteractionFailed as exc:
            raise ConsoleError(f"{what}: {exc}") from None

    # -- components --------------------------------------------------------------------------

    def _message_number(self, word: str) -> int | None:
        match = re.fullmatch(r"#?(\d+)", word)
        return int(match[1]) if match else None

    def _numbered(self, number: int, actor: Member) -> Message:
        message_id = self.by_number.get(number)
        message = self.world.messages.get(message_id or 0)
        if message is None:
            raise ConsoleError(f"there is no message #{number} (it may have been deleted)")
        if not message.visible_to(actor.id):
            raise ConsoleError(
                f"#{number} is only visible to {self._owner_name(message)}; "
                f"{actor.user.display_name} can't click on it"
            )
        return message

    def _name(self, member: Member) -> str:
        return "you" if member is self.you else member.user.display_name

    def _owner_name(self, message: Message) -> str:
        user = self.world.users.get(message.ephemeral_for or 0)
        return "you" if user is self.you.user else (user.display_name if user else "someone")

    async def _newest(
        self, actor: Member, test: Callable[[Message], bool], what: str, timeout: float = 10.0  # noqa: ASYNC109
    ) -> Message:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            candidates = [
                m for m in self.world.messages.values()
                if m.guild_id == self.guild.id and m.visible_to(actor.id) and not m.loading
                and test(m)
            ]
            if candidates:
                return max(candidates, key=lambda m: m.id)
            left = deadline - loop.time()
            if left <= 0:
                raise ConsoleError(f"no message {what} within {timeout:g}s")
            await self.changed(min(left, 0.25))

    async def click(self, actor: Member, words: list[Word]) -> None:
        texts = [w.text for w in words]
        if not texts:
            raise ConsoleError("click what? e.g. `click Join` or `click 12 Join`")
        number = self._message_number(texts[0])
        if number is not None and len(texts) == 1:
            message = self._numbered(number, actor)
            labels = ", ".join(b.get("label") or "?" for b in message.buttons)
            raise ConsoleError(
                f"click which button on #{number}? "
                + (f"It has: {labels}" if labels else "It has no buttons.")
            )
        label = " ".join(texts[1:] if number is not None else texts)
        if number is not None:
            message = self._numbered(number, actor)
            button = _button(message, label)
            if button is None:
                labels = ", ".join(b.get("label") or "?" for b in message.buttons)
                raise ConsoleError(
                    f"#{number} has no button {label!r}"
                    + (f"; its buttons: {labels}" if labels else " (it has no buttons)")
                )
        else:
            message = await self._newest(
                actor, lambda m: _button(m, label) is not None,
                f"with a {label!r} button visible to {self._name(actor)}",
                timeout=self.find_timeout,
            )
            button = _button(message, label)
            assert button is not None
        key = button.get("custom_id") or button.get("label") or label
        self.viewers.add(actor.id)
        self.mark = len(self.events)
        try:
            result = await self.driver.click(actor, message, key)
        except CommandRejected as exc:
            raise ConsoleError(str(exc)) from None
        await self._settle(actor, result, f"the {button.get('label') or key!r} button")

    async def select(self, actor: Member, words: list[Word]) -> None:
        texts = [w.text for w in words]
        number = self._message_number(texts[0]) if texts else None
        wanted = texts[1:] if number is not None else texts

        def menus(message: Message) -> list[JSON]:
            return [c for c in message.walk_components() if c.get("type") in (3, 5, 6, 7, 8)]

        if number is not None:
            message = self._numbered(number, actor)
        else:
            message = await self._newest(
                actor, lambda m: bool(menus(m)),
                f"with a select menu visible to {self._name(actor)}",
                timeout=self.find_timeout,
            )
        found = menus(message)
        if not found:
            raise ConsoleError(f"#{self._number(message)} has no select menu")
        if not wanted:
            lines = [f"#{self._number(message)}: choose with `select {self._number(message)} "
                     "OPTION`; options:"]
            for menu in found:
                options = [o.get("label", o.get("value")) for o in menu.get("options", [])]
                lines.append(f"  {menu.get('placeholder') or 'select'}: {', '.join(options)}")
            raise ConsoleError("\n".join(lines))
        for menu in found:
            values = self._menu_values(menu, wanted)
            if values is not None:
                break
        else:
            offered = "; ".join(
                ", ".join(o.get("label", "") for o in menu.get("options", [])) for menu in found
            )
            raise ConsoleError(f"no select menu on #{self._number(message)} offers {wanted}; "
                               f"options: {offered}")
        self.viewers.add(actor.id)
        self.mark = len(self.events)
        try:
            result = await self.driver.select(actor, message, menu["custom_id"], values)
        except CommandRejected as exc:
            raise ConsoleError(str(exc)) from None
        await self._settle(actor, result, f"the {menu.get('placeholder') or 'select'} menu")

    def _menu_values(self, menu: JSON, wanted: list[str]) -> list[str] | None:
        kind = menu.get("type")
        if kind == 3:
            values = []
            for text in wanted:
                option = next(
                    (o for o in menu.get("options", [])
                     if text in (o.get("value"), o.get("label"))
                     or _norm(text) == _norm(o.get("label", ""))),
                    None,
                )
                if option is None:
                    return None
                values.append(option["value"])
            return values
        resolved: list[str] = []
        for text in wanted:
            if kind == 5:
                resolved.append(str(self.member(text).id))
            elif kind == 6:
                resolved.append(str(self.role_named(text).id))
            elif kind == 8:
                resolved.append(str(self.channel_named(text).id))
            else:
                try:
                    resolved.append(str(self.member(text).id))
                except ConsoleError:
                    resolved.append(str(self.role_named(text).id))
        return resolved

    # -- forms -------------------------------------------------------------------------------

    async def _opened(self, actor: Member, result: InteractionResult) -> None:
        modal = await result.modal()
        fields = _modal_fields(modal)
        form = _Form(actor, result, modal.get("title", "Form"), fields)
        who = "You" if actor is self.you else actor.user.display_name
        lines = [f"📝 {who} opened a form: “{form.title}”"]
        for f in fields:
            traits = ["several lines" if f.paragraph else "one line"]
            traits.append("required" if f.required else "optional")
            traits.append(
                f"up to {f.max_length} characters" if f.min_length <= 1
                else f"{f.min_length}–{f.max_length} characters"
            )
            lines.append(f"   • {f.label} [{f.key}] ({', '.join(traits)})")
            if f.value:
                lines.append(f"     already filled in: {f.value}")
        self.form = form
        if self.interactive and self.tty and self.read_line is not None:
            self.note("\n".join(lines))
            await self._fill_interactively(form)
        else:
            example = " ".join(f'{_key_hint(f)}="…"' for f in fields)
            lines.append(f"   fill it in with: modal {example}")
            self.note("\n".join(lines))

    async def _fill_interactively(self, form: _Form) -> None:
        assert self.read_line is not None
        values: dict[str, str] = {}
        self.note("   (type the answers; `cancel` closes the form without sending)")
        for f in form.fields:
            while True:
                if f.paragraph:
                    self.note(f"   {f.label} — several lines; an empty line ends it:")
                    collected: list[str] = []
                    while True:
                        line = await self.read_line("   … " if collected else "   > ")
                        if line is None or (not collected and line.strip() == "cancel"):
                            self.form = None
                            self.note("Form closed; nothing was sent.")
                            return
                        if not collected and line.startswith("modal "):
                            await self.run_line(line)
                            return
                        if line == "":
                            break
                        collected.append(line)
                    value = "\n".join(collected)
                else:
                    suffix = "" if f.required else " (optional, Enter to skip)"
                    line = await self.read_line(f"   {f.label}{suffix}: ")
                    if line is None or line.strip() == "cancel":
                        self.form = None
                        self.note("Form closed; nothing was sent.")
                        return
                    if line.startswith("modal "):
                        await self.run_line(line)
                        return
                    value = line
                problem = _field_problem(f, value)
                if problem is None:
                    break
                self.error(problem)
            if value:
                values[f.key] = value
        await self._submit(form, values)

    async def modal(self, actor: Member, words: list[Word]) -> None:
        form = self.form
        if form is None:
            raise ConsoleError(
                "no form is open: a button or command opens one (e.g. /goal with no text)"
            )
        values: dict[str, str] = {}
        for word in words:
            split = word.split("=")
            if split is None:
                if len(form.fields) == 1 and not values:
                    values[form.fields[0].key] = _unescape(word.text)
                    continue
                raise ConsoleError(
                    f"write modal fields as key=value; this form has: "
                    f"{', '.join(_key_hint(f) for f in form.fields)}"
                )
            key, value, _ = split
            values[self._field(form, key).key] = _unescape(value)
        if actor is not form.actor and actor is not self.actor:
            raise ConsoleError(f"only {form.actor.user.display_name} can send this form")
        for f in form.fields:
            problem = _field_problem(f, values.get(f.key, f.value or ""))
            if problem is not None:
                raise ConsoleError(problem)
        await self._submit(form, values)

    def _field(self, form: _Form, key: str) -> _Field:
        wanted = _norm(key)
        tests: list[Callable[[_Field], bool]] = [
            lambda f: key in (f.key, f.label),
            lambda f: wanted in (_norm(f.key), _norm(f.label)),
        ]
        for test in tests:
            found = [f for f in form.fields if test(f)]
            if found:
                return found[0]
        starts = [f for f in form.fields if _norm(f.label).startswith(wanted) and wanted]
        if len(starts) == 1:
            return starts[0]
        names = ", ".join(_key_hint(f) for f in form.fields)
        raise ConsoleError(f"the form “{form.title}” has no field {key!r}; fields: {names}")

    async def _submit(self, form: _Form, values: dict[str, str]) -> None:
        self.form = None
        self.mark = len(self.events)
        try:
            result = await self.driver.submit_modal(form.actor, form.opened, values)
        except CommandRejected as exc:
            self.form = form
            raise ConsoleError(str(exc)) from None
        await self._settle(form.actor, result, f"the form “{form.title}”")

    # -- voice -------------------------------------------------------------------------------

    def voice(self, actor: Member, texts: list[str]) -> None:
        usage = "voice [NAME] join \"VOICE CHANNEL\" or voice [NAME] leave"
        if not texts:
            raise ConsoleError(f"usage: {usage}")
        who = actor
        if texts[0].casefold() not in ("join", "leave"):
            who = self.member(texts[0])
            texts = texts[1:]
        if not texts or texts[0].casefold() not in ("join", "leave"):
            raise ConsoleError(f"usage: {usage}")
        name = "you" if who is self.you else who.user.display_name
        if texts[0].casefold() == "leave":
            state = self.guild.voice_states.get(who.id)
            if state is None:
                raise ConsoleError(f"{name} is not in a voice channel")
            left = self.world.channels.get(state.channel_id)
            self.driver.voice_leave(who)
            self.note(f"🔈 {name} left {left.name if left else 'voice'}")
            return
        if len(texts) < 2:
            raise ConsoleError(f"join which voice channel? usage: {usage}")
        target = self.channel_named(" ".join(texts[1:]), kinds={ChannelType.VOICE,
                                                               ChannelType.STAGE})
        self.mark = len(self.events)
        self.driver.voice_join(who, target)
        self.note(f"🔊 {name} joined {target.name}")

    # -- waiting -----------------------------------------------------------------------------

    def _wait_args(self, words: list[Word], default: float) -> tuple[str, float]:
        if not words:
            raise ConsoleError('say what to look for, in quotes: expect "You\'re in"')
        texts = [w.text for w in words]
        timeout = default
        if len(texts) >= 3 and texts[-2].casefold() == "within":
            try:
                timeout = float(texts[-1].rstrip("s"))
            except ValueError:
                raise ConsoleError(f"within takes seconds, not {texts[-1]!r}") from None
            texts = texts[:-2]
        return " ".join(texts), timeout

    async def wait(self, words: list[Word]) -> None:
        if words and words[0].text.casefold() == "for" and not words[0].quoted:
            needle, timeout = self._wait_args(words[1:], 30 + 1800 / self.speed)
            found = await self._find_event(needle, timeout, self.wait_cursor)
            self.wait_cursor = found + 1
            return
        if len(words) != 1:
            raise ConsoleError('usage: wait SECONDS, or wait for "TEXT" [within SECONDS]')
        try:
            seconds = float(words[0].text.rstrip("s"))
        except ValueError:
            raise ConsoleError(f"wait takes seconds (e.g. wait 5), not {words[0].text!r}") from None
        if not 0 <= seconds <= 3600:
            raise ConsoleError("wait between 0 and 3600 seconds")
        await asyncio.sleep(seconds)

    async def expect(self, words: list[Word]) -> None:
        needle, timeout = self._wait_args(words, 10.0)
        await self._find_event(needle, timeout, self.mark)

    async def _find_event(self, needle: str, timeout: float, start: int) -> int:  # noqa: ASYNC109
        """The first event from ``start`` on whose text contains ``needle`` (any case)."""
        wanted = needle.casefold()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index in range(start, len(self.events)):
                if wanted in self.events[index].casefold():
                    return index
            start = len(self.events)
            left = deadline - loop.time()
            if left <= 0:
                raise ConsoleError(f"{needle!r} did not appear within {timeout:g}s")
            await self.changed(min(left, 1.0))

    # -- looking around ----------------------------------------------------------------------

    def transcript(self, channel: Channel) -> None:
        messages = [
            m for m in channel.messages.values() if self._visible(m) and not m.loading
        ]
        if not messages:
            self.note(f"{self._where_channel(channel)} has no messages yet.")
            return
        self.note(f"── {self._where_channel(channel)}: {len(messages)} messages ──")
        for message in sorted(messages, key=lambda m: m.id):
            lines = self._render(message)
            self.shown.setdefault(message.id, lines)
            self.note(self._block(message, lines))

    def members(self) -> None:
        lines = []
        for m in self.guild.members.values():
            if m.user.id == self.guild.owner_id and m is not self.you:
                continue
            if m.user.bot:
                name = f"{m.user.display_name} — the bot"
            elif m is self.you:
                name = "you — the server owner (you may manage everything)"
            else:
                name = f"{m.user.username} ({m.user.display_name})"
            state = self.guild.voice_states.get(m.id)
            if state is not None:
                voice = self.world.channels.get(state.channel_id)
                name += f" — in voice: {voice.name if voice else '?'}"
            lines.append(f"  {name}")
        self.note("Members:\n" + "\n".join(lines))

    def channels(self) -> None:
        lines = []
        for c in sorted(self.guild.channels.values(), key=lambda c: c.id):
            if c.type == ChannelType.CATEGORY:
                continue
            if c.is_thread:
                parent = self.world.channels.get(c.parent_id or 0)
                lines.append(f"  🧵 {c.name} (thread in #{parent.name if parent else '?'})")
            elif c.type == ChannelType.VOICE:
                status = f" — status: {self._text(c.status)}" if c.status else ""
                lines.append(f"  🔊 {c.name}{status}")
            else:
                lines.append(f"  #{c.name}")
        self.note("Channels:\n" + "\n".join(lines))

    # -- problems ----------------------------------------------------------------------------

    def new_problems(self) -> list[str]:
        found = []
        errors = self.server.errors
        for error in errors[self._seen_errors :]:
            found.append(f"the local server recorded {error.kind}: {error.method} {error.path}: "
                         f"{error.detail}")
        self._seen_errors = len(errors)
        records = self.problems.records
        for record in records[self._seen_records :]:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            found.append(f"the bot logged an error ({record.name}): {text}")
        self._seen_records = len(records)
        return found

    async def idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Let the bot deliver what it queued (best effort)."""
        delivery = getattr(self.bot, "delivery", None)
        if delivery is None or not hasattr(delivery, "wait_idle"):
            await asyncio.sleep(0.2)
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await delivery.wait_idle()
        await asyncio.sleep(0.1)

    # -- the two ways to run -----------------------------------------------------------------

    async def play(self, lines: list[tuple[int, str]], *, name: str) -> int:
        """Play script lines; 0 when every step passed, 1 at the first failing step."""
        for number, line in lines:
            self.write(f"{self.prompt()}{line}")
            try:
                await self.run_line(line)
            except ConsoleError as exc:
                return self._failed(name, number, line, str(exc))
            problems = self.new_problems()
            if problems:
                return self._failed(name, number, line, "; ".join(problems))
            if self.quit:
                break
        await self.idle()
        problems = self.new_problems()
        if problems:
            return self._failed(name, lines[-1][0] if lines else 0, "(end)", "; ".join(problems))
        self.note(f"✓ {name}: all {len(lines)} steps passed.")
        return 0

    def _failed(self, name: str, number: int, line: str, why: str) -> int:
        message = f"✗ {name}, line {number} failed: {line}\n  {why}"
        self.write(message)
        if self.out is not sys.stderr:
            print(message, file=sys.stderr, flush=True)
        return 1

    async def interact(self, read_line: ReadLine) -> int:
        self.read_line = read_line
        self.note(_banner(self))
        while not self.quit:
            line = await read_line(self.prompt())
            if line is None:
                self.write("")
                break
            try:
                await self.run_line(line)
            except ConsoleError as exc:
                self.error(str(exc))
            except Exception as exc:  # a console bug must not end the session
                log.debug("console line failed", exc_info=True)
                self.error(f"the console hit an internal error: {type(exc).__name__}: {exc}")
            for problem in self.new_problems():
                self.write(f"⚠ {problem}")
        return 0


def _banner(console: Console) -> str:
    guild = console.guild
    people = ", ".join(console._member_names()[1:])
    return (
        f"Sprintbot console: the real bot against a local Discord server (guild “{guild.name}”:"
        f" #coworking, #accountability, 🔊 Focus Room; you plus {people}).\n"
        f"Time runs at {console.speed:g}x. Type slash commands as yourself, e.g.\n"
        "  /sprint start work:25 break:5 rounds:4\n"
        "  as alice click Join\n"
        "`help` lists every command and console verb; `quit` or Ctrl-D leaves."
    )


def _diff(before: list[str], after: list[str]) -> list[str] | None:
    """The changed lines of an edit (- old / + new), or None when nothing visible changed."""

    def stable(line: str) -> str:
        line = re.sub(r" \((in [^()]*|[^()]* ago|now)\)", "", line)
        return line.replace(", edited)", ")").replace(" (edited)", "")

    old = [stable(x) for x in before]
    new = [stable(x) for x in after]
    if old == new:
        return None
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        out.extend(f"- {line.strip()}" for line in before[i1:i2])
        out.extend(f"+ {line.strip()}" for line in after[j1:j2])
    if len(out) > 14:
        return ["(now:)", *after]
    return out


def _button(message: Message, typed: str) -> JSON | None:
    buttons = [b for b in message.buttons if "custom_id" in b]
    tests: list[Callable[[JSON], bool]] = [
        lambda b: typed in (b.get("label"), b.get("custom_id")),
        lambda b: _norm(typed) == _norm(b.get("label") or ""),
    ]
    for test in tests:
        found = [b for b in buttons if test(b)]
        if found:
            enabled = [b for b in found if not b.get("disabled")]
            return (enabled or found)[0]
    return None


def _modal_fields(modal: JSON) -> list[_Field]:
    fields: list[_Field] = []

    def add(component: JSON, label: str | None) -> None:
        if component.get("type") != 4:
            return
        fields.append(
            _Field(
                key=component.get("custom_id", ""),
                label=label or component.get("label") or component.get("custom_id", "?"),
                paragraph=component.get("style") == 2,
                required=component.get("required", True),
                min_length=component.get("min_length", 0),
                max_length=component.get("max_length", 4000),
                placeholder=component.get("placeholder"),
                value=component.get("value"),
            )
        )

    for top in modal.get("components", []):
        if top.get("type") == 18 and isinstance(top.get("component"), dict):
            add(top["component"], top.get("label"))
        else:
            for component in walk_components([top]):
                add(component, None)
    return fields


def _key_hint(f: _Field) -> str:
    return f.key if re.fullmatch(r"[\w-]+", f.key) else f'"{f.label}"'


def _field_problem(f: _Field, value: str) -> str | None:
    if f.required and not value.strip():
        return f"“{f.label}” is required"
    if value and not f.min_length <= len(value) <= f.max_length:
        return f"“{f.label}” takes {f.min_length}–{f.max_length} characters; this is {len(value)}"
    return None


def _readline_buffer() -> str:
    module = sys.modules.get("readline")
    if module is None:
        return ""
    try:
        return str(module.get_line_buffer())
    except Exception:
        return ""


# -- input --------------------------------------------------------------------------------------


class _TerminalInput:
    """Reads lines with ``input()`` (readline editing) on a daemon thread, one per request.

    The thread only reads when the console asks, so nothing is left blocked on stdin after
    ``quit``; a daemon thread never holds up the exit after Ctrl-C.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.loop = asyncio.get_running_loop()
        self.requests: queue.Queue[str | None] = queue.Queue()
        self.waiting: asyncio.Future[str | None] | None = None
        self.thread = threading.Thread(target=self._run, name="console-input", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            prompt = self.requests.get()
            if prompt is None:
                return
            line: str | None
            try:
                line = input(prompt)
            except (EOFError, KeyboardInterrupt):
                line = None
            except Exception:
                line = None
            try:
                self.loop.call_soon_threadsafe(self._deliver, line)
            except RuntimeError:  # the loop is closed: we are exiting
                return

    def _deliver(self, line: str | None) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_result(line)

    async def read(self, prompt: str) -> str | None:
        self.waiting = self.loop.create_future()
        self.console.prompt_active = prompt
        self.requests.put(prompt)
        try:
            return await self.waiting
        finally:
            self.console.prompt_active = None

    def close(self) -> None:
        self.requests.put(None)


class _PipeInput:
    """Lines from a pipe or socket without blocking the event loop; echoed after the prompt."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.reader: asyncio.StreamReader | None = None
        self.transport: asyncio.BaseTransport | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(self.reader)
        self.transport, _ = await loop.connect_read_pipe(lambda: protocol, sys.stdin)

    async def read(self, prompt: str) -> str | None:
        assert self.reader is not None
        data = await self.reader.readline()
        if not data:
            return None
        line = data.decode("utf-8", errors="replace").rstrip("\r\n")
        self.console.write(prompt + line)
        return line

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _FileInput:
    """Lines from a regular file or /dev/null on stdin (reading never blocks for long)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def read(self, prompt: str) -> str | None:
        line = sys.stdin.readline()
        if not line:
            return None
        line = line.rstrip("\r\n")
        self.console.write(prompt + line)
        return line

    def close(self) -> None:
        pass


def _stdin_kind() -> str:
    try:
        fd = sys.stdin.fileno()
        if os.isatty(fd):
            return "tty"
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        return "none"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "pipe"
    return "file"


def _setup_readline(console: Console) -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return

    def words() -> list[str]:
        out = list(_VERBS) + [f"/{leaf.path}" for leaf in console.leaves()]
        out += [name for name in console._member_names()]
        out += ["#" + c.name for c in console.guild.channels.values() if not c.is_thread]
        return out

    def complete(text: str, state: int) -> str | None:
        buffer = readline.get_line_buffer()
        if buffer.startswith("/") and " " in buffer:
            matches = [
                leaf.path.split(" ", 1)[1]
                for leaf in console.leaves()
                if " " in leaf.path and leaf.path.startswith(buffer[1:].rsplit(" ", 1)[0])
                and leaf.path.split(" ", 1)[1].startswith(text)
            ]
        else:
            matches = [w for w in words() if w.startswith(text)]
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" \t\n")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


# -- main -------------------------------------------------------------------------------------


def _kept_note(url: str) -> str:
    return (
        f"(data kept in {url}: sprints, goals and settings carry over between sessions; the "
        "local server starts empty, so messages from earlier sessions are gone)"
    )


def _database_url(value: str | None, temp_dir: Path) -> str:
    if value is None:
        return f"sqlite+aiosqlite:///{temp_dir / 'console.sqlite3'}"
    if "://" in value:
        return value
    return f"sqlite+aiosqlite:///{Path(value).expanduser().resolve()}"


def _script_lines(text: str) -> list[tuple[int, str]]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append((number, line))
    return lines


def _setup_logging(level: str | None, sink: _Problems) -> Callable[[], None]:
    """Bot logs go to stderr at WARNING (or ``level``); errors are collected for scripts."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                          "%H:%M:%S"))
    stream.setLevel(level or logging.WARNING)
    collector = _ErrorCollector(sink)
    root.addHandler(stream)
    root.addHandler(collector)
    root.setLevel(min(logging.getLevelName(level) if level else logging.WARNING, logging.ERROR))
    # discord.py warns that voice libraries are missing; the bot's own reply already says so.
    quiet = {"apscheduler": logging.WARNING, "discord.client": logging.ERROR}
    previous = {name: logging.getLogger(name).level for name in quiet}
    for name, value in quiet.items():
        logging.getLogger(name).setLevel(max(value, root.level))

    def restore() -> None:
        root.removeHandler(stream)
        root.removeHandler(collector)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, value in previous.items():
            logging.getLogger(name).setLevel(value)

    return restore


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


@dataclass
class _Plan:
    speed: float
    script: list[tuple[int, str]] | None
    script_name: str
    database: str | None
    config: str | None
    log_level: str | None


def _plan(args: argparse.Namespace) -> _Plan:
    demo = bool(getattr(args, "demo", False))
    script_path = getattr(args, "script", None)
    if demo and script_path:
        raise ConsoleError("use either --demo or --script, not both")
    speed = getattr(args, "speed", None)
    if speed is None:
        speed = DEMO_SPEED if demo else 1.0
    if not 0.01 <= speed <= 3600:
        raise ConsoleError(f"--speed must be between 0.01 and 3600, not {speed:g}")
    script: list[tuple[int, str]] | None = None
    name = ""
    if demo:
        script, name = _script_lines(DEMO_SCRIPT), "the demo"
    elif script_path:
        try:
            text = Path(script_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConsoleError(f"cannot read the script {script_path}: {exc.strerror}") from None
        script, name = _script_lines(text), str(script_path)
    return _Plan(
        speed=float(speed),
        script=script,
        script_name=name,
        database=getattr(args, "database", None),
        config=getattr(args, "config", None),
        log_level=getattr(args, "log_level", None),
    )


async def _session(plan: _Plan, out: TextIO) -> int:
    from bot.core import create_bot
    from bot.settings import DiscordSettings, TimingSettings, load_settings
    from db.engine import Database, redact_url
    from db.migrate import upgrade

    from .testing import running_bot

    problems = _Problems()
    restore_logging = _setup_logging(plan.log_level, problems)
    temp_dir = Path(tempfile.mkdtemp(prefix="sprintbot-console-"))
    url = _database_url(plan.database, temp_dir)
    source: Any = None
    try:
        settings = load_settings(plan.config)
        await upgrade(url)
        database = Database.from_url(url)
        try:
            async with LocalDiscord() as server:
                settings = replace(
                    settings,
                    discord=DiscordSettings(
                        token=server.token,
                        api_base_url=server.api_base_url,
                        gateway_url=server.gateway_url,
                    ),
                    timing=TimingSettings(speed=plan.speed),
                    database=replace(settings.database, url=url),
                )
                guild, you = seed(server)
                bot = create_bot(settings, database=database)
                kind = "script" if plan.script is not None else _stdin_kind()
                console = Console(
                    server, guild, you, out=out, speed=plan.speed, bot=bot, problems=problems,
                    interactive=plan.script is None, tty=kind == "tty",
                )
                async with running_bot(server, bot, timeout=30):
                    await bot.tree.sync()
                    console.attach()
                    try:
                        if plan.script is not None:
                            if plan.database:
                                console.note(_kept_note(redact_url(url)))
                            return await console.play(plan.script, name=plan.script_name)
                        if kind == "tty":
                            _setup_readline(console)
                            source = _TerminalInput(console)
                        elif kind == "pipe":
                            source = _PipeInput(console)
                            await source.start()
                        else:
                            source = _FileInput(console)
                        if plan.database:
                            console.note(_kept_note(redact_url(url)))
                        return await console.interact(source.read)
                    finally:
                        console.detach()
                        if source is not None:
                            source.close()
        finally:
            await database.dispose()
    finally:
        restore_logging()
        shutil.rmtree(temp_dir, ignore_errors=True)


async def _main(plan: _Plan, out: TextIO) -> int:
    loop = asyncio.get_running_loop()
    session = asyncio.ensure_future(_session(plan, out))
    interrupted: list[int] = []

    def stop(signum: int) -> None:
        if not interrupted:
            interrupted.append(signum)
            session.cancel()

    installed = []
    signals = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):  # the terminal went away: still clean up
        signals.append(signal.SIGHUP)
    for signum in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop, signum)
            installed.append(signum)
    try:
        return await session
    except asyncio.CancelledError:
        if not interrupted:
            raise
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            out.write("\nStopped.\n")
            out.flush()
        return 128 + interrupted[0]
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def main(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """``sprintbot console``: returns the exit code (0 fine, 1 a script step failed, 2 usage)."""
    from bot.settings import ConfigError

    stream = out or sys.stdout
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:  # never die on a character the terminal can't show
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="replace")
    try:
        plan = _plan(args)
    except ConsoleError as exc:
        print(f"sprintbot console: {exc}", file=sys.stderr)
        return 2
    terminal = _terminal_state()
    try:
        return asyncio.run(_main(plan, stream))
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        _restore_terminal(terminal)


def _terminal_state() -> Any:
    try:
        import termios

        if sys.stdin.isatty():
            return termios.tcgetattr(sys.stdin.fileno())
    except (ImportError, OSError, ValueError, AttributeError):
        pass
    return None


def _restore_terminal(saved: Any) -> None:
    if saved is None:
        return
    with contextlib.suppress(Exception):
        import termios

        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)


__all__ = ["DEMO_SCRIPT", "DEMO_SPEED", "Console", "ConsoleError", "main", "seed", "split_words"]

"""What the console shows: the state of a session, messages as members see them, lookups.

:class:`ConsoleBase` holds a session's state and prints every message the bot posts (edits as a
diff); the command schema (:mod:`.schema`), forms (:mod:`.forms`) and the line runner
(:mod:`.session`) build on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from bot.localdiscord.models import Channel, ChannelType, Member, Message
from bot.localdiscord.render import render_mentions, render_message, render_timestamps
from bot.localdiscord.server import LocalDiscord
from bot.localdiscord.world import Guild

from .words import ConsoleError, norm

if TYPE_CHECKING:
    from .forms import Form

log = logging.getLogger(__name__)

JSON = dict[str, Any]
ReadLine = Callable[[str], Awaitable[str | None]]


@dataclass
class Problems:
    """Errors the bot logged (any logger, ERROR and above); the server keeps its own list."""

    records: list[logging.LogRecord] = field(default_factory=list)


class ErrorCollector(logging.Handler):
    def __init__(self, sink: Problems) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.records.append(record)


_DOUBLE_TIME = re.compile(r"(\d\d:\d\d) \(\1 \(([^()]*)\)\)")


class ConsoleBase:
    """A console session's state; prints what the members would see."""

    def __init__(
        self,
        server: LocalDiscord,
        guild: Guild,
        you: Member,
        *,
        out: TextIO,
        speed: float,
        bot: Any = None,
        problems: Problems | None = None,
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
        self.problems = problems or Problems()
        self.read_line: ReadLine | None = None
        self.quit = False
        self.viewers: set[int] = {you.id}
        self.numbers: dict[int, int] = {}  # message id -> number shown
        self.by_number: dict[int, int] = {}
        self.shown: dict[int, list[str]] = {}  # message id -> lines last shown
        self.events: list[str] = []  # everything shown from the bot, for wait/expect
        self.mark = 0  # `expect` looks at events from here: the last action's start
        self.wait_cursor = 0  # `wait for` looks from here: after the previous match
        self.form: Form | None = None
        # How long `click LABEL` waits for a message with that button to arrive: scripts run
        # ahead of the bot's delivery; someone typing doesn't need to wait for a typo.
        self.find_timeout = 2.0 if interactive else 10.0
        self.prompt_active: str | None = None
        self._changed = asyncio.Event()
        self._seen_errors = 0
        self._seen_records = 0
        self._inner_dispatch: Callable[[str, JSON, int | None], None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def run_line(self, line: str) -> None:
        """Run one console line (:class:`~bot.console.session.Console` does)."""
        raise NotImplementedError

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
            self._live_page_link(message)
            return
        diff = diff_lines(before, lines)
        if diff is None:
            return
        self._event(
            f"✎ #{self.numbers[message.id]} edited" + "".join(f"\n   {line}" for line in diff),
            match=full,
        )

    def _live_page_link(self, message: Message) -> None:
        """Under a new sprint card, the URL of its live page on the bot's own web server."""
        web = getattr(self.bot, "web", None)
        if web is None or web.port is None:
            return
        for component in message.walk_components():
            found = re.fullmatch(r"sprint:(\d+):join", str(component.get("custom_id", "")))
            if found is not None:
                task = asyncio.get_running_loop().create_task(self._note_link(int(found[1])))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                return

    async def _note_link(self, sprint_id: int) -> None:
        from bot.services.sprints import Actor

        try:
            view = await self.bot.services.sprints.get(sprint_id)
            link = await self.bot.services.sharing.share_sprint(
                sprint_id, Actor(view.host_id), show_people=True
            )
        except Exception:
            log.debug("no live page link for sprint %s", sprint_id, exc_info=True)
            return
        self.note(f"   🌐 live page (open it in your browser): {link.url}")

    def _event(self, text: str, *, match: str | None = None, record: bool = True) -> None:
        if record:
            self.events.append(match or text)
            self._changed.set()
            self._changed = asyncio.Event()
        self.write(text)

    def write(self, text: str) -> None:
        if self.prompt_active is not None and self.tty:
            buffer = readline_buffer()
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
                if any(
                    n and (n == key if exact else n.casefold() == key.casefold()) for n in names
                ):
                    return m
        known = ", ".join(self.member_names())
        raise ConsoleError(f"there is no member {name!r} here; members: {known}")

    def member_names(self) -> list[str]:
        names = ["you"]
        names += [
            m.user.username
            for m in self.guild.members.values()
            if not m.user.bot and m is not self.you and m.user.id != self.guild.owner_id
        ]
        return names

    def channel_named(self, name: str, *, kinds: set[ChannelType] | None = None) -> Channel:
        key = name.strip()
        key = key[1:] if key.startswith("#") and len(key) > 1 else key
        channels = [
            c
            for c in self.guild.channels.values()
            if c.type != ChannelType.CATEGORY and (kinds is None or c.type in kinds)
        ]
        channels.sort(key=lambda c: (c.is_thread, -c.id if c.is_thread else c.id))
        tests: list[Callable[[Channel], bool]] = [
            lambda c: c.name == key,
            lambda c: c.name.casefold() == key.casefold(),
            lambda c: norm(c.name) == norm(key),
        ]
        for test in tests:
            found = [c for c in channels if test(c)]
            if found:
                return found[0]
        partial = [c for c in channels if norm(key) and norm(key) in norm(c.name)]
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

    def _where_channel(self, channel: Channel) -> str:
        if channel.is_thread:
            parent = self.world.channels.get(channel.parent_id or 0)
            return f"the thread “{channel.name}” in #{parent.name if parent else '?'}"
        return f"#{channel.name}"

    def _switch(self, channel: Channel) -> None:
        self.channel = channel
        self.note(f"Now in {self._where_channel(channel)}.")

    def _name(self, member: Member) -> str:
        return "you" if member is self.you else member.user.display_name

    def _owner_name(self, message: Message) -> str:
        user = self.world.users.get(message.ephemeral_for or 0)
        return "you" if user is self.you.user else (user.display_name if user else "someone")

    # -- looking around ----------------------------------------------------------------------

    def transcript(self, channel: Channel) -> None:
        messages = [m for m in channel.messages.values() if self._visible(m) and not m.loading]
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
            found.append(
                f"the local server recorded {error.kind}: {error.method} {error.path}: "
                f"{error.detail}"
            )
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


def diff_lines(before: list[str], after: list[str]) -> list[str] | None:
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


def readline_buffer() -> str:
    module = sys.modules.get("readline")
    if module is None:
        return ""
    try:
        return str(module.get_line_buffer())
    except Exception:
        return ""

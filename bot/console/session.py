"""The console itself: runs console lines (slash commands, clicks, voice, waits) as members."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Callable
from typing import Any

from bot.localdiscord.commands import CommandRejected
from bot.localdiscord.driver import InteractionFailed
from bot.localdiscord.models import Channel, ChannelType, Member, Message

from .display import JSON, ReadLine
from .forms import FormsMixin
from .schema import Leaf, SchemaMixin
from .words import ALIASES, VERBS, ConsoleError, Word, norm, quote, split_words

log = logging.getLogger(__name__)


class Console(FormsMixin, SchemaMixin):
    """Runs console lines against a connected bot; prints what the members would see."""

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
        verb = ALIASES.get(head.casefold(), head.casefold())
        interacts = (
            head.startswith("/")
            or verb in ("click", "select", "say")
            or (verb not in VERBS and head.casefold() in self.commands())
        )
        if self.form is not None and interacts:
            self.note("(the open form was closed without sending)")
            self.form = None
        if head.startswith("/"):
            await self.slash(actor, channel, words)
        elif verb in VERBS and not words[0].quoted:
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
            raise ConsoleError(f"`{verb}` needs a name, e.g. {VERBS[verb].split(' — ')[0]}")
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
            name
            for name, value in options.items()
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
            lines.append(f"  {name}:{quote(value)}" + (f"  — {label}" if label != value else ""))
        self.note("\n".join(lines))

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

    async def _newest(
        self,
        actor: Member,
        test: Callable[[Message], bool],
        what: str,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> Message:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            candidates = [
                m
                for m in self.world.messages.values()
                if m.guild_id == self.guild.id
                and m.visible_to(actor.id)
                and not m.loading
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
            button = button_named(message, label)
            if button is None:
                labels = ", ".join(b.get("label") or "?" for b in message.buttons)
                raise ConsoleError(
                    f"#{number} has no button {label!r}"
                    + (f"; its buttons: {labels}" if labels else " (it has no buttons)")
                )
        else:
            message = await self._newest(
                actor,
                lambda m: button_named(m, label) is not None,
                f"with a {label!r} button visible to {self._name(actor)}",
                timeout=self.find_timeout,
            )
            button = button_named(message, label)
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
                actor,
                lambda m: bool(menus(m)),
                f"with a select menu visible to {self._name(actor)}",
                timeout=self.find_timeout,
            )
        found = menus(message)
        if not found:
            raise ConsoleError(f"#{self._number(message)} has no select menu")
        if not wanted:
            lines = [
                f"#{self._number(message)}: choose with `select {self._number(message)} "
                "OPTION`; options:"
            ]
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
            raise ConsoleError(
                f"no select menu on #{self._number(message)} offers {wanted}; options: {offered}"
            )
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
                    (
                        o
                        for o in menu.get("options", [])
                        if text in (o.get("value"), o.get("label"))
                        or norm(text) == norm(o.get("label", ""))
                    ),
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

    # -- voice -------------------------------------------------------------------------------

    def voice(self, actor: Member, texts: list[str]) -> None:
        usage = 'voice [NAME] join "VOICE CHANNEL" or voice [NAME] leave'
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
        target = self.channel_named(
            " ".join(texts[1:]), kinds={ChannelType.VOICE, ChannelType.STAGE}
        )
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
        self.note(banner(self))
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


def button_named(message: Message, typed: str) -> JSON | None:
    buttons = [b for b in message.buttons if "custom_id" in b]
    tests: list[Callable[[JSON], bool]] = [
        lambda b: typed in (b.get("label"), b.get("custom_id")),
        lambda b: norm(typed) == norm(b.get("label") or ""),
    ]
    for test in tests:
        found = [b for b in buttons if test(b)]
        if found:
            enabled = [b for b in found if not b.get("disabled")]
            return (enabled or found)[0]
    return None


def banner(console: Console) -> str:
    guild = console.guild
    people = ", ".join(console.member_names()[1:])
    return (
        f"Sprintbot console: the real bot against a local Discord server (guild “{guild.name}”:"
        f" #coworking, #accountability, 🔊 Focus Room; you plus {people}).\n"
        f"Time runs at {console.speed:g}x. Type slash commands as yourself, e.g.\n"
        "  /sprint start work:25 break:5 rounds:4\n"
        "  as alice click Join\n"
        "`help` lists every command and console verb; `quit` or Ctrl-D leaves."
    )


# -- input --------------------------------------------------------------------------------------

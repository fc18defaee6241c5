"""Over-long text in every free-text option of every command still gets an answer in limits.

Discord lets a member type up to 6,000 characters into a text option that declares no maximum.
Each command of the synced tree is run once per text option with a 2,001-character value (other
required options get ordinary values); every one must be answered (a reply or a form), within
Discord's limits (content 2,000 characters; embed limits; the local server refuses anything
bigger), quoting at most ~100 characters of what was typed in its sentences (a code block that
gives the member's text back so nothing is lost may hold more). Autocomplete gets the same value.
"""

from __future__ import annotations

from typing import Any

from bot.console.schema import Leaf, leaves_of
from bot.localdiscord import Channel, Guild, LocalDiscord, Member, Message, Perm, Role
from bot.localdiscord.testing import DiscordErrorLog, problems
from db.engine import Database
from tests.e2e.support import sprintbot

LONG = "x" * 2001
QUOTE_LIMIT = 120  # the longest run of the typed value a reply may repeat (~100 plus slack)
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10
MODAL = 9

JSON = dict[str, Any]


class Place:
    def __init__(self, server: LocalDiscord) -> None:
        self.server = server
        self.guild: Guild = server.add_guild("Long Club", owner="owner")
        self.text: Channel = self.guild.add_text_channel("general")
        self.voice: Channel = self.guild.add_voice_channel("Focus Room")
        self.role: Role = self.guild.add_role("crew", int(Perm.SEND_MESSAGES))
        self.owner: Member = self.guild.member("owner")
        self.alice: Member = self.guild.add_member("alice", global_name="Alice")

    def value(self, option: JSON) -> Any:
        """An ordinary value for a required option that is not under test."""
        kind = option["type"]
        if option.get("choices"):
            return option["choices"][0]["value"]
        if kind == STRING:
            return "Monday"
        if kind in (INTEGER, NUMBER):
            low = option.get("min_value")
            return max(1, int(low)) if low is not None else 1
        if kind == BOOLEAN:
            return False
        if kind in (USER, MENTIONABLE):
            return self.alice
        if kind == ROLE:
            return self.role
        if kind == CHANNEL:
            types = set(option.get("channel_types") or [0])
            return self.voice if types <= {2, 13} else self.text
        raise AssertionError(f"option type {kind} has no ordinary value here")


def free_text(option: JSON) -> bool:
    return option["type"] == STRING and not option.get("choices")


def longest_quoted_run(text: str) -> int:
    """The longest run of 'x' in ``text`` outside code blocks (how much of the typed value a
    sentence repeats; a code block that gives the member's text back is not a quote)."""
    prose = "".join(text.split("```")[::2])
    best = run = 0
    for char in prose:
        run = run + 1 if char == "x" else 0
        best = max(best, run)
    return best


def shown_text(message: Message) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [(embed.get("footer") or {}).get("text") or ""]
        parts += [(embed.get("author") or {}).get("name") or ""]
        for f in embed.get("fields") or []:
            parts += [f.get("name") or "", f.get("value") or ""]
    return "\n".join(parts)


def within_limits(message: Message) -> list[str]:
    wrong = []
    if len(message.content or "") > 2000:
        wrong.append(f"content is {len(message.content)} characters")
    total = 0
    for embed in message.embeds:
        for key, limit in (("title", 256), ("description", 4096)):
            size = len(embed.get(key) or "")
            total += size
            if size > limit:
                wrong.append(f"embed {key} is {size} characters")
        for f in embed.get("fields") or []:
            total += len(f.get("name") or "") + len(f.get("value") or "")
            if len(f.get("name") or "") > 256 or len(f.get("value") or "") > 1024:
                wrong.append("an embed field is too long")
        total += len((embed.get("footer") or {}).get("text") or "")
    if total > 6000:
        wrong.append(f"embeds total {total} characters")
    return wrong


async def test_every_free_text_option_of_every_command_answers_a_2001_character_value(
    server: LocalDiscord, database: Database, error_log: DiscordErrorLog
) -> None:
    place = Place(server)
    async with sprintbot(server, database, speed=60.0):
        commands = {**server.world.global_commands, **place.guild.commands}
        leaves: list[Leaf] = [
            leaf
            for command in commands.values()
            if command.get("type", 1) == 1
            for leaf in leaves_of(command)
        ]
        cases = [(leaf, o) for leaf in leaves for o in leaf.options if free_text(o)]
        assert len(cases) >= 10, "the command tree should have many free-text options"
        failures: list[str] = []
        for leaf, option in cases:
            what = f"/{leaf.path} {option['name']}:<2001 characters>"
            values = {o["name"]: place.value(o) for o in leaf.options if o.get("required")}
            values[option["name"]] = LONG
            if option.get("autocomplete"):
                typed = {k: v for k, v in values.items() if k != option["name"]}
                choices = await server.driver.autocomplete(
                    place.owner, place.text, leaf.path, option["name"], LONG, timeout=10, **typed
                )
                for choice in choices:
                    if len(choice["name"]) > 100 or len(str(choice["value"])) > 100:
                        failures.append(f"{what}: autocomplete offered an over-long choice")
            result = await server.driver.slash(place.owner, place.text, leaf.path, **values)
            try:
                kind = await result.response(timeout=10)
                if kind == MODAL:
                    continue  # a form is an answer
                reply = await result.message(timeout=15)
            except Exception as exc:
                failures.append(f"{what}: no answer ({exc})")
                continue
            failures += [f"{what}: {wrong}" for wrong in within_limits(reply)]
            run = longest_quoted_run(shown_text(reply))
            if run > QUOTE_LIMIT:
                failures.append(f"{what}: the reply repeats {run} characters of the input")
        assert failures == [], "\n".join(failures)
    assert problems(server, error_log) == []

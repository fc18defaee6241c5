"""The slash commands as the bot synced them: paths, options, usage lines and ``help``."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from .display import JSON, ConsoleBase
from .words import ALIASES, VERBS, ConsoleError, Word

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


def leaves_of(command: JSON) -> list[Leaf]:
    options = command.get("options") or []
    nested = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not nested:
        return [Leaf(command["name"], command.get("description", ""), options)]
    out: list[Leaf] = []
    for option in nested:
        for leaf in leaves_of(option):
            out.append(Leaf(f"{command['name']} {leaf.path}", leaf.description, leaf.options))
    return out


def value_hint(option: JSON) -> str:
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


def choices_text(option: JSON) -> str:
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


def usage(leaf: Leaf) -> str:
    words = [f"/{leaf.path}"]
    for option in leaf.options:
        shown = f"{option['name']}:{_short_hint(option)}"
        words.append(shown if option.get("required") else f"[{shown}]")
    return " ".join(words)


class SchemaMixin(ConsoleBase):
    """The synced commands: find the one a line names, read its options, explain it."""

    # -- the schema --------------------------------------------------------------------------

    def commands(self) -> dict[str, JSON]:
        synced = {**self.world.global_commands, **self.guild.commands}
        return {name: c for name, c in sorted(synced.items()) if c.get("type", 1) == 1}

    def leaves(self) -> list[Leaf]:
        return [leaf for command in self.commands().values() for leaf in leaves_of(command)]

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
                o
                for o in node.get("options") or []
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
        verbs = difflib.get_close_matches(word.casefold(), list(VERBS), n=1, cutoff=0.75)
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
                f'({expected}). Quote values with spaces: text:"like this".'
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
                f"option {option['name']!r} is one of: {choices_text(option)} (not {raw!r})"
            )
        return raw

    # -- help --------------------------------------------------------------------------------

    def help(self, words: list[str]) -> None:
        if words:
            key = words[0].casefold()
            verb = key if key in VERBS else ALIASES.get(key, key)
            if len(words) == 1 and verb in VERBS:
                self.note(VERBS[verb])
                if verb not in self.commands():
                    return
            try:
                leaf, _ = self.leaf([w.lstrip("/") for w in words])
            except ConsoleError:
                prefix = " ".join(w.lstrip("/") for w in words).casefold()
                matches = [x for x in self.leaves() if x.path.startswith(prefix)]
                if not matches:
                    raise
                self.note("\n".join(f"{usage(x)}\n    {x.description}" for x in matches))
                return
            self.note(self._leaf_help(leaf))
            return
        lines = [
            "Slash commands, as the bot synced them ([optional], text? = the bot suggests values;"
            " `help sprint start` explains each option):",
        ]
        for leaf in self.leaves():
            lines.append(f"  {usage(leaf)}")
            lines.append(f"      {leaf.description}")
        lines.append("")
        lines.append("Console (you are `you`, the server owner; alice, bob and cat are here too):")
        lines.extend(f"  {text}" for text in VERBS.values())
        lines.append(
            '  Options are name:value; quote values with spaces (text:"draft chapter 3"); '
            'channels as #name or "Focus Room", members as @alice.'
        )
        self.note("\n".join(lines))

    def _leaf_help(self, leaf: Leaf) -> str:
        lines = [f"/{leaf.path} — {leaf.description}", f"  usage: {usage(leaf)}"]
        if not leaf.options:
            lines.append("  (no options)")
        width = max((len(o["name"]) for o in leaf.options), default=0)
        for option in leaf.options:
            need = "required" if option.get("required") else "optional"
            lines.append(
                f"  {option['name']:<{width}}  {need}, {value_hint(option)}"
                f" — {option.get('description', '')}"
            )
            if option.get("choices"):
                lines.append(f"  {'':<{width}}  one of: {choices_text(option)}")
        return "\n".join(lines)

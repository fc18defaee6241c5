"""The words of a console line: splitting (quotes), matching typed labels, the console verbs."""

from __future__ import annotations

import re
from dataclasses import dataclass


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


def quote(value: str) -> str:
    return (
        value
        if value and not re.search(r"\s|[\"']", value)
        else '"' + value.replace('"', '\\"') + '"'
    )


def norm(text: str) -> str:
    """Case- and emoji-insensitive form for matching labels typed by hand."""
    return " ".join(re.sub(r"[^\w#/@'?.-]+", " ", text).split()).casefold()


def unescape(value: str) -> str:
    return re.sub(r"\\(n|t|\\)", lambda m: {"n": "\n", "t": "\t", "\\": "\\"}[m[1]], value)


VERBS = {
    "as": "as NAME LINE — run one line as another member; `as NAME` alone switches to them",
    "in": "in #CHANNEL LINE — run one line in another channel",
    "channel": "channel #NAME — switch to a channel or thread (no name: where am I?)",
    "click": "click [N] LABEL — press a button on message #N, or on the newest message with it",
    "select": "select [N] OPTION... — choose options in the select menu on message #N (or newest)",
    "modal": "modal KEY=VALUE ... — fill in and send the open form (\\n for a new line)",
    "?": "/COMMAND OPTION:TEXT? — end a value with ? to see the bot's suggestions for it",
    "voice": 'voice [NAME] join "VOICE CHANNEL" | voice [NAME] leave — move someone in voice',
    "say": "say TEXT — post a plain message as the current member",
    "wait": 'wait SECONDS | wait for "TEXT" [within SECONDS] — pause, or wait until the bot'
    " shows TEXT (after what the previous `wait for` matched)",
    "expect": 'expect "TEXT" [within SECONDS] — the bot must show TEXT in answer to the last'
    " command or click (scripts fail if not)",
    "transcript": "transcript [#CHANNEL] — every message in a channel, as you see it",
    "members": "members — who is here, and who is in voice",
    "channels": "channels — the channels and threads",
    "echo": "echo TEXT — print a line (narration in scripts)",
    "help": "help [COMMAND] — this list, or one slash command in detail (help sprint start)",
    "quit": "quit (or Ctrl-D) — stop the bot and the local server",
}
ALIASES = {"exit": "quit", "q": "quit", "?": "help"}

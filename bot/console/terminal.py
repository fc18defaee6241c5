"""Reading lines from a terminal (readline, completion), a pipe or a file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import stat
import sys
import threading
from typing import Any

from .session import Console
from .words import VERBS


class TerminalInput:
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


class PipeInput:
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


class FileInput:
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


def stdin_kind() -> str:
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


def setup_readline(console: Console) -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return

    def words() -> list[str]:
        out = list(VERBS) + [f"/{leaf.path}" for leaf in console.leaves()]
        out += [name for name in console.member_names()]
        out += ["#" + c.name for c in console.guild.channels.values() if not c.is_thread]
        return out

    def complete(text: str, state: int) -> str | None:
        buffer = readline.get_line_buffer()
        if buffer.startswith("/") and " " in buffer:
            matches = [
                leaf.path.split(" ", 1)[1]
                for leaf in console.leaves()
                if " " in leaf.path
                and leaf.path.startswith(buffer[1:].rsplit(" ", 1)[0])
                and leaf.path.split(" ", 1)[1].startswith(text)
            ]
        else:
            matches = [w for w in words() if w.startswith(text)]
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" \t\n")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


def terminal_state() -> Any:
    try:
        import termios

        if sys.stdin.isatty():
            return termios.tcgetattr(sys.stdin.fileno())
    except (ImportError, OSError, ValueError, AttributeError):
        pass
    return None


def restore_terminal(saved: Any) -> None:
    if saved is None:
        return
    with contextlib.suppress(Exception):
        import termios

        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)

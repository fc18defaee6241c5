"""``sprintbot console``: the options, the session (local server, database, bot) and main."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from bot.localdiscord.server import LocalDiscord

from .demo import DEMO_MAX_SPEED, DEMO_SCRIPT, DEMO_SPEED, seed
from .display import ErrorCollector, Problems
from .session import Console
from .terminal import (
    FileInput,
    PipeInput,
    TerminalInput,
    restore_terminal,
    setup_readline,
    stdin_kind,
    terminal_state,
)
from .words import ConsoleError

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


def setup_logging(level: str | None, sink: Problems) -> Callable[[], None]:
    """Bot logs go to stderr at WARNING (or ``level``); errors are collected for scripts."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
    )
    stream.setLevel(level or logging.WARNING)
    collector = ErrorCollector(sink)
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
    if demo and speed > DEMO_MAX_SPEED:
        raise ConsoleError(
            f"the demo cannot keep up at --speed {speed:g}: above {DEMO_MAX_SPEED:g}x the "
            "sprint's phases end before the bot may post them (Discord allows about one "
            f"message a second per channel). Use --speed {DEMO_MAX_SPEED:g} or less "
            f"(the default is {DEMO_SPEED:g})."
        )
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
    from bot.localdiscord.testing import running_bot
    from bot.settings import DiscordSettings, TimingSettings, load_settings
    from db.engine import Database, redact_url
    from db.migrate import upgrade

    problems = Problems()
    restore_logging = setup_logging(plan.log_level, problems)
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
                kind = "script" if plan.script is not None else stdin_kind()
                console = Console(
                    server,
                    guild,
                    you,
                    out=out,
                    speed=plan.speed,
                    bot=bot,
                    problems=problems,
                    interactive=plan.script is None,
                    tty=kind == "tty",
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
                            setup_readline(console)
                            source = TerminalInput(console)
                        elif kind == "pipe":
                            source = PipeInput(console)
                            await source.start()
                        else:
                            source = FileInput(console)
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
    terminal = terminal_state()
    try:
        return asyncio.run(_main(plan, stream))
    except ConfigError as exc:
        print(exc.describe(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        restore_terminal(terminal)

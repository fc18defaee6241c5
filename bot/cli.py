"""The `sprintbot` command: run, migrate, sync-commands, check-config, console."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

from bot.settings import ConfigError, Settings, load_settings

log = logging.getLogger("sprintbot")


def _settings(args: argparse.Namespace) -> Settings:
    discord: dict[str, Any] = {
        "shard_count": getattr(args, "shard_count", None),
        "shard_ids": getattr(args, "shard_ids", None),
    }
    return load_settings(args.config, overrides={"discord": discord})


def _setup_logging(settings: Settings, level: str | None) -> None:
    from dataclasses import replace

    from bot.logs import setup_logging

    log_settings = settings.logging if level is None else replace(settings.logging, level=level)
    setup_logging(log_settings, secrets=[settings.discord.token or ""])


# -- run --------------------------------------------------------------------------------------


async def _run(settings: Settings, *, migrate: bool) -> int:
    import aiohttp
    import discord

    from bot.core import create_bot
    from db.engine import Database, redact_url
    from db.migrate import upgrade
    from db.reachable import DatabaseUnavailable, ensure_reachable

    token = settings.require_token()
    try:
        await ensure_reachable(settings.database.url)
    except DatabaseUnavailable as exc:
        log.debug("the database check failed", exc_info=True)
        log.error("%s", exc)
        return 1
    if migrate:
        log.info("applying migrations to %s", redact_url(settings.database.url))
        await upgrade(settings.database.url)
    database = Database.from_url(settings.database.url, echo=settings.database.echo)
    try:
        bot = create_bot(settings, database=database)
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()

        closing: list[asyncio.Task[None]] = []

        def _stop() -> None:
            if not stopping.is_set():
                log.info("shutting down")
                stopping.set()
                closing.append(loop.create_task(bot.close()))

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, _stop)
        async with bot:
            try:
                await bot.start(token)
            except discord.LoginFailure:
                log.error("Discord rejected the token: check [discord] token / SPRINTBOT_TOKEN.")
                return 2
            except discord.PrivilegedIntentsRequired:
                log.error("Discord refused an intent this bot asks for; see the README.")
                return 2
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                log.debug("connecting to Discord failed", exc_info=True)
                log.error("%s", _discord_unreachable(settings, exc))
                return 1
    finally:
        await database.dispose()
    log.info("stopped")
    return 0


def _discord_unreachable(settings: Settings, exc: BaseException) -> str:
    where = settings.discord.api_base_url or "discord.com"
    reason = str(exc).strip() or type(exc).__name__
    return f"Cannot reach Discord at {where} ({reason}). Check this machine's network" + (
        " and discord.api_base_url / SPRINTBOT_API_BASE_URL."
        if settings.discord.api_base_url
        else " (and any proxy or firewall)."
    )


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _setup_logging(settings, args.log_level)
    settings.require_token()
    return asyncio.run(_run(settings, migrate=not args.no_migrate))


# -- migrate ----------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    from db.engine import redact_url
    from db.migrate import upgrade_sql, upgrade_sync

    settings = _settings(args)
    _setup_logging(settings, args.log_level)
    if args.sql:
        sys.stdout.write(upgrade_sql(settings.database.url, args.revision))
        return 0
    upgrade_sync(settings.database.url, args.revision)
    print(f"Database {redact_url(settings.database.url)} is at {args.revision}.")
    return 0


# -- sync-commands ----------------------------------------------------------------------------


async def _sync(settings: Settings, guild_id: int | None) -> int:
    import discord

    from bot.core import create_bot

    bot = create_bot(settings, run_services=False)
    try:
        async with bot:
            try:
                await bot.login(settings.require_token())
            except discord.LoginFailure:
                log.error("Discord rejected the token: check [discord] token / SPRINTBOT_TOKEN.")
                return 2
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
                where = f"guild {guild_id}"
            else:
                synced = await bot.tree.sync()
                where = "every server (global commands may take a while to appear)"
    finally:
        await bot.db.dispose()
    names = ", ".join(sorted(f"/{c.name}" for c in synced))
    print(f"Registered {len(synced)} commands for {where}: {names}")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _setup_logging(settings, args.log_level)
    guild = None if args.global_ else (args.guild or settings.discord.dev_guild_id)
    return asyncio.run(_sync(settings, guild))


# -- check-config -----------------------------------------------------------------------------


def cmd_check_config(args: argparse.Namespace) -> int:
    from db.engine import redact_url

    settings = load_settings(args.path or args.config)
    print(f"{settings.source}: the configuration is fine.")
    print(f"  database: {redact_url(settings.database.url)}")
    print(f"  token: {'set' if settings.discord.token else 'not set (needed by run)'}")
    if settings.discord.api_base_url:
        print(f"  Discord API: {settings.discord.api_base_url}")
    if settings.discord.shard_count:
        shards = list(settings.discord.shard_ids or range(settings.discord.shard_count))
        print(f"  shards: {shards} of {settings.discord.shard_count}")
    print(f"  speed: {settings.timing.speed:g}x")
    web = settings.web
    if web.enabled:
        public = f", public at {web.public_base_url}" if web.public_base_url else ""
        print(f"  web: listening on {web.local_base_url}{public}")
    else:
        print("  web: off")
    return 0


# -- console ----------------------------------------------------------------------------------


def cmd_console(args: argparse.Namespace) -> int:
    try:
        from bot.console import main as console_main
    except ImportError as exc:  # pragma: no cover - only while the console is not installed
        print(f"The console is not available: {exc}", file=sys.stderr)
        return 2
    return console_main(args)


# -- parser -----------------------------------------------------------------------------------


def _common_options(*, on_subcommand: bool) -> argparse.ArgumentParser:
    """--config and --log-level, accepted before and after the subcommand.

    On a subcommand they default to "not given" (SUPPRESS), so ``sprintbot --config PATH run``
    keeps the PATH that the main parser read instead of resetting it to the default.
    """
    default = argparse.SUPPRESS if on_subcommand else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="configuration file (default: $SPRINTBOT_CONFIG, else ./config.toml if present)",
    )
    common.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default=default,
        type=str.upper,
        help="override [logging] level",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(on_subcommand=True)
    parser = argparse.ArgumentParser(
        prog="sprintbot",
        description="Sprintbot: virtual coworking for Discord (sprints, goals, accountability).",
        parents=[_common_options(on_subcommand=False)],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        parents=[common],
        help="connect to Discord and run the bot",
        description="Connect to Discord with the token from the config or SPRINTBOT_TOKEN. "
        "Applies pending migrations first. Stops cleanly on Ctrl-C / SIGTERM.",
    )
    run.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    run.add_argument(
        "--shard-ids", metavar="IDS", help="comma-separated shard ids this process runs, e.g. 0,1"
    )
    run.add_argument("--shard-count", metavar="N", type=int, help="total number of shards")
    run.set_defaults(func=cmd_run)

    migrate = sub.add_parser(
        "migrate",
        parents=[common],
        help="upgrade the database to the latest schema",
        description="Upgrade the database named by [database] url / SPRINTBOT_DATABASE_URL.",
    )
    migrate.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    migrate.add_argument("--revision", default="head", help="target revision (default: head)")
    migrate.set_defaults(func=cmd_migrate)

    sync = sub.add_parser(
        "sync-commands",
        parents=[common],
        help="register the slash commands with Discord",
        description="Register the slash commands. With --guild (or [discord] dev_guild_id) they "
        "appear in that server at once; --global registers them everywhere.",
    )
    target = sync.add_mutually_exclusive_group()
    target.add_argument("--guild", type=int, metavar="ID", help="register in this server only")
    target.add_argument(
        "--global",
        dest="global_",
        action="store_true",
        help="register globally even if dev_guild_id is set",
    )
    sync.set_defaults(func=cmd_sync)

    check = sub.add_parser(
        "check-config",
        parents=[common],
        help="validate a configuration file",
        description="Load and validate a configuration file (and environment overrides).",
    )
    check.add_argument("path", nargs="?", help="the file to check (default: as --config)")
    check.set_defaults(func=cmd_check_config)

    console = sub.add_parser(
        "console",
        parents=[common],
        help="try the bot locally, no Discord token needed",
        description="Start a local Discord-compatible server with a demo guild, the real bot "
        "against it, and a prompt where you type slash commands and click buttons.",
    )
    console.add_argument(
        "--database",
        metavar="URL_OR_PATH",
        help="keep data in this SQLite file or database URL (default: temporary)",
    )
    console.add_argument(
        "--speed",
        type=float,
        default=None,
        help="time compression, e.g. 60 makes a minute last a second",
    )
    console.add_argument(
        "--script",
        metavar="FILE",
        help="play the commands in FILE with no terminal; exit 1 on a failed step",
    )
    console.add_argument(
        "--demo", action="store_true", help="play the built-in demo of the whole coworking ritual"
    )
    console.set_defaults(func=cmd_console)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(exc.describe(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

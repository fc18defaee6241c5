"""Loading: the file, then the environment, then the command line; every problem at once.

Where the file comes from: ``--config PATH``, else ``SPRINTBOT_CONFIG``, else ``config.toml`` in the
working directory if it exists, else built-in defaults only.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from bot.settings.database import database_url_refusal
from bot.settings.discord import discord_problems
from bot.settings.errors import ConfigError
from bot.settings.model import ENV_OVERRIDES, RULES, SECTION_TYPES, Settings
from bot.settings.timing import sprint_problems
from bot.settings.web import web_problems

__all__ = ["load_settings", "resolve_config_path", "settings_keys"]

_NUMERIC_ENV = {"shard_count", "speed", "dev_guild_id", "port"}


def _describe(value: Any) -> str:
    return type(value).__name__ if not isinstance(value, str) else "text"


def _convert(source: str, section: str, key: str, value: Any) -> Any:
    name = f"{section}.{key}" if section else key
    rules = RULES.get(section, {})
    if key not in rules:
        known = ", ".join(sorted(rules))
        where = f"[{section}]" if section else "the top level"
        homes = [f"[{sec}] {key}" for sec, keys in RULES.items() if sec and key in keys]
        hint = f" Did you mean {' or '.join(homes)}?" if homes else ""
        raise ConfigError(
            f"{source}: unknown key '{name}'.{hint} Keys allowed in {where}: {known}."
        )
    check, allowed = rules[key]
    try:
        return check(value)
    except TypeError:
        shown = "<hidden>" if key == "token" else repr(value)
        raise ConfigError(
            f"{source}: {name} must be {allowed}, not {_describe(value)} {shown}."
        ) from None
    except ValueError:
        raise ConfigError(_refusal(source, section, key, value, allowed)) from None


def _refusal(source: str, section: str, key: str, value: Any, allowed: str) -> str:
    """The sentence for a value of the right type that Sprintbot cannot use."""
    name = f"{section}.{key}" if section else key
    if key == "token":
        return f"{source}: {name} is not a usable token; write {allowed}."
    if (section, key) == ("database", "url"):
        return database_url_refusal(source, name, value, allowed)
    return f"{source}: {name} = {value!r} is out of range; allowed: {allowed}."


def _env_value(key: str, raw: str) -> Any:
    if key in _NUMERIC_ENV:
        try:
            return float(raw) if key == "speed" else int(raw)
        except ValueError:
            return raw
    return raw


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The file to read: the explicit path, SPRINTBOT_CONFIG, or ./config.toml when present."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SPRINTBOT_CONFIG")
    if env:
        return Path(env)
    default = Path("config.toml")
    return default if default.is_file() else None


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    use_default_file: bool = True,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Read the configuration once. Raises ConfigError with a sentence naming file and key.

    ``overrides`` (section -> key -> value, "" for top-level keys) come from the command line and
    win over the file and the environment.
    """
    env = os.environ if env is None else env
    file = resolve_config_path(path) if use_default_file or path else None
    raw: dict[str, Any] = {}
    source = "<defaults>"
    if file is not None:
        source = str(file)
        raw = _read_toml(file)

    problems: list[str] = []

    def take(target: dict[str, Any], where: str, section: str, key: str, value: Any) -> None:
        try:
            target[key] = _convert(where, section, key, value)
        except ConfigError as exc:
            problems.extend(exc.problems)

    values: dict[str, dict[str, Any]] = {section: {} for section in RULES}
    for key, value in raw.items():
        if isinstance(value, dict):
            if key not in SECTION_TYPES:
                known = ", ".join(f"[{s}]" for s in SECTION_TYPES)
                problems.append(f"{source}: unknown section [{key}]. Sections allowed: {known}.")
                continue
            for sub, subvalue in value.items():
                take(values[key], source, key, sub, subvalue)
        else:
            take(values[""], source, "", key, value)

    for var, (section, key) in ENV_OVERRIDES.items():
        if var in env and env[var] != "":
            where = f"environment variable {var}"
            take(values[section], where, section, key, _env_value(key, env[var]))

    for section, items in (overrides or {}).items():
        for key, value in items.items():
            if value is not None:
                take(values[section], "command line", section, key, value)

    settings = Settings(source=source, **values[""])
    parts = {name: replace(getattr(settings, name), **values[name]) for name in SECTION_TYPES}
    settings = replace(settings, **parts)
    problems.extend(_cross_checks(settings))
    if problems:
        raise ConfigError(*problems)
    return _finish(settings)


def _read_toml(file: Path) -> dict[str, Any]:
    source = str(file)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such configuration file.") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a folder, not a configuration file.") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot be read ({exc.strerror}).") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{source}: is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save the file as UTF-8."
        ) from None
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}.") from None


def _cross_checks(settings: Settings) -> list[str]:
    """Problems between keys (each key alone was fine)."""
    source = settings.source
    return [
        *sprint_problems(source, settings.sprint),
        *discord_problems(source, settings.discord),
        *web_problems(source, settings.web),
    ]


def _finish(settings: Settings) -> Settings:
    if not settings.database.url:
        db_file = (settings.data_dir / "sprintbot.sqlite3").resolve()
        settings = replace(
            settings, database=replace(settings.database, url=f"sqlite+aiosqlite:///{db_file}")
        )
    return settings


def settings_keys() -> dict[str, list[str]]:
    """Every documented key per section (used by the test that keeps the example file in sync)."""
    out: dict[str, list[str]] = {"": ["data_dir"]}
    for name, cls in SECTION_TYPES.items():
        out[name] = [f.name for f in fields(cls)]
    return out

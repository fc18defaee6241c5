"""Settings: one TOML file plus environment overrides, loaded once into frozen dataclasses.

Where the file comes from: ``--config PATH``, else ``SPRINTBOT_CONFIG``, else ``config.toml`` in the
working directory if it exists, else built-in defaults only. Environment variables override the file
for secrets and deployment values (see ``ENV_OVERRIDES``). Every error names the file, the key and
what is allowed; the token never appears in an error message or a ``repr``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """Configuration problems, each worded for the person who wrote the file.

    ``problems`` lists every sentence (a file with three mistakes gets three); ``str()`` is them
    one per line.
    """

    def __init__(self, *problems: str) -> None:
        self.problems: tuple[str, ...] = problems
        super().__init__("\n".join(problems))

    def describe(self) -> str:
        """``Configuration error: …`` for one problem; a numbered list for several."""
        if len(self.problems) == 1:
            return f"Configuration error: {self.problems[0]}"
        lines = [f"Configuration errors ({len(self.problems)}):"]
        lines += [f"  {n}. {problem}" for n, problem in enumerate(self.problems, start=1)]
        return "\n".join(lines)


@dataclass(frozen=True)
class DiscordSettings:
    token: str | None = field(default=None, repr=False)
    dev_guild_id: int | None = None
    api_base_url: str | None = None
    gateway_url: str | None = None
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    def __repr__(self) -> str:  # the token is never shown
        token = "<set>" if self.token else None
        return (
            f"DiscordSettings(token={token!r}, dev_guild_id={self.dev_guild_id!r}, "
            f"api_base_url={self.api_base_url!r}, gateway_url={self.gateway_url!r}, "
            f"shard_count={self.shard_count!r}, shard_ids={self.shard_ids!r})"
        )


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""  # filled from data_dir when empty
    echo: bool = False


@dataclass(frozen=True)
class SprintSettings:
    """Server defaults for /sprint start, and the bounds every value is checked against."""

    work: int = 25
    short_break: int = 5
    rounds: int = 4
    long_break: int = 15
    long_break_every: int = 4
    intro: int = 2
    max_work: int = 180
    max_break: int = 60
    max_rounds: int = 12
    max_intro: int = 15


@dataclass(frozen=True)
class TimingSettings:
    speed: float = 1.0
    # Phase changes are written this long before they are due and their messages held until the
    # due moment, so the database's time does not make announcements late (see SprintService).
    prepare_ahead_ms: int = 250


@dataclass(frozen=True)
class DeliverySettings:
    global_per_second: float = 45.0
    channel_burst: int = 5
    channel_per_seconds: float = 5.0
    card_refresh_seconds: int = 600


@dataclass(frozen=True)
class LoggingSettings:
    level: str = "INFO"
    format: str = "text"


@dataclass(frozen=True)
class StatsSettings:
    # Draw charts (and add up a year of history) in a worker process, so the event loop never
    # waits on matplotlib; off: a thread (the loop may then stall up to ~150 ms per chart).
    chart_process: bool = True


@dataclass(frozen=True)
class PrivacySettings:
    # A server that removes the bot has its data deleted this many days later (0 = at once).
    guild_grace_days: int = 30


@dataclass(frozen=True)
class WebSettings:
    """The bot's own web server: live sprint pages, calendar feeds and a health check."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str | None = None  # e.g. https://sprints.example.org behind a proxy
    trust_proxy: bool = False  # take the client address from X-Forwarded-For
    requests_per_minute: int = 120  # page, feed and stream requests per client address
    streams_per_ip: int = 20  # open live-update streams per client address

    @property
    def local_base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    discord: DiscordSettings = DiscordSettings()
    database: DatabaseSettings = DatabaseSettings()
    sprint: SprintSettings = SprintSettings()
    timing: TimingSettings = TimingSettings()
    delivery: DeliverySettings = DeliverySettings()
    logging: LoggingSettings = LoggingSettings()
    stats: StatsSettings = StatsSettings()
    privacy: PrivacySettings = PrivacySettings()
    web: WebSettings = WebSettings()
    source: str = "<defaults>"

    def require_token(self) -> str:
        if not self.discord.token:
            raise ConfigError(
                f"{self.source}: discord.token is not set. Put the bot token in the file's "
                "[discord] token key or in the SPRINTBOT_TOKEN environment variable."
            )
        return self.discord.token

    def handles_guild(self, guild_id: int) -> bool:
        """Whether this process owns the guild (Discord's shard formula)."""
        count, ids = self.discord.shard_count, self.discord.shard_ids
        if not count or ids is None:
            return True
        return (guild_id >> 22) % count in ids


# ----------------------------------------------------------------------------------------------
# Validation rules: (section, key) -> (converter, description of what is allowed)

Check = Callable[[Any], Any]


def _int_range(lo: int, hi: int) -> tuple[Check, str]:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError
        if not lo <= v <= hi:
            raise ValueError
        return v

    return check, f"a whole number from {lo} to {hi}"


def _float_range(lo: float, hi: float) -> tuple[Check, str]:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError
        if not lo <= v <= hi:
            raise ValueError
        return float(v)

    return check, f"a number from {lo:g} to {hi:g}"


def _string(choices: tuple[str, ...] | None = None, *, optional: bool = False) -> tuple[Check, str]:
    def check(v: Any) -> str | None:
        if optional and v in ("", None):
            return None
        if not isinstance(v, str):
            raise TypeError
        if choices is not None:
            low = v.upper() if choices[0].isupper() else v.lower()
            if low not in choices:
                raise ValueError
            return low
        return v

    allowed = "text" if choices is None else "one of " + ", ".join(choices)
    return check, allowed


def _url(schemes: tuple[str, ...]) -> tuple[Check, str]:
    def check(v: Any) -> str | None:
        if v in ("", None):
            return None
        if not isinstance(v, str):
            raise TypeError
        if not v.startswith(tuple(s + "://" for s in schemes)):
            raise ValueError
        return v.rstrip("/")

    return check, "a URL starting with " + " or ".join(s + "://" for s in schemes)


#: The database URLs Sprintbot can use: its async drivers for SQLite and PostgreSQL.
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
_DATABASE_HINTS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
}


def _database_url() -> tuple[Check, str]:
    def check(v: Any) -> str | None:
        if v in ("", None):
            return None
        if not isinstance(v, str):
            raise TypeError
        scheme, sep, rest = v.partition("://")
        if (
            not sep
            or scheme.lower() not in DATABASE_SCHEMES
            or (scheme.lower().startswith("postgresql") and not rest.split("/", 1)[0])
        ):
            raise ValueError
        return v

    allowed = "sqlite+aiosqlite:///PATH (a file) or postgresql+asyncpg://USER:PASSWORD@HOST/NAME"
    return check, allowed


def _token() -> tuple[Check, str]:
    def check(v: Any) -> str | None:
        if v in ("", None):
            return None
        if not isinstance(v, str):
            raise TypeError
        if any(char.isspace() for char in v) or not v.isprintable():
            raise ValueError
        return v

    return check, 'the bot token alone: no spaces, line breaks or "Bot " prefix'


def _snowflake() -> tuple[Check, str]:
    def check(v: Any) -> int | None:
        if v in ("", None, 0):
            return None
        if isinstance(v, str) and v.isdigit():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError
        if v <= 0:
            raise ValueError
        return v

    return check, "a Discord ID (a positive whole number)"


def _shard_ids() -> tuple[Check, str]:
    def check(v: Any) -> tuple[int, ...] | None:
        if v in ("", None):
            return None
        if isinstance(v, str):
            try:
                v = [int(p) for p in v.replace(" ", "").split(",") if p]
            except ValueError:
                raise ValueError from None
        if not isinstance(v, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in v
        ):
            raise TypeError
        if not v or any(i < 0 for i in v):
            raise ValueError
        return tuple(sorted(set(v)))

    return check, 'a list of shard numbers such as [0, 1] (or "0,1")'


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _bool() -> tuple[Check, str]:
    def check(v: Any) -> bool:
        if isinstance(v, str) and v.lower() in _TRUE + _FALSE:
            return v.lower() in _TRUE
        if not isinstance(v, bool):
            raise TypeError
        return v

    return check, "true or false"


def _host() -> tuple[Check, str]:
    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise TypeError
        host: str = v.strip()
        if not host or any(c.isspace() or c in "/?#@" for c in host):
            raise ValueError
        return host

    return check, "a host name or IP address to listen on, such as 127.0.0.1 or 0.0.0.0"


def _path() -> tuple[Check, str]:
    def check(v: Any) -> Path:
        if not isinstance(v, str) or not v:
            raise TypeError
        return Path(v)

    return check, "a folder path"


RULES: dict[str, dict[str, tuple[Check, str]]] = {
    "": {"data_dir": _path()},
    "discord": {
        "token": _token(),
        "dev_guild_id": _snowflake(),
        "api_base_url": _url(("http", "https")),
        "gateway_url": _url(("ws", "wss")),
        "shard_count": _int_range(1, 4096),
        "shard_ids": _shard_ids(),
    },
    "database": {"url": _database_url(), "echo": _bool()},
    "sprint": {
        "work": _int_range(1, 180),
        "short_break": _int_range(1, 60),
        "rounds": _int_range(1, 12),
        "long_break": _int_range(1, 60),
        "long_break_every": _int_range(1, 12),
        "intro": _int_range(0, 15),
        "max_work": _int_range(1, 180),
        "max_break": _int_range(1, 60),
        "max_rounds": _int_range(1, 12),
        "max_intro": _int_range(0, 15),
    },
    "timing": {"speed": _float_range(0.01, 3600), "prepare_ahead_ms": _int_range(0, 1000)},
    "delivery": {
        "global_per_second": _float_range(1, 49),
        "channel_burst": _int_range(1, 5),
        "channel_per_seconds": _float_range(1, 60),
        "card_refresh_seconds": _int_range(60, 86400),
    },
    "logging": {
        "level": _string(("DEBUG", "INFO", "WARNING", "ERROR")),
        "format": _string(("text", "json")),
    },
    "stats": {"chart_process": _bool()},
    "privacy": {"guild_grace_days": _int_range(0, 365)},
    "web": {
        "enabled": _bool(),
        "host": _host(),
        "port": _int_range(0, 65535),
        "public_base_url": _url(("http", "https")),
        "trust_proxy": _bool(),
        "requests_per_minute": _int_range(1, 100_000),
        "streams_per_ip": _int_range(1, 100_000),
    },
}

SECTION_TYPES: dict[str, type] = {
    "discord": DiscordSettings,
    "database": DatabaseSettings,
    "sprint": SprintSettings,
    "timing": TimingSettings,
    "delivery": DeliverySettings,
    "logging": LoggingSettings,
    "stats": StatsSettings,
    "privacy": PrivacySettings,
    "web": WebSettings,
}

# Environment variable -> (section, key). Values are parsed by the same rules as the file.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "SPRINTBOT_TOKEN": ("discord", "token"),
    "SPRINTBOT_DEV_GUILD_ID": ("discord", "dev_guild_id"),
    "SPRINTBOT_API_BASE_URL": ("discord", "api_base_url"),
    "SPRINTBOT_GATEWAY_URL": ("discord", "gateway_url"),
    "SPRINTBOT_SHARD_COUNT": ("discord", "shard_count"),
    "SPRINTBOT_SHARD_IDS": ("discord", "shard_ids"),
    "SPRINTBOT_DATABASE_URL": ("database", "url"),
    "SPRINTBOT_DATA_DIR": ("", "data_dir"),
    "SPRINTBOT_SPEED": ("timing", "speed"),
    "SPRINTBOT_LOG_LEVEL": ("logging", "level"),
    "SPRINTBOT_LOG_FORMAT": ("logging", "format"),
    "SPRINTBOT_WEB_ENABLED": ("web", "enabled"),
    "SPRINTBOT_WEB_HOST": ("web", "host"),
    "SPRINTBOT_WEB_PORT": ("web", "port"),
    "SPRINTBOT_PUBLIC_BASE_URL": ("web", "public_base_url"),
}

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
        scheme = str(value).partition("://")[0].lower()
        shown = _redacted(str(value))
        better = _DATABASE_HINTS.get(scheme)
        hint = f" (for this database write {better}://…)" if better else ""
        return (
            f"{source}: {name} = {shown!r} is not a database Sprintbot can use{hint}; "
            f"allowed: {allowed}."
        )
    return f"{source}: {name} = {value!r} is out of range; allowed: {allowed}."


def _redacted(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


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
    problems: list[str] = []
    source = settings.source
    sp = settings.sprint
    for key, limit in (
        ("work", sp.max_work),
        ("short_break", sp.max_break),
        ("long_break", sp.max_break),
        ("rounds", sp.max_rounds),
        ("intro", sp.max_intro),
    ):
        if getattr(sp, key) > limit:
            problems.append(
                f"{source}: sprint.{key} = {getattr(sp, key)} is above its bound "
                f"(at most {limit} as configured); lower it or raise the bound."
            )
    d = settings.discord
    if d.shard_ids is not None and d.shard_count is None:
        problems.append(f"{source}: discord.shard_ids is set but discord.shard_count is not.")
    if d.shard_ids is not None and d.shard_count is not None and max(d.shard_ids) >= d.shard_count:
        problems.append(
            f"{source}: discord.shard_ids {list(d.shard_ids)} must each be below "
            f"discord.shard_count = {d.shard_count}."
        )
    public = settings.web.public_base_url
    if public is not None and ("?" in public or "#" in public or not public.split("://", 1)[1]):
        problems.append(
            f"{source}: web.public_base_url = {public!r} must be a plain base URL such as "
            '"https://sprints.example.org" or "https://example.org/sprintbot" (no query).'
        )
    return problems


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

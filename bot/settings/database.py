"""[database]: which database (SQLite file or PostgreSQL, through their async drivers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.settings.checks import Rule, flag

__all__ = [
    "DATABASE_ENV",
    "DATABASE_RULES",
    "DATABASE_SCHEMES",
    "DatabaseSettings",
    "database_url_refusal",
    "redacted",
]


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""  # filled from data_dir when empty
    echo: bool = False


#: The database URLs Sprintbot can use: its async drivers for SQLite and PostgreSQL.
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
_DATABASE_HINTS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
}


def _database_url() -> Rule:
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


DATABASE_RULES: dict[str, Rule] = {"url": _database_url(), "echo": flag()}

DATABASE_ENV: dict[str, str] = {"SPRINTBOT_DATABASE_URL": "url"}


def database_url_refusal(source: str, name: str, value: Any, allowed: str) -> str:
    """The sentence for a URL Sprintbot cannot use (password hidden, the right scheme hinted)."""
    scheme = str(value).partition("://")[0].lower()
    shown = redacted(str(value))
    better = _DATABASE_HINTS.get(scheme)
    hint = f" (for this database write {better}://…)" if better else ""
    return (
        f"{source}: {name} = {shown!r} is not a database Sprintbot can use{hint}; "
        f"allowed: {allowed}."
    )


def redacted(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"

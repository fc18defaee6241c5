"""Is the database there? One sentence for an operator when it is not.

``sprintbot run`` checks the connection before it migrates or starts, so an unreachable server,
a wrong password or a missing database ends with a sentence naming the host and what to check,
not a driver traceback (that is logged at debug level).
"""

from __future__ import annotations

import asyncio
import socket

from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import create_engine, is_sqlite

#: How long a connection attempt may take before the database counts as unreachable.
CONNECT_TIMEOUT_S = 15.0

_WHERE = "database.url (or SPRINTBOT_DATABASE_URL)"


class DatabaseUnavailable(Exception):
    """The database cannot be used; ``str()`` is the sentence for the operator."""


async def ensure_reachable(url: str, *, timeout: float = CONNECT_TIMEOUT_S) -> None:  # noqa: ASYNC109
    """Connect once and run ``SELECT 1``; raise :class:`DatabaseUnavailable` if that fails."""
    try:
        engine = create_engine(url)  # SQLite: makes the file's folder, which may fail too
    except OSError as exc:
        raise DatabaseUnavailable(_sentence(exc, url, timeout)) from exc
    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise DatabaseUnavailable(_sentence(exc, url, timeout)) from exc
    finally:
        await engine.dispose()


def _sentence(exc: Exception, url: str, timeout: float) -> str:
    sentence = describe_database_error(exc, url, timeout=timeout)
    if sentence is None:
        raise exc
    return sentence


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it (the driver's error wrapped by SQLAlchemy or alembic)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException) and orig not in seen:
            seen.append(orig)
        current = current.__cause__ or current.__context__
    return seen


def describe_database_error(
    exc: BaseException, url: str, *, timeout: float = CONNECT_TIMEOUT_S
) -> str | None:
    """The operator's sentence for a failure to reach ``url``, or None when it is not that."""
    parsed = make_url(url)
    if is_sqlite(url):
        for err in _chain(exc):
            if isinstance(err, OSError) or type(err).__name__ == "OperationalError":
                return (
                    f"Cannot open the SQLite database file {parsed.database} ({_reason(err)}). "
                    f"Check that its folder exists and is writable, or set {_WHERE}."
                )
        return None
    host = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    user, name = parsed.username or "(none)", parsed.database or "(none)"
    for err in _chain(exc):
        kind = type(err).__name__
        if kind in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return (
                f"The database server at {host} refused the login of user {user!r} "
                f"({_reason(err)}). Check the user name and password in {_WHERE}."
            )
        if kind == "InvalidCatalogNameError":
            return (
                f"The database {name!r} does not exist on the server at {host}. Create it "
                f"(e.g. createdb {name}) or fix the name in {_WHERE}."
            )
        if isinstance(err, socket.gaierror):
            return (
                f"Cannot find the database host {parsed.host!r} (the name does not resolve). "
                f"Check the host in {_WHERE}."
            )
        if isinstance(err, ConnectionRefusedError):
            return (
                f"Cannot connect to the database at {host}: the connection was refused. Check "
                f"that PostgreSQL is running there and that {_WHERE} names the right host and "
                "port."
            )
        if isinstance(err, TimeoutError):
            return (
                f"Cannot connect to the database at {host}: no answer within {timeout:g} s. "
                f"Check that the server is up and reachable from here (firewall, network) and "
                f"the host and port in {_WHERE}."
            )
        if isinstance(err, OSError):
            return (
                f"Cannot connect to the database at {host} ({_reason(err)}). Check that the "
                f"server is up and reachable and the host and port in {_WHERE}."
            )
    return None


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.rstrip(".")
    lines = str(err).strip().splitlines()
    first = lines[0] if lines else type(err).__name__
    if first.startswith("(") and ") " in first:  # SQLAlchemy's "(driver.Error) message"
        first = first.split(") ", 1)[1]
    return first.rstrip(".")

"""`sprintbot run` when it cannot start: one sentence naming what to check, no traceback.

An unreachable database, a login the database refuses, a database that does not exist, and a
token Discord (here the local server) refuses each end the process with a non-zero code and a
sentence; the traceback is logged only at debug level.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.localdiscord import LocalDiscord
from tests.conftest import no_postgres, postgres_url

ROOT = Path(__file__).resolve().parents[2]


async def run_bot(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "SPRINTBOT_TOKEN": "a-token",
        "SPRINTBOT_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    environment.pop("SPRINTBOT_CONFIG", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        *args,
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(90):
        _, err = await proc.communicate()
    return proc.returncode or 0, err.decode(errors="replace")


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_database_gets_a_sentence_naming_the_host(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql+asyncpg://sprintbot:s3cret@127.0.0.1:{port}/sprintbot"
    code, err = await run_bot(tmp_path, SPRINTBOT_DATABASE_URL=url)
    assert code != 0
    assert f"Cannot connect to the database at 127.0.0.1:{port}" in err
    assert "Check that PostgreSQL is running there" in err
    assert "Traceback" not in err
    assert "s3cret" not in err


async def test_the_traceback_of_a_database_failure_is_logged_at_debug_level_only(
    tmp_path: Path,
) -> None:
    url = f"postgresql+asyncpg://sprintbot@127.0.0.1:{closed_port()}/sprintbot"
    code, err = await run_bot(tmp_path, "--log-level", "DEBUG", SPRINTBOT_DATABASE_URL=url)
    assert code != 0
    assert "Traceback" in err and "Cannot connect to the database" in err


async def test_a_sqlite_file_that_cannot_be_created_gets_a_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    url = f"sqlite+aiosqlite:///{blocker / 'sprintbot.sqlite3'}"
    code, err = await run_bot(tmp_path, SPRINTBOT_DATABASE_URL=url)
    assert code != 0
    assert f"Cannot open the SQLite database file {blocker / 'sprintbot.sqlite3'}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("problem", ["unknown user", "missing database"])
async def test_a_database_login_or_name_the_server_refuses_gets_a_sentence(
    tmp_path: Path, problem: str
) -> None:
    base = postgres_url()
    if base is None:
        no_postgres()
    parsed = make_url(base)
    host = f"{parsed.host}:{parsed.port or 5432}"
    if problem == "unknown user":
        url = parsed.set(username="no_such_sprintbot_user", password="wrong").render_as_string(
            hide_password=False
        )
        wanted = f"The database server at {host} refused the login of user 'no_such_sprintbot_user'"
    else:
        url = parsed.set(database="no_such_sprintbot_db").render_as_string(hide_password=False)
        wanted = f"The database 'no_such_sprintbot_db' does not exist on the server at {host}"
    code, err = await run_bot(tmp_path, SPRINTBOT_DATABASE_URL=url)
    assert code != 0
    assert wanted in err
    assert "Traceback" not in err
    assert "wrong" not in err


async def test_a_token_discord_refuses_gets_a_sentence(tmp_path: Path) -> None:
    async with LocalDiscord() as server:
        code, err = await run_bot(
            tmp_path,
            SPRINTBOT_TOKEN="not-the-servers-token",
            SPRINTBOT_API_BASE_URL=server.api_base_url,
            SPRINTBOT_GATEWAY_URL=server.gateway_url,
        )
    assert code != 0
    assert "Discord rejected the token: check [discord] token / SPRINTBOT_TOKEN." in err
    assert "Traceback" not in err
    assert "not-the-servers-token" not in err


async def test_discord_out_of_reach_gets_a_sentence(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{closed_port()}/api/v10"
    code, err = await run_bot(tmp_path, SPRINTBOT_API_BASE_URL=api)
    assert code != 0
    assert f"Cannot reach Discord at {api}" in err
    assert "Traceback" not in err

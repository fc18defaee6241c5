"""`sprintbot run` against the local server: migrates, connects, and stops cleanly on a signal."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.localdiscord import LocalDiscord

ROOT = Path(__file__).resolve().parents[2]


async def read_until(stream: asyncio.StreamReader, needle: str, log: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode(errors="replace")
        if not line:
            raise AssertionError("the process ended before: " + needle + "\n" + "".join(log))
        log.append(line)
        if needle in line:
            return


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_run_migrates_connects_and_stops_cleanly_on_a_signal(
    sig: signal.Signals, tmp_path: Path
) -> None:
    async with LocalDiscord() as server:
        server.add_guild("Sprint Club").add_text_channel("general")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "SPRINTBOT_TOKEN": server.token,
            "SPRINTBOT_API_BASE_URL": server.api_base_url,
            "SPRINTBOT_GATEWAY_URL": server.gateway_url,
            "SPRINTBOT_DATA_DIR": str(tmp_path / "data"),
            "SPRINTBOT_LOG_LEVEL": "INFO",
        }
        for var in ("SPRINTBOT_CONFIG", "SPRINTBOT_DATABASE_URL"):
            env.pop(var, None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stderr is not None
        log: list[str] = []
        try:
            async with asyncio.timeout(60):
                await read_until(proc.stderr, "ready as", log)
            proc.send_signal(sig)
            async with asyncio.timeout(30):
                rest = (await proc.stderr.read()).decode(errors="replace")
                code = await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        output = "".join(log) + rest
        assert code == 0, output
        assert "applying migrations" in output
        assert "stopped" in output
        assert "Traceback" not in output
        assert server.token not in output
        assert (tmp_path / "data" / "sprintbot.sqlite3").exists()
        assert server.errors == []


async def test_sync_commands_registers_every_command_in_the_given_guild(tmp_path: Path) -> None:
    async with LocalDiscord() as server:
        guild = server.add_guild("Sprint Club")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "SPRINTBOT_TOKEN": server.token,
            "SPRINTBOT_API_BASE_URL": server.api_base_url,
            "SPRINTBOT_GATEWAY_URL": server.gateway_url,
            "SPRINTBOT_DATA_DIR": str(tmp_path / "data"),
        }
        env.pop("SPRINTBOT_CONFIG", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "sync-commands",
            "--guild",
            str(guild.id),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(60):
            out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        assert {"sprint", "goal", "done", "goals", "help", "timezone", "accountability"} <= set(
            guild.commands
        )
        assert server.world.global_commands == {}
        assert f"Registered {len(guild.commands)} commands" in out.decode()
